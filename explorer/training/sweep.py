"""The memory-length sweep: how well each cell learns a memory task as the sequence grows.

    point = train_point("adding", "lstm", 50, seed=0)     # one model, one length, one seed -> a Point
    artefact, weights = run_sweep()                         # every task, cell, length and seed (SweepSpec)
    save_sweep(artefact, weights); sweep = load_sweep()     # pretrained/memory_sweep.json, .weights.safetensors
    rescore(sweep, "adding", "lstm", 10)                    # seed 0's stored model on a fresh held-out slice

Every point trains a fresh model of about the same number of weights (`matched_hidden`) for the same number of
steps on the same batches (its seed), and is scored on held-out batches that no training run draws. Success is
the task's accuracy for recall, and 1 − MSE / baseline MSE for adding, where the baseline always answers the
mean sum 1.0 (MSE 1/6): 0 is the baseline, 1 is perfect, below 0 is worse than the baseline.

Rebuild with `python -m explorer.zoo sweep` (one torch thread; the artefact records how long it took).
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from explorer.engine.grads import bptt
from explorer.engine.models import RNNModel
from explorer.i18n import _
from explorer.tasks.adding import AddingTask
from explorer.tasks.base import Task
from explorer.tasks.recall import RecallTask
from explorer.training.build import build_model, config_for
from explorer.training.settings import TrainSettings
from explorer.training.train import EVAL_SEED, evaluate, start, train_steps

ROOT = Path(__file__).resolve().parents[2] / "pretrained"
SWEEP_JSON = ROOT / "memory_sweep.json"
# not memory_sweep.safetensors: a NAME.json beside a NAME.safetensors is a zoo model (explorer.zoo.store)
SWEEP_WEIGHTS = ROOT / "memory_sweep.weights.safetensors"
FORMAT = 1
CELLS = ("rnn", "jordan", "gru", "lstm", "mingru", "minlstm")
TASKS = ("adding", "recall")
# The min cells stack two layers, as Feng et al. (2024) do: one layer's gates read x_t alone, so it cannot
# tell where in the sequence a symbol came; a second layer reads the first one's states.
LAYERS = {"mingru": 2, "minlstm": 2}
RESCORE_SEED = EVAL_SEED - 1  # a held-out slice the artefact was not scored on
SWEEP_TASKS = {"adding": AddingTask, "recall": RecallTask}  # each with its default settings


@functools.lru_cache(maxsize=None)
def get_task(name: str) -> Task:
    """A sweep task with its default settings, built once per process (tasks are read-only)."""
    if name not in SWEEP_TASKS:
        raise ValueError(_("The memory sweep's tasks are {tasks}; got {value!r}.").format(
            tasks=", ".join(SWEEP_TASKS), value=name))
    return SWEEP_TASKS[name]()


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep trains; every field goes into the artefact so a reader knows the budget behind each point."""

    tasks: tuple[str, ...] = TASKS
    cells: tuple[str, ...] = CELLS
    lengths: tuple[int, ...] = (10, 20, 50, 100, 200)  # the classic range: a plain RNN's reach ends inside it
    seeds: tuple[int, ...] = (0, 1, 2)  # the fewest that draw a band
    parameters: int = 2000  # weights per model, all cells: an LSTM of hidden size ~20 on these tasks
    steps: int = 400  # the same budget for every point: what one thread affords for 180 runs in well under 45 minutes
    batch_size: int = 32
    lr: float = 1e-2  # Adam with clipping; high enough that a cell that can learn a point does so within the budget
    clip_norm: float = 1.0
    eval_batches: int = 4
    eval_batch_size: int = 128  # 512 held-out sequences per point: a standard error near 2 % on an accuracy
    gradient_sequences: int = 16  # held-out sequences whose ‖dL/dh_t‖ is averaged for the gradient view

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "SweepSpec":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})


