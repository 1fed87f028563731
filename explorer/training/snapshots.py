"""The playground's memory of a run: weight snapshots for the scrubber, traces of the fixed probe
input, and the gate saturation of those traces over time.

Snapshots are taken every `snapshot_every` steps (inside the chunk, through train_steps' callback,
so one lands exactly on its step), and are bounded in number (MAX_SNAPSHOTS per model) and memory
(SNAPSHOT_BYTES per playground): when full, every other one is dropped (the first and the newest
stay) and the interval doubles, so the kept ones stay evenly spread over the whole run. The
saturation history is thinned the same way.
"""
from __future__ import annotations

import numpy as np
import torch

from explorer.engine.models import RNNModel
from explorer.engine.trace import SIGMOID_GATES, Trace, trace
from explorer.tasks.base import Batch, Task
from explorer.training.runs import Playground, Run, Snapshot

MAX_SNAPSHOTS = 50  # per model: enough for a smooth scrubber, a few MB for the models here
SNAPSHOT_BYTES = 48 * 2**20  # all snapshots of one playground (one session); fewer are kept for big models
MAX_HISTORY = 1000  # saturation points per model and quantity before thinning: more than a plot can show
PROBE_SEED = 2**31 - 7  # the probe batch: a fixed draw of the validation split, outside every training seed
PROBE_EXAMPLES = 16  # sequences the sample output is scored on; the first is the one traced


def max_snapshots(models: list[RNNModel]) -> int:
    """Snapshots kept per model for these models: MAX_SNAPSHOTS, fewer when all of them together
    would pass SNAPSHOT_BYTES, and never fewer than 4 (a beginning, a middle and an end to scrub)."""
    per_snapshot = max(1, sum(_state_bytes(model) for model in models))
    return int(max(4, min(MAX_SNAPSHOTS, SNAPSHOT_BYTES // per_snapshot)))


def _state_bytes(model: RNNModel) -> int:
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


def add_snapshot(pg: Playground, run: Run, loss: float | None) -> None:
    """Keep the run's weights now (replacing a snapshot of the same step), thinning when full."""
    weights = {k: v.detach().clone() for k, v in run.state.model.state_dict().items()}
    if run.snapshots and run.snapshots[-1].step == run.step:
        run.snapshots[-1] = Snapshot(run.step, weights, loss)
        return
    run.snapshots.append(Snapshot(run.step, weights, loss))
    if len(run.snapshots) > pg.max_snapshots:
        run.snapshots = thin(run.snapshots)
        run.snapshot_every *= 2


def thin(items: list) -> list:
    """Every other item, keeping the first and the last."""
    kept = items[::2]
    if kept[-1] is not items[-1]:
        kept.append(items[-1])
    return kept


# ----------------------------------------------------------------------------------------------
# the probe input


def probe_batch(task: Task, seq_len: int) -> Batch:
    """PROBE_EXAMPLES validation sequences, the same on every call: the first is traced each tick."""
    return task.batch("val", PROBE_EXAMPLES, seq_len, torch.Generator().manual_seed(PROBE_SEED))


def probe_labels(task: Task, batch: Batch, index: int = 0) -> list[str]:
    """What the traced probe reads at each step, as short labels: characters, or values."""
    x = batch.x[index]
    if task.vocab is not None and not x.is_floating_point():
        return [task.vocab.itos[i] for i in x.tolist()]
    values = x.reshape(x.shape[0], -1).tolist()  # (T, I)
    if task.name == "adding":  # channel 1 marks the two numbers to add
        return [f"{v:.2f}{' ◆' if m else ''}" for v, m in values]
    return [",".join(f"{v:.2f}" for v in row) for row in values]


def probe_input(pg: Playground, index: int = 0) -> torch.Tensor:
    return pg.probe.x[index]  # (T,) ids or (T, I) values


def refresh_probe(pg: Playground, run: Run) -> Trace:
    """Trace the probe input with the run's current weights (no gradients, weights untouched)."""
    run.probe = trace(run.state.model, probe_input(pg))
    return run.probe


def snapshot_trace(pg: Playground, run: Run, index: int) -> Trace:
    """The probe traced with the weights of snapshot `index`, through the run's scratch copy
    (the newest one is kept on the run: the scrubber asks for the same snapshot on every tick)."""
    snap = run.snapshots[index]
    if run.scrub_cache is not None and run.scrub_cache[0] is snap:  # the object: a step can be retrained
        return run.scrub_cache[1]
    run.scratch.load_state_dict(snap.weights)
    result = trace(run.scratch, probe_input(pg))
    run.scrub_cache = (snap, result)
    return result


# ----------------------------------------------------------------------------------------------
# saturation over time


def saturation(tr: Trace, low: float = 0.1, high: float = 0.9) -> dict[str, tuple[float, float]]:
    """{quantity: (fraction < low, fraction > high)} over every layer, step and unit: the sigmoid
    gates, and the hidden state of a tanh cell as |h| (saturated near ±1, idle near 0)."""
    found = {name: (float((v < low).mean()), float((v > high).mean()))
             for name, v in tr.gates.items() if name in SIGMOID_GATES}
    if tr.cell_type in ("lstm", "gru") or (tr.cell_type == "rnn" and tr.nonlinearity == "tanh"):
        magnitude = np.abs(tr.hidden)
        found["|h|"] = (float((magnitude < low).mean()), float((magnitude > high).mean()))
    return found


def record_saturation(pg: Playground, run: Run) -> None:
    """A row per quantity for the run's current probe trace, every `saturation_every` ticks."""
    if run.probe is None or pg.ticks % run.saturation_every:
        return
    for name, (low, high) in saturation(run.probe).items():
        run.saturation.append({"step": run.step, "quantity": name, "low": low, "high": high})
    quantities = max(1, len({row["quantity"] for row in run.saturation}))
    if len(run.saturation) > MAX_HISTORY * quantities:
        steps = sorted({row["step"] for row in run.saturation})
        keep = set(thin(steps))
        run.saturation = [row for row in run.saturation if row["step"] in keep]
        run.saturation_every *= 2
