"""Interventions: clamp a gate, ablate units or edit a character, and compare with the unchanged run.

    cmp = compare(model, "def f(x):", [Clamp(gate="f", units=(12, 40), value=0.0)])
    cmp.summary()            # "bits/char 2.10 → 2.45 after clamping f of units 12, 40 to 0"
    cmp.hidden_change_norm   # [layer, t]: ||h_t(changed) - h_t(original)|| over directions and units

A fused torch.nn kernel cannot be stopped between a gate and the state it updates, so both runs
go through one Python loop over steps, written with the step equations of explorer/cells.py
and a hook between the gates and the state update. The unchanged run is the same loop with no
intervention, so "no change" is bitwise equal to the original; the loop equals explorer.trace to
1e-5. Its results are Traces (tokens, states, gates, probabilities, guesses, loss), built by the
same head code as explorer.trace.

Clamps and ablations act on every direction of their layer at steps [start, stop); for the
backward direction, a change at step t reaches the states at earlier positions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from explorer.analysis.highlights import number_runs
from explorer.engine.cells import feedback_activation
from explorer.engine.mincells import COEFFICIENTS
from explorer.engine.models import RNNModel
from explorer.engine.trace import (
    GATE_NAMES,
    MIN_KINDS,
    SIGMOID_GATES,
    Trace,
    cell_type,
    model_inputs,
    trace_with_head,
)
from explorer.engine.vocab import UNKNOWN
from explorer.i18n import N_, _, ngettext, pgettext

# English, marked for the catalogue: translate where shown
CELL_NAMES = {"lstm": N_("an LSTM"), "gru": N_("a GRU"), "rnn": N_("a SimpleRNN"),
              "jordan": N_("a Jordan network"), "mingru": N_("a minGRU"), "minlstm": N_("a minLSTM")}
GATE_WORDS = {"i": N_("input gate i"), "f": N_("forget gate f"), "g": N_("candidate g"), "o": N_("output gate o"),
              "r": N_("reset gate r"), "z": N_("update gate z"), "n": N_("candidate n"), "cand": N_("candidate h̃")}


def _units_text(units) -> str:
    """(3, 4, 5, 9) -> '3–5, 9': runs of consecutive units shortened, so 'all 256' stays short."""
    return number_runs(units, shortest=3)


def repr_char(ch: str) -> str:
    """A character as a sentence quotes it: “a”, with whitespace spelled out."""
    return "“" + {" ": "␣", "\n": "↵", "\t": "⇥"}.get(ch, ch) + "”"


def _steps_text(start: int, stop: int | None) -> str:
    """When an intervention acts, as the tail of its description ('' for every step)."""
    if stop is None:
        return _(" from step {start} on").format(start=start) if start else ""
    if stop == start + 1:
        return _(" at step {start}").format(start=start)
    return _(" at steps {start}–{last}").format(start=start, last=stop - 1)


@dataclass(frozen=True)
class Clamp:
    """Force a gate of chosen units to `value` at steps [start, stop) (stop None: to the end)."""

    gate: str  # torch's letter: LSTM i f g o, GRU r z n; minGRU z cand, minLSTM f i cand (explorer.trace's names)
    units: tuple[int, ...]
    value: float
    layer: int = 0
    start: int = 0
    stop: int | None = None

    def describe(self) -> str:
        n = len(self.units)
        what = (ngettext("clamping {gate} of unit {units} in layer {layer} to {value}{steps}",
                         "clamping {gate} of units {units} in layer {layer} to {value}{steps}", n) if self.layer
                else ngettext("clamping {gate} of unit {units} to {value}{steps}",
                              "clamping {gate} of units {units} to {value}{steps}", n))
        gate = "h̃" if self.gate == "cand" else self.gate
        return what.format(gate=gate, units=_units_text(self.units), layer=self.layer, value=f"{self.value:g}",
                           steps=_steps_text(self.start, self.stop))


@dataclass(frozen=True)
class Ablate:
    """Force hidden (and cell) units to 0 at steps [start, stop): what the network does without them."""

    units: tuple[int, ...]
    layer: int = 0
    start: int = 0
    stop: int | None = None

    def describe(self) -> str:
        n = len(self.units)
        what = (ngettext("ablating unit {units} in layer {layer}{steps}",
                         "ablating units {units} in layer {layer}{steps}", n) if self.layer
                else ngettext("ablating unit {units}{steps}", "ablating units {units}{steps}", n))
        return what.format(units=_units_text(self.units), layer=self.layer, steps=_steps_text(self.start, self.stop))


@dataclass(frozen=True)
class Edit:
    """Replace the character at `position` with `char` (the text keeps its length)."""

    position: int
    char: str

    def describe(self, was: str | None = None) -> str:
        """'editing step 30 from '(' to ' '' (`was`: the character the text had there, if known)."""
        what = (_("editing step {position} to {char}") if was is None else
                _("editing step {position} from {was} to {char}"))
        return what.format(position=self.position, was=repr(was), char=repr(self.char))


Intervention = Clamp | Ablate | Edit


# ---------------------------------------------------------------------------------------------
# checking what we were given: one sentence per mistake


def parse_units(text: str, hidden_size: int) -> tuple[int, ...]:
    """'12, 40' (commas or spaces) -> (12, 40), each checked against the layer's size; 'all' -> every unit."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        raise ValueError(_("type at least one unit number, e.g. 12, 40 (or all)"))
    if [p.lower() for p in parts] == ["all"]:
        return tuple(range(hidden_size))
    units = []
    for part in parts:
        try:
            units.append(int(part))
        except ValueError:  # "x", "1.5", and digits int() refuses, such as "²"
            raise ValueError(_("{part} is not a unit number: type whole numbers separated by commas, "
                               "e.g. 12, 40 (or all)").format(part=repr(part))) from None
    _check_units(units, hidden_size)
    return tuple(dict.fromkeys(units))


def _check_units(units, hidden_size: int) -> None:
    if not units:
        raise ValueError(_("choose at least one unit"))
    for unit in units:
        if not 0 <= unit < hidden_size:
            raise ValueError(_("unit {unit} does not exist: this layer has units 0 to {last}")
                             .format(unit=unit, last=hidden_size - 1))


def _check_steps(start: int, stop: int | None, steps: int) -> None:
    for step in (start, None if stop is None else stop - 1):
        if step is not None and not 0 <= step < steps:
            raise ValueError(_("step {step} is outside the text: its steps run from 0 to {last}")
                             .format(step=step, last=steps - 1))
    if stop is not None and stop <= start:
        raise ValueError(_("the step range is empty: its last step ({last}) comes before its first ({first})")
                         .format(last=stop - 1, first=start))


def clampable_gates(model: RNNModel) -> tuple[str, ...]:
    """The gates a Clamp may name for this model (none for Elman and Jordan nets)."""
    return tuple(g for g in GATE_NAMES[cell_type(model.rnn)] if g != "pre")


def check(model: RNNModel, steps: int, intervention: Intervention) -> None:
    """Raise a ValueError that says what is wrong with an intervention on `steps` characters."""
    kind = cell_type(model.rnn)
    layers, size = model.rnn.num_layers, model.rnn.hidden_size
    if isinstance(intervention, Edit):
        if not 0 <= intervention.position < steps:
            raise ValueError(_("position {position} is outside the text: positions run from 0 to {last}")
                             .format(position=intervention.position, last=steps - 1))
        if len(intervention.char) != 1:
            raise ValueError(_("type exactly one character to put there"))
        if intervention.char == UNKNOWN or intervention.char not in model.vocab.stoi:
            raise ValueError(_("the model never saw {char} in training; pick a character from its vocabulary")
                             .format(char=repr(intervention.char)))
        return
    if not 0 <= intervention.layer < layers:
        raise ValueError(_("layer {layer} does not exist: this model has layers 0 to {last}")
                         .format(layer=intervention.layer, last=layers - 1))
    _check_units(intervention.units, size)
    _check_steps(intervention.start, intervention.stop, steps)
    if isinstance(intervention, Clamp):
        gates = clampable_gates(model)
        if not gates:
            raise ValueError(_("{cell} has no gates to clamp; ablate units or edit a character instead")
                             .format(cell=_(CELL_NAMES[kind])))
        if intervention.gate not in gates:
            raise ValueError(_("{cell} has gates {gates}; {gate} is not one of them")
                             .format(cell=_(CELL_NAMES[kind]), gates=", ".join(gates), gate=repr(intervention.gate)))
        if intervention.gate == "cand":  # g(v) > 0 and unbounded above: the scan takes its logarithm
            if not (math.isfinite(intervention.value) and intervention.value >= 0):
                raise ValueError(_("the candidate h̃ is never negative; {value} is").format(
                    value=f"{intervention.value:g}"))
            return
        low = 0.0 if intervention.gate in SIGMOID_GATES else -1.0
        if not (math.isfinite(intervention.value) and low <= intervention.value <= 1.0):
            raise ValueError(_("the {gate} lies between {low} and 1; {value} is outside that range")
                             .format(gate=_(GATE_WORDS[intervention.gate]), low=f"{low:g}",
                                     value=f"{intervention.value:g}"))


def edit_text(text: str, edits) -> str:
    """The text after its edits (each replaces one character; positions already checked)."""
    chars = list(text)
    for edit in edits:
        chars[edit.position] = edit.char
    return "".join(chars)


# ---------------------------------------------------------------------------------------------
# the loop: one step at a time, with a hook between the gates and the state update


def _plan(interventions, layer: int, cls, size: int, kind: str) -> list[tuple]:
    """(intervention, indices) for one layer; a clamp's indices point into the stacked gate vector
    (torch's block order, e.g. LSTM i f g o), so one index_fill clamps it."""
    plan = []
    for iv in interventions:
        if isinstance(iv, cls) and iv.layer == layer:
            block = GATE_NAMES[kind].index(iv.gate) * size if isinstance(iv, Clamp) else 0
            plan.append((iv, torch.tensor(iv.units, dtype=torch.long) + block))
    return plan


def _active(plan, t: int) -> list[tuple]:
    return [(iv, index) for iv, index in plan if iv.start <= t and (iv.stop is None or t < iv.stop)]


def _fill(values: torch.Tensor, plan, value=None) -> torch.Tensor:
    """Write each intervention's value (an ablation's 0) at its indices, in place."""
    for iv, index in plan:
        values.index_fill_(0, index, iv.value if value is None else value)
    return values


def _lstm_step(pre, h, c, w_hh, clamps):
    """cells.lstm_step with the clamp between the gates and the state update. `pre` holds
    x_t W_ih^T + b_ih + b_hh (computed for every step at once)."""
    size = h.shape[0]
    total = torch.addmv(pre, w_hh, h)  # (4H,) every gate's pre-activation
    gates = total.sigmoid()  # i, f, o
    gates[2 * size:3 * size] = total[2 * size:3 * size].tanh()  # g
    i, f, g, o = _fill(gates, clamps).chunk(4)
    c_new = f * c + i * g  # keep part of the old memory, write part of the candidate
    return o * c_new.tanh(), c_new, gates


def _gru_step(pre, h, w_hh, b_hh, clamps):
    """cells.gru_step (PyTorch's form: r multiplies after the recurrent matmul) with the clamp.
    `pre` holds x_t W_ih^T + b_ih."""
    size = h.shape[0]
    hh = F.linear(h, w_hh, b_hh)  # W_h{r,z,n} h_{t-1} + b_h{r,z,n}; (3H,)
    gates = torch.empty(3 * size, dtype=h.dtype, device=h.device)
    torch.sigmoid(pre[:2 * size] + hh[:2 * size], out=gates[:2 * size])  # r, z
    _fill(gates, [cl for cl in clamps if cl[0].gate != "n"])
    r, z = gates[:size], gates[size:2 * size]
    torch.tanh(pre[2 * size:] + r * hh[2 * size:], out=gates[2 * size:])  # n: a clamped r acts here
    n = _fill(gates, [cl for cl in clamps if cl[0].gate == "n"])[2 * size:]
    return (1 - z) * n + z * h, gates


def _stacked(rnn, kind: str, x: torch.Tensor, interventions) -> dict:
    """Every internal of a stacked Elman / GRU / LSTM, in explorer.trace's internals layout."""
    steps, size = x.shape[0], rnn.hidden_size
    layers, dirs = rnn.num_layers, 2 if rnn.bidirectional else 1
    new = dict(dtype=x.dtype, device=x.device)
    hidden = torch.empty(layers, dirs, steps, size, **new)
    gates = torch.empty(layers, dirs, steps, len(GATE_NAMES[kind]) * size, **new)
    cell = torch.empty(layers, dirs, steps, size, **new) if kind == "lstm" else None
    act = torch.relu if getattr(rnn, "nonlinearity", None) == "relu" else torch.tanh
    layer_input = x
    for layer in range(layers):
        clamps = _plan(interventions, layer, Clamp, size, kind)
        ablations = _plan(interventions, layer, Ablate, size, kind)
        for d in range(dirs):
            sfx = "_reverse" if d else ""
            w_ih, w_hh = getattr(rnn, f"weight_ih_l{layer}{sfx}"), getattr(rnn, f"weight_hh_l{layer}{sfx}")
            b_ih, b_hh = getattr(rnn, f"bias_ih_l{layer}{sfx}", None), getattr(rnn, f"bias_hh_l{layer}{sfx}", None)
            pre = F.linear(layer_input, w_ih, b_ih)  # (T, G*H): x_t W_ih^T + b_ih, every step in one matmul
            if kind != "gru" and b_hh is not None:
                pre += b_hh  # the GRU keeps b_hn inside r * (W_hn h + b_hn)
            pre = pre.unbind(0)
            h, c = torch.zeros(size, **new), torch.zeros(size, **new)
            hs, cs, gs = [None] * steps, [None] * steps, [None] * steps
            for t in (range(steps - 1, -1, -1) if d else range(steps)):  # backward: from the end
                if kind == "lstm":
                    h, c, gs[t] = _lstm_step(pre[t], h, c, w_hh, _active(clamps, t))
                    cs[t] = c = _fill(c, _active(ablations, t), 0.0)
                elif kind == "gru":
                    h, gs[t] = _gru_step(pre[t], h, w_hh, b_hh, _active(clamps, t))
                else:  # Elman: a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, h_t = tanh(a_t)
                    gs[t] = torch.addmv(pre[t], w_hh, h)
                    h = act(gs[t])
                hs[t] = h = _fill(h, _active(ablations, t), 0.0)
            torch.stack(hs, out=hidden[layer, d])
            torch.stack(gs, out=gates[layer, d])
            if cell is not None:
                torch.stack(cs, out=cell[layer, d])
        layer_input = hidden[layer].permute(1, 0, 2).reshape(steps, dirs * size)  # (T, D*H), torch's output layout
    zeros = torch.zeros(layers, dirs, size, **new)
    return {"kind": kind, "nonlinearity": getattr(rnn, "nonlinearity", None), "x": x, "output": layer_input,
            "hidden": hidden, "gates": gates, "cell": cell,
            "h0": zeros, "c0": zeros if kind == "lstm" else None}


def _min(rnn, kind: str, x: torch.Tensor, interventions) -> dict:
    """A minGRU or minLSTM stack one step at a time. Its gates read only the layer's input, so they come for
    every step at once (the values explorer.trace shows: z, or the normalised f′ and i′, and h̃); the loop
    clamps them, then updates h_t = a_t ⊙ h_{t-1} + b_t. A clamped f′ or i′ is not normalised again."""
    steps, size, layers = x.shape[0], rnn.hidden_size, rnn.num_layers
    new = dict(dtype=x.dtype, device=x.device)
    names = GATE_NAMES[kind]
    hidden = torch.empty(layers, 1, steps, size, **new)
    gates = torch.empty(layers, 1, steps, len(names) * size, **new)
    layer_input = x
    for layer in range(layers):
        clamps = _plan(interventions, layer, Clamp, size, kind)
        ablations = _plan(interventions, layer, Ablate, size, kind)
        found = COEFFICIENTS[kind](F.linear(layer_input, *rnn.layer_weights(layer)))[2]  # {name: (T, H)}
        torch.cat([found[name] for name in names], dim=-1, out=gates[layer, 0])  # (T, G*H)
        h = torch.zeros(size, **new)
        for t in range(steps):
            row = _fill(gates[layer, 0, t], _active(clamps, t))
            if kind == "mingru":
                z, candidate = row.chunk(2)
                keep, write = 1 - z, z
            else:
                keep, write, candidate = row.chunk(3)
            h = keep * h + write * candidate
            hidden[layer, 0, t] = h = _fill(h, _active(ablations, t), 0.0)
        layer_input = hidden[layer, 0]
    zeros = torch.zeros(layers, 1, size, **new)
    return {"kind": kind, "nonlinearity": None, "x": x, "output": layer_input, "hidden": hidden, "gates": gates,
            "cell": None, "h0": zeros, "c0": None}


def _jordan(rnn, x: torch.Tensor, interventions) -> dict:
    """cells.jordan_step, one step at a time, with ablated units zeroed before the output is read."""
    steps, size = x.shape[0], rnn.hidden_size
    new = dict(dtype=x.dtype, device=x.device)
    ablations = _plan(interventions, 0, Ablate, size, "jordan")
    act = torch.relu if rnn.nonlinearity == "relu" else torch.tanh
    hidden, pre, outputs = (torch.empty(steps, n, **new) for n in (size, size, rnn.output_size))
    input_part = F.linear(x, rnn.weight_ih_l0, rnn.bias_ih_l0).unbind(0)
    y = torch.zeros(rnn.output_size, **new)
    for t in range(steps):
        fed_back = feedback_activation(y, rnn.feedback)  # phi(y_{t-1})
        pre[t] = input_part[t] + F.linear(fed_back, rnn.weight_hh_l0, rnn.bias_hh_l0)
        hidden[t] = _fill(act(pre[t]), _active(ablations, t), 0.0)
        y = outputs[t] = rnn.readout(hidden[t])
    return {"kind": "jordan", "nonlinearity": rnn.nonlinearity, "x": x, "output": hidden,
            "hidden": hidden[None, None], "gates": pre[None, None],
            "cell": None, "h0": torch.zeros(1, 1, size, **new), "c0": None, "layers": [[{"y": outputs}]]}


def run(model: RNNModel, text: str, interventions=(), *, k: int = 5) -> Trace:
    """The model reads `text` one step at a time under `interventions` (none: the unchanged run).

    Returns a Trace like explorer.trace's (tokens, states, gates, probabilities, top-k guesses,
    per-step loss against the next character); a ValueError says what was wrong with the input."""
    if model.vocab is None:
        raise ValueError(_("interventions need a character model that reads text"))
    if not text:
        raise ValueError(_("the text is empty: type at least one character"))
    interventions = tuple(interventions)
    for iv in interventions:
        check(model, len(text), iv)
    read = edit_text(text, [iv for iv in interventions if isinstance(iv, Edit)])
    feats, ids, chars, unknown = model_inputs(model, read)
    kind = cell_type(model.rnn)
    with torch.no_grad():
        feats = feats.to(model.param_dtype)
        if kind == "jordan":
            internals = _jordan(model.rnn, feats, interventions)
        elif kind in MIN_KINDS:
            internals = _min(model.rnn, kind, feats, interventions)
        else:
            internals = _stacked(model.rnn, kind, feats, interventions)
    result = trace_with_head(model, internals, ids, chars, unknown, k=k)
    result.extras["interventions"] = interventions
    return result


# ---------------------------------------------------------------------------------------------
# the two runs side by side


def bits_per_char(loss: np.ndarray) -> float:
    """Mean surprise in bits over the steps that have a next character to predict."""
    finite = loss[np.isfinite(loss)]
    return float(finite.mean() / math.log(2)) if finite.size else float("nan")


@dataclass
class Comparison:
    """The unchanged and the changed run of one model on one text."""

    original: Trace
    changed: Trace
    interventions: tuple
    labels: tuple[str, ...]  # the character of each class (the model's vocabulary)

    @property
    def has_guesses(self) -> bool:
        """False for a model uploaded without a head: it makes no next-character guesses."""
        return self.original.probs is not None and self.original.loss is not None

    @property
    def loss_change(self) -> np.ndarray:
        """[T] changed minus original loss per step, in nats (NaN at the last step)."""
        return self.changed.loss - self.original.loss

    @property
    def hidden_change_norm(self) -> np.ndarray:
        """[L, T] the L2 norm of the hidden-state difference over directions and units, per layer."""
        diff = self.changed.hidden.astype(np.float64) - self.original.hidden
        return np.sqrt((diff ** 2).sum(axis=(1, 3)))

    def hidden_change(self, layer: int, direction: int = 0) -> np.ndarray:
        """[T, H] h_t(changed) - h_t(original) of one layer and direction."""
        return self.changed.hidden[layer, direction] - self.original.hidden[layer, direction]

    @property
    def bits_per_char(self) -> tuple[float, float]:
        return bits_per_char(self.original.loss), bits_per_char(self.changed.loss)

    def first_changed_step(self) -> int | None:
        """The first position whose hidden state (any layer, direction or unit) differs, or None."""
        differs = np.any(self.changed.hidden != self.original.hidden, axis=(0, 1, 3))
        return int(np.argmax(differs)) if differs.any() else None

    def most_changed_step(self) -> int:
        """The step whose next-character loss changed most among those where the guesses differ
        (0 when nothing changed). An edit also changes the loss one step before it, but only
        because the character to guess changed: the guesses there are the same in both runs."""
        first = self.first_changed_step()
        if not self.has_guesses or first is None:
            return 0
        change = np.abs(np.nan_to_num(self.loss_change[first:], nan=0.0))
        return first + int(np.argmax(change))

    def guesses(self, step: int, k: int = 5) -> dict:
        """The characters either run ranks in its top k after `step`, with both runs' probabilities,
        ordered by the original's; and the character that came next in each text."""
        ids = dict.fromkeys([*self.original.topk_ids[step, :k].tolist(), *self.changed.topk_ids[step, :k].tolist()])
        ids = sorted(ids, key=lambda i: -self.original.probs[step, i])
        tokens = self.original.tokens, self.changed.tokens
        return {"chars": [self.labels[i] for i in ids],
                "original": self.original.probs[step, ids], "changed": self.changed.probs[step, ids],
                "next": tuple(t[step + 1] if step + 1 < len(t) else None for t in tokens)}

    def summary(self) -> str:
        """'bits/char 2.10 → 2.45 after clamping f of units 12, 40 to 0'."""
        what = pgettext("list", "; ").join(
            iv.describe(self.original.tokens[iv.position]) if isinstance(iv, Edit) else iv.describe()
            for iv in self.interventions) or _("no change")
        if not self.has_guesses:
            first = self.first_changed_step()
            if first is None:
                return _("nothing moved after {what}").format(what=what)
            return _("the hidden state moves from step {first} on after {what}").format(first=first, what=what)
        before, after = self.bits_per_char
        return _("bits/char {before} → {after} after {what}").format(before=f"{before:.2f}", after=f"{after:.2f}",
                                                                    what=what)

    def headline(self) -> str:
        """One sentence on what the key picture shows: the summary, where the two runs part, and the step
        whose surprise moved most (or, without guesses, where the hidden state moved most)."""
        summary = self.summary()
        summary = summary[0].upper() + summary[1:]
        first = self.first_changed_step()
        if first is None:
            return _("{summary}: nothing changed, so the two runs are one line.").format(summary=summary)
        tokens = self.changed.tokens
        if not self.has_guesses:
            norms = self.hidden_change_norm.max(axis=0)  # [T]
            most = int(np.argmax(norms))
            return _("{summary}: ‖Δh‖ is 0 before step {first} and largest at step {most} ({char}, {norm}).").format(
                summary=summary, first=first, most=most, char=repr_char(tokens[most]), norm=f"{norms[most]:.2f}")
        most = self.most_changed_step()
        jump = float(np.nan_to_num(self.loss_change[most])) / np.log(2)
        sentence = (_("{summary}: the changed (dotted) line leaves the original at step {first}, and moves most "
                      "after step {most} {char}, where guessing the next character costs {bits} bits more.")
                    if jump >= 0 else
                    _("{summary}: the changed (dotted) line leaves the original at step {first}, and moves most "
                      "after step {most} {char}, where guessing the next character costs {bits} bits less."))
        return sentence.format(summary=summary, first=first, most=most, char=repr_char(tokens[most]),
                               bits=f"{abs(jump):.2f}")


def compare(model: RNNModel, text: str, interventions, *, k: int = 5) -> Comparison:
    """Both runs through the same loop: with no interventions they are bitwise equal."""
    interventions = tuple(interventions)
    changed = run(model, text, interventions, k=k)  # first: bad input fails before any work
    return Comparison(original=run(model, text, (), k=k), changed=changed, interventions=interventions,
                      labels=model.vocab.itos)