@dataclass
class Point:
    """One trained model's result: success on held-out batches, the raw metric, and what it cost."""

    task: str
    cell: str
    length: int
    seed: int
    success: float
    metric: float  # the task's own metric: accuracy (recall) or MSE (adding)
    seconds: float
    model: RNNModel | None = field(default=None, repr=False)


# ----------------------------------------------------------------------------------------------
# models and success


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def layers_for(cell: str) -> int:
    return LAYERS.get(cell, 1)


def matched_hidden(task: Task, cell: str, parameters: int) -> int:
    """The hidden size whose model has the weight count closest to `parameters`."""
    def count(hidden: int) -> int:
        config = config_for(task, cell=cell, hidden_size=hidden, num_layers=layers_for(cell), embedding_size=8)
        return parameter_count(RNNModel(config, task.vocab))

    low, high = 1, 1024
    while low < high:  # the count grows with the hidden size: the first size at or above the target
        mid = (low + high) // 2
        low, high = (mid + 1, high) if count(mid) < parameters else (low, mid)
    return min((low - 1, low), key=lambda h: abs(count(h) - parameters)) if low > 1 else low


def build_point_model(task: Task, cell: str, hidden: int, seed: int) -> RNNModel:
    # Embeddings of 8 keep a token task's parameters in its recurrent core, where the cells differ.
    return build_model(config_for(task, cell=cell, hidden_size=hidden, num_layers=layers_for(cell), embedding_size=8),
                       task.vocab, seed=seed)


def success(task: Task, metric: float) -> float:
    """Accuracy as it is; MSE as 1 − MSE / baseline MSE (0 the baseline, 1 perfect)."""
    if task.higher_is_better:
        return metric
    baseline, _words = task.baseline()
    return 1.0 - metric / baseline


def score(model: RNNModel, task: Task, length: int, spec: SweepSpec, seed: int = EVAL_SEED) -> tuple[float, float]:
    """(success, metric) on the spec's held-out batches drawn with `seed`."""
    result = evaluate(model, task, split="test", batches=spec.eval_batches, batch_size=spec.eval_batch_size,
                      seq_len=length, seed=seed)
    return success(task, result["metric"]), result["metric"]


