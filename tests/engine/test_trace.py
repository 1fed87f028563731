"""trace() against torch.nn itself and against the step-by-step equations of cells.py."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from explorer import JordanRNN, trace
from explorer.engine.reference import unrolled
from explorer.engine.trace import GATE_NAMES

TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}


def make(kind, input_size, hidden, layers, bidirectional, batch_first, dtype, bias=True):
    torch.manual_seed(hash((kind, input_size, hidden, layers, bidirectional, batch_first)) % 2**31)
    if kind.startswith("rnn"):
        module = nn.RNN(input_size, hidden, num_layers=layers, nonlinearity=kind[4:], bidirectional=bidirectional,
                        batch_first=batch_first, bias=bias)
    else:
        cls = {"gru": nn.GRU, "lstm": nn.LSTM}[kind]
        module = cls(input_size, hidden, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                     bias=bias)
    return module.to(dtype).eval()


def check_against_torch(module, x, tol):
    """Every layer and direction: output, h_n, c_n from torch.nn; gates and every h_t, c_t
    from the independent per-step computation."""
    result = trace(module, x)
    dirs = 2 if module.bidirectional else 1
    with torch.no_grad():
        out, state = module(x)
        ref = unrolled(module, x)
    h_n, c_n = state if isinstance(module, nn.LSTM) else (state, None)
    np.testing.assert_allclose(result.output, out.numpy(), atol=tol, rtol=0)
    for layer in range(module.num_layers):
        for d in range(dirs):
            final = -1 if d == 0 else 0  # the backward direction ends at position 0
            np.testing.assert_allclose(result.hidden[layer, d, final], h_n[layer * dirs + d].numpy(), atol=tol, rtol=0)
            np.testing.assert_allclose(result.hidden[layer, d], ref["hidden"][(layer, d)].numpy(), atol=tol, rtol=0)
            if c_n is not None:
                np.testing.assert_allclose(result.cell[layer, d, final], c_n[layer * dirs + d].numpy(),
                                           atol=tol, rtol=0)
                np.testing.assert_allclose(result.cell[layer, d], ref["cell"][(layer, d)].numpy(), atol=tol, rtol=0)
            for name in GATE_NAMES[result.cell_type]:
                np.testing.assert_allclose(result.gates[name][layer, d], ref["gates"][(layer, d)][name].numpy(),
                                           atol=tol, rtol=0, err_msg=f"gate {name} layer {layer} dir {d}")
    return result


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "gru", "lstm"])
def test_trace_equals_torch_nn(kind, layers, bidirectional, batch_first, dtype):
    module = make(kind, 5, 8, layers, bidirectional, batch_first, dtype)
    x = torch.randn(17, 5, dtype=dtype)
    result = check_against_torch(module, x, TOLERANCE[dtype])
    assert result.hidden.shape == (layers, 2 if bidirectional else 1, 17, 8)
    cell, _, nonlinearity = kind.partition("_")  # rnn_tanh: an Elman net with tanh
    assert (result.cell_type, result.nonlinearity or "") == (cell, nonlinearity)
    assert set(result.gates) == set(GATE_NAMES[cell])
    assert (result.cell is not None) == (kind == "lstm")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["rnn_tanh", "rnn_relu", "gru", "lstm"]), steps=st.integers(1, 40),
       input_size=st.integers(1, 6), hidden=st.integers(1, 9), layers=st.integers(1, 3),
       bidirectional=st.booleans(), bias=st.booleans())
def test_trace_property_random_shapes(kind, steps, input_size, hidden, layers, bidirectional, bias):
    module = make(kind, input_size, hidden, layers, bidirectional, False, torch.float64, bias=bias)
    result = check_against_torch(module, torch.randn(steps, input_size, dtype=torch.float64) * 2, 1e-10)
    assert result.hidden.shape == (layers, 2 if bidirectional else 1, steps, hidden)


def test_long_lstm_sequence_float32_stays_exact():
    """The scan reorders the cell-state sums; over 1000 steps float32 must still hold 1e-5."""
    module = make("lstm", 16, 32, 2, True, False, torch.float32)
    x = torch.randn(1000, 16)
    result = trace(module, x)
    with torch.no_grad():
        out, (h_n, c_n) = module(x)
    np.testing.assert_allclose(result.output, out.numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(result.cell[1, 0, -1], c_n[2].numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(result.cell[1, 1, 0], c_n[3].numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(result.gates["o"] * np.tanh(result.cell), result.hidden, atol=1e-5, rtol=0)


def test_initial_state_is_used():
    module = make("lstm", 3, 4, 2, True, False, torch.float64)
    x = torch.randn(6, 3, dtype=torch.float64)
    h0, c0 = torch.randn(4, 4, dtype=torch.float64), torch.randn(4, 4, dtype=torch.float64)
    result = trace(module, x, state=(h0, c0))
    with torch.no_grad():
        out, _ = module(x, (h0, c0))
    np.testing.assert_allclose(result.output, out.numpy(), atol=1e-12)
    np.testing.assert_allclose(result.initial_cell[0, 0], c0[0].numpy())
    flow = result.cell_flow(1, 1)
    np.testing.assert_allclose(flow["kept"] + flow["written"], result.cell[1, 1], atol=1e-12)
    np.testing.assert_allclose(flow["emitted"], result.hidden[1, 1], atol=1e-12)


@pytest.mark.parametrize("feedback", ["tanh", "softmax", "identity"])
def test_jordan_trace_equals_its_forward_and_the_equations(feedback):
    torch.manual_seed(1)
    jordan = JordanRNN(3, 6, 4, feedback=feedback).double()
    x = torch.randn(12, 3, dtype=torch.float64)
    result = trace(jordan, x)
    with torch.no_grad():
        out, y_n = jordan(x)
        ref = unrolled(jordan, x)
    np.testing.assert_allclose(result.output, out.numpy(), atol=1e-12)
    np.testing.assert_allclose(result.hidden[0, 0], ref["hidden"][(0, 0)].numpy(), atol=1e-12)
    np.testing.assert_allclose(result.gates["pre"][0, 0], ref["gates"][(0, 0)]["pre"].numpy(), atol=1e-12)
    np.testing.assert_allclose(result.feedback[-1], y_n.reshape(-1).numpy(), atol=1e-12)


@pytest.mark.parametrize("bad, message", [
    (torch.randn(5, 4), "width 4"),
    (torch.randn(0, 3), "empty"),
    (torch.tensor([[0.0, float("nan"), 1.0]]), "NaN"),
    (torch.tensor([[0.0, float("inf"), 1.0]]), "infinite"),
    (torch.ones(4, 3, dtype=torch.long), "float"),
    (torch.randn(1, 4, 3), "batch dimension"),
    (torch.randn(2, 4, 3), "shape"),
    ([[1.0, 2.0, 3.0]], "torch tensor"),
])
def test_bad_input_raises_value_error_saying_what(bad, message):
    module = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match=message):
        trace(module, bad)


def test_unsupported_module_raises():
    with pytest.raises(ValueError, match="cannot trace a Linear"):
        trace(nn.Linear(3, 4), torch.randn(5, 3))
    with pytest.raises(ValueError, match="proj_size"):
        trace(nn.LSTM(3, 4, proj_size=2), torch.randn(5, 3))
