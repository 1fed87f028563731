"""explorer.intervene: the step loop equals explorer.trace, "no change" equals the original bit for
bit, and each intervention changes what it should and nothing before its first step."""
import math
import re

import numpy as np
import pytest
import torch

from explorer import ModelConfig, RNNModel, Vocab, trace, zoo
from explorer.analysis.intervene import Ablate, Clamp, Edit, compare, parse_units, run
from explorer.figures import intervene as fi

TEXT = 'def f(x): return [x + 1, "a"]  # (b)'
VOCAB = Vocab.from_text(TEXT + "abcdefghijklmnopqrstuvwxyz ")
TOL = 1e-5


def make(cell="lstm", layers=1, bidirectional=False, hidden=12, seed=0):
    torch.manual_seed(seed)
    config = ModelConfig(cell=cell, input_size=len(VOCAB), output_size=len(VOCAB), hidden_size=hidden,
                         num_layers=layers, bidirectional=bidirectional)
    return RNNModel(config, VOCAB).eval()


def same(a, b) -> bool:
    return a is None and b is None or np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_loop_equals_trace(cell, layers, bidirectional):
    model = make(cell, layers, bidirectional)
    looped, reference = run(model, TEXT), trace(model, TEXT)
    assert looped.tokens == reference.tokens
    np.testing.assert_allclose(looped.hidden, reference.hidden, atol=TOL, rtol=0)
    if cell == "lstm":
        np.testing.assert_allclose(looped.cell, reference.cell, atol=TOL, rtol=0)
    assert set(looped.gates) == set(reference.gates)
    for name in reference.gates:
        np.testing.assert_allclose(looped.gates[name], reference.gates[name], atol=TOL, rtol=0, err_msg=name)
    np.testing.assert_allclose(looped.probs, reference.probs, atol=TOL, rtol=0)
    np.testing.assert_allclose(looped.loss[:-1], reference.loss[:-1], atol=1e-4, rtol=0)
    assert looped.topk_labels[3] == reference.topk_labels[3]


def test_jordan_loop_equals_trace():
    model = make("jordan")
    looped, reference = run(model, TEXT), trace(model, TEXT)
    np.testing.assert_allclose(looped.hidden, reference.hidden, atol=TOL, rtol=0)
    np.testing.assert_allclose(looped.gates["pre"], reference.gates["pre"], atol=TOL, rtol=0)
    np.testing.assert_allclose(looped.probs, reference.probs, atol=TOL, rtol=0)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_no_intervention_equals_the_original_exactly(cell):
    model = make(cell, layers=2, bidirectional=True)
    for nothing in ([], [Edit(position=4, char=TEXT[4])]):  # an edit to the same character changes nothing
        cmp = compare(model, TEXT, nothing)
        original, changed = cmp.original, cmp.changed
        assert same(original.hidden, changed.hidden) and same(original.cell, changed.cell)
        assert all(same(original.gates[k], changed.gates[k]) for k in original.gates)
        assert same(original.probs, changed.probs) and same(original.loss, changed.loss)
        assert same(original.topk_ids, changed.topk_ids)
        assert cmp.first_changed_step() is None
        assert not cmp.hidden_change_norm.any()
        before, after = cmp.bits_per_char
        assert before == after


def test_clamp_changes_nothing_before_its_first_step():
    model = make("lstm", layers=2)
    cmp = compare(model, TEXT, [Clamp(gate="f", units=(1, 3), value=0.0, layer=1, start=7)])
    original, changed = cmp.original, cmp.changed
    assert np.array_equal(original.hidden[:, :, :7], changed.hidden[:, :, :7])
    assert np.array_equal(original.cell[:, :, :7], changed.cell[:, :, :7])
    assert np.array_equal(original.loss[:7], changed.loss[:7])
    assert cmp.first_changed_step() == 7
    assert np.all(changed.gates["f"][1, 0, 7:, [1, 3]] == 0.0)
    # at the first clamped step only the clamped units' forget gate differs; layer 0 never sees layer 1
    assert np.array_equal(changed.gates["f"][1, 0, 7, [0, 2, 4]], original.gates["f"][1, 0, 7, [0, 2, 4]])
    assert np.array_equal(original.hidden[0], changed.hidden[0])
    assert not np.allclose(original.hidden[1, 0, 8:], changed.hidden[1, 0, 8:])
    assert not np.allclose(original.loss[7:-1], changed.loss[7:-1])
    np.testing.assert_array_equal(cmp.hidden_change_norm[:, :7], 0.0)
    assert cmp.hidden_change_norm[1, 7] > 0


