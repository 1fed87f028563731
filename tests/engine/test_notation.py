"""The course's notation and PyTorch's name the same weights: U = W_ih, W = W_hh, b = b_ih + b_hh."""
import re

import pytest

from explorer.engine import cells


def test_the_elman_step_in_the_course_notation_is_the_lecture_equation():
    assert cells.equations(cells.elman_step, "course").startswith(r"a_t = U x_t + W h_{t-1} + b,")
    pytorch = cells.equations(cells.elman_step, "pytorch")
    assert pytorch.startswith(r"a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}")


@pytest.mark.parametrize("step, gates", [(cells.lstm_step, "ifgo"), (cells.gru_step, "rz")])
def test_gates_read_U_and_W_with_one_bias_each(step, gates):
    course = cells.equations(step, "course")
    for g in gates:
        assert rf"U_{{{g}}} x_t + W_{{{g}}} h_{{t-1}} + b_{{{g}}}" in course
    assert not re.search(r"W_\{[ih][a-z]\}", course)  # no PyTorch name is left


def test_the_jordan_output_is_V_h_plus_c():
    assert r"y_t = V h_t + c" in cells.equations(cells.jordan_step, "course")


def test_the_default_is_pytorch_and_an_unknown_notation_is_refused():
    assert cells.equations(cells.lstm_step) == cells.equations(cells.lstm_step, "pytorch")
    with pytest.raises(ValueError, match="notation"):
        cells.in_notation("x", "keras")
