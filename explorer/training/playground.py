"""The Train live page's logic, without streamlit: a playground of one to three models trained side by side.

    settings = PlaygroundSettings(task="adding", cells=("rnn", "lstm"), seq_len=100)
    pg = build(settings)                      # ValueError with one sentence for settings that cannot work
    report = tick(pg)                         # settings.steps_per_tick steps for every model, then the extras
    pg.runs[1].probe.gates["f"]               # the forget gate on the fixed probe input, now
    snapshot_trace(pg.runs[1], 3)             # the same at the fourth snapshot (the scrubber)
    sample_output(pg)                         # generated text, or predictions against targets

Every model reads the same data stream: each run's `TrainState` draws its batches from its own
generator seeded with the same `settings.seed`, so step k of every model sees batch k. Every
model of a new playground also starts from the same initialisation seed (its weights differ only
as far as the cells do).

A playground is a plain object that a page keeps in `st.session_state`: nothing here is global
except a cache of the read-only tasks (text corpora take a fraction of a second to load). A
pretrained model is cloned with `clone_for_training` before anything trains, so the shared cached
model keeps its weights bit for bit.

Per tick, after the training steps: a snapshot of the weights every `snapshot_every` steps (taken
inside the chunk through train_steps' callback, so it lands exactly on the step), a trace of the
fixed probe input with the current weights, and the gate saturation of that trace. Snapshots are
bounded in number (MAX_SNAPSHOTS per model) and memory (SNAPSHOT_BYTES per playground): when full,
every other one is dropped (the first and the newest stay) and the interval doubles, so the
kept ones stay evenly spread over the whole run.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from explorer import tasks as task_registry
from explorer.engine.generate import sample
from explorer.engine.models import RNNModel
from explorer.tasks.base import Batch, Task
from explorer.engine.trace import SIGMOID_GATES, Trace, trace
from explorer.training.train import (
    TrainingDiverged,
    TrainSettings,
    TrainState,
    build_model,
    clone_for_training,
    config_for,
    evaluate,
    start,
    train_steps,
    update_settings,
)

CELL_TITLES = {"rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM", "jordan": "Jordan"}
MAX_MODELS = 3  # side by side on one screen; a fourth would halve every figure again
MAX_STEPS_PER_TICK = 500  # a tick should end within seconds so the page stays responsive
MAX_SNAPSHOTS = 50  # per model: enough for a smooth scrubber, a few MB for the models here
SNAPSHOT_BYTES = 48 * 2**20  # all snapshots of one playground (one session); fewer are kept for big models
MAX_HISTORY = 1000  # saturation points per model and quantity before thinning: more than a plot can show
PROBE_SEED = 2**31 - 7  # the probe batch: a fixed draw of the validation split, outside every training seed
PROBE_EXAMPLES = 16  # sequences the sample output is scored on; the first is the one traced
SAMPLE_LENGTH = 120  # characters generated per tick for a text task
SAMPLE_TEMPERATURE = 0.8  # a little below 1: fewer junk characters, still the model's own voice
# Only these TrainSettings fields may change while a run goes on (update_settings); the rest rebuild it.
LIVE_FIELDS = ("optimizer", "lr", "batch_size", "seq_len", "clip", "clip_norm")
MODEL_FIELDS = ("task", "cells", "hidden_size", "num_layers", "input_mode", "seed", "snapshot_every")


@dataclass(frozen=True)
class PlaygroundSettings:
    """What the page's widgets say. Checked by `build` (through ModelConfig and TrainSettings)."""

    task: str = "adding"  # the default shows the classic gap: the LSTM learns it, the SimpleRNN stays at baseline
    cells: tuple[str, ...] = ("rnn", "lstm")  # one to three cells, trained side by side on the same batches
    hidden_size: int = 64  # the size of the zoo's adding models
    num_layers: int = 1
    input_mode: str | None = None  # None: embedding for tokens, real values otherwise (config_for)
    optimizer: str = "adam"
    lr: float = 1e-2  # large for Adam; with clipping the LSTM leaves the adding plateau after ~750 steps (~45 s here)
    batch_size: int = 64
    seq_len: int | None = 100  # as the zoo's adding models: the SimpleRNN stays at baseline, the LSTM pulls away
    clip: bool = True
    clip_norm: float = 1.0
    seed: int = 0  # model initialisation and data stream, the same for every model
    steps_per_tick: int = 15  # one chunk: about half a second for the default pair on one core; drawing costs ~10% of it
    snapshot_every: int = 25  # steps between snapshots (doubles when the snapshots are thinned)

    def train_settings(self) -> TrainSettings:
        return TrainSettings(optimizer=self.optimizer, lr=self.lr, batch_size=self.batch_size, seq_len=self.seq_len,
                             clip=self.clip, clip_norm=self.clip_norm, seed=self.seed)

    def check(self) -> None:
        """Refuse what ModelConfig and TrainSettings do not check, with one sentence each."""
        if self.task not in task_registry.available():
            raise ValueError(f"Pick a task from {', '.join(task_registry.available())}; got {self.task!r}.")
        if not 1 <= len(self.cells) <= MAX_MODELS:
            raise ValueError(f"Pick one to {MAX_MODELS} cell types to train side by side; got {len(self.cells)}.")
        if len(set(self.cells)) != len(self.cells):
            raise ValueError("Pick each cell type once: models of the same cell, seed and data would be identical.")
        if not _whole(self.steps_per_tick) or not 1 <= self.steps_per_tick <= MAX_STEPS_PER_TICK:
            raise ValueError(f"Steps per tick must be a whole number from 1 to {MAX_STEPS_PER_TICK}; got {self.steps_per_tick!r}.")
        if not _whole(self.snapshot_every) or self.snapshot_every < 1:
            raise ValueError(f"The snapshot interval must be a whole number of steps, at least 1; got {self.snapshot_every!r}.")

    def needs_rebuild(self, other: PlaygroundSettings) -> bool:
        """Whether going from `other` to these settings needs new models (not just update_settings)."""
        return any(getattr(self, name) != getattr(other, name) for name in MODEL_FIELDS)


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclass
class Snapshot:
    """The weights at one step, for the scrubber; `loss` is that step's training loss."""

    step: int
    weights: dict[str, torch.Tensor]
    loss: float | None

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.weights.values())


