"""minGRU and minLSTM: the parallel scan equals the step loop, forward and backward, in float32 and float64."""
import pytest
import torch

from explorer.engine import cells, mincells

CELLS = [mincells.MinGRU, mincells.MinLSTM]
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}


def make(cell, dtype, input_size=5, hidden_size=7, seed=0):
    torch.manual_seed(seed)
    model = cell(input_size, hidden_size).to(dtype)
    with torch.no_grad():
        model.linear.weight.mul_(3.0)  # gates near 0 and 1 and negative candidates: both branches of g
    return model


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_start", [False, True])
def test_the_scan_equals_the_step_loop(cell, dtype, with_start):
    model = make(cell, dtype)
    x = torch.randn(3, 40, 5, dtype=dtype)
    h0 = torch.rand(3, 7, dtype=dtype) if with_start else None
    scanned, last = model(x, h0)
    looped, looped_last = model.step_loop(x, h0)
    tol = TOLERANCE[dtype]
    torch.testing.assert_close(scanned, looped, rtol=tol, atol=tol)
    torch.testing.assert_close(last, looped_last, rtol=tol, atol=tol)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gradients_through_the_scan_equal_those_through_the_loop(cell, dtype):
    model = make(cell, dtype)
    x = torch.randn(2, 30, 5, dtype=dtype, requires_grad=True)
    h0 = torch.rand(2, 7, dtype=dtype, requires_grad=True)
    weights = torch.randn(2, 30, 7, dtype=dtype)

    def grads(run):
        model.zero_grad()
        for tensor in (x, h0):
            tensor.grad = None
        (run(x, h0)[0] * weights).sum().backward()
        return [t.grad.clone() for t in (x, h0, model.linear.weight, model.linear.bias)]

    tol = 10 * TOLERANCE[dtype]
    for scanned, looped in zip(grads(model), grads(model.step_loop)):
        torch.testing.assert_close(scanned, looped, rtol=tol, atol=tol)


def test_the_scan_matches_finite_differences_in_float64():
    model = make(mincells.MinLSTM, torch.float64, input_size=2, hidden_size=3)
    x = torch.randn(1, 6, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: model(v)[0], (x,))


def test_a_thousand_steps_of_small_gates_neither_underflow_nor_blow_up():
    model = make(mincells.MinGRU, torch.float32, input_size=1, hidden_size=4)
    with torch.no_grad():
        model.linear.bias.zero_()
        model.linear.bias[:4] = -12.0  # z ≈ 6e-6: the state is nearly all memory for a thousand steps
    x = torch.zeros(1, 1000, 1)
    h0 = torch.full((1, 4), 0.8)
    out, _ = model(x, h0)
    truth, _ = model.double().step_loop(x.double(), h0.double())  # the same weights, in float64
    assert torch.isfinite(out).all()
    # float32 rounds a = 1 - z ≈ 0.999994 by up to 3e-8, and a thousand steps compound it: about 5e-5 here,
    # for the float32 step loop as for the scan, against the truth
    torch.testing.assert_close(out.double(), truth, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(out[0, -1], torch.full((4,), 0.5 + 0.3 * (1 - 6.144e-6) ** 1000),
                               rtol=1e-4, atol=0)  # h_t = 0.5 + (0.8 - 0.5) (1 - z)^t, g(0) = 0.5


@pytest.mark.parametrize("cell, names", [(mincells.MinGRU, {"z", "cand"}),
                                         (mincells.MinLSTM, {"f", "i", "cand"})])
def test_the_gates_read_the_input_alone(cell, names):
    model = make(cell, torch.float64)
    x = torch.randn(1, 12, 5, dtype=torch.float64)
    gates = model.gates(x)
    assert set(gates) == names and all(v.shape == (1, 12, 7) for v in gates.values())
    if "f" in gates:
        torch.testing.assert_close(gates["f"] + gates["i"], torch.ones_like(gates["f"]))
    # the step function sees the same gates whatever the state: they do not read h_{t-1}
    _, first = model.step(x[:, 3], torch.zeros(1, 7, dtype=torch.float64), model.linear.weight, model.linear.bias)
    _, other = model.step(x[:, 3], torch.rand(1, 7, dtype=torch.float64), model.linear.weight, model.linear.bias)
    assert all(torch.equal(first[k], other[k]) for k in first)
    torch.testing.assert_close(first["cand"], gates["cand"][:, 3])


def test_their_equations_are_stated_in_their_docstrings():
    assert r"h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t" in cells.equations(mincells.min_gru_step)
    assert r"\frac{f_t}{f_t + i_t}" in cells.equations(mincells.min_lstm_step)


@pytest.mark.parametrize("bad, match", [((torch.randn(4, 5), None), "input must be"),
                                        ((torch.randn(1, 4, 5), torch.rand(1, 3)), "starting state"),
                                        ((torch.randn(1, 4, 5), -torch.rand(1, 7)), "starting state")])
def test_bad_input_says_what_is_wrong(bad, match):
    with pytest.raises(ValueError, match=match):
        mincells.MinGRU(5, 7)(*bad)
