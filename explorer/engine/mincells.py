r"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"): recurrent cells whose gates and
candidate read the input x_t alone, never h_{t-1}.

Because nothing inside a step depends on the last state, each step is an affine map of it,
h_t = a_t ⊙ h_{t-1} + b_t, with a_t and b_t computed for every t at once. A chain of affine maps
composes in log2(T) doubling rounds (a parallel scan, explorer/engine/scan.py) instead of a loop.
Feng et al. run the scan in log space (cumsum and logcumsumexp), which needs b_t > 0: hence the
candidate's activation g (g(v) = v + 1/2 for v ≥ 0, σ(v) below: positive, smooth, linear for large v),
kept here as the cells' definition. The scan itself runs on a_t and b_t directly: a_t is a gate in
[0, 1], so its products only shrink and nothing overflows, and torch's logcumsumexp on the CPU cost
two thirds of a training step (bench/bench_min_scan.py). The step functions below are the reference
the scan is tested against.

Shapes: x (B, T, I), h (B, H); everything broadcasts over the batch.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from explorer.engine.scan import linear_scan
from explorer.i18n import _


def g(v: Tensor) -> Tensor:
    """The candidate's activation: positive everywhere, so the scan can take its logarithm."""
    return torch.where(v >= 0, v + 0.5, torch.sigmoid(v))


def g_slope(v: Tensor) -> Tensor:
    """g'(v): 1 on the linear branch, σ(v)(1 − σ(v)) on the sigmoid one."""
    sig = torch.sigmoid(v)
    return torch.where(v >= 0, torch.ones_like(v), sig * (1 - sig))


def min_gru_step(x, h, weight, bias=None):
    r"""minGRU step: the update gate and the candidate read x_t only.

    .. math::
        z_t &= \sigma(W_z x_t + b_z) \\
        \tilde h_t &= g(W_h x_t + b_h) \\
        h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t

    `weight` is (2H, I), rows z then h̃. Returns `(h_t, {"z": z_t, "cand": h̃_t})`.
    """
    pre_z, pre_h = F.linear(x, weight, bias).chunk(2, dim=-1)  # each (..., H)
    z, candidate = torch.sigmoid(pre_z), g(pre_h)
    return (1 - z) * h + z * candidate, {"z": z, "cand": candidate}


def min_lstm_step(x, h, weight, bias=None):
    r"""minLSTM step: forget and input gates read x_t only and are normalised to sum to one.

    .. math::
        f_t &= \sigma(W_f x_t + b_f), \quad i_t = \sigma(W_i x_t + b_i) \\
        f'_t &= \frac{f_t}{f_t + i_t}, \quad i'_t = \frac{i_t}{f_t + i_t} \\
        \tilde h_t &= g(W_h x_t + b_h) \\
        h_t &= f'_t \odot h_{t-1} + i'_t \odot \tilde h_t

    `weight` is (3H, I), rows f, i, then h̃. Returns `(h_t, {"f": f'_t, "i": i'_t, "cand": h̃_t})`.
    """
    pre_f, pre_i, pre_h = F.linear(x, weight, bias).chunk(3, dim=-1)  # each (..., H)
    f, i = torch.sigmoid(pre_f), torch.sigmoid(pre_i)
    f_norm, i_norm = f / (f + i), i / (f + i)
    candidate = g(pre_h)
    return f_norm * h + i_norm * candidate, {"f": f_norm, "i": i_norm, "cand": candidate}


def min_gru_coefficients(pre: Tensor) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """a_t, b_t and the gates of minGRU from its pre-activations (..., T, 2H), rows z then h̃."""
    pre_z, pre_h = pre.chunk(2, dim=-1)  # each (..., T, H)
    z, candidate = torch.sigmoid(pre_z), g(pre_h)
    return torch.sigmoid(-pre_z), z * candidate, {"z": z, "cand": candidate}  # 1 - z, without rounding 1 - z


def min_lstm_coefficients(pre: Tensor) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """a_t, b_t and the gates of minLSTM from its pre-activations (..., T, 3H), rows f, i, h̃."""
    pre_f, pre_i, pre_h = pre.chunk(3, dim=-1)  # each (..., T, H)
    # f' = σ(pf) / (σ(pf) + σ(pi)) = σ(−d) with d = softplus(−pf) − softplus(−pi), and i' = σ(d): finite where
    # both gates round to 0, where the quotient would be 0 / 0
    diff = F.softplus(-pre_f) - F.softplus(-pre_i)
    f_norm, i_norm, candidate = torch.sigmoid(-diff), torch.sigmoid(diff), g(pre_h)
    return f_norm, i_norm * candidate, {"f": f_norm, "i": i_norm, "cand": candidate}


class _MinCell(nn.Module):
    """What minGRU and minLSTM share: one linear map of the input for every gate, the scan, the loop. A cell
    gives `step` (its step function) and `coefficients(x)`: a_t, b_t (B, T, H) and its gates."""

    blocks = 0  # rows of the input map per hidden unit

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(_("input and hidden sizes must be at least 1; got {input} and {hidden}")
                             .format(input=input_size, hidden=hidden_size))
        self.input_size, self.hidden_size = input_size, hidden_size
        self.linear = nn.Linear(input_size, self.blocks * hidden_size, bias=bias)

    def _check(self, x: Tensor, h0: Tensor | None) -> None:
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(_("the input must be (batch, steps, {size}); got {shape}")
                             .format(size=self.input_size, shape=tuple(x.shape)))
        if h0 is not None and (h0.shape != (x.shape[0], self.hidden_size) or bool((h0 < 0).any())):
            raise ValueError(_("the starting state must be (batch, {size}) and not negative; got {shape}")
                             .format(size=self.hidden_size, shape=tuple(h0.shape)))

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Every h_t by the parallel scan: (B, T, H), and the last state (B, H)."""
        self._check(x, h0)
        a, b, _gates = self.coefficients(x)
        out = linear_scan(a, b, h0)
        return out, out[:, -1]

    def step_loop(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The same, one step at a time with the step function: the reference for the scan."""
        self._check(x, h0)
        h = h0 if h0 is not None else x.new_zeros(x.shape[0], self.hidden_size)
        out = []
        for t in range(x.shape[1]):
            h, _gates = self.step(x[:, t], h, self.linear.weight, self.linear.bias)
            out.append(h)
        return torch.stack(out, dim=1), h

    def gates(self, x: Tensor) -> dict[str, Tensor]:
        """The gates and the candidate at every step, (B, T, H) each: they need no state."""
        return self.coefficients(x)[2]


