"""The linear recurrence c_t = a_t * c_{t-1} + b_t, solved for every t at once.

`parallel_linear_scan` composes prefixes in log2(T) doubling rounds (Hillis-Steele): the LSTM's cell
state in `trace`, and minGRU's and minLSTM's every h_t. `linear_scan` wraps it for autograd: the
backward pass is the same recurrence run backwards in time (g_t = dL/dc_t + a_{t+1} g_{t+1}), so a
training step costs two scans and keeps no graph of the rounds.

Where every a_t is in [0, 1] (a gate), nothing in a round can overflow: a product of gates only
shrinks, and every c_t is a sum of b's weighted by such products.
"""
from __future__ import annotations

import torch
from torch import Tensor


def parallel_linear_scan(a: Tensor, b: Tensor, c0: Tensor) -> Tensor:
    """Solve c_t = a_t * c_{t-1} + b_t for all t (dim 0) in log2(T) doubling steps.

    Each step composes every prefix with the one `offset` steps earlier (Hillis-Steele):
    (a, b) after (a', b') is (a*a', a*b' + b). Two buffers take turns, so no step reads what
    it is writing.
    """
    steps = a.shape[0]
    b = b.contiguous().clone()
    b[0] += a[0] * c0  # fold the initial state into the first step
    a = a.contiguous()
    offset = 1
    while offset < steps:
        b_next = torch.empty_like(b)
        b_next[:offset] = b[:offset]
        torch.addcmul(b[offset:], a[offset:], b[:-offset], out=b_next[offset:])
        b = b_next
        if 2 * offset < steps:  # the last round needs no new products of a
            a_next = torch.empty_like(a)
            a_next[:offset] = a[:offset]
            torch.mul(a[offset:], a[:-offset], out=a_next[offset:])
            a = a_next
        offset *= 2
    return b


class _LinearScan(torch.autograd.Function):
    # a, b (B, T, H) and c0 (B, H); the scan runs over dim 1, time-major inside

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, c0: Tensor) -> Tensor:
        c = parallel_linear_scan(a.transpose(0, 1), b.transpose(0, 1), c0).transpose(0, 1)  # (B, T, H)
        ctx.save_for_backward(a, c, c0)
        return c

    @staticmethod
    def backward(ctx, grad: Tensor):
        a, c, c0 = ctx.saved_tensors
        # g_t = grad_t + a_{t+1} g_{t+1}, from the last step back: the forward scan on reversed time
        later = torch.cat([a[:, 1:], torch.zeros_like(a[:, :1])], dim=1).flip(1).transpose(0, 1)  # (T, B, H)
        g = parallel_linear_scan(later, grad.flip(1).transpose(0, 1), torch.zeros_like(c0)).flip(0).transpose(0, 1)
        before = torch.cat([c0.unsqueeze(1), c[:, :-1]], dim=1)  # c_{t-1}, with c_{-1} = c0
        return g * before, g, a[:, 0] * g[:, 0]


def linear_scan(a: Tensor, b: Tensor, c0: Tensor | None = None) -> Tensor:
    """Every c_t of c_t = a_t c_{t-1} + b_t for a, b (B, T, H) and c0 (B, H) (none: zeros), with gradients
    for a, b and c0: (B, T, H)."""
    return _LinearScan.apply(a, b, c0 if c0 is not None else a.new_zeros(a.shape[0], a.shape[2]))
