"""The Train live page's logic, without streamlit: a playground of one to three models trained side by side.

    settings = PlaygroundSettings(task="adding", cells=("rnn", "lstm"), seq_len=100)
    check_settings(settings)                  # everything build() would refuse, the budget too, without building
    pg = build(settings, owner=session_id)    # ValueError with one sentence for settings that cannot work
    report = tick(pg)                         # settings.steps_per_tick steps for every model, then the extras
    pg.runs[1].probe.gates["f"]               # the forget gate on the fixed probe input, now
    snapshot_trace(pg, pg.runs[1], 3)         # the same at the fourth snapshot (the scrubber)
    sample_output(pg)                         # generated text, or predictions against targets
    chart_data(pg)                            # what the charts draw, as arrays (explorer.figures.train)

Every model reads the same data stream: each run's `TrainState` draws its batches from its own
generator seeded with the same `settings.seed`, so step k of every model sees batch k. Every
model of a new playground also starts from the same initialisation seed (its weights differ only
as far as the cells do).

A playground is a plain object that a page keeps in `st.session_state`: nothing here is global
except a cache of the read-only tasks (settings.get_task). A pretrained model is cloned with
`clone_for_training` before anything trains, so the shared cached model keeps its weights bit for bit.

Per tick, after the training steps: a snapshot of the weights every `snapshot_every` steps, a
trace of the fixed probe input with the current weights, and the gate saturation of that trace
(snapshots.py). This file builds, ticks and keeps; it also names the few things a page needs
from the others, so `from explorer.training import playground as play` is the one import.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable

from explorer import i18n
from explorer.engine.models import RNNModel
from explorer.i18n import _
from explorer.training import budget
from explorer.training.build import build_model, clone_for_training, config_for
from explorer.training.chart_data import ChartData, chart_data, log_arrays
from explorer.training.runs import Playground, Run, Snapshot, TickReport
from explorer.training.samples import SAMPLE_LENGTH, SAMPLE_TEMPERATURE, sample_output
from explorer.training.settings import (
    CELL_TITLES,
    LIVE_FIELDS,
    MAX_MODELS,
    MODEL_FIELDS,
    PlaygroundSettings,
    get_task,
    pretrained_task,
)
from explorer.training.snapshots import (
    add_snapshot,
    max_snapshots,
    probe_batch,
    probe_labels,
    record_saturation,
    refresh_probe,
    snapshot_trace,
    thin,
)
from explorer.training.train import TrainingDiverged, evaluate, start, train_steps, update_settings

__all__ = [
    "CELL_TITLES", "MAX_MODELS", "MODEL_FIELDS", "SAMPLE_LENGTH", "SAMPLE_TEMPERATURE",
    "ChartData", "Playground", "PlaygroundSettings", "Run", "Snapshot", "TickReport",
    "apply_settings", "build", "chart_data", "check_settings", "finished_model", "get_task", "log_arrays",
    "sample_output", "snapshot_trace", "thin", "tick",
]


def check_settings(settings: PlaygroundSettings, pretrained: RNNModel | None = None) -> None:
    """Everything `playground.build` would refuse, without building a model (cheap enough for every rerun),
    the session's budget included (the server's depends on the other sessions: `build` checks it)."""
    settings.check()
    if pretrained is not None:
        task = pretrained_task(settings, pretrained)
        settings.train_settings().for_task(task)
    else:
        task = get_task(settings.task)
        for cell in settings.cells:
            config_for(task, cell=cell, hidden_size=settings.hidden_size, num_layers=settings.num_layers,
                       input_mode=settings.input_mode)
        settings.train_settings().for_task(task)
    budget.check_session(settings, task, pretrained)


def build(settings: PlaygroundSettings, pretrained: RNNModel | None = None, owner: object = None) -> Playground:
    """New models (one per cell, same initialisation seed) or, from `pretrained`, one clone of it.

    Every bad setting raises ValueError with one sentence (ModelConfig's, TrainSettings' or ours),
    settings over the session's budget too, before anything is allocated (explorer.training.budget).
    With an `owner` (one per session), the server's budget is checked as well and the playground's
    estimate held for that owner until the playground is collected or the owner builds again.
    A pretrained model is never trained: its clone is (`clone_for_training`), and the task comes
    from its metadata (task and task_config), so a zoo model trains on the data it was built on.
    """
    check_settings(settings, pretrained)  # every sentence, the session's budget included, before any work
    train_settings = settings.train_settings()
    if pretrained is not None:
        task = pretrained_task(settings, pretrained)
    else:
        task = get_task(settings.task)
    if owner is not None:
        budget.SERVER.check(owner, settings, task, pretrained)
    if pretrained is not None:
        meta = getattr(pretrained, "meta", {}) or {}
        models = [(f"{meta.get('name', 'pretrained')} (fine-tuned)", clone_for_training(pretrained))]
    else:
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
    probe = probe_batch(task, train_settings.seq_len)
    pg = Playground(settings=settings, task=task, runs=runs, probe=probe, probe_labels=probe_labels(task, probe),
                    max_snapshots=max_snapshots([run.state.model for run in runs]),
                    pretrained=(pretrained.meta or {}).get("name") if pretrained is not None else None)
    for run in runs:
        add_snapshot(pg, run, None)
        refresh_probe(pg, run)
    if owner is not None:
        budget.SERVER.reserve(owner, settings, task, pg, pretrained)
    return pg


def apply_settings(pg: Playground, settings: PlaygroundSettings, resume: bool = False) -> list[str]:
    """Hand new live settings (learning rate, clipping, batch, length, optimizer, steps per tick)
    to the runs, without losing anything. A diverged run goes on from its restored snapshot only
    when `resume` (the user pressed Play or Step). Returns the labels of the runs that changed.
    Raises ValueError with TrainSettings' sentence on a bad value (nothing is changed then)."""
    if settings.needs_rebuild(pg.settings):
        raise ValueError(_("These settings need new models; press Reset to build them."))
    settings.check()
    wanted = settings.train_settings()
    changed = []
    # check everything first, so a bad value changes no run
    new = {id(run): dataclasses.replace(run.state.settings,
                                        **{f: getattr(wanted, f) for f in LIVE_FIELDS}).for_task(pg.task)
           for run in pg.runs}
    # a larger batch or a longer sequence costs more per chunk: the same budgets as a build
    pretrained = pg.runs[0].state.model if pg.pretrained is not None else None
    budget.check_session(settings, pg.task, pretrained)
    owner = budget.SERVER.owner_of(pg)
    if owner is not None and settings.train_settings() != pg.settings.train_settings():
        budget.SERVER.reserve(owner, settings, pg.task, pg, pretrained)
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
    rate (pg.steps_per_second) do not. The Train page gives way there while another user's page
    runs, and a rate with those waits in it would make turns.slice_steps cut this session to
    one-step chunks for as long as others waited."""
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
                add_snapshot(pg, run, row["loss"])
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
        record_saturation(pg, run)

    pg.ticks += 1
    report.seconds = time.perf_counter() - began
    work = max(report.seconds - aside, 0.0)
    pg.elapsed += work
    pg.last_tick_seconds = work
    pg.last_tick_steps = max(report.steps.values(), default=0)
    return report


def finished_model(pg: Playground, run: Run) -> tuple[str, RNNModel]:
    """(display name, an eval-mode copy of the run's model carrying zoo-style metadata), to keep
    in the session (other pages open it) and to download (explorer.zoo.to_bytes)."""
    model = copy.deepcopy(run.state.model).eval().requires_grad_(False)
    task = pg.task
    name = f"{run.label} · {task.name} · step {run.step}"
    scores = evaluate(model, task, batch_size=32, seq_len=run.state.settings.seq_len)
    with i18n.use(i18n.SOURCE_LANGUAGE):  # metadata is data, in English like the zoo's, whatever the page's language
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
        "metrics": {"val": {"split": "val", "metric": task.metric_name, "value": scores["metric"],
                            "loss": scores["loss"],
                            "seq_len": run.state.settings.seq_len,
                            "baseline": {"value": baseline, "description": sentence}}},
    }
    if not all(math.isfinite(float(v)) for v in (scores["metric"], scores["loss"])):
        model.meta["metrics"]["val"]["note"] = "not finite"
    return name, model
