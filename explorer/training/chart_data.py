"""What the Train page's charts show, as plain data: the runs' logs as arrays, their saturation
histories and probe traces, and the task's baseline. explorer.figures.train.dashboard draws it.

    data = chart_data(pg)            # reads (and keeps up to date) each run's log_cache
    data.logs["LSTM"]["loss"]        # one float per training step
    recent_metric(data)              # {"LSTM": the mean metric of its last steps, ...}
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from explorer.engine.trace import Trace
from explorer.training.runs import Playground, Run


@dataclass(frozen=True)
class ChartData:
    """Everything the dashboard's figures need, keyed by model label in the order of the runs."""

    logs: dict[str, dict[str, np.ndarray]]  # step, loss, metric, grad norms, clipped, group:NAME (log_arrays)
    saturation: dict[str, list[dict]]  # rows {step, quantity, low, high}
    probes: dict[str, Trace]  # the probe input traced with the current weights (models that have one)
    steps: dict[str, int]  # the step each model is at
    probe_labels: list[str]  # what the probe reads at each step
    output_kind: str  # the task's: "real" (MSE loss) or "classes" (cross-entropy)
    metric_name: str
    baseline: float = math.nan
    baseline_text: str = ""
    clip_norm: float | None = None  # None when clipping is off
    metric_is_loss: bool = False  # the metric is the training loss itself, or in other units (LOSS_METRICS)


# Metrics that are the training loss: MSE is the loss of real outputs, bits/char the cross-entropy in bits.
# Their curve is the loss curve, so the page draws it once.
LOSS_METRICS = ("MSE", "bits/char")
RECENT_STEPS = 20  # the steps a "now" figure averages: one batch's metric is noisy


def chart_data(pg: Playground) -> ChartData:
    baseline, sentence = pg.baseline
    return ChartData(
        logs={run.label: log_arrays(run) for run in pg.runs},
        saturation={run.label: run.saturation for run in pg.runs},
        probes={run.label: run.probe for run in pg.runs if run.probe is not None},
        steps={run.label: run.step for run in pg.runs},
        probe_labels=pg.probe_labels, output_kind=pg.task.output_kind, metric_name=pg.task.metric_name,
        baseline=baseline, baseline_text=sentence, clip_norm=pg.settings.clip_norm if pg.settings.clip else None,
        metric_is_loss=pg.task.metric_name in LOSS_METRICS)


def recent_metric(data: ChartData, steps: int = RECENT_STEPS) -> dict[str, float]:
    """Each model's metric now: the mean over its last `steps` training steps (nan before any)."""
    out = {}
    for label, logs in data.logs.items():
        values = logs["metric"][-steps:]
        finite = values[np.isfinite(values)]
        out[label] = float(finite.mean()) if finite.size else math.nan
    return out


LOG_KEYS = ("step", "loss", "metric", "grad_norm_before", "grad_norm_after")


def log_arrays(run: Run) -> dict[str, np.ndarray]:
    """The run's log as arrays for the figures: step, loss, metric, grad norms, clipped, group:NAME.

    Kept up to date incrementally (only the new rows are converted), so a tick costs the same
    after hours of play; a divergence that took rows back rebuilds them."""
    logs = run.state.logs
    cache = run.log_cache
    if cache is None or cache["rows"] > len(logs) or (cache["rows"] and cache["last"] is not logs[cache["rows"] - 1]):
        cache = run.log_cache = {"rows": 0, "last": None, "columns": {}}
    new = logs[cache["rows"]:]
    if new:
        columns = cache["columns"]
        fresh = {key: np.array([row[key] for row in new], dtype=np.float64) for key in LOG_KEYS}
        fresh["clipped"] = np.array([row["clipped"] for row in new], dtype=bool)
        for name in new[0]["group_norms"]:
            fresh[f"group:{name}"] = np.array([row["group_norms"][name] for row in new], dtype=np.float64)
        for key, values in fresh.items():
            columns[key] = np.concatenate([columns[key], values]) if key in columns else values
        cache["rows"], cache["last"] = len(logs), logs[-1]
    if not cache["columns"]:
        empty = {key: np.zeros(0) for key in LOG_KEYS}
        empty["clipped"] = np.zeros(0, dtype=bool)
        return empty
    return cache["columns"]