@dataclass(eq=False)
class Run:
    """One model of the playground: its training run and what the page draws of it."""

    label: str  # "LSTM", or "english-lstm (fine-tuned)"
    state: TrainState
    scratch: RNNModel  # an eval copy the scrubber loads snapshot weights into
    snapshot_every: int
    snapshots: list[Snapshot] = field(default_factory=list)
    saturation: list[dict] = field(default_factory=list)  # rows {step, quantity, low, high}
    saturation_every: int = 1  # ticks between saturation rows (doubles when thinned)
    probe: Trace | None = None  # the probe input traced with the current weights
    scrub_cache: tuple[Snapshot, Trace] | None = None  # the last snapshot scrubbed to, and its trace
    log_cache: dict | None = None  # the logs as numpy columns, see log_arrays
    figure_cache: tuple | None = None  # (snapshot, quantity, figures) of the scrubber, see figures_train

    @property
    def cell(self) -> str:
        return self.state.model.config.cell

    @property
    def step(self) -> int:
        return self.state.step


@dataclass(eq=False)
class Playground:
    settings: PlaygroundSettings
    task: Task
    runs: list[Run]
    probe: Batch  # PROBE_EXAMPLES fixed validation sequences; the first is traced
    probe_labels: list[str]  # one label per step of the traced probe, for heatmap ticks and hover
    max_snapshots: int
    ticks: int = 0
    elapsed: float = 0.0  # seconds of work inside tick(), training and extras, summed: pauses do not count, nor
    # the time spent in on_step (a progress bar, or waiting while another user's page runs: see tick)
    last_tick_seconds: float = 0.0  # the same, for the last tick alone
    last_tick_steps: int = 0  # steps per model in the last tick
    pretrained: str | None = None  # the zoo model the single run started from
    baseline: tuple[float, str] = (math.nan, "")  # task.baseline(), once (the brackets one draws 2000 strings)

    @property
    def step(self) -> int:
        return max(run.step for run in self.runs)

    @property
    def steps_per_second(self) -> float:
        """Steps per model per second of work over the last tick, extras included (the time in on_step is not)."""
        return self.last_tick_steps / self.last_tick_seconds if self.last_tick_seconds > 0 else 0.0

    @property
    def diverged(self) -> list[Run]:
        return [run for run in self.runs if run.state.diverged]


