"""Numbers derived from a Trace for people to look at: unit orderings, gate saturation, the
values inside one step's equations, and exports. numpy in, numpy (or bytes) out; no drawing.
"""
from __future__ import annotations

import csv
import io

import numpy as np
import torch

from explorer.engine.trace import SIGMOID_GATES, Trace
from explorer.i18n import _, pgettext
from explorer.training.settings import CELL_TITLES


def order_units(values: np.ndarray, how: str = "index") -> np.ndarray:
    """A display order for the units of `values` [T, H].

    index: 0..H-1. activity: most active first (mean |value|). variance: most variable first.
    similarity: a greedy nearest-neighbour chain over correlation, starting from the most
    active unit, so units that move together sit together."""
    values = np.asarray(values, dtype=np.float64)
    size = values.shape[1]
    if how == "index" or size < 2:
        return np.arange(size)
    if how == "activity":
        return np.argsort(-np.abs(values).mean(0), kind="stable")
    if how == "variance":
        return np.argsort(-values.var(0), kind="stable")
    if how != "similarity":
        raise ValueError(f"unit order must be index, activity, variance or similarity; got {how!r}")
    centred = values - values.mean(0)
    norms = np.linalg.norm(centred, axis=0)
    norms[norms == 0] = 1.0
    corr = (centred / norms).T @ (centred / norms)  # (H, H)
    order = [int(np.argmax(np.abs(values).mean(0)))]
    left = np.ones(size, dtype=bool)
    left[order[0]] = False
    while left.any():
        scores = np.where(left, corr[order[-1]], -np.inf)
        nxt = int(np.argmax(scores))
        order.append(nxt)
        left[nxt] = False
    return np.array(order)


def sigmoid_gates(gates: dict) -> dict:
    """The gates among `gates` that a sigmoid squashes into [0, 1] (i f o, r z): the ones that open and shut."""
    return {name: values for name, values in gates.items() if name in SIGMOID_GATES}


def gate_saturation(gates: dict[str, np.ndarray], low: float = 0.1, high: float = 0.9) -> dict[str, tuple]:
    """For each sigmoid gate [T, H]: each unit's fraction of steps below `low` and above `high`
    (Karpathy, Johnson & Fei-Fei 2015, fig. 3: right-saturated units act as memory)."""
    return {name: ((v < low).mean(0), (v > high).mean(0)) for name, v in gates.items() if name in SIGMOID_GATES}


def layer_input(trace: Trace, layer: int) -> np.ndarray:
    """What layer `layer` read at every step [T, I]: the inputs, or the layer below's states."""
    if layer == 0:
        return trace.inputs
    below = trace.hidden[layer - 1]  # [D, T, H]
    return np.concatenate(list(below), axis=-1)  # [T, D*H]


