"""trace(): every internal of a forward pass, exact to torch.nn, at close to the fused speed.

How (docs/architecture.md, "The speed trick"): run the fused torch.nn module one layer at a time to get
every h_t; since h_{t-1} is then known, all gate pre-activations of a layer come from one
batched matmul (x_t W_ih^T + h_{t-1} W_hh^T + b). GRU and Elman gates need nothing more; the
LSTM cell state c_t = f_t * c_{t-1} + i_t * g_t is a linear recurrence, solved by a log-depth
doubling scan instead of a Python loop over steps.

minGRU and minLSTM need no trick: their gates read x_t alone, so one matmul gives every gate and the
same doubling scan, the one their forward runs, gives every h_t.

Arrays are indexed [layer, direction, t, unit]; t is the position in the sequence for both
directions, so hidden[l, 1, t] is the backward direction's state after reading x_t ... x_{T-1},
the same column torch.nn puts at output[t, H:].
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from explorer.engine import cells, mincells
from explorer.engine.models import JordanRNN, RNNModel, last_step_features
from explorer.engine.scan import parallel_linear_scan
from explorer.engine.vocab import Tokens
from explorer.i18n import N_, _

GATE_NAMES = {
    "lstm": ("i", "f", "g", "o"),
    "gru": ("r", "z", "n"),
    "rnn": ("pre",),
    "jordan": ("pre",),
    # minGRU: update gate z and candidate h~; minLSTM: the normalised gates f' and i' (f' + i' = 1) and h~.
    # "cand", not torch's "n" or "g": it is g(W x_t + b) >= 0, neither tanh-shaped nor read from h.
    "mingru": ("z", "cand"),
    "minlstm": ("f", "i", "cand"),
}
MIN_KINDS = ("mingru", "minlstm")
SIGMOID_GATES = {"i", "f", "o", "r", "z"}  # range [0, 1]; the rest are tanh-range or unbounded


@dataclass
class Trace:
    """Everything a forward pass computed. numpy arrays; see the module docstring for indexing."""

    cell_type: str  # lstm, gru, rnn (Elman), jordan, mingru or minlstm: the names ModelConfig.cell uses
    hidden: np.ndarray  # [L, D, T, H]
    cell: np.ndarray | None  # [L, D, T, H], LSTM only
    gates: dict[str, np.ndarray]  # [L, D, T, H] each, keyed as GATE_NAMES says (torch's letters; Elman/Jordan: "pre")
    initial_hidden: np.ndarray  # [L, D, H]; h_{-1}
    initial_cell: np.ndarray | None  # [L, D, H]; c_{-1}, LSTM only
    output: np.ndarray  # [T, D*H], the last layer's output, equal to rnn(x)[0]
    inputs: np.ndarray  # [T, I], what the first layer read (one-hot rows, embeddings or values)
    feedback: np.ndarray | None = None  # [T, O], Jordan only: y_t, the output fed back at step t+1
    # Filled when a project model traced text or tokens:
    tokens: tuple[str, ...] | None = None  # the characters read, unknown ones as typed
    token_ids: np.ndarray | None = None  # [T]
    unknown: tuple[str, ...] = ()  # distinct characters the vocabulary lacks (read as the unknown token)
    logits: np.ndarray | None = None  # [T, C]: the head applied at every step (the running prediction)
    probs: np.ndarray | None = None  # [T, C], rows sum to 1 (classes only)
    topk_ids: np.ndarray | None = None  # [T, k], most likely next classes, best first
    topk_probs: np.ndarray | None = None  # [T, k]
    topk_labels: list[list[str]] | None = None  # [T][k], characters for a text model
    targets: np.ndarray | None = None  # [T], what each step should predict (-1 where nothing)
    loss: np.ndarray | None = None  # [T], per-step loss in nats (NaN where there is no target)
    final_output: np.ndarray | None = None  # the model's own output: [T, O] per step or [O] last step
    extras: dict = field(default_factory=dict)
    nonlinearity: str | None = None  # Elman and Jordan: "tanh" or "relu"
    notes: tuple[str, ...] = ()  # sentences on how it was traced where that differs from what was given

    @property
    def num_layers(self) -> int:
        return self.hidden.shape[0]

    @property
    def num_directions(self) -> int:
        return self.hidden.shape[1]

    @property
    def steps(self) -> int:
        return self.hidden.shape[2]

    @property
    def hidden_size(self) -> int:
        return self.hidden.shape[3]

    def previous(self, name: str, layer: int, direction: int) -> np.ndarray:
        """h_{t-1} or c_{t-1} for every step [T, H]: the state each step started from
        (for the backward direction, the state at t+1)."""
        values = self.hidden if name == "hidden" else self.cell
        first = (self.initial_hidden if name == "hidden" else self.initial_cell)[layer, direction]
        seq = values[layer, direction]
        if direction == 0:
            return np.concatenate([first[None], seq[:-1]], 0)
        return np.concatenate([seq[1:], first[None]], 0)

    def cell_flow(self, layer: int = 0, direction: int = 0) -> dict[str, np.ndarray]:
        """LSTM cell state split into its parts, each [T, H]: kept = f*c_{t-1}, written = i*g,
        cell = kept + written, emitted = o*tanh(c_t) (= h_t)."""
        if self.cell is None:
            raise ValueError(_("cell-state flow exists only for an LSTM"))
        g = {k: v[layer, direction] for k, v in self.gates.items()}
        kept = g["f"] * self.previous("cell", layer, direction)
        written = g["i"] * g["g"]
        return {"kept": kept, "written": written, "cell": self.cell[layer, direction],
                "emitted": g["o"] * np.tanh(self.cell[layer, direction])}


# ---------------------------------------------------------------------------------------------
# checking what we were given


def cell_type(rnn: nn.Module) -> str:
    if isinstance(rnn, JordanRNN):
        return "jordan"
    if isinstance(rnn, mincells.MinRNN):
        return rnn.mode
    if isinstance(rnn, nn.LSTM):
        if rnn.proj_size:
            raise ValueError(_("LSTMs with proj_size > 0 are not supported; trace the module without projections"))
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.RNN):
        return "rnn"
    raise ValueError(_("cannot trace a {kind}: give a torch.nn.RNN, GRU or LSTM, the project's JordanRNN, or an "
                       "explorer RNNModel").format(kind=type(rnn).__name__))


def check_sequence(x: torch.Tensor, input_size: int, what: str = N_("input")) -> torch.Tensor:
    """Validate one real-valued sequence (T, input_size), and say plainly what is wrong. `what` names the
    sequence in the message (marked with N_ where it is written, translated here)."""
    what = _(what)
    if not isinstance(x, torch.Tensor):
        raise ValueError(_("the {what} must be a torch tensor of shape (T, {size}); got {kind}")
                         .format(what=what, size=input_size, kind=type(x).__name__))
    if x.dim() == 3 and 1 in (x.shape[0], x.shape[1]):
        raise ValueError(_("the {what} must be one sequence (T, {size}); drop the batch dimension of size 1")
                         .format(what=what, size=input_size))
    if x.dim() == 3:  # which axis is the batch is the caller's layout, so the caller picks the sequence
        raise ValueError(_("the {what} has shape {shape}, a batch of sequences; trace one sequence at a time, "
                           "a (T, {size}) tensor such as x[0] (batch first) or x[:, 0]")
                         .format(what=what, shape=tuple(x.shape), size=input_size))
    if x.dim() != 2:
        raise ValueError(_("the {what} must have shape (T, {size}); got {shape}")
                         .format(what=what, size=input_size, shape=tuple(x.shape)))
    if x.shape[0] == 0:
        raise ValueError(_("the {what} is empty: it needs at least one time step").format(what=what))
    if x.shape[1] != input_size:
        raise ValueError(_("the {what} has width {width} but the network expects {size} features per step")
                         .format(what=what, width=x.shape[1], size=input_size))
    if not x.is_floating_point():
        raise ValueError(_("the {what} must be a float tensor; got {dtype}").format(what=what, dtype=x.dtype))
    if not torch.isfinite(x).all():
        raise ValueError(_("the {what} contains NaN or infinite values").format(what=what))
    return x


# ---------------------------------------------------------------------------------------------
# the computation, in torch tensors; `trace` and `bptt` both build on it


def _layer_module(rnn: nn.Module, layer: int, input_size: int) -> nn.Module:
    """A one-layer fused module that shares (not copies) layer `layer`'s parameters.

    Built per call on the meta device (no allocation, no random init) and then pointed at the
    real parameters, so concurrent sessions never share mutable state."""
    kwargs = dict(input_size=input_size, hidden_size=rnn.hidden_size, num_layers=1, bias=rnn.bias,
                  bidirectional=rnn.bidirectional, device="meta")
    if isinstance(rnn, nn.RNN):
        kwargs["nonlinearity"] = rnn.nonlinearity
    module = type(rnn)(**kwargs)
    for name in module._flat_weights_names:
        source = name.replace("_l0", f"_l{layer}")
        setattr(module, name, getattr(rnn, source))
    return module.eval()


def _shift(seq: torch.Tensor, first: torch.Tensor, reverse: bool) -> torch.Tensor:
    """The state each step starts from: [first, s_0, ..., s_{T-2}] (or mirrored for reverse)."""
    if reverse:
        return torch.cat([seq[1:], first[None]], 0)
    return torch.cat([first[None], seq[:-1]], 0)


def check_state(value, shape: tuple, name: str) -> torch.Tensor:
    """One starting-state tensor of `shape` (size-1 axes, such as a batch of one, may be added or left out)."""
    if not isinstance(value, torch.Tensor) or not value.is_floating_point() \
            or [n for n in value.shape if n != 1] != [n for n in shape if n != 1]:
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(_("the starting state {name} must be a float tensor of shape {shape}; got {got}")
                         .format(name=name, shape=shape, got=got))
    if not torch.isfinite(value).all():
        raise ValueError(_("the starting state {name} contains NaN or infinite values").format(name=name))
    return value


def _initial_states(rnn, kind, state, dtype, device):
    layers, dirs, size = rnn.num_layers, 2 if rnn.bidirectional else 1, rnn.hidden_size
    if kind == "jordan":
        if state is None:
            return None, None, torch.zeros(rnn.output_size, dtype=dtype, device=device)
        return None, None, check_state(state, (rnn.output_size,), "y0").reshape(-1).to(device, dtype)
    zeros = torch.zeros(layers * dirs, size, dtype=dtype, device=device)
    if kind in MIN_KINDS:
        if state is None:
            return zeros, None, None
        h0 = check_state(state, (layers, size), "h0").reshape(layers, size).to(device, dtype)
        if (h0 < 0).any():
            raise ValueError(_("the starting state h0 of a minGRU or minLSTM must not be negative: its scan takes "
                               "the logarithm of the state"))
        return h0, None, None
    if state is None:
        return zeros, (zeros if kind == "lstm" else None), None
    if kind == "lstm" and not (isinstance(state, (tuple, list)) and len(state) == 2):
        raise ValueError(_("an LSTM's starting state is a pair (h0, c0), each of shape {shape}")
                         .format(shape=(layers * dirs, size)))
    h0, c0 = state if kind == "lstm" else (state, None)
    h0 = check_state(h0, (layers * dirs, size), "h0")
    c0 = check_state(c0, (layers * dirs, size), "c0") if kind == "lstm" else None
    h0 = h0.reshape(layers * dirs, size).to(device, dtype)
    c0 = c0.reshape(layers * dirs, size).to(device, dtype) if kind == "lstm" else None
    return h0, c0, None


def forward_internals(rnn: nn.Module, x: torch.Tensor, state=None) -> dict:
    """Every internal as torch tensors, in sequence order, with no autograd graph.

    Returns {'kind', 'x', 'output' (T, D*H), 'hidden' [L, D, T, H], 'gates' [L, D, T, G*H]
    (gate blocks in torch's order), 'cell' [L, D, T, H] or None, 'h0'/'c0' [L, D, H], and
    'layers': per layer, per direction, a dict of views (x, h, h_prev, gates{...}, c, c_prev,
    hh_n for a GRU, y and y_prev for a Jordan net)}. Results are written straight into the
    stacked buffers, so handing them to numpy copies nothing."""
    kind = cell_type(rnn)
    weight = rnn.weight_ih_l0
    x = check_sequence(x, rnn.input_size).to(weight.device, weight.dtype)
    steps, size = x.shape[0], rnn.hidden_size
    layers_n, dirs = rnn.num_layers, 2 if rnn.bidirectional else 1
    new = dict(dtype=weight.dtype, device=weight.device)
    with torch.no_grad():
        h0, c0, y0 = _initial_states(rnn, kind, state, weight.dtype, weight.device)
        if kind == "jordan":
            found = _jordan_internals(rnn, x, y0)
            return {"kind": kind, "nonlinearity": rnn.nonlinearity, "x": x, "output": found["h"],
                    "hidden": found["h"][None, None], "gates": found["gates"]["pre"][None, None], "cell": None,
                    "h0": torch.zeros(1, 1, size, **new), "c0": None, "y0": y0, "layers": [[found]]}
        if kind in MIN_KINDS:
            return _min_internals(rnn, kind, x, h0, state is not None)
        gate_count = len(GATE_NAMES[kind])
        hidden = torch.empty(layers_n, dirs, steps, size, **new)
        gates = torch.empty(layers_n, dirs, steps, gate_count * size, **new)
        cell = torch.empty(layers_n, dirs, steps, size, **new) if kind == "lstm" else None
        layers, layer_input = [], x
        for layer in range(layers_n):
            module = _layer_module(rnn, layer, layer_input.shape[-1])
            rows = slice(layer * dirs, (layer + 1) * dirs)
            hx = (h0[rows], c0[rows]) if kind == "lstm" else h0[rows]
            out, _ = module(layer_input, hx)  # (T, D*H): the fused kernel does the sequential work
            per_direction = []
            for d in range(dirs):
                sfx = "_reverse" if d else ""
                params = {name: getattr(rnn, f"{name}_l{layer}{sfx}", None)
                          for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
                hidden[layer, d] = out[:, d * size:(d + 1) * size]
                start = (h0[rows][d], c0[rows][d] if kind == "lstm" else None)
                into = (gates[layer, d], cell[layer, d] if cell is not None else None)
                per_direction.append(_gates(kind, layer_input, hidden[layer, d], start, params, d == 1, into))
            layers.append(per_direction)
            layer_input = out
    shape = (layers_n, dirs, size)
    return {"kind": kind, "nonlinearity": getattr(rnn, "nonlinearity", None), "x": x, "output": layer_input,
            "hidden": hidden, "gates": gates, "cell": cell,
            "h0": h0.reshape(shape), "c0": c0.reshape(shape) if c0 is not None else None, "layers": layers}


def _gates(kind, inp, h, start, p, reverse, into):
    """All gate values of one layer and direction from one batched matmul per weight,
    written into `into` = (gate buffer (T, G*H), cell buffer (T, H) or None)."""
    h_first, c_first = start
    pre, cell_out = into
    h_prev = _shift(h, h_first, reverse)  # (T, H)
    size = h.shape[-1]
    found = {"x": inp, "h": h, "h_prev": h_prev}
    if kind == "gru":  # r multiplies W_hn h + b_hn, so the two halves stay apart
        pre_ih = F.linear(inp, p["weight_ih"], p["bias_ih"])  # (T, 3H), every step at once
        pre_hh = F.linear(h_prev, p["weight_hh"], p["bias_hh"])  # (T, 3H)
        rz = torch.add(pre_ih[:, :2 * size], pre_hh[:, :2 * size], out=pre[:, :2 * size]).sigmoid_()
        r, z = rz[:, :size], rz[:, size:]
        hh_n = pre_hh[:, 2 * size:]
        n = torch.addcmul(pre_ih[:, 2 * size:], r, hh_n, out=pre[:, 2 * size:]).tanh_()
        found["gates"] = {"r": r, "z": z, "n": n}
        found["hh_n"] = hh_n  # W_hn h_{t-1} + b_hn: the backward pass needs it
        return found
    # x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, accumulated in one buffer
    if p["bias_ih"] is not None:
        torch.addmm(p["bias_ih"] + p["bias_hh"], inp, p["weight_ih"].t(), out=pre)  # (T, G*H)
    else:
        torch.mm(inp, p["weight_ih"].t(), out=pre)
    pre.addmm_(h_prev, p["weight_hh"].t())
    if kind != "lstm":
        found["gates"] = {"pre": pre}
        return found
    pre[:, :2 * size].sigmoid_()  # i, f
    pre[:, 2 * size:3 * size].tanh_()  # g
    pre[:, 3 * size:].sigmoid_()  # o
    i, f, g, o = pre.chunk(4, -1)  # views of one buffer
    if reverse:  # the backward direction's recurrence runs from T-1 down to 0
        cell_out.copy_(parallel_linear_scan(f.flip(0), (i * g).flip(0), c_first).flip(0))
    else:
        cell_out.copy_(parallel_linear_scan(f, i * g, c_first))
    found.update(gates={"i": i, "f": f, "g": g, "o": o}, c=cell_out, c_prev=_shift(cell_out, c_first, reverse))
    return found


def _min_internals(rnn: mincells.MinRNN, kind, x, h0, started: bool) -> dict:
    """Every internal of a minGRU or minLSTM stack, by the scan its own forward runs; found per layer keeps
    the pre-activations (T, G*H) for the backward pass."""
    steps, size, layers_n = x.shape[0], rnn.hidden_size, rnn.num_layers
    new = dict(dtype=x.dtype, device=x.device)
    names = GATE_NAMES[kind]
    hidden = torch.empty(layers_n, 1, steps, size, **new)
    gates = torch.empty(layers_n, 1, steps, len(names) * size, **new)
    layers, layer_input = [], x
    for layer in range(layers_n):
        start = h0[layer][None] if started else None  # no start: h_{-1} = 0, which the scan takes as given
        h, pre, found_gates = rnn.layer_scan(layer, layer_input[None], start)  # (1, T, H), (1, T, G*H)
        hidden[layer, 0] = h[0]
        for k, name in enumerate(names):
            gates[layer, 0, :, k * size:(k + 1) * size] = found_gates[name][0]
        views = {name: gates[layer, 0, :, k * size:(k + 1) * size] for k, name in enumerate(names)}
        layers.append([{"x": layer_input, "h": hidden[layer, 0], "h_prev": _shift(hidden[layer, 0], h0[layer], False),
                        "gates": views, "pre": pre[0]}])
        layer_input = hidden[layer, 0]
    return {"kind": kind, "nonlinearity": None, "x": x, "output": layer_input, "hidden": hidden, "gates": gates,
            "cell": None, "h0": h0.reshape(layers_n, 1, size), "c0": None, "layers": layers}


def _jordan_internals(rnn: JordanRNN, x, y0):
    h, _ = rnn(x, y0.reshape(1, -1))  # (T, H): its own forward, a loop over steps by nature
    y = rnn.readout(h)  # (T, O)
    y_prev = torch.cat([y0[None], y[:-1]], 0)  # what each step read back
    fed_back = cells.feedback_activation(y_prev, rnn.feedback)
    pre = F.linear(x, rnn.weight_ih_l0, rnn.bias_ih_l0) + F.linear(fed_back, rnn.weight_hh_l0, rnn.bias_hh_l0)
    return {"x": x, "h": h, "h_prev": _shift(h, torch.zeros_like(h[0]), False), "gates": {"pre": pre},
            "y": y, "y_prev": y_prev}


# ---------------------------------------------------------------------------------------------
# the public call


def _numpy(t: torch.Tensor | None):
    return None if t is None else t.detach().cpu().numpy()


def to_trace(internals) -> Trace:
    kind = internals["kind"]
    names = GATE_NAMES[kind]
    gates = _numpy(internals["gates"])
    size = internals["hidden"].shape[-1]
    return Trace(
        cell_type=kind,
        hidden=_numpy(internals["hidden"]),
        cell=_numpy(internals["cell"]),
        gates={name: gates[..., k * size:(k + 1) * size] for k, name in enumerate(names)},
        initial_hidden=_numpy(internals["h0"]),
        initial_cell=_numpy(internals["c0"]),
        output=_numpy(internals["output"]),
        inputs=_numpy(internals["x"]),
        feedback=_numpy(internals["layers"][0][0]["y"]) if kind == "jordan" else None,
        nonlinearity=internals.get("nonlinearity"),
    )


def trace(rnn: nn.Module, x, *, targets=None, k: int = 5, state=None) -> Trace:
    """Trace a stock torch.nn.RNN / GRU / LSTM, a JordanRNN, or an explorer RNNModel.

    For a recurrent module, `x` is a float tensor (T, input_size). For an RNNModel, `x` may also
    be text (str) or token ids (T,); the trace then adds tokens, logits, probabilities, top-k
    guesses and the per-step loss against `targets` (default for text: the next character).
    `state` is the initial state in torch's unbatched layout ((L*D, H), or (h0, c0) for an LSTM).
    """
    rnn, notes = _as_traced(rnn)
    if isinstance(rnn, RNNModel):
        feats, ids, chars, unknown = model_inputs(rnn, x)
        internals = forward_internals(rnn.rnn, feats, state)
        result = trace_with_head(rnn, internals, ids, chars, unknown, targets=targets, k=k)
    else:
        result = to_trace(forward_internals(rnn, x, state))
    result.notes = notes
    return result


def _as_traced(module):
    """The module as it is traced, and a sentence for each way that differs from the module given:
    half-precision weights are traced in a float32 copy (numpy has no bfloat16, and float16 sums
    lose the small differences the figures show); dropout is never applied, as in eval mode."""
    notes = []
    if not isinstance(module, nn.Module):
        return module, ()  # cell_type says what it is
    low = sorted({str(p.dtype).replace("torch.", "") for p in module.parameters()
                  if p.dtype in (torch.bfloat16, torch.float16)})
    if low:
        module = copy.deepcopy(module).float()
        notes.append(_("the module's weights are {dtype}, so it was traced in float32 (a copy; the module is "
                       "unchanged)").format(dtype=", ".join(low)))
    dropout = any(isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0 or
                  isinstance(m, nn.RNNBase) and m.dropout > 0 and m.num_layers > 1 for m in module.modules())
    if module.training and dropout:
        notes.append(_("the module is in training mode, but its dropout was not applied: it was traced as in "
                       "eval mode"))
    return module, tuple(notes)


def model_inputs(model: RNNModel, x):
    """Text, ids or values -> (features (T, I), ids or None, chars or None, unknown chars)."""
    if isinstance(x, str):
        if model.vocab is None:
            raise ValueError(_("this model reads real values, not text"))
        if not x:
            raise ValueError(_("the text is empty: type at least one character"))
        enc = model.encode(x)
        ids, chars, unknown = enc.ids, enc.chars, enc.unknown
    elif isinstance(x, torch.Tensor) and not x.is_floating_point():
        if x.dim() != 1 or x.numel() == 0:
            raise ValueError(_("token ids must be a non-empty 1-D tensor; got shape {shape}")
                             .format(shape=tuple(x.shape)))
        if int(x.min()) < 0 or int(x.max()) >= model.config.input_size:
            raise ValueError(_("token ids must lie in [0, {high}]").format(high=model.config.input_size - 1))
        ids, unknown = x.long(), ()
        chars = tuple(model.vocab.itos[i] for i in ids.tolist()) if model.vocab is not None else None
        if chars is not None and model.vocab.token_level:
            chars = Tokens(chars)  # the figures then say "token", as for typed text
    else:
        if model.config.input_mode != "real":
            raise ValueError(_("this model reads text or token ids, not real values"))
        return x, None, None, ()
    weight = model.rnn.weight_ih_l0
    with torch.no_grad():
        feats = model.features(ids.to(weight.device))  # (T, I)
    return feats, ids, chars, unknown


def default_targets(model: RNNModel, ids, targets, steps: int):
    """Per-step target ids (T,), -1 where a step has nothing to predict."""
    if targets is not None:
        targets = torch.as_tensor(targets)
        if model.config.head == "last_step" or model.config.output_kind == "real":
            return targets
        if targets.shape != (steps,):
            raise ValueError(_("targets must give one class per step ({steps}); got shape {shape}")
                             .format(steps=steps, shape=tuple(targets.shape)))
        return targets.long()
    if ids is not None and model.config.head == "per_step" and model.config.output_kind == "classes" \
            and model.config.output_size == model.config.input_size:
        # a language model: each step predicts the next character; the last has nothing to predict
        return torch.cat([ids[1:], ids.new_full((1,), -1)])
    return None


def trace_with_head(model: RNNModel, internals: dict, ids, chars, unknown, *, targets=None, k: int = 5) -> Trace:
    """A module-level Trace plus what the head makes of it: logits, probabilities, guesses, loss."""
    result = to_trace(internals)
    feats = internals["x"]
    out = internals["output"]  # (T, D*H)
    config = model.config
    with torch.no_grad():
        logits = model.step_outputs(out)  # (T, O): the head at every step
        final = logits if config.head == "per_step" else model.step_outputs(
            last_step_features(out, config.hidden_size, config.bidirectional))
    result.logits = logits.cpu().numpy()
    result.final_output = final.cpu().numpy()
    result.tokens, result.unknown = chars, unknown
    result.token_ids = ids.cpu().numpy() if ids is not None else None
    steps = feats.shape[0]
    if config.output_kind == "classes":
        probs = torch.softmax(logits.double(), -1)  # (T, C); double so rows sum to 1 to 1e-12
        top = probs.topk(min(k, probs.shape[-1]), dim=-1)
        result.probs = probs.cpu().numpy()
        result.topk_ids, result.topk_probs = top.indices.cpu().numpy(), top.values.cpu().numpy()
        if model.vocab is not None and config.output_size == len(model.vocab):
            result.topk_labels = [[model.vocab.itos[i] for i in row] for row in result.topk_ids.tolist()]
        tgt = default_targets(model, ids, targets, steps)
        if tgt is not None and config.head == "per_step":
            tgt = tgt.to(probs.device)
            has = tgt >= 0
            loss = torch.full((steps,), float("nan"), dtype=torch.float64, device=probs.device)
            loss[has] = -torch.log(probs[has, tgt[has]].clamp_min(1e-300))
            result.targets, result.loss = tgt.cpu().numpy(), loss.cpu().numpy()
        elif tgt is not None:  # one label for the whole sequence: the running loss against it
            label = int(torch.as_tensor(tgt).reshape(-1)[0])
            result.targets = np.full(steps, label)
            result.loss = (-torch.log(probs[:, label].clamp_min(1e-300))).cpu().numpy()
    elif targets is not None:
        tgt = torch.as_tensor(targets, dtype=logits.dtype, device=logits.device)
        if config.head == "per_step":
            result.loss = ((logits - tgt.reshape(steps, -1)) ** 2).mean(-1).cpu().numpy()
        else:
            result.loss = ((logits - tgt.reshape(1, -1)) ** 2).mean(-1).cpu().numpy()
        result.targets = tgt.cpu().numpy()
    return result
