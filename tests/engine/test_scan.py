"""The linear recurrence c_t = a_t c_{t-1} + b_t (explorer/engine/scan.py): the doubling scan equals the loop, and
its hand-written backward pass equals autograd through the loop and finite differences."""
import numpy as np
import torch

from explorer.engine.scan import linear_scan, parallel_linear_scan


def test_parallel_scan_matches_loop():
    a, b, c0 = (torch.rand(37, 4, dtype=torch.float64), torch.randn(37, 4, dtype=torch.float64),
                torch.randn(4, dtype=torch.float64))
    expected, c = [], c0
    for t in range(37):
        c = a[t] * c + b[t]
        expected.append(c)
    np.testing.assert_allclose(parallel_linear_scan(a, b, c0).numpy(), torch.stack(expected).numpy(), atol=1e-12)


def loop(a, b, c0):
    c, out = c0, []
    for t in range(a.shape[1]):
        c = a[:, t] * c + b[:, t]
        out.append(c)
    return torch.stack(out, dim=1)


def test_the_backward_scan_equals_autograd_through_the_loop():
    torch.manual_seed(0)
    a = torch.rand(3, 45, 5, dtype=torch.float64)  # gates in [0, 1]; 45 steps: six doubling rounds, the last partial
    b, weights = torch.randn(2, 3, 45, 5, dtype=torch.float64)
    c0 = torch.randn(3, 5, dtype=torch.float64)

    def grads(run):
        inputs = [t.clone().requires_grad_(True) for t in (a, b, c0)]
        out = run(*inputs)
        (out * weights).sum().backward()
        return [out.detach()] + [t.grad for t in inputs]

    for scanned, looped in zip(grads(linear_scan), grads(loop)):
        torch.testing.assert_close(scanned, looped, rtol=1e-12, atol=1e-12)
    inputs = [t[:, :7].clone().requires_grad_(True) for t in (a, b)] + [c0.clone().requires_grad_(True)]
    assert torch.autograd.gradcheck(linear_scan, inputs)
    torch.testing.assert_close(linear_scan(a, b), loop(a, b, torch.zeros(3, 5, dtype=torch.float64)))  # no c0: zeros
