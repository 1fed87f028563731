"""The unrolled-network diagram: the right boxes and arrows for each config, drawn where they belong."""
from collections import Counter

import pytest

from explorer import ModelConfig
from explorer.figures import diagram


def nodes_of(fig) -> Counter:
    return Counter(s.name.split(":", 1)[1] for s in fig.layout.shapes if (s.name or "").startswith("node:"))


def edges_of(fig) -> Counter:
    return Counter(a.name.split(":", 1)[1] for a in fig.layout.annotations
                   if a.showarrow and (a.name or "").startswith("edge:"))


def arrows(fig, kind: str) -> list:
    return [a for a in fig.layout.annotations if a.showarrow and a.name == f"edge:{kind}"]


ELMAN = ModelConfig(cell="rnn", input_mode="onehot", input_size=10, output_size=10, hidden_size=8)
JORDAN = ModelConfig(cell="jordan", input_size=4, output_size=16, hidden_size=8)
BIGRU = ModelConfig(cell="gru", input_size=30, output_size=2, hidden_size=8, num_layers=2, bidirectional=True,
                    head="last_step")


def test_elman_has_a_hidden_to_hidden_recurrence_and_a_head_per_step():
    fig = diagram.unrolled(ELMAN, steps=4)
    assert nodes_of(fig) == {"input": 4, "encoding": 4, "forward": 4, "output": 4}
    assert edges_of(fig) == {"input": 8, "recurrent": 3, "head": 4}
    for a in arrows(fig, "recurrent"):  # left to right, within the hidden row
        assert a.ax < a.x and a.ay == a.y


def test_jordan_feeds_back_its_output_not_its_hidden_state():
    fig = diagram.unrolled(JORDAN, steps=4)
    assert nodes_of(fig) == {"input": 4, "encoding": 4, "forward": 4, "output": 4}
    assert edges_of(fig) == {"input": 8, "feedback": 3, "head": 4}  # no h -> h arrow at all
    for a in arrows(fig, "feedback"):  # from y_{t-1} (up, left) down to h_t
        assert a.ax < a.x and a.ay > a.y
    assert "Jordan feedback" in " ".join(t.name for t in fig.data if t.name)


def test_jordan_many_to_one_still_feeds_back_every_output():
    config = ModelConfig(cell="jordan", input_size=4, output_size=3, hidden_size=8, head="last_step")
    assert edges_of(diagram.unrolled(config, steps=3))["feedback"] == 2


def test_stacked_bidirectional_many_to_one():
    steps = 4
    fig = diagram.unrolled(BIGRU, steps=steps)
    assert nodes_of(fig) == {"input": 4, "encoding": 4, "forward": 8, "backward": 8, "concat": 1, "output": 1}
    assert edges_of(fig) == {
        "input": steps + 2 * steps,  # x -> encoding, encoding -> both directions of layer 0
        "layer": steps * 2 * 2,  # both directions of layer 0 -> both directions of layer 1
        "recurrent": 2 * (steps - 1), "backward": 2 * (steps - 1), "concat": 2, "head": 1}
    for a in arrows(fig, "backward"):  # the backward chain runs right to left
        assert a.ax > a.x and a.ay == a.y
    _, edges = diagram.layout(BIGRU, steps)
    into_concat = {e.source for e in edges if e.target == "c last"}
    assert into_concat == {f"h l1 d0 t{steps - 1}", "h l1 d1 t0"}  # forward at the end, backward at step 0


def test_bidirectional_per_step_concatenates_at_every_step():
    config = ModelConfig(cell="lstm", input_size=5, output_size=5, hidden_size=8, bidirectional=True)
    fig = diagram.unrolled(config, steps=3)
    assert nodes_of(fig)["concat"] == 3 and nodes_of(fig)["output"] == 3
    assert edges_of(fig) == {"input": 3 + 6, "recurrent": 2, "backward": 2, "concat": 6, "head": 3}