def test_clamp_over_a_step_range_stops_there():
    model = make("lstm")
    changed = run(model, TEXT, [Clamp(gate="o", units=(0,), value=1.0, start=3, stop=6)])
    assert np.all(changed.gates["o"][0, 0, 3:6, 0] == 1.0)
    assert np.all(changed.gates["o"][0, 0, 6:, 0] < 1.0)  # a sigmoid never reaches 1 on its own


def test_forget_gate_zero_makes_the_cell_its_new_write():
    model = make("lstm", hidden=16)
    changed = run(model, TEXT, [Clamp(gate="f", units=tuple(range(16)), value=0.0)])
    i, g = changed.gates["i"][0, 0], changed.gates["g"][0, 0]
    np.testing.assert_allclose(changed.cell[0, 0], i * g, atol=1e-6, rtol=0)
    np.testing.assert_allclose(changed.hidden[0, 0], changed.gates["o"][0, 0] * np.tanh(i * g), atol=1e-6, rtol=0)


def test_gru_update_gate_one_freezes_the_state():
    model = make("gru")
    changed = run(model, TEXT, [Clamp(gate="z", units=(2, 5), value=1.0, start=10)])
    frozen = changed.hidden[0, 0, 9, [2, 5]]
    for t in range(10, len(TEXT)):
        np.testing.assert_array_equal(changed.hidden[0, 0, t, [2, 5]], frozen)


def test_ablation_zeroes_units_and_moves_the_rest():
    model = make("lstm", layers=2)
    cmp = compare(model, TEXT, [Ablate(units=(0, 4), layer=0)])
    assert np.all(cmp.changed.hidden[0, 0, :, [0, 4]] == 0.0) and np.all(cmp.changed.cell[0, 0, :, [0, 4]] == 0.0)
    assert cmp.first_changed_step() == 0
    assert not np.allclose(cmp.original.hidden[1], cmp.changed.hidden[1])  # the layer above reads the change
    assert np.nanmax(np.abs(cmp.loss_change)) > 0


def test_elman_ablation_and_edit():
    model = make("rnn")
    changed = run(model, TEXT, [Ablate(units=(1,), start=5, stop=9)])
    assert np.all(changed.hidden[0, 0, 5:9, 1] == 0.0) and np.all(changed.hidden[0, 0, 9:, 1] != 0.0)


def test_edit_reads_the_new_character_from_its_position_on():
    model = make("gru")
    position = TEXT.index("(")
    cmp = compare(model, TEXT, [Edit(position=position, char="[")])
    assert cmp.changed.tokens[position] == "[" and cmp.original.tokens[position] == "("
    assert "".join(cmp.changed.tokens) == TEXT[:position] + "[" + TEXT[position + 1:]
    assert cmp.first_changed_step() == position
    assert cmp.summary().endswith(f"after editing step {position} from '(' to '['")
    assert np.array_equal(cmp.original.hidden[:, :, :position], cmp.changed.hidden[:, :, :position])
    # the step before the edit predicts the new character, so its loss changes with the same state
    assert cmp.loss_change[position - 1] != 0.0
    assert np.array_equal(cmp.loss_change[:position - 1], np.zeros(position - 1))



@pytest.mark.skipif("english-lstm" not in zoo.available(), reason="the pretrained english-lstm is not built")
def test_the_guesses_follow_the_biggest_change_where_the_guesses_differ():
    """Deleting "(" costs most at the step before it (the character to guess changed), but the
    guesses there are identical; the page should open on a step where they differ."""
    text = "And he said unto them, Behold (the everlasting covenant) is with Mahershalalhashbaz; fear not."
    position = text.index("(")
    cmp = compare(zoo.load("english-lstm"), text, [Edit(position=position, char=" ")])
    assert np.nanargmax(np.abs(cmp.loss_change)) == position - 1
    step = cmp.most_changed_step()
    assert step >= position
    guesses = cmp.guesses(step)
    assert np.abs(guesses["original"] - guesses["changed"]).max() > 0.05

