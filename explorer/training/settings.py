"""How to train, and the checks that refuse what cannot work, each with one sentence.

    TrainSettings(lr=3e-3, clip=True)                      # one run of the trainer (explorer.training.train)
    PlaygroundSettings(task="adding", cells=("rnn", "lstm"))  # what the Train page's widgets say

Every bad value raises ValueError with a sentence the page can show as it is, in the current language.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from dataclasses import dataclass

from explorer import tasks as task_registry
from explorer.engine.models import RNNModel
from explorer.i18n import _
from explorer.tasks.base import Task

OPTIMIZERS = ("adam", "sgd")
MAX_BATCH_SIZE = 1024  # a UI limit: each step already costs ~30x the default batch of 32
# Learning rates outside this range teach nothing: below it no weight moves within a session; above it
# every optimizer here throws the weights away within a few steps (which the Train page lets a student see)
MIN_LR, MAX_LR = 1e-6, 100.0
MAX_SEED = 2**31 - 1  # torch's CPU generator keeps only the low 32 bits of a seed; this keeps seeds distinct

CELL_TITLES = {"rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM", "jordan": "Jordan",
               "mingru": "minGRU", "minlstm": "minLSTM"}  # Feng et al. (2024)'s spelling
MAX_MODELS = 3  # side by side on one screen; a fourth would halve every figure again
MAX_STEPS_PER_TICK = 500  # a tick should end within seconds so the page stays responsive
# Only these TrainSettings fields may change while a run goes on (update_settings); the rest rebuild it.
LIVE_FIELDS = ("optimizer", "lr", "batch_size", "seq_len", "clip", "clip_norm")
MODEL_FIELDS = ("task", "cells", "hidden_size", "num_layers", "input_mode", "seed", "snapshot_every")


def is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number(value) -> str:
    """A number as a sentence quotes it: 1e+300, inf, 0.003 (repr of anything else)."""
    return f"{float(value):g}" if is_real(value) else repr(value)


def is_whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)  # numpy integers count


@dataclass(frozen=True)
class TrainSettings:
    """How to train. Every bad value raises ValueError with one sentence the page can show."""

    # Adam scales each weight's step by its own gradient history, so one lr suits every cell and task here
    optimizer: str = "adam"
    lr: float = 3e-3  # nets this small take a larger Adam step than the textbook 1e-3, and clipping guards the rest
    batch_size: int = 32  # enough sequences for a steady gradient, small enough for several steps per second on 2 cores
    seq_len: int | None = None  # None: the task's default_seq_len, filled in by `start`
    clip: bool = True  # RNN gradients can explode through time (Pascanu et al. 2013); turn it off to watch that happen
    clip_norm: float = 1.0  # the usual char-RNN choice: only the rare exploding step is scaled down
    seed: int = 0  # seeds the training batches; seed the model's init with build_model(..., seed)
    # True: read the training text in batch_size streams, each batch going on where the last stopped, and start
    # each step from the state the last one ended in (detached: truncated BPTT, as char-rnn trains). A window
    # then never starts from a zero state in the middle of a bracket or a string; text tasks only
    carry_state: bool = False

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(_("The optimizer must be one of {options}; got {value!r}.").format(
                options=", ".join(OPTIMIZERS), value=self.optimizer))
        if not is_real(self.lr) or not MIN_LR <= self.lr <= MAX_LR:  # nan and ±inf fail the comparison too
            raise ValueError(_("The learning rate must be a number from {low} to {high}, such as 0.003; "
                               "got {value}.").format(low=_number(MIN_LR), high=_number(MAX_LR),
                                                      value=_number(self.lr)))
        if not is_whole(self.batch_size) or not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(_("The batch size must be a whole number from 1 to {most}; got {value!r}.").format(
                most=MAX_BATCH_SIZE, value=self.batch_size))
        if self.seq_len is not None and (not is_whole(self.seq_len) or self.seq_len < 1):
            raise ValueError(_("The sequence length must be a whole number of at least 1; got {value!r}.").format(
                value=self.seq_len))
        if not isinstance(self.clip, bool):
            raise ValueError(_("clip must be True or False; got {value!r}.").format(value=self.clip))
        if not isinstance(self.carry_state, bool):
            raise ValueError(_("carry_state must be True or False; got {value!r}.").format(value=self.carry_state))
        if not is_real(self.clip_norm) or not math.isfinite(self.clip_norm) or self.clip_norm <= 0:
            raise ValueError(_("The clipping norm must be a finite number greater than 0, such as 1.0; "
                               "got {value!r}.").format(value=self.clip_norm))
        if not is_whole(self.seed) or not 0 <= self.seed <= MAX_SEED:
            raise ValueError(_("The seed must be a whole number from 0 to {most}; got {value!r}.").format(
                most=MAX_SEED, value=self.seed))
        # plain Python numbers from here on (sliders hand over numpy scalars)
        for name, kind in (("lr", float), ("batch_size", int), ("clip_norm", float), ("seed", int)):
            object.__setattr__(self, name, kind(getattr(self, name)))
        if self.seq_len is not None:
            object.__setattr__(self, "seq_len", int(self.seq_len))

    def for_task(self, task: Task) -> "TrainSettings":
        """These settings with seq_len filled in from the task and checked against its range."""
        seq_len = task.default_seq_len if self.seq_len is None else self.seq_len
        if not task.min_seq_len <= seq_len <= task.max_seq_len:
            raise ValueError(_("The sequence length for the {task} task must be from {low} to {high}; got {value}.")
                             .format(task=task.name, low=task.min_seq_len, high=task.max_seq_len, value=seq_len))
        if self.carry_state and not hasattr(task, "streams"):
            raise ValueError(_("Only a text can be read with the state carried from batch to batch; the {task} task "
                               "draws every sequence on its own.").format(task=task.name))
        return dataclasses.replace(self, seq_len=seq_len)


@dataclass(frozen=True)
class PlaygroundSettings:
    """What the Train page's widgets say. Checked by `playground.check_settings` (through ModelConfig, TrainSettings and
    the budgets)."""

    # The defaults are the lesson the page opens on: the adding problem at length 50, where the LSTM leaves
    # the baseline within the first few hundred steps (well inside half a minute of Play on a two-core
    # server) and the SimpleRNN stays on it for thousands, because its gradient from the answer fades
    # before it reaches the first marker (bench/bench_train_page.py --lesson measures it).
    task: str = "adding"
    cells: tuple[str, ...] = ("rnn", "lstm")  # one to three cells, trained side by side on the same batches
    hidden_size: int = 32  # half the zoo's adding models: each step costs half, and the LSTM still breaks away
    num_layers: int = 1
    input_mode: str | None = None  # None: embedding for tokens, real values otherwise (config_for)
    optimizer: str = "adam"
    lr: float = 2e-2  # large for Adam: with clipping, the LSTM leaves the plateau sooner, the SimpleRNN stays
    batch_size: int = 64
    seq_len: int | None = 50  # the first marker 25 to 50 steps before the answer: past what a SimpleRNN carries
    clip: bool = True
    clip_norm: float = 1.0
    seed: int = 0  # model initialisation and data stream, the same for every model
    steps_per_tick: int = 15  # one chunk, the unit of turn-taking: a fraction of a second for the default pair
    snapshot_every: int = 25  # steps between snapshots (doubles when the snapshots are thinned)

    def train_settings(self) -> TrainSettings:
        return TrainSettings(optimizer=self.optimizer, lr=self.lr, batch_size=self.batch_size, seq_len=self.seq_len,
                             clip=self.clip, clip_norm=self.clip_norm, seed=self.seed)

    def check(self) -> None:
        """Refuse what ModelConfig and TrainSettings do not check, with one sentence each."""
        if self.task not in task_registry.available():
            raise ValueError(_("Pick a task from {tasks}; got {value!r}.").format(
                tasks=", ".join(task_registry.available()), value=self.task))
        if not 1 <= len(self.cells) <= MAX_MODELS:
            raise ValueError(_("Pick one to {most} cell types to train side by side; got {count}.").format(
                most=MAX_MODELS, count=len(self.cells)))
        if len(set(self.cells)) != len(self.cells):
            raise ValueError(_("Pick each cell type once: models of the same cell, seed and data would be "
                               "identical."))
        if not is_whole(self.steps_per_tick) or not 1 <= self.steps_per_tick <= MAX_STEPS_PER_TICK:
            raise ValueError(_("Steps per tick must be a whole number from 1 to {most}; got {value!r}.").format(
                most=MAX_STEPS_PER_TICK, value=self.steps_per_tick))
        if not is_whole(self.snapshot_every) or self.snapshot_every < 1:
            raise ValueError(_("The snapshot interval must be a whole number of steps, at least 1; "
                               "got {value!r}.").format(value=self.snapshot_every))

    def is_lesson(self) -> bool:
        """Whether these settings train what the defaults do, step for step (the pacing may differ):
        the page's sentence about what Play will show holds only then."""
        mode = None if self.input_mode == "real" else self.input_mode  # what None means on a task of real inputs
        return dataclasses.replace(self, input_mode=mode, steps_per_tick=LESSON.steps_per_tick,
                                   snapshot_every=LESSON.snapshot_every) == LESSON

    def needs_rebuild(self, other: PlaygroundSettings) -> bool:
        """Whether going from `other` to these settings needs new models (not just update_settings)."""
        return any(getattr(self, name) != getattr(other, name) for name in MODEL_FIELDS)


LESSON = PlaygroundSettings()  # what the page opens on


@functools.lru_cache(maxsize=16)
def _task(name: str, config: tuple) -> Task:
    return task_registry.get(name, **dict(config))  # read-only: shared by every run that trains on it


def get_task(name: str, config: dict | None = None) -> Task:
    """A task from the registry, built once per process (tasks are read-only; a text corpus takes a
    fraction of a second to load)."""
    return _task(name, tuple(sorted((config or {}).items())))


def pretrained_task(settings: PlaygroundSettings, pretrained: RNNModel) -> Task:
    """The task a pretrained model was built on (its metadata's task and task_config)."""
    meta = getattr(pretrained, "meta", {}) or {}
    return get_task(meta.get("task", settings.task), meta.get("task_config"))