def equation_values(model, trace: Trace, *, layer: int, direction: int, step: int, unit: int) -> dict:
    """Every number in the step equation of one unit at one step, recomputed from the weights:
    input and recurrent parts of each pre-activation, the gates, previous and new states.
    Keys: cell_type, parts {gate: (W_ih x + b_ih, W_hh h + b_hh)} as PyTorch adds them, terms
    {gate: (W_ih x, W_hh h, b_ih + b_hh)} as the course writes them (U x, W h, b), pre {gate},
    gates {gate}, h_prev, h, and c_prev, c (LSTM)."""
    rnn = model.rnn
    kind = trace.cell_type
    if kind not in ("lstm", "gru", "rnn"):
        raise ValueError(_("step equations are drawn for LSTM, GRU and Elman networks, not {cell}").format(cell=kind))
    size = trace.hidden_size
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    w_ih = getattr(rnn, "weight_ih" + sfx).detach().cpu().double().numpy()
    w_hh = getattr(rnn, "weight_hh" + sfx).detach().cpu().double().numpy()
    b_ih = getattr(rnn, "bias_ih" + sfx, None)
    b_hh = getattr(rnn, "bias_hh" + sfx, None)
    b_ih = np.zeros(w_ih.shape[0]) if b_ih is None else b_ih.detach().cpu().double().numpy()
    b_hh = np.zeros(w_hh.shape[0]) if b_hh is None else b_hh.detach().cpu().double().numpy()
    x = layer_input(trace, layer)[step].astype(np.float64)
    h_prev = trace.previous("hidden", layer, direction)[step].astype(np.float64)
    names = {"lstm": "ifgo", "gru": "rzn"}.get(kind, ["pre"])
    parts, terms, pre, gates = {}, {}, {}, {}
    for k, name in enumerate(names):
        row = k * size + unit
        from_x, from_h = float(w_ih[row] @ x), float(w_hh[row] @ h_prev)
        parts[name] = (from_x + float(b_ih[row]), from_h + float(b_hh[row]))
        terms[name] = (from_x, from_h, float(b_ih[row] + b_hh[row]))
        gates[name] = float(trace.gates[name][layer, direction, step, unit])
    for name, (from_x, from_h) in parts.items():
        pre[name] = from_x + (gates["r"] * from_h if name == "n" else from_h)
    out = {"cell_type": kind, "nonlinearity": trace.nonlinearity, "parts": parts, "terms": terms, "pre": pre,
           "gates": gates,
           "h_prev": float(h_prev[unit]), "h": float(trace.hidden[layer, direction, step, unit]),
           "step": step, "unit": unit}
    if kind == "lstm":
        out["c_prev"] = float(trace.previous("cell", layer, direction)[step, unit])
        out["c"] = float(trace.cell[layer, direction, step, unit])
    return out