def test_comparison_guesses_and_summary():
    model = make("lstm")
    cmp = compare(model, TEXT, [Clamp(gate="f", units=(1, 3), value=0.0, start=7)])
    guesses = cmp.guesses(10)
    assert 5 <= len(guesses["chars"]) <= 10
    ids = [VOCAB.stoi[c] for c in guesses["chars"]]
    np.testing.assert_array_equal(guesses["original"], cmp.original.probs[10, ids])
    np.testing.assert_array_equal(guesses["changed"], cmp.changed.probs[10, ids])
    assert list(guesses["original"]) == sorted(guesses["original"], reverse=True)
    assert guesses["next"] == (TEXT[11], TEXT[11])
    before, after = cmp.bits_per_char
    assert before == pytest.approx(np.nanmean(cmp.original.loss) / math.log(2))
    assert cmp.summary() == f"bits/char {before:.2f} → {after:.2f} after clamping f of units 1, 3 to 0 from step 7 on"
    assert Ablate(units=tuple(range(64)), layer=1, start=2, stop=5).describe() == \
        "ablating units 0–63 in layer 1 at steps 2–4"


def test_parse_units():
    assert parse_units("12, 40", 64) == (12, 40)
    assert parse_units(" 3 5,3 ", 64) == (3, 5)
    assert parse_units("all", 4) == (0, 1, 2, 3)


@pytest.mark.parametrize("text, message", [
    ("300", "unit 300 does not exist: this layer has units 0 to 63"),
    ("12, x", "'x' is not a unit number: type whole numbers separated by commas, e.g. 12, 40 (or all)"),
    (" , ", "type at least one unit number, e.g. 12, 40 (or all)"),
    ("-1", "unit -1 does not exist: this layer has units 0 to 63"),
    ("1 ²", "'²' is not a unit number: type whole numbers separated by commas, e.g. 12, 40 (or all)"),
])
def test_bad_units_get_a_sentence(text, message):
    with pytest.raises(ValueError) as err:
        parse_units(text, 64)
    assert str(err.value) == message


@pytest.mark.parametrize("cell, change, message", [
    ("lstm", Clamp(gate="f", units=(1,), value=1.5),
     "the forget gate f lies between 0 and 1; 1.5 is outside that range"),
    ("lstm", Clamp(gate="g", units=(1,), value=-2.0),
     "the candidate g lies between -1 and 1; -2 is outside that range"),
    ("lstm", Clamp(gate="z", units=(1,), value=0.0), "an LSTM has gates i, f, g, o; 'z' is not one of them"),
    ("rnn", Clamp(gate="f", units=(1,), value=0.0),
     "a SimpleRNN has no gates to clamp; ablate units or edit a character instead"),
    ("gru", Ablate(units=(99,)), "unit 99 does not exist: this layer has units 0 to 11"),
    ("gru", Ablate(units=(1,), layer=1), "layer 1 does not exist: this model has layers 0 to 0"),
    ("gru", Ablate(units=(1,), start=500), f"step 500 is outside the text: its steps run from 0 to {len(TEXT) - 1}"),
    ("gru", Ablate(units=(1,), start=5, stop=5),
     "the step range is empty: its last step (4) comes before its first (5)"),
    ("gru", Edit(position=len(TEXT), char="a"),
     f"position {len(TEXT)} is outside the text: positions run from 0 to {len(TEXT) - 1}"),
    ("gru", Edit(position=3, char="é"), "the model never saw 'é' in training; pick a character from its vocabulary"),
    ("gru", Edit(position=3, char="ab"), "type exactly one character to put there"),
])
def test_bad_interventions_get_a_sentence(cell, change, message):
    with pytest.raises(ValueError) as err:
        compare(make(cell), TEXT, [change])
    assert str(err.value) == message


def test_empty_text_gets_a_sentence():
    with pytest.raises(ValueError, match="^the text is empty: type at least one character$"):
        run(make(), "")


def test_figures_show_both_runs():
    model = make("lstm")
    position = TEXT.index("(")
    cmp = compare(model, TEXT, [Edit(position=position, char="[")])
    tokens, changed = cmp.original.tokens, cmp.changed.tokens
    loss = fi.loss_comparison_figure(tokens=tokens, changed_tokens=changed, loss_original=cmp.original.loss,
                                     loss_changed=cmp.changed.loss, first_step=cmp.first_changed_step())
    assert [t.name for t in loss.data] == ["original", "changed"]
    assert loss.data[0].x[position] == f"step {position} “(→[”"
    assert loss.data[0].y[-1] is None and loss.data[1].y[0] == pytest.approx(cmp.changed.loss[0] / math.log(2))
    assert "bits" in loss.data[0].hovertemplate and loss.layout.yaxis.title.text
    norm = fi.change_norm_figure(norms=cmp.hidden_change_norm, tokens=tokens, changed_tokens=changed)
    assert norm.data[0].y[position - 1] == 0 and norm.data[0].y[position] > 0
    heat = fi.change_heatmap(difference=cmp.hidden_change(0), changed_tokens=changed, layer=0)
    assert heat.data[0].zmin == -heat.data[0].zmax and "Δh" in heat.data[0].hovertemplate
    g = cmp.guesses(position - 1)
    bars = fi.guesses_figure(chars=g["chars"], original=g["original"], changed=g["changed"], step=position - 1,
                             char_read=changed[position - 1], next_chars=g["next"])
    assert "“(→[”" in bars.layout.title.text and [t.name for t in bars.data] == ["original", "changed"]