@dataclass
class TickReport:
    steps: dict[str, int]  # steps applied per run label
    seconds: float
    diverged: list[str]  # stopped_reason of each run that diverged in this tick, with its label


# ----------------------------------------------------------------------------------------------
# building


@functools.lru_cache(maxsize=16)
def _task(name: str, config: tuple) -> Task:
    return task_registry.get(name, **dict(config))  # read-only: shared by every run that trains on it


def get_task(name: str, config: dict | None = None) -> Task:
    """A task from the registry, built once per process (tasks are read-only)."""
    return _task(name, tuple(sorted((config or {}).items())))


def check_settings(settings: PlaygroundSettings, pretrained: RNNModel | None = None) -> None:
    """Everything `build` would refuse, without building a model (cheap enough for every rerun)."""
    settings.check()
    if pretrained is not None:
        meta = getattr(pretrained, "meta", {}) or {}
        settings.train_settings().for_task(get_task(meta.get("task", settings.task), meta.get("task_config")))
        return
    task = get_task(settings.task)
    for cell in settings.cells:
        config_for(task, cell=cell, hidden_size=settings.hidden_size, num_layers=settings.num_layers,
                   input_mode=settings.input_mode)
    settings.train_settings().for_task(task)


def build(settings: PlaygroundSettings, pretrained: RNNModel | None = None) -> Playground:
    """New models (one per cell, same initialisation seed) or, from `pretrained`, one clone of it.

    Every bad setting raises ValueError with one sentence (ModelConfig's, TrainSettings' or ours).
    A pretrained model is never trained: its clone is (`clone_for_training`), and the task comes
    from its metadata (task and task_config), so a zoo model trains on the data it was built on.
    """
    settings.check()
    train_settings = settings.train_settings()
    if pretrained is not None:
        meta = getattr(pretrained, "meta", {}) or {}
        task = get_task(meta.get("task", settings.task), meta.get("task_config"))
        models = [(f"{meta.get('name', 'pretrained')} (fine-tuned)", clone_for_training(pretrained))]
    else:
        task = get_task(settings.task)
        models = []
        for cell in settings.cells:
            config = config_for(task, cell=cell, hidden_size=settings.hidden_size, num_layers=settings.num_layers,
                                input_mode=settings.input_mode)
            models.append((CELL_TITLES.get(cell, cell), build_model(config, task.vocab, seed=settings.seed)))
    train_settings = train_settings.for_task(task)  # the sequence-length sentence, before any work
    runs = []
    for label, model in models:
        state = start(task, model, train_settings)
        scratch = copy.deepcopy(model).eval().requires_grad_(False)
        runs.append(Run(label=label, state=state, scratch=scratch, snapshot_every=settings.snapshot_every))
    probe = task.batch("val", PROBE_EXAMPLES, train_settings.seq_len, torch.Generator().manual_seed(PROBE_SEED))
    per_snapshot = max(1, sum(_state_bytes(run.state.model) for run in runs))
    max_snapshots = int(max(4, min(MAX_SNAPSHOTS, SNAPSHOT_BYTES // per_snapshot)))
    pg = Playground(settings=settings, task=task, runs=runs, probe=probe, probe_labels=probe_labels(task, probe),
                    max_snapshots=max_snapshots, baseline=task.baseline(),
                    pretrained=(pretrained.meta or {}).get("name") if pretrained is not None else None)
    for run in runs:
        _add_snapshot(pg, run, None)
        refresh_probe(pg, run)
    return pg


def _state_bytes(model: RNNModel) -> int:
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


def probe_labels(task: Task, batch: Batch, index: int = 0) -> list[str]:
    """What the traced probe reads at each step, as short labels: characters, or values."""
    x = batch.x[index]
    if task.vocab is not None and not x.is_floating_point():
        return [task.vocab.itos[i] for i in x.tolist()]
    values = x.reshape(x.shape[0], -1).tolist()  # (T, I)
    if task.name == "adding":  # channel 1 marks the two numbers to add
        return [f"{v:.2f}{' ◆' if m else ''}" for v, m in values]
    return [",".join(f"{v:.2f}" for v in row) for row in values]


# ----------------------------------------------------------------------------------------------
# the tick


def apply_settings(pg: Playground, settings: PlaygroundSettings, resume: bool = False) -> list[str]:
    """Hand new live settings (learning rate, clipping, batch, length, optimizer, steps per tick)
    to the runs, without losing anything. A diverged run goes on from its restored snapshot only
    when `resume` (the user pressed Play or Step). Returns the labels of the runs that changed.
    Raises ValueError with TrainSettings' sentence on a bad value (nothing is changed then)."""
    if settings.needs_rebuild(pg.settings):
        raise ValueError("These settings need new models; press Reset to build them.")
    settings.check()
    wanted = settings.train_settings()
    changed = []
    # check everything first, so a bad value changes no run
    new = {id(run): dataclasses.replace(run.state.settings, **{f: getattr(wanted, f) for f in LIVE_FIELDS}).for_task(pg.task)
           for run in pg.runs}
    for run in pg.runs:
        target = new[id(run)]
        if target != run.state.settings or (resume and run.state.diverged):
            update_settings(run.state, **{f: getattr(target, f) for f in LIVE_FIELDS})
            changed.append(run.label)
    pg.settings = settings
    return changed


def tick(pg: Playground, steps: int | None = None, on_step: Callable[[int, int], None] | None = None) -> TickReport:
    """One chunk: `steps` (default settings.steps_per_tick) training steps for every model that has
    not diverged (a model behind the others trains up to `steps` more to catch up), snapshots every
    K steps, then the probe traces. `on_step(done, total)` is called after every step (a progress
    bar). A model that diverges stops; the others finish the chunk.

    The time spent in on_step is not work: the report's `seconds` count it, but pg.elapsed and the
    rate (pg.steps_per_second) do not. The Train page gives way there while another user's page runs,
    and a rate measured with those waits in it was a fraction of the real one: turns.slice_steps then
    cut that session to one-step chunks for as long as others waited, while a session that measured
    its rate before the typing began kept full turns."""
    steps = pg.settings.steps_per_tick if steps is None else steps
    began = time.perf_counter()
    report = TickReport(steps={}, seconds=0.0, diverged=[])
    live = [run for run in pg.runs if not run.state.diverged]
    # A run behind the others (restored after a divergence, or a chunk cut short when the page
    # reran mid-chunk) catches up by at most one extra chunk per tick, so the models compare at
    # the same step again soon without one tick blocking the page for long.
    lead = max((run.step for run in live), default=0)
    planned = {id(run): steps + min(lead - run.step, steps) for run in live}
    total, done, aside = sum(planned.values()), 0, 0.0

    for run in sorted(live, key=lambda r: r.step):  # the one behind first: a chunk cut short never starves a model
        def callback(row, run=run):
            nonlocal done, aside
            done += 1
            if row["step"] % run.snapshot_every == 0:
                _add_snapshot(pg, run, row["loss"])
            if on_step is not None:
                called = time.perf_counter()
                on_step(done, total)
                aside += time.perf_counter() - called

        before = run.step
        try:
            train_steps(run.state, planned[id(run)], callback)
        except TrainingDiverged:  # diverged in an earlier tick and nobody said how to go on
            pass
        if run.state.diverged:
            run.snapshots = [s for s in run.snapshots if s.step <= run.step]  # those after the restore are undone
            report.diverged.append(f"{run.label}: {run.state.stopped_reason}")
        report.steps[run.label] = run.step - before
        refresh_probe(pg, run)
        _record_saturation(pg, run)

    pg.ticks += 1
    report.seconds = time.perf_counter() - began
    work = max(report.seconds - aside, 0.0)
    pg.elapsed += work
    pg.last_tick_seconds = work
    pg.last_tick_steps = max(report.steps.values(), default=0)
    return report


def _add_snapshot(pg: Playground, run: Run, loss: float | None) -> None:
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
# what the page draws


def probe_input(pg: Playground, index: int = 0) -> torch.Tensor:
    return pg.probe.x[index]  # (T,) ids or (T, I) values


def refresh_probe(pg: Playground, run: Run) -> Trace:
    """Trace the probe input with the run's current weights (no gradients, weights untouched)."""
    run.probe = trace(run.state.model, probe_input(pg))
    return run.probe


def snapshot_trace(pg: Playground, run: Run, index: int) -> Trace:
    """The probe traced with the weights of snapshot `index`, through the run's scratch copy."""
    snap = run.snapshots[index]
    if run.scrub_cache is not None and run.scrub_cache[0] is snap:  # the object: a step can be retrained
        return run.scrub_cache[1]
    run.scratch.load_state_dict(snap.weights)
    result = trace(run.scratch, probe_input(pg))
    run.scrub_cache = (snap, result)
    return result


def saturation(tr: Trace, low: float = 0.1, high: float = 0.9) -> dict[str, tuple[float, float]]:
    """{quantity: (fraction < low, fraction > high)} over every layer, step and unit: the sigmoid
    gates, and the hidden state of a tanh cell as |h| (saturated near ±1, idle near 0)."""
    found = {name: (float((v < low).mean()), float((v > high).mean()))
             for name, v in tr.gates.items() if name in SIGMOID_GATES}
    if tr.cell_type in ("lstm", "gru", "rnn_tanh"):
        magnitude = np.abs(tr.hidden)
        found["|h|"] = (float((magnitude < low).mean()), float((magnitude > high).mean()))
    return found


def _record_saturation(pg: Playground, run: Run) -> None:
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


def is_text_task(task: Task) -> bool:
    """A character language model: it predicts its own next input, so it can write text."""
    return (task.vocab is not None and task.head == "per_step"
            and tuple(task.output_labels or ()) == tuple(task.vocab.itos))


def sample_output(pg: Playground, examples: int = 4) -> dict:
    """What the models make of their task now.

    Text tasks: {"kind": "text", "prompt", "samples": {label: generated text}} (seeded, so the text
    changes only as the weights do). Others: {"kind": "table", "rows": [...]} with, per probe
    example, its input and target (task.describe) and each model's prediction; and for real
    outputs "scatter": {label: (targets, predictions)} over all PROBE_EXAMPLES probe sequences.
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
            out, _ = run.state.model(pg.probe.x)  # (B, O) last step or (B, T, O) per step
            outputs[run.label] = out
    rows = []
    for i in range(min(examples, pg.probe.x.shape[0])):
        described = task.describe(pg.probe, i)
        row = {"example": i, "input": _input_text(task, described), "target": _target_text(task, described.get("target"))}
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
    return text + (f", … ({len(values)} in all)" if len(values) > limit else "")


def _input_text(task: Task, described: dict) -> str:
    if "sentence" in described:
        return described["sentence"]
    if "marked steps" in described:  # the adding problem: only the marked values matter
        values = described["values"]
        return "marked: " + " + ".join(f"{values[s]} (step {s})" for s in described["marked steps"])
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
    return f"{_target_text(task, guesses)} ({correct:.0%} right)"


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


# ----------------------------------------------------------------------------------------------
# keeping the result


def finished_model(pg: Playground, run: Run) -> tuple[str, RNNModel]:
    """(display name, an eval-mode copy of the run's model carrying zoo-style metadata), to keep
    in the session (other pages open it) and to download (explorer.zoo.to_bytes)."""
    model = copy.deepcopy(run.state.model).eval().requires_grad_(False)
    task = pg.task
    name = f"{run.label} · {task.name} · step {run.step}"
    scores = evaluate(model, task, batch_size=32, seq_len=run.state.settings.seq_len)
    baseline, sentence = pg.baseline
    model.meta = {
        "name": name,
        "title": f"{run.label} trained live on {task.name} for {run.step} steps",
        "task": task.name,
        "task_config": task.config(),
        "task_title": task.title,
        "cell": model.config.cell,
        "steps": run.step,
        "seed": run.state.settings.seed,
        "settings": dataclasses.asdict(run.state.settings),
        "started_from": pg.pretrained,
        "parameters": model.num_parameters(),
        "trained_live": True,
        "metrics": {"val": {"split": "val", "metric": task.metric_name, "value": scores["metric"], "loss": scores["loss"],
                            "seq_len": run.state.settings.seq_len,
                            "baseline": {"value": baseline, "description": sentence}}},
    }
    if not all(math.isfinite(float(v)) for v in (scores["metric"], scores["loss"])):
        model.meta["metrics"]["val"]["note"] = "not finite"
    return name, model