def trace_npz(trace: Trace) -> bytes:
    """The whole trace as an .npz archive (numpy arrays; tokens as a unicode array)."""
    arrays = {"hidden": trace.hidden, "initial_hidden": trace.initial_hidden, "output": trace.output}
    if trace.cell is not None:
        arrays.update(cell=trace.cell, initial_cell=trace.initial_cell)
    arrays.update({f"gate_{k}": v for k, v in trace.gates.items()})
    for name in ("token_ids", "probs", "topk_ids", "topk_probs", "loss", "targets"):
        if getattr(trace, name) is not None:
            arrays[name] = getattr(trace, name)
    if trace.tokens is not None:
        arrays["tokens"] = np.array(trace.tokens, dtype="<U1")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def trace_csv(trace: Trace, *, layer: int, direction: int, max_rows: int = 500_000) -> tuple[str, bool]:
    """One layer and direction in long format: layer, direction, step, char, unit, quantity,
    value. Returns (csv text, truncated): at most `max_rows` rows, whole steps first to last."""
    quantities = {"hidden": trace.hidden[layer, direction]}
    if trace.cell is not None:
        quantities["cell"] = trace.cell[layer, direction]
    quantities.update({k: v[layer, direction] for k, v in trace.gates.items()})
    steps, size = trace.steps, trace.hidden_size
    per_step = size * len(quantities)
    keep = min(steps, max(1, max_rows // per_step))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["layer", "direction", "step", "char", "unit", "quantity", "value"])
    tokens = trace.tokens or [""] * steps
    for t in range(keep):
        for name, values in quantities.items():
            row_values = values[t]
            writer.writerows([layer, direction, t, tokens[t], u, name, f"{row_values[u]:.6g}"] for u in range(size))
    return out.getvalue(), keep < steps


# ---------------------------------------------------------------------------------------------
# Compare and Gradients through time

JACOBIAN_CHARS = 300  # the Jacobian costs H backward passes: it is computed over the last this-many steps


def bits_per_char(loss: np.ndarray | None) -> float | None:
    """Mean per-step loss (nats, NaN where nothing is predicted) in bits per character."""
    if loss is None:
        return None
    loss = np.asarray(loss, dtype=np.float64)
    finite = loss[np.isfinite(loss)]
    return float(finite.mean() / np.log(2.0)) if finite.size else None


def jacobian_through_time(model, text: str, *, jacobian_chars: int = JACOBIAN_CHARS) -> dict:
    """The Jacobian norms ||dh_T/dh_t||_F of a model reading text, over the last `jacobian_chars` steps
    (all of them for shorter text): {"jacobian": [L, D, T'], "jacobian_start": first step of T',
    "jacobian_exact": False where a bidirectional model's window had to start from zero states}.

    For longer text the window starts from the exact states the model reached just before it
    (unidirectional models), so its numbers are those of the whole text."""
    from explorer.engine.grads import jacobian
    from explorer.engine.trace import trace

    if len(text) <= jacobian_chars:
        return {"jacobian": jacobian(model, text), "jacobian_start": 0, "jacobian_exact": True}
    start = len(text) - jacobian_chars
    state = None
    if not model.config.bidirectional:
        before = trace(model, text[:start])  # the state after the text before the window
        h0 = torch.from_numpy(before.hidden[:, 0, -1].copy())  # [L, H]
        state = h0 if before.cell is None else (h0, torch.from_numpy(before.cell[:, 0, -1].copy()))
    return {"jacobian": jacobian(model, text[start:], state=state), "jacobian_start": start,
            "jacobian_exact": state is not None}


def model_summary(model, trace: Trace) -> dict:
    """One row of the Compare table: cell, size, parameters, held-out metric from the model's
    metadata, and the mean loss on this text in bits per character."""
    meta = getattr(model, "meta", {}) or {}
    metrics = meta.get("metrics", {})
    held = metrics.get("test") or metrics.get("val") or {}
    config = model.config
    return {"cell": config.cell, "hidden": config.hidden_size, "layers": config.num_layers,
            "parameters": int(model.num_parameters()), "metric": held.get("metric"), "held_out": held.get("value"),
            "held_out_split": held.get("split"), "bits_here": bits_per_char(trace.loss)}


def short_number(value: float) -> str:
    """A number for a sentence: 7e-12, 0.031, 2.4, 3e+4 (one or two significant digits)."""
    if value == 0 or not np.isfinite(value):
        return f"{value:g}"
    if 0.01 <= abs(value) < 1000:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def gradient_reach(norms: np.ndarray) -> dict:
    """How much of a gradient [T] (||dL/dh_t|| over the steps of a text) is left at the first step:
    {"first": its value at step 0, "peak": its largest, "underflow": the first step where it is not
    exactly 0 (0 unless it underflowed below float32's smallest number on the way back)}."""
    norms = np.asarray(norms, dtype=np.float64)
    positive = np.flatnonzero(np.isfinite(norms) & (norms > 0))
    return {"first": float(norms[0]), "peak": float(np.nanmax(norms)) if positive.size else 0.0,
            "underflow": int(positive[0]) if positive.size else len(norms)}


def reach_sentence(reach: dict[str, dict], *, start_from: str, note: str = "") -> str:
    """One sentence from {who: gradient_reach(...)}: how far each model's gradient falls by step 0,
    e.g. "Followed back from the last prediction to step 0, the SimpleRNN's gradient falls to 7e-12,
    the LSTM's to 1e-5." A fall of less than a power of ten is said to stay; `note` ends the sentence."""
    parts, last_verb = [], None
    for k, (who, r) in enumerate(reach.items()):
        verb = ("underflows" if r["underflow"] > 0 else "falls" if r["first"] < r["peak"] / 10 else "stays")
        said = _reach_clause(verb, first=k == 0, again=verb == last_verb)
        parts.append(said.format(who=who, step=r["underflow"], value=short_number(r["first"])))
        last_verb = verb
    said = (_("Followed back from {start} to step 0, {listed}: {note}.") if note else
            _("Followed back from {start} to step 0, {listed}."))
    return said.format(start=start_from, listed=_listed(parts), note=note)


def _reach_clause(verb: str, *, first: bool, again: bool) -> str:
    """One model's part of reach_sentence, to format with who, step and value: the first names the
    gradient, a later one leaves out the verb the one before it used."""
    if first:
        return {"underflows": _("the {who}'s gradient underflows to exactly 0 before step {step}"),
                "falls": _("the {who}'s gradient falls to {value}"),
                "stays": _("the {who}'s gradient stays at {value}")}[verb]
    if again:
        return {"underflows": _("the {who}'s to exactly 0 before step {step}"), "falls": _("the {who}'s to {value}"),
                "stays": _("the {who}'s at {value}")}[verb]
    return {"underflows": _("the {who}'s underflows to exactly 0 before step {step}"),
            "falls": _("the {who}'s falls to {value}"), "stays": _("the {who}'s stays at {value}")}[verb]


def _listed(parts: list[str]) -> str:
    """"a, b and c" in the current language."""
    if len(parts) == 1:
        return parts[0]
    return _("{earlier} and {last}").format(earlier=pgettext("between the items of a list", ", ").join(parts[:-1]),
                                            last=parts[-1])


def most_different_step(losses: dict[str, np.ndarray]) -> int | None:
    """The step where the models' losses [T] on the same text differ most (largest minus smallest):
    the prediction where one model is sure and another surprised, so the characters each one used
    differ most. None with fewer than two models or no step that every model predicts."""
    if len(losses) < 2:
        return None
    stacked = np.stack([np.asarray(v, dtype=np.float64) for v in losses.values()])  # [M, T]
    spread = stacked.max(0) - stacked.min(0)  # NaN wherever a model predicts nothing
    if not np.isfinite(spread).any():
        return None
    return int(np.nanargmax(spread))


def saturated_share(values: np.ndarray, level: float = 0.9) -> float:
    """The share of values [T, H] with |value| > level: tanh units pinned near ±1, where the slope
    1 - h² is under 1 - level² and little gradient passes back."""
    values = np.asarray(values, dtype=np.float64)
    return float((np.abs(values) > level).mean()) if values.size else 0.0


def saturation_sentence(shares: dict[str, float], level: float = 0.9) -> str:
    """One sentence from {who: saturated_share(hidden)}: how often each model's hidden units sit near ±1."""
    first, later = _("{share:.0%} of the {who}'s values"), _("{share:.0%} of the {who}'s")
    parts = [(first if k == 0 else later).format(share=share, who=who) for k, (who, share) in enumerate(shares.items())]
    return _("Deep red and blue are units pinned near ±1: |h| > {level:g} for {listed} here.").format(
        level=level, listed=_listed(parts))


def sentence_names(cells: dict[str, str]) -> dict[str, str]:
    """How a sentence names each model of {name: cell}: by its cell (SimpleRNN, GRU, LSTM) where no
    other model shares it, else by its name."""
    shared = list(cells.values())
    return {name: CELL_TITLES.get(cell, name) if shared.count(cell) == 1 else name for name, cell in cells.items()}


def spectrum_notes(rows: list[dict]) -> list[str]:
    """One line per recurrent matrix that the Pascanu et al. (2013) bound applies to (rows from
    explorer.engine.grads.recurrent_spectrum): its largest singular value against 1/γ and what that
    means; for a gated cell, one line with the largest singular value of each gate block of layer 0."""
    bounded = [r for r in rows if "must_vanish" in r]
    if not bounded:
        blocks = ", ".join(f"{r['block']} {r['largest']:.2f}" for r in rows if r["layer"] == 0 and r["direction"] == 0)
        return [_("Gated cell: σ_max per gate block (layer 0) {blocks}.").format(blocks=blocks)]
    below = _("Layer {layer}: σ_max = {largest:.3f} against 1/γ = {bound:g}, below it: the gradient must vanish.")
    above = _("Layer {layer}: σ_max = {largest:.3f} against 1/γ = {bound:g}, above it: the bound does not force "
              "vanishing (tanh' < 1 on saturated units still shrinks it).")
    return [(below if r["must_vanish"] else above).format(layer=r["layer"], largest=r["largest"],
                                                          bound=r["vanishing_bound"]) for r in bounded]
