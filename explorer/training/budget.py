"""What Train live may cost: an estimate of memory and time before anything is built, a budget per session and
one for the whole server, each refusal one sentence that names the limit and the nearest setting that fits.

    need = estimate(settings, task)                  # Estimate(bytes, seconds_per_step, parameters)
    check_session(settings, task)                    # ValueError: "hidden 2048 × 8 layers, batch 64 × … fits."
    SERVER.check(owner, settings, task)              # ValueError when all sessions together would pass the budget
    SERVER.reserve(owner, settings, task, pg)        # the same check, then held until pg is collected
    SERVER.held_bytes()                              # what every live playground holds, by the estimate

RNN_EXPLORER_SESSION_BUDGET_GB and RNN_EXPLORER_SERVER_BUDGET_GB set the two budgets (read on every check, so a
test or an operator can change them without a restart). The server's ledger forgets a playground when it is
garbage collected (a closed tab's session state goes) or when the same owner reserves again (Reset).
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import weakref
from dataclasses import dataclass

import torch

from explorer.engine.models import ModelConfig, RNNModel
from explorer.i18n import _, ngettext
from explorer.tasks.base import Task
from explorer.training.build import config_for
from explorer.training.settings import PlaygroundSettings

SESSION_BUDGET_GB = 1.0  # a few dozen sessions of a class share one server; the lesson's models need under 1 MB
# A 2-core, 24 GB machine: the OS, Python, torch and the zoo's cached models keep well under half of it
SERVER_BUDGET_GB = 8.0
ADAM_STATE = 3  # a gradient and Adam's two moments per weight, on top of the weight itself (SGD keeps fewer)
# Autograd keeps more than the gates: their inputs, the nonlinearities' outputs, the cell state; measured
# against saved-tensor hooks on every cell here (tests/training/test_budget.py)
AUTOGRAD_FACTOR = 3
# What one thread of a small server does on these matmuls, set low: the lesson's step then costs well
# under a millisecond by the estimate, and a step the estimate allows never takes minutes
FLOPS_PER_SECOND = 10e9
MAX_SECONDS_PER_STEP = 5.0  # a Step press should answer within seconds; Play trains several steps per redraw
GATES = {"rnn": 1, "jordan": 1, "gru": 3, "lstm": 4, "mingru": 2, "minlstm": 3}
GB = 1e9


@dataclass(frozen=True)
class Estimate:
    bytes: int  # weights, gradients, optimizer state and one step's activations, every model together
    seconds_per_step: float  # one optimizer step of every model, by the FLOP count
    parameters: int


def session_budget_bytes() -> int:
    return int(_env_gb("RNN_EXPLORER_SESSION_BUDGET_GB", SESSION_BUDGET_GB) * GB)


def server_budget_bytes() -> int:
    return int(_env_gb("RNN_EXPLORER_SERVER_BUDGET_GB", SERVER_BUDGET_GB) * GB)


def _env_gb(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def _parameters(config: ModelConfig, task: Task) -> int:
    with torch.device("meta"):  # the exact count, with no memory behind it
        return RNNModel(config, task.vocab).num_parameters()


def model_estimate(config: ModelConfig, parameters: int, batch_size: int, seq_len: int) -> Estimate:
    """One model: its weights with their gradient and Adam's moments, and what autograd keeps for one step."""
    weights = parameters * 4 * (1 + ADAM_STATE)
    activations = (batch_size * seq_len * config.hidden_size * config.num_layers * config.directions
                   * GATES.get(config.cell, 4) * 4 * AUTOGRAD_FACTOR)
    flops = 6 * batch_size * seq_len * parameters  # forward 2 per weight and token, backward twice that
    return Estimate(bytes=weights + activations, seconds_per_step=flops / FLOPS_PER_SECOND, parameters=parameters)


def estimate(settings: PlaygroundSettings, task: Task, pretrained: RNNModel | None = None) -> Estimate:
    """Every model the settings build (or the one clone of `pretrained`), before any is built."""
    train = settings.train_settings().for_task(task)
    if pretrained is not None:
        configs = [(pretrained.config, pretrained.num_parameters())]
    else:
        configs = []
        for cell in settings.cells:
            config = config_for(task, cell=cell, hidden_size=settings.hidden_size, num_layers=settings.num_layers,
                                input_mode=settings.input_mode)
            configs.append((config, _parameters(config, task)))
    parts = [model_estimate(config, count, train.batch_size, train.seq_len) for config, count in configs]
    return Estimate(bytes=sum(p.bytes for p in parts), seconds_per_step=sum(p.seconds_per_step for p in parts),
                    parameters=sum(p.parameters for p in parts))


def _what(settings: PlaygroundSettings, task: Task, pretrained: RNNModel | None) -> str:
    train = settings.train_settings().for_task(task)
    if pretrained is not None:
        model = _("this model")
    else:
        model = ngettext("hidden {hidden} × {layers} layer", "hidden {hidden} × {layers} layers",
                         settings.num_layers).format(hidden=settings.hidden_size, layers=settings.num_layers)
    return _("{model}, batch {batch} × length {length}").format(model=model, batch=train.batch_size,
                                                                length=train.seq_len)