class MinGRU(_MinCell):
    blocks = 2
    step = staticmethod(min_gru_step)

    def coefficients(self, x):
        return min_gru_coefficients(self.linear(x))


class MinLSTM(_MinCell):
    blocks = 3
    step = staticmethod(min_lstm_step)

    def coefficients(self, x):
        return min_lstm_coefficients(self.linear(x))


COEFFICIENTS = {"mingru": min_gru_coefficients, "minlstm": min_lstm_coefficients}
BLOCKS = {"mingru": MinGRU.blocks, "minlstm": MinLSTM.blocks}


class MinRNN(nn.Module):
    """Stacked minGRU or minLSTM layers with torch.nn.RNN's call and parameter names, so an RNNModel holds it
    where it holds an nn.GRU: `weight_ih_l{k}` (G*H, I_k) and `bias_ih_l{k}` (G*H) per layer, gate rows in the
    step function's order. There is no `weight_hh_l{k}`: no gate reads the state. Layer k+1 reads layer k's h.

    `forward(x, state=None) -> (output, h_n)`: x is (B, T, I) with batch_first, (T, B, I) without, or (T, I);
    output holds the last layer's every h_t, h_n (L, [B,] H) each layer's last state. A starting state must be
    ≥ 0: every state these layers reach is > 0 (g is positive), so h_n can always be passed back, and a
    negative one is not a state of theirs (a GRU's tanh state, say).
    """

    bidirectional = False
    proj_size = 0

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False):
        super().__init__()
        if mode not in COEFFICIENTS:
            raise ValueError(_("a min cell is mingru or minlstm; got {value}").format(value=repr(mode)))
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError(_("input size, hidden size and layers must be at least 1; got {input}, {hidden} and "
                               "{layers}").format(input=input_size, hidden=hidden_size, layers=num_layers))
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        rows = BLOCKS[mode] * hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(rows, width)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(rows)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        for layer in range(self.num_layers):
            weight, bias = self.layer_weights(layer)
            bound = 1.0 / math.sqrt(weight.shape[1])  # nn.Linear's initialisation, which MinGRU's own map has
            nn.init.uniform_(weight, -bound, bound)
            if bias is not None:
                nn.init.uniform_(bias, -bound, bound)

    def layer_weights(self, layer: int) -> tuple[Tensor, Tensor | None]:
        return getattr(self, f"weight_ih_l{layer}"), getattr(self, f"bias_ih_l{layer}")

    @property
    def step(self):
        """The step function of this cell, the reference the scan is checked against."""
        return min_gru_step if self.mode == "mingru" else min_lstm_step

    def layer_scan(self, layer: int, x: Tensor, h0: Tensor | None = None):
        """One layer over x (B, T, I_k) from h0 (B, H) or zeros: (every h_t (B, T, H), pre-activations
        (B, T, G*H), gates {name: (B, T, H)} as the step function names them)."""
        pre = F.linear(x, *self.layer_weights(layer))  # (B, T, G*H), every step at once
        a, b, gates = COEFFICIENTS[self.mode](pre)
        return linear_scan(a, b, h0), pre, gates

    def step_loop(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The same as `forward` on (B, T, I) batch first, one step at a time: the reference for the scan."""
        finals = []
        for layer in range(self.num_layers):
            h = state[layer] if state is not None else x.new_zeros(x.shape[0], self.hidden_size)
            out = []
            for t in range(x.shape[1]):
                h, _gates = self.step(x[:, t], h, *self.layer_weights(layer))
                out.append(h)
            x = torch.stack(out, dim=1)  # (B, T, H): the next layer's input
            finals.append(h)
        return x, torch.stack(finals)

    def forward(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        unbatched = x.dim() == 2
        if x.dim() not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(_("the input must be (steps, {size}) or a batch of them; got {shape}")
                             .format(size=self.input_size, shape=tuple(x.shape)))
        if unbatched:
            x = x.unsqueeze(0)  # (1, T, I)
        elif not self.batch_first:
            x = x.transpose(0, 1)  # (B, T, I)
        batch = x.shape[0]
        if state is not None:
            if state.numel() != self.num_layers * batch * self.hidden_size or bool((state < 0).any()):
                raise ValueError(_("the starting state must be (layers, batch, {size}) and not negative; got {shape}")
                                 .format(size=self.hidden_size, shape=tuple(state.shape)))
            state = state.reshape(self.num_layers, batch, self.hidden_size)
        finals = []
        for layer in range(self.num_layers):
            x = self.layer_scan(layer, x, state[layer] if state is not None else None)[0]  # (B, T, H)
            finals.append(x[:, -1])
        h_n = torch.stack(finals)  # (L, B, H)
        if unbatched:
            return x[0], h_n[:, 0]  # (T, H), (L, H)
        return (x if self.batch_first else x.transpose(0, 1)), h_n