def train_point(task_name: str, cell: str, length: int, seed: int, spec: SweepSpec | None = None,
                progress: Callable[[float], None] | None = None) -> Point:
    """Train one model of the sweep and score it; `progress(fraction)` is called as the steps go."""
    spec = spec or SweepSpec()
    task = get_task(task_name)
    hidden = matched_hidden(task, cell, spec.parameters)
    model = build_point_model(task, cell, hidden, seed)
    settings = TrainSettings(lr=spec.lr, batch_size=spec.batch_size, seq_len=length, clip=True,
                             clip_norm=spec.clip_norm, seed=seed)
    state = start(task, model, settings)
    started = time.perf_counter()
    chunk = max(1, spec.steps // 20)
    while state.step < spec.steps and not state.diverged:
        train_steps(state, min(chunk, spec.steps - state.step))
        if progress is not None:
            progress(state.step / spec.steps)
    seconds = time.perf_counter() - started
    model.eval()
    value, metric = score(model, task, length, spec)
    return Point(task=task_name, cell=cell, length=length, seed=seed, success=value, metric=metric,
                 seconds=round(seconds, 2), model=model)


# ----------------------------------------------------------------------------------------------
# the gradient view


def gradient_profile(model: RNNModel, task: Task, length: int, sequences: int) -> list[float]:
    """Mean ‖dL/dh_t‖ over `sequences` held-out sequences, indexed by distance from the last step (0 first),
    at the first layer: the one that reads the input, where what is to be remembered is written."""
    batch = task.batch("test", sequences, length, torch.Generator().manual_seed(EVAL_SEED))
    norms = []
    for i in range(sequences):
        if task.head == "last_step":
            grads = bptt(model, batch.x[i], targets=batch.y[i])  # MSE at the end
        else:
            scored = batch.mask[i]
            targets = batch.y[i][scored]

            def loss_fn(out, scored=scored, targets=targets):  # cross-entropy on the answer steps only
                return F.cross_entropy(out[scored], targets)

            grads = bptt(model, batch.x[i], loss_fn)
        norms.append(grads.grad_norm_per_step[0, 0])  # (T,)
    return [float(v) for v in np.mean(norms, axis=0)[::-1]]


# ----------------------------------------------------------------------------------------------
# the whole sweep


def significant(values, digits: int = 5) -> list[float]:
    """Numbers kept to `digits` significant digits: a vanishing gradient spans dozens of decades, which a
    fixed number of decimals would round to 0."""
    return [float(f"{v:.{digits}g}") for v in values]


def run_sweep(spec: SweepSpec | None = None, log: Callable[[str], None] = print) -> tuple[dict, dict]:
    """Train every point of `spec`. Returns (artefact, weights): the JSON-ready artefact and seed 0's
    weights for every point, keyed "{task}/{cell}/{length}/{name}"."""
    spec = spec or SweepSpec()
    torch.set_num_threads(1)
    started, cpu_started = time.perf_counter(), time.process_time()
    artefact = {"format": FORMAT, "spec": spec.to_dict(), "build_command": "python -m explorer.zoo sweep",
                "threads": 1, "torch": torch.__version__, "machine": platform.machine(), "tasks": {}}
    weights: dict[str, torch.Tensor] = {}
    longest = max(spec.lengths)
    for task_name in spec.tasks:
        task = get_task(task_name)
        baseline, _words = task.baseline()
        entry = {"metric": task.metric_name, "baseline": baseline, "baseline_success": success(task, baseline),
                 "cells": {}, "gradients": {}}
        for cell in spec.cells:
            hidden = matched_hidden(task, cell, spec.parameters)
            curve = {"hidden_size": hidden, "num_layers": layers_for(cell), "success": [], "metric": [],
                     "seconds": []}
            for length in spec.lengths:
                row_success, row_metric, row_seconds = [], [], []
                for seed in spec.seeds:
                    point = train_point(task_name, cell, length, seed, spec)
                    row_success.append(round(point.success, 5))
                    row_metric.append(round(point.metric, 6))
                    row_seconds.append(point.seconds)
                    if seed == spec.seeds[0]:
                        for name, tensor in point.model.state_dict().items():
                            weights[f"{task_name}/{cell}/{length}/{name}"] = tensor.detach().clone().contiguous()
                        if length == longest:
                            entry["gradients"][cell] = significant(gradient_profile(
                                point.model, task, length, spec.gradient_sequences))
                    log(f"{task_name:7s} {cell:8s} T={length:4d} seed {seed}: success {point.success:.3f} "
                        f"({point.seconds:.1f} s, {time.perf_counter() - started:.0f} s so far)")
                curve["success"].append(row_success)
                curve["metric"].append(row_metric)
                curve["seconds"].append(row_seconds)
            curve["parameters"] = parameter_count(build_point_model(task, cell, hidden, 0))
            entry["cells"][cell] = curve
        artefact["tasks"][task_name] = entry
    artefact["build_seconds"] = round(time.perf_counter() - started, 1)  # wall clock, on a machine maybe shared
    artefact["cpu_seconds"] = round(time.process_time() - cpu_started, 1)  # the one thread's own time
    artefact["built"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    return artefact, weights


def save_sweep(artefact: dict, weights: dict, json_path: Path = SWEEP_JSON, weights_path: Path = SWEEP_WEIGHTS):
    json_path.write_text(json.dumps(artefact, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    save_file(weights, str(weights_path))


# ----------------------------------------------------------------------------------------------
# reading it back


@dataclass(frozen=True)
class Sweep:
    """The artefact, checked: `curve(task, cell)` gives lengths and the per-seed success rows."""

    spec: SweepSpec
    data: dict

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.data["tasks"])

    def cells(self, task: str) -> tuple[str, ...]:
        return tuple(self.data["tasks"][task]["cells"])

    def curve(self, task: str, cell: str) -> np.ndarray:
        """(lengths, seeds) success."""
        return np.asarray(self.data["tasks"][task]["cells"][cell]["success"], dtype=float)

    def gradients(self, task: str) -> dict[str, list[float]]:
        return self.data["tasks"][task]["gradients"]

    def baseline_success(self, task: str) -> float:
        return self.data["tasks"][task]["baseline_success"]

    def info(self, task: str, cell: str) -> dict:
        return self.data["tasks"][task]["cells"][cell]


def check_sweep(data: dict) -> Sweep:
    """The artefact as a Sweep, or ValueError with one sentence saying what is wrong with it."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(_("The memory sweep file is not in format {format}; rebuild it with "
                           "python -m explorer.zoo sweep.").format(format=FORMAT))
    spec = SweepSpec.from_dict(data["spec"])
    shape = (len(spec.lengths), len(spec.seeds))
    for task, entry in data["tasks"].items():
        for cell, curve in entry["cells"].items():
            values = np.asarray(curve["success"], dtype=float)
            if values.shape != shape or not np.isfinite(values).all():
                raise ValueError(_("The memory sweep's curve for {cell} on {task} is not {rows} lengths by {cols} "
                                   "finite seeds; rebuild it.").format(cell=cell, task=task, rows=shape[0],
                                                                      cols=shape[1]))
        for cell, profile in entry["gradients"].items():
            if len(profile) != max(spec.lengths) or not np.all(np.isfinite(profile)):
                raise ValueError(_("The memory sweep's gradient profile for {cell} on {task} does not cover "
                                   "{length} finite steps; rebuild it.").format(cell=cell, task=task,
                                                                               length=max(spec.lengths)))
    return Sweep(spec=spec, data=data)


def load_sweep(path: Path = SWEEP_JSON) -> Sweep:
    return check_sweep(json.loads(Path(path).read_text(encoding="utf-8")))


def stored_model(sweep: Sweep, task_name: str, cell: str, length: int, weights_path: Path = SWEEP_WEIGHTS) -> RNNModel:
    """Seed 0's trained model of one point, from the weights file, in eval mode."""
    task = get_task(task_name)
    info = sweep.info(task_name, cell)
    model = build_point_model(task, cell, info["hidden_size"], 0)
    prefix = f"{task_name}/{cell}/{length}/"
    tensors = {k[len(prefix):]: v for k, v in load_file(str(weights_path)).items() if k.startswith(prefix)}
    model.load_state_dict(tensors)
    return model.eval()


def rescore(sweep: Sweep, task_name: str, cell: str, length: int, seed: int = RESCORE_SEED,
            weights_path: Path = SWEEP_WEIGHTS) -> float:
    """Seed 0's stored model of one point, scored on a held-out slice drawn with `seed` (by default one the
    artefact was not scored on)."""
    model = stored_model(sweep, task_name, cell, length, weights_path)
    value, _metric = score(model, get_task(task_name), length, sweep.spec, seed=seed)
    return value


def standard_error(sweep: Sweep, task_name: str, value: float) -> float:
    """The sampling error of one held-out score: binomial for an accuracy over every scored answer, and for
    adding an estimate from the squared errors' spread (a Gaussian error's squared value has sd √2 · MSE)."""
    spec = sweep.spec
    task = get_task(task_name)
    sequences = spec.eval_batches * spec.eval_batch_size
    if task.higher_is_better:
        answers = sequences * getattr(task, "k", 1)
        return math.sqrt(max(value * (1 - value), 1.0 / answers) / answers)
    baseline = task.baseline()[0]
    mse = max((1 - value) * baseline, 1e-4)
    return math.sqrt(2) * mse / math.sqrt(sequences) / baseline