def _nearest(settings: PlaygroundSettings, task: Task, pretrained: RNNModel | None, fits) -> str | None:
    """The setting closest to `settings` that `fits`: the largest hidden size (new models) or batch size, whichever
    keeps more of what was asked; None when neither does."""
    train = settings.train_settings().for_task(task)
    options = []
    if pretrained is None:
        hidden = _largest(settings.hidden_size, lambda h: fits(dataclasses.replace(settings, hidden_size=h)))
        if hidden is not None:
            options.append((hidden / settings.hidden_size, _("hidden {hidden}").format(hidden=hidden)))
    batch = _largest(train.batch_size, lambda b: fits(dataclasses.replace(settings, batch_size=b)))
    if batch is not None:
        options.append((batch / train.batch_size, _("batch {batch}").format(batch=batch)))
    return max(options)[1] if options else None


def _largest(start: int, fits) -> int | None:
    """The largest whole number from 1 to `start` that fits (a bisection: cost grows with the number)."""
    if start < 1 or not fits(1):
        return None
    low, high = 1, start  # fits(low) holds
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    step = 8 if low >= 16 else 1  # the page's hidden and batch boxes step by 8
    return low - low % step


def check_session(settings: PlaygroundSettings, task: Task, pretrained: RNNModel | None = None) -> Estimate:
    """The estimate, or ValueError with one sentence when it passes the session's memory or time per step."""
    need = estimate(settings, task, pretrained)
    limit = session_budget_bytes()

    def fits(candidate):
        got = estimate(candidate, task, pretrained)
        return got.bytes <= limit and got.seconds_per_step <= MAX_SECONDS_PER_STEP

    if need.bytes > limit:
        sentence = _("{what} needs about {need} GB; this server allows {limit} GB per session").format(
            what=_what(settings, task, pretrained), need=_gb(need.bytes), limit=_gb(limit))
    elif need.seconds_per_step > MAX_SECONDS_PER_STEP:
        sentence = _("{what} needs about {need} s per step; this server allows {limit} s per step").format(
            what=_what(settings, task, pretrained), need=f"{need.seconds_per_step:.0f}",
            limit=f"{MAX_SECONDS_PER_STEP:g}")
    else:
        return need
    raise ValueError(_finish(sentence, _nearest(settings, task, pretrained, fits)))


def _finish(sentence: str, nearest: str | None) -> str:
    if nearest is None:
        return _("{sentence}: pick smaller settings.").format(sentence=sentence)
    return _("{sentence}: {setting} fits.").format(sentence=sentence, setting=nearest)


def _gb(nbytes: int) -> str:
    return f"{nbytes / GB:.1f}" if nbytes >= 0.1 * GB else f"{nbytes / GB:.2f}"


class Ledger:
    """What each session's playground holds, by the estimate, so that all of them together stay within the
    server's budget. Thread-safe: every session of the server runs in its own thread."""

    def __init__(self):
        self._held: dict[object, tuple[int, int]] = {}  # owner -> (token, bytes)
        self._owners: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # playground -> owner
        self._lock = threading.Lock()
        self._tokens = itertools.count()

    def held_bytes(self, excluding: object = None) -> int:
        with self._lock:
            return sum(nbytes for owner, (_token, nbytes) in self._held.items() if owner != excluding)

    def check(self, owner: object, settings: PlaygroundSettings, task: Task,
              pretrained: RNNModel | None = None) -> Estimate:
        """The estimate, or ValueError with one sentence when the server's budget would be passed with what
        the other owners hold (what `owner` holds now goes when it reserves again)."""
        with self._lock:
            return self._check(owner, settings, task, pretrained)

    def reserve(self, owner: object, settings: PlaygroundSettings, task: Task, holder: object,
                pretrained: RNNModel | None = None) -> Estimate:
        """Check, then hold the estimate for `owner` (replacing what it held) until `holder` is collected or
        the owner reserves again."""
        with self._lock:
            need = self._check(owner, settings, task, pretrained)
            token = next(self._tokens)
            self._held[owner] = (token, need.bytes)
        self._owners[holder] = owner
        weakref.finalize(holder, self._release, owner, token)
        return need

    def _check(self, owner, settings, task, pretrained) -> Estimate:
        need = estimate(settings, task, pretrained)
        limit = server_budget_bytes()
        others = sum(nbytes for who, (_token, nbytes) in self._held.items() if who != owner)
        if others + need.bytes <= limit:
            return need
        left = max(limit - others, 0)
        nearest = _nearest(settings, task, pretrained, lambda s: estimate(s, task, pretrained).bytes <= left)
        sentence = _("the sessions on this server hold about {held} GB of the {limit} GB it allows for training, "
                     "and {what} needs about {need} GB").format(
            held=_gb(others), limit=_gb(limit), what=_what(settings, task, pretrained), need=_gb(need.bytes))
        raise ValueError(_finish(sentence, nearest))

    def owner_of(self, holder: object) -> object:
        return self._owners.get(holder)

    def release(self, owner: object) -> None:
        with self._lock:
            self._held.pop(owner, None)

    def _release(self, owner: object, token: int) -> None:
        with self._lock:  # only what this holder reserved: the owner may have reserved again since
            if self._held.get(owner, (None, 0))[0] == token:
                del self._held[owner]


SERVER = Ledger()  # one per server process, shared by every session on purpose
