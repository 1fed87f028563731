"""The slow, obvious way: a Python loop over time calling the step equations of `cells.py`.

This is what `trace` and `bptt` are checked against. It builds an ordinary autograd graph, and
`offsets` lets a caller add a tensor to any h_t (zeros with requires_grad give dL/dh_t from
autograd; +-eps gives finite differences), so gradients can be checked two independent ways.
It is also the "naive loop" line in the benchmarks.
"""
from __future__ import annotations

import torch
from torch import nn

from explorer.engine import cells
from explorer.engine.models import JordanRNN
from explorer.engine.trace import cell_type


def unrolled(rnn: nn.Module, x: torch.Tensor, offsets: dict | None = None, cell_offsets: dict | None = None):
    """Run `rnn` on one sequence x (T, I) step by step.

    offsets: {(layer, direction): tensor (T, H)} added to h_t right after it is computed, so
    everything downstream (later steps, upper layers, the output) sees the shifted value.
    Returns {'output': (T, D*H), 'hidden': {(l, d): (T, H)}, 'cell': {...}, 'gates': {(l, d): {name: (T, H)}}}.
    """
    kind = cell_type(rnn)
    offsets, cell_offsets = offsets or {}, cell_offsets or {}
    steps = x.shape[0]
    if kind == "jordan":
        return _unrolled_jordan(rnn, x, offsets.get((0, 0)))
    dirs = 2 if rnn.bidirectional else 1
    hidden, cell, gates = {}, {}, {}
    layer_input = x
    for layer in range(rnn.num_layers):
        outs = []
        for d in range(dirs):
            sfx = "_reverse" if d else ""
            p = {n: getattr(rnn, f"{n}_l{layer}{sfx}", None) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            h = x.new_zeros(rnn.hidden_size)
            c = x.new_zeros(rnn.hidden_size)
            order = range(steps - 1, -1, -1) if d else range(steps)
            hs, cs, gs = [None] * steps, [None] * steps, [None] * steps
            for t in order:
                x_t = layer_input[t]
                if kind == "lstm":
                    h, c, g = cells.lstm_step(x_t, h, c, **p)
                    if (layer, d) in cell_offsets:
                        c = c + cell_offsets[(layer, d)][t]
                        h = g["o"] * torch.tanh(c)  # h_t reads the shifted cell state
                elif kind == "gru":
                    h, g = cells.gru_step(x_t, h, **p)
                else:
                    h, g = cells.elman_step(x_t, h, **p, nonlinearity=rnn.nonlinearity)
                if (layer, d) in offsets:
                    h = h + offsets[(layer, d)][t]
                hs[t], cs[t], gs[t] = h, c, g
            hidden[(layer, d)] = torch.stack(hs)
            if kind == "lstm":
                cell[(layer, d)] = torch.stack(cs)
            gates[(layer, d)] = {k: torch.stack([g[k] for g in gs]) for k in gs[0]}
            outs.append(hidden[(layer, d)])
        layer_input = torch.cat(outs, -1)  # (T, D*H): the next layer reads both directions
    return {"output": layer_input, "hidden": hidden, "cell": cell, "gates": gates}


def _unrolled_jordan(rnn: JordanRNN, x, offset):
    y = x.new_zeros(rnn.output_size)
    hs, gs = [], []
    for t in range(x.shape[0]):
        h, y_new, g = cells.jordan_step(
            x[t], y, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.weight_ho_l0, rnn.bias_ih_l0, rnn.bias_hh_l0,
            rnn.bias_ho_l0, nonlinearity=rnn.nonlinearity, feedback=rnn.feedback)
        if offset is not None:
            h = h + offset[t]
            y_new = rnn.readout(h)  # the output, and so the feedback, sees the shifted h
        y = y_new
        hs.append(h)
        gs.append(g)
    hidden = torch.stack(hs)
    return {"output": hidden, "hidden": {(0, 0): hidden}, "cell": {},
            "gates": {(0, 0): {"pre": torch.stack([g["pre"] for g in gs])}}}


def autograd_bptt(rnn: nn.Module, x: torch.Tensor, loss_fn) -> tuple[dict, dict]:
    """(dL/dh_t, dL/dc_t) for every (layer, direction), by autograd through the unrolled graph."""
    dirs = 2 if getattr(rnn, "bidirectional", False) else 1
    keys = [(layer, d) for layer in range(rnn.num_layers) for d in range(dirs)]

    def zeros():
        return {k: torch.zeros(x.shape[0], rnn.hidden_size, dtype=x.dtype, requires_grad=True) for k in keys}

    offsets = zeros()
    cell_offsets = zeros() if cell_type(rnn) == "lstm" else {}
    run = unrolled(rnn, x, offsets, cell_offsets)
    loss = loss_fn(run["output"])
    leaves = [offsets[k] for k in keys] + [cell_offsets[k] for k in cell_offsets]
    grads = torch.autograd.grad(loss, leaves)
    return dict(zip(keys, grads[:len(keys)])), dict(zip(cell_offsets, grads[len(keys):]))