@pytest.mark.parametrize("mode, text", [("onehot", "one-hot<br>10"), ("embedding", "embed<br>32"),
                                        ("real", "real<br>10")])
def test_the_input_encoding_is_named(mode, text):
    config = ModelConfig(cell="rnn", input_mode=mode, input_size=10, output_size=10, hidden_size=8)
    labels = [a.text for a in diagram.unrolled(config, steps=2).layout.annotations if a.name == "label:encoding"]
    assert labels == [text, text]


def test_labels_hover_and_axes_name_what_is_drawn():
    fig = diagram.unrolled(BIGRU, steps=3, tokens="ab")
    hover = fig.data[0].hovertext
    assert len(hover) == sum(nodes_of(fig).values())
    assert any("layer 1, backward, step 2" in h and "weight_hh_l1_reverse" in h for h in hover)
    assert any("backward state at step 0" in h for h in hover)
    inputs = [a.text for a in fig.layout.annotations if a.name == "label:input"]
    assert inputs == ["x<sub>0</sub> “a”", "x<sub>1</sub> “b”", "x<sub>2</sub>"]  # fewer tokens than steps is fine
    assert list(fig.layout.yaxis.ticktext) == ["input x", "encoding", "layer 0 →", "layer 0 ←", "layer 1 →",
                                               "layer 1 ←", "concat", "output (last)"]
    assert fig.layout.title.text.startswith("The network unrolled over 3 steps: GRU, 2 layers, bidirectional")
    assert fig.layout.xaxis.title.text == "step t"


def test_arrows_start_and_end_on_the_boxes_not_inside_them():
    fig = diagram.unrolled(ELMAN, steps=2)
    for a in arrows(fig, "recurrent"):
        assert (a.ax == pytest.approx(0 + diagram.BOX_W / 2 + 0.02)
                and a.x == pytest.approx(1 - diagram.BOX_W / 2 - 0.02))


@pytest.mark.parametrize("steps", [0, diagram.MAX_STEPS + 1])
def test_steps_out_of_range_are_refused(steps):
    with pytest.raises(ValueError, match=f"the diagram shows 1 to {diagram.MAX_STEPS} steps; got {steps}"):
        diagram.unrolled(ELMAN, steps=steps)


def hover_of(fig) -> str:
    return " | ".join(fig.data[0].hovertext)


@pytest.mark.parametrize("config", [ELMAN, JORDAN, BIGRU, ModelConfig(cell="rnn", input_mode="onehot", input_size=10,
                                                                       output_size=10, hidden_size=8,
                                                                       bidirectional=True)])
def test_the_course_notation_names_the_weights_u_w_b(config):
    course = hover_of(diagram.unrolled(config, steps=3, notation="course"))
    pytorch = hover_of(diagram.unrolled(config, steps=3, notation="pytorch"))
    assert pytorch == hover_of(diagram.unrolled(config, steps=3))  # PyTorch's names unless told otherwise
    for name in ("W_ih", "W_hh", "b_ih", "b_hh", "W_ho", "b_ho"):
        assert name not in course
    if config.input_mode == "onehot":
        assert "U x_t picks column x_t of U" in course and "W_ih x_t picks column x_t of W_ih" in pytorch


def test_elman_and_jordan_step_equations_in_both_notations():
    elman = hover_of(diagram.unrolled(ELMAN, steps=2, notation="course"))
    assert "h_t = tanh(U x_t + W h_{t-1} + b)" in elman
    assert "h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)" in hover_of(diagram.unrolled(ELMAN, steps=2))
    jordan = hover_of(diagram.unrolled(JORDAN, steps=2, notation="course"))
    assert "h_t = tanh(U x_t + W φ(y_{t-1}) + b)" in jordan and "y_1 = V h_1 + c" in jordan
    assert "y_1 = W_ho h_1 + b_ho" in hover_of(diagram.unrolled(JORDAN, steps=2))
    backward = ModelConfig(cell="rnn", input_size=10, output_size=10, hidden_size=8, bidirectional=True)
    assert "h_t = tanh(U x_t + W h_{t+1} + b)" in hover_of(diagram.unrolled(backward, steps=2, notation="course"))


