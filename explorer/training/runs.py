"""What a playground is made of: its runs (one model each), their weight snapshots, a tick's report.

Plain objects that a page keeps in `st.session_state`; the functions that fill them are in
playground.py (build, tick), snapshots.py (snapshots, probe traces, saturation) and
chart_data.py (the logs as arrays).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from explorer import i18n
from explorer.engine.models import RNNModel
from explorer.engine.trace import Trace
from explorer.tasks.base import Batch, Task
from explorer.training.settings import PlaygroundSettings
from explorer.training.train import TrainState


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
    log_cache: dict | None = None  # the logs as numpy columns, see chart_data.log_arrays
    # (snapshot, quantity, figures) of the scrubber: kept here so that it goes with the run, filled by
    # the page (explorer.app.train_charts), which alone may build figures
    figure_cache: tuple | None = None

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
    # {language: task.baseline()}, each computed once (the brackets one draws 2000 strings): its sentence is
    # in words, and the page can switch language while the playground lives on
    baselines: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def step(self) -> int:
        return max(run.step for run in self.runs)

    @property
    def baseline(self) -> tuple[float, str]:
        """(value, the sentence saying what it is, in the current language): the task's baseline."""
        lang = i18n.current()
        if lang not in self.baselines:
            self.baselines[lang] = self.task.baseline()
        return self.baselines[lang]

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