@pytest.mark.skipif("english-lstm" not in zoo.available(), reason="the pretrained english-lstm is not built")
def test_pretrained_lstm_without_forget_gates_loses_its_memory():
    model = zoo.load("english-lstm")
    text = "And he said unto them, Behold (the everlasting covenant) is with Mahershalalhashbaz; fear not."
    cmp = compare(model, text, [Clamp(gate="f", units=tuple(range(model.rnn.hidden_size)), value=0.0)])
    before, after = cmp.bits_per_char
    assert before < 2.6 and after > before + 0.5  # measured 2.41 -> 3.39


def test_a_model_without_a_head_compares_states_only():
    torch.manual_seed(0)
    config = ModelConfig(cell="lstm", input_size=len(VOCAB), output_size=12, hidden_size=12, output_kind="real")
    model = RNNModel(config, VOCAB).eval()
    cmp = compare(model, TEXT, [Ablate(units=(1,), start=3)])
    assert not cmp.has_guesses and cmp.most_changed_step() == 0
    assert cmp.summary() == "the hidden state moves from step 3 on after ablating unit 1 from step 3 on"


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", ["mingru", "minlstm"])
def test_min_cell_loop_equals_the_scan_trace(cell, layers):
    model = make(cell, layers)
    looped, reference = run(model, TEXT), trace(model, TEXT)
    np.testing.assert_allclose(looped.hidden, reference.hidden, atol=TOL, rtol=0)
    assert set(looped.gates) == set(reference.gates) == ({"z", "cand"} if cell == "mingru" else {"f", "i", "cand"})
    for name in reference.gates:
        np.testing.assert_allclose(looped.gates[name], reference.gates[name], atol=TOL, rtol=0, err_msg=name)
    np.testing.assert_allclose(looped.probs, reference.probs, atol=TOL, rtol=0)
    cmp = compare(model, TEXT, [])
    assert same(cmp.original.hidden, cmp.changed.hidden) and same(cmp.original.loss, cmp.changed.loss)


def test_min_gru_update_gate_zero_keeps_the_state_and_a_clamped_candidate_is_written():
    model = make("mingru")
    kept = compare(model, TEXT, [Clamp(gate="z", units=(2, 5), value=0.0, start=6)]).changed
    frozen = kept.hidden[0, 0, :, [2, 5]]  # (2, T): h_t = h_{t-1} once z is 0
    assert np.array_equal(frozen[:, 6:], np.repeat(frozen[:, 5:6], len(TEXT) - 6, axis=1))
    written = compare(model, TEXT, [Clamp(gate="z", units=(1,), value=1.0), Clamp(gate="cand", units=(1,), value=2.5)])
    np.testing.assert_allclose(written.changed.hidden[0, 0, :, 1], 2.5, rtol=1e-6)
    assert "clamping h̃ of unit 1 to 2.5" in written.summary()


def test_min_lstm_forget_gate_zero_makes_h_its_new_write():
    model = make("minlstm")
    changed = compare(model, TEXT, [Clamp(gate="f", units=(3,), value=0.0)]).changed
    write = changed.gates["i"][0, 0, :, 3] * changed.gates["cand"][0, 0, :, 3]  # i′_t h̃_t, nothing kept
    np.testing.assert_allclose(changed.hidden[0, 0, :, 3], write, rtol=1e-6)


@pytest.mark.parametrize("change, message", [
    (Clamp(gate="cand", units=(0,), value=-0.5), "the candidate h̃ is never negative; -0.5 is"),
    (Clamp(gate="r", units=(0,), value=0.5), "a minGRU has gates z, cand; 'r' is not one of them"),
])
def test_bad_min_cell_clamps_get_a_sentence(change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        run(make("mingru"), TEXT, [change])