def test_an_unknown_notation_is_refused():
    with pytest.raises(ValueError, match="unknown notation 'keras'"):
        diagram.unrolled(ELMAN, steps=2, notation="keras")


def test_the_diagram_speaks_the_current_language():
    from explorer import i18n
    with i18n.use("zh"):
        fig = diagram.unrolled(BIGRU, steps=3, notation="course")
        described = diagram.describe(BIGRU)
    english = diagram.unrolled(BIGRU, steps=3)
    assert fig.layout.xaxis.title.text != english.layout.xaxis.title.text
    assert list(fig.layout.yaxis.ticktext) != list(english.layout.yaxis.ticktext)
    assert "GRU" in described and "layers" not in described and "bidirectional" not in described


@pytest.mark.parametrize("cell, gates", [("mingru", "z<sub>1</sub>, h̃<sub>1</sub>"),
                                         ("minlstm", "f<sub>1</sub>, i<sub>1</sub>, h̃<sub>1</sub>")])
def test_a_min_cell_reads_its_gates_from_the_input_alone(cell, gates):
    config = ModelConfig(cell=cell, input_size=10, output_size=10, hidden_size=8, num_layers=2)
    steps = 3
    fig = diagram.unrolled(config, steps=steps)
    assert nodes_of(fig) == {"input": 3, "encoding": 3, "gates": 6, "forward": 6, "output": 3}
    assert edges_of(fig) == {"input": 6, "layer": 3, "gates": 6, "mix": 4, "head": 3}
    assert "recurrent" not in edges_of(fig)  # h_{t-1} -> h_t carries no weight matrix here
    nodes, edges = diagram.layout(config, steps)
    kind = {n.key: n.kind for n in nodes}
    into_gates = {kind[e.source] for e in edges if kind[e.target] == "gates"}
    assert into_gates == {"encoding", "forward"}  # the input, or the layer below at the same step
    for e in edges:  # nothing reaches a gate from an earlier step
        if kind[e.target] == "gates":
            assert e.source.endswith(e.target[-3:]), e
    assert [a.text for a in fig.layout.annotations if a.name == "label:gates"][2] == gates  # step 1, layer 0
    assert list(fig.layout.yaxis.ticktext) == ["input x", "encoding", "layer 0 gates", "layer 0", "layer 1 gates",
                                               "layer 1", "output y"]
    title = {"mingru": "minGRU", "minlstm": "minLSTM"}[cell]
    assert fig.layout.title.text.startswith(f"The network unrolled over 3 steps: {title}, 2 layers, forward only")


def test_min_cell_equations_in_both_notations():
    mingru = ModelConfig(cell="mingru", input_size=10, output_size=10, hidden_size=8)
    course = hover_of(diagram.unrolled(mingru, steps=2, notation="course"))
    pytorch = hover_of(diagram.unrolled(mingru, steps=2))
    assert "z_1 = σ(U_z x_1 + b_z), h̃_1 = g(U_h̃ x_1 + b_h̃)" in course
    assert "z_1 = σ(W_iz x_1 + b_iz), h̃_1 = g(W_ih̃ x_1 + b_ih̃)" in pytorch
    assert "h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t" in course and "no weight_hh_l0" in pytorch
    minlstm = hover_of(diagram.unrolled(ModelConfig(cell="minlstm", input_size=10, output_size=10, hidden_size=8,
                                                    num_layers=2), steps=2, notation="course"))
    assert "f_0 = σ(U_f x_0 + b_f), i_0 = σ(U_i x_0 + b_i), h̃_0 = g(U_h̃ x_0 + b_h̃)" in minlstm
    assert "f_0 = σ(U_f h^(0)_0 + b_f)" in minlstm  # layer 1 reads layer 0
    assert "h_t = f′_t ⊙ h_{t-1} + i′_t ⊙ h̃_t" in minlstm
    for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
        assert name not in course
