"""Inspect's step equation with its numbers, in both notations: the course's U, W, b and PyTorch's
W_ih, W_hh, b_ih, b_hh name the same weights, so every value the equation arrives at is the same."""
import re

import numpy as np
import pytest
import torch

import explorer
from explorer import ModelConfig, RNNModel, Vocab, figures
from explorer.analysis import internals
from explorer.engine.cells import NOTATIONS

TEXT = "Tell me (now) what you saw."
NUMBER = r"\(?(-?\d+\.\d{3})\)?"


def tiny_model(cell: str, hidden: int = 6, seed: int = 0):
    vocab = Vocab.from_text(TEXT)
    torch.manual_seed(seed)
    return RNNModel(ModelConfig(cell=cell, input_size=len(vocab), output_size=len(vocab), hidden_size=hidden),
                    vocab).eval()


def stated_values(lines: list[str]) -> dict[str, float]:
    """Every `symbol = ... = number` the equation states: the number each symbol's chain of equalities ends
    on (the pre-activations a_t, every gate, c_t, h_t); the LSTM's gates share one line, split at \\quad."""
    found = {}
    for line in lines:
        for part in line.split(r",\quad"):
            symbol = part.split("=")[0].strip()
            found[symbol] = float(re.findall(NUMBER, part)[-1])
    return found


def underbraced(line: str) -> list[tuple[float, str]]:
    """The (number, label) of each \\underbrace{number}_{label} in a line."""
    label = r"([^{}]*(?:\{[^{}]*\}[^{}]*)*)"  # one level of braces inside: U_{i} x_t
    return [(float(v), text) for v, text in re.findall(r"\\underbrace\{" + NUMBER + r"\}_\{" + label + r"\}", line)]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_notations_name_the_weights_differently_and_state_the_same_numbers(cell):
    model = tiny_model(cell)
    tr = explorer.trace(model, TEXT)
    for step, unit in [(0, 0), (9, 4), (len(TEXT) - 1, 5)]:
        values = internals.equation_values(model, tr, layer=0, direction=0, step=step, unit=unit)
        course = figures.equation_latex(values, notation="course")
        pytorch = figures.equation_latex(values, notation="pytorch")
        assert course != pytorch
        assert stated_values(course) == stated_values(pytorch)
        stated = stated_values(course)
        assert stated["h_t"] == pytest.approx(float(tr.hidden[0, 0, step, unit]), abs=6e-4)
        for gate, value in tr.gates.items():
            if gate != "pre":
                assert stated[f"{gate}_t"] == pytest.approx(float(value[0, 0, step, unit]), abs=6e-4)
        course_names, pytorch_names = (set(re.findall(r"[UWb]_\{\w+\}|\b[UWb]\b", " ".join(lines)))
                                       for lines in (course, pytorch))
        assert any(name.startswith("U") for name in course_names)
        assert not any(re.fullmatch(r"W_\{[ih]\w\}", name) for name in course_names)  # W_ih is U, W_hh is W
        # one bias per unit, except where r_t multiplies the GRU's recurrent bias alone
        assert {name for name in course_names if re.fullmatch(r"b_\{[ih]\w\}", name)} <= {"b_{in}", "b_{hn}"}
        assert all(re.fullmatch(r"[Wb]_\{[ih]\w\}", name) for name in pytorch_names)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_course_bias_is_both_biases_added(cell):
    """b = b_ih + b_hh: one number per unit, and U x_t + W h_{t-1} + b is the pre-activation."""
    model = tiny_model(cell)
    tr = explorer.trace(model, TEXT)
    step, unit = 5, 2
    values = internals.equation_values(model, tr, layer=0, direction=0, step=step, unit=unit)
    size = tr.hidden_size
    gates = {"lstm": "ifgo", "gru": "rz", "rnn": ["pre"]}[cell]
    lines = figures.equation_latex(values, notation="course")
    for k, gate in enumerate(gates):
        row = k * size + unit
        bias = float(model.rnn.bias_ih_l0[row].detach() + model.rnn.bias_hh_l0[row].detach())
        braces = underbraced(lines[k])
        assert [label for _, label in braces] == (["U x_t", "W h_{t-1}", "b"] if cell == "rnn" else
                                                  [f"U_{{{gate}}} x_t", f"W_{{{gate}}} h_{{t-1}}", f"b_{{{gate}}}"])
        assert braces[2][0] == pytest.approx(bias, abs=6e-4)
        assert sum(v for v, _ in braces) == pytest.approx(values["pre"][gate], abs=2e-3)
        pytorch = underbraced(figures.equation_latex(values, notation="pytorch")[k])
        assert len(pytorch) == 2 and sum(v for v, _ in pytorch) == pytest.approx(values["pre"][gate], abs=2e-3)


def test_every_notation_is_drawn():
    model = tiny_model("lstm")
    values = internals.equation_values(model, explorer.trace(model, TEXT), layer=0, direction=0, step=1, unit=0)
    assert len({"\n".join(figures.equation_latex(values, notation=n)) for n in NOTATIONS}) == len(NOTATIONS)
    with pytest.raises(ValueError):
        figures.equation_latex(values, notation="keras")
    assert np.isfinite(list(stated_values(figures.equation_latex(values)).values())).all()
