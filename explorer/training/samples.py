"""What the models make of their task now, in words: generated text, or predictions beside targets.

    out = sample_output(pg)
    out["samples"]["LSTM"]           # a text task: what the LSTM writes after the probe's first characters
    out["rows"][0]["LSTM"]           # any other: its prediction on the first probe example ("3 (87%)")

The row keys (example, input, target, the model labels) are data, the same in every language: the
page names the columns; the texts in the rows are in the current language.
    out["scatter"]["LSTM"]           # real outputs: (targets, predictions) over every probe sequence
"""
from __future__ import annotations

import torch

from explorer.engine.generate import sample
from explorer.i18n import _
from explorer.tasks.base import Batch, Task
from explorer.training.runs import Playground

SAMPLE_LENGTH = 120  # characters generated per tick for a text task
SAMPLE_TEMPERATURE = 0.8  # a little below 1: fewer junk characters, still the model's own voice


def is_text_task(task: Task) -> bool:
    """A character language model: it predicts its own next input, so it can write text."""
    return (task.vocab is not None and task.head == "per_step"
            and tuple(task.output_labels or ()) == tuple(task.vocab.itos))


def sample_output(pg: Playground, examples: int = 4) -> dict:
    """What the models make of their task now.

    Text tasks: {"kind": "text", "prompt", "samples": {label: generated text}} (seeded, so the text
    changes only as the weights do). Others: {"kind": "table", "rows": [...]} with, per probe
    example, its input and target (task.describe) and each model's prediction; and for real
    outputs "scatter": {label: (targets, predictions)} over all the probe sequences (snapshots.PROBE_EXAMPLES).
    """
    task = pg.task
    if is_text_task(task):
        prompt = "".join(pg.probe_labels[: min(24, len(pg.probe_labels))])
        samples = {}
        for run in pg.runs:
            try:
                samples[run.label] = sample(run.state.model, prompt, length=SAMPLE_LENGTH,
                                            temperature=SAMPLE_TEMPERATURE, seed=0).generated
            except ValueError as err:
                samples[run.label] = f"({err})"
        return {"kind": "text", "prompt": prompt, "samples": samples}
    outputs = {}
    with torch.no_grad():
        for run in pg.runs:
            out = run.state.model(pg.probe.x)[0]  # (B, O) last step or (B, T, O) per step
            outputs[run.label] = out
    rows = []
    for i in range(min(examples, pg.probe.x.shape[0])):
        described = task.describe(pg.probe, i)
        row = {"example": i, "input": _input_text(task, described),
               "target": _target_text(task, described.get("target"))}
        for label, out in outputs.items():
            row[label] = _prediction_text(task, pg.probe, out, i)
        rows.append(row)
    result = {"kind": "table", "rows": rows}
    if task.output_kind == "real":
        denorm = getattr(task, "denormalise", lambda v: v)
        target = denorm(pg.probe.y).reshape(-1).numpy()
        result["scatter"] = {label: (target, denorm(out).reshape(-1).numpy()) for label, out in outputs.items()}
    return result


def _short(values, limit: int = 12) -> str:
    values = list(values)
    text = ", ".join(str(v) for v in values[:limit])
    return _("{values}, … ({count} in all)").format(values=text, count=len(values)) if len(values) > limit else text


def _input_text(task: Task, described: dict) -> str:
    if "sentence" in described:
        return described["sentence"]
    if "marked steps" in described:  # the adding problem: only the marked values matter
        values = described["values"]
        term = _("{value} (step {step})")
        return _("marked: {sum}").format(sum=" + ".join(term.format(value=values[s], step=s)
                                                        for s in described["marked steps"]))
    value = described.get("input", "")
    return value if isinstance(value, str) else _short(value)


def _target_text(task: Task, target) -> str:
    """A per-step sequence of labels as one string: joined directly when every label is one
    character (depths 0-9 of a short walk), else with spaces; a single value as it is."""
    if not isinstance(target, (list, tuple)):
        return str(target)
    labels = [str(t) for t in target]
    single = all(len(str(label)) == 1 for label in (task.output_labels or labels))
    text = ("" if single else " ").join(labels[:64])
    return text + ("…" if len(labels) > 64 else "")


def _prediction_text(task: Task, batch: Batch, out: torch.Tensor, i: int) -> str:
    if task.output_kind == "real":
        denorm = getattr(task, "denormalise", lambda v: v)
        values = denorm(out[i]).reshape(-1).tolist()
        return ", ".join(f"{v:.4g}" for v in values)
    labels = task.output_labels or tuple(str(c) for c in range(task.output_size))
    if task.head == "last_step":
        probs = torch.softmax(out[i].double(), -1)
        best = int(probs.argmax())
        return f"{labels[best]} ({float(probs[best]):.0%})"
    predicted = out[i].argmax(-1)  # (T,)
    scored = batch.mask[i] if batch.mask is not None else torch.ones_like(predicted, dtype=torch.bool)
    guesses = [labels[int(c)] for c, m in zip(predicted, scored) if m]
    correct = float((predicted == batch.y[i])[scored].float().mean()) if scored.any() else float("nan")
    return _("{guesses} ({share} right)").format(guesses=_target_text(task, guesses), share=f"{correct:.0%}")
