"""The training engine: finite, resumable chunks of optimizer steps that log what a page draws.

    task = explorer.tasks.get("brackets")
    model = build_model(config_for(task, cell="lstm", hidden_size=32), task.vocab, seed=0)
    state = start(task, model, TrainSettings(lr=3e-3, seed=0))
    rows = train_steps(state, 20)  # exactly 20 steps (fewer only if it diverges or the callback says stop)
    evaluate(state)  # {"metric": ..., "loss": ...} on fixed held-out batches

No threads, no globals: everything a run needs lives in one `TrainState` that a Streamlit page
keeps in `st.session_state` and advances a few steps per tick of an `st.fragment(run_every=...)`.
`copy.deepcopy(state)` gives an independent run (the read-only task is shared, not copied).
Same settings and model seed give the same losses bit for bit on CPU, in one chunk or many.
The settings (`TrainSettings`, explorer.training.settings) and the models for a task (`config_for`,
`build_model`, explorer.training.build) have files of their own; this one names them too.

Divergence: a step whose loss or gradient is not finite is never applied. The run goes back to
its last safe snapshot (see `Snapshot`), `state.divergence` records what happened (`state.stopped_reason`
words it for the page, in the language current when it is read), and `train_steps` raises
`TrainingDiverged` until `update_settings` (a lower learning rate, clipping, or no change at all)
says how to go on from there.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from explorer.engine.models import RNNModel
from explorer.i18n import _
from explorer.tasks.base import Batch, Task
from explorer.training.build import build_model, check_model_fits, clone_for_training, config_for
from explorer.training.settings import OPTIMIZERS, TrainSettings, is_whole

__all__ = [
    "EVAL_SEED", "GROUPS", "OPTIMIZERS", "SNAPSHOT_EVERY", "Divergence", "Snapshot", "TrainSettings", "TrainState",
    "TrainingDiverged", "build_model", "check_model_fits", "clone_for_training", "config_for", "evaluate",
    "evaluate_in_order", "kept_weights", "make_optimizer", "parameter_group", "restore_weights", "start",
    "train_steps", "update_settings",
]

EVAL_SEED = 2**32 - 1  # outside every training seed, so held-out batches of the synthetic tasks (which
#                        draw every split from one process) are never a training run's batches
SNAPSHOT_EVERY = 50  # steps between snapshots inside a long chunk; one costs a few percent of one training step
GROUPS = ("input", "recurrent", "bias", "head")  # gradient-norm groups, see `parameter_group`
# A weight past this has saturated every tanh and sigmoid it feeds: the run has run away even while its
# loss stays finite (Adam at a high rate moves each weight by about the rate every step, whatever the gradient)
MAX_WEIGHT = 1e3
WEIGHT_GROWTH = 100.0  # a model that starts with larger weights (a pretrained one) may grow this much past them


class TrainingDiverged(RuntimeError):
    """Raised by `train_steps` on a run that diverged; the message is the run's `stopped_reason`."""


# ----------------------------------------------------------------------------------------------
# the run


@dataclass(frozen=True)
class Divergence:
    """Why a run stopped, kept as facts rather than as a sentence: a page shows it long after, perhaps
    after its reader switched language, so `sentence()` words it when it is shown."""

    failed: int  # the step whose loss or gradient was not finite (never applied), or that ran the weights away
    what: str  # "loss", "gradient" or "weights"
    value: float  # the value it became: nan or ±inf; for "weights", the largest |weight|
    restored: int  # the step of the last safe snapshot, where the weights went back to
    clip: bool  # whether clipping was on, which changes the advice
    limit: float = MAX_WEIGHT  # for "weights": the bound it went past

    def sentence(self) -> str:
        if self.what == "weights":
            became = "NaN" if math.isnan(self.value) else f"{self.value:.3g}"
            text = _("Training diverged at step {failed}: a weight reached {became}, past the limit of {limit}. The "
                     "weights of step {restored}, the last safe snapshot, were restored; lower the learning rate.")
            return text.format(failed=self.failed, became=became, limit=f"{self.limit:g}", restored=self.restored)
        if self.what == "loss":
            text = (_("Training diverged at step {failed}: the loss became {became}. The weights of step {restored}, "
                      "the last safe snapshot, were restored; lower the learning rate or the clipping norm.")
                    if self.clip else
                    _("Training diverged at step {failed}: the loss became {became}. The weights of step {restored}, "
                      "the last safe snapshot, were restored; lower the learning rate or turn on gradient clipping."))
        else:
            text = (_("Training diverged at step {failed}: the gradient became {became}. The weights of step "
                      "{restored}, the last safe snapshot, were restored; lower the learning rate or the clipping "
                      "norm.")
                    if self.clip else
                    _("Training diverged at step {failed}: the gradient became {became}. The weights of step "
                      "{restored}, the last safe snapshot, were restored; lower the learning rate or turn on "
                      "gradient clipping."))
        became = "NaN" if math.isnan(self.value) else _("infinite")
        return text.format(failed=self.failed, became=became, restored=self.restored)


@dataclass
class Snapshot:
    """A state the run can go back to exactly: weights, optimizer, data position, step and logs.

    Copying everything every step would cost several percent per step, so a snapshot is taken at
    the start of each `train_steps` call and every SNAPSHOT_EVERY steps inside it, and only when
    every weight and optimizer value is finite. It starts out pending; it becomes the run's restore
    point (`state.snapshot`) once a step taken from it has a finite loss and gradient. So the
    restore point is always finite *and* known to train. Why not simply keep the weights just
    before the bad step: a learning rate that is too large blows the weights up over several
    steps, and the last finite weights are then often so large that their very next loss
    overflows whatever the settings; going back to the snapshot undoes the
    whole blow-up in the usual case, at the price of redoing at most one chunk of steps.

    Restoring copies the tensors back into the same Parameters (`load_state_dict`, bit-exact),
    rewinds the data generator and the step count, and drops the log rows after the snapshot, so
    a run that goes on from there is the run that had switched settings at that step.
    """

    step: int
    model: dict[str, torch.Tensor]  # cloned state_dict
    optimizer: dict  # deep-copied optimizer state_dict: Adam's moments included
    generator: torch.Tensor  # the data generator's state: the next batch the run will draw
    logs_len: int


@dataclass(eq=False)
class TrainState:
    """One training run. Create it with `start`; advance it with `train_steps`."""

    task: Task
    model: RNNModel
    optimizer: torch.optim.Optimizer
    settings: TrainSettings
    generator: torch.Generator  # draws the training batches; seeded with settings.seed
    step: int = 0  # optimizer steps applied
    logs: list[dict] = field(default_factory=list)  # one row per applied step, see `train_steps`
    wall_time: float = 0.0  # seconds spent inside train_steps, summed: pauses between chunks do not count
    divergence: Divergence | None = None  # why the run stopped; None while it trains
    snapshot: Snapshot | None = None  # where a diverged run goes back to, see Snapshot
    pending: Snapshot | None = None  # the newest snapshot, until a step from it proves it trains
    weight_limit: float = MAX_WEIGHT  # a |weight| past this diverges the run (see MAX_WEIGHT); set by `start`
    streams: object = None  # with settings.carry_state: the task's Streams the batches come from
    carried: object = None  # with settings.carry_state: the state the last step ended in, detached

    @property
    def diverged(self) -> bool:
        return self.divergence is not None

    @property
    def stopped_reason(self) -> str | None:
        """A sentence for the page, in the current language, when the run diverged; None otherwise."""
        return self.divergence.sentence() if self.divergence is not None else None

    def __deepcopy__(self, memo):
        # Tasks are read-only and a corpus task holds megabytes of text: share it, copy everything else.
        # One memo for all fields keeps the optimizer pointing at the copy's own parameters.
        memo[id(self.task)] = self.task
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            setattr(clone, name, copy.deepcopy(value, memo))
        return clone


def make_optimizer(model: nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(_("This model has no trainable weights; pass clone_for_training(model) instead."))
    if settings.optimizer == "adam":
        return torch.optim.Adam(params, lr=settings.lr)
    return torch.optim.SGD(params, lr=settings.lr)  # plain SGD: the textbook update, to compare with Adam


def start(task: Task, model: RNNModel, settings: TrainSettings | None = None) -> TrainState:
    """A new run that trains `model` in place (deep-copy a model you must keep: clone_for_training)."""
    settings = (settings or TrainSettings()).for_task(task)
    check_model_fits(task, model)
    model.train()
    state = TrainState(task=task, model=model, optimizer=make_optimizer(model, settings), settings=settings,
                       generator=torch.Generator().manual_seed(settings.seed))
    largest = _largest_weight(state)
    if math.isfinite(largest):
        state.weight_limit = max(MAX_WEIGHT, WEIGHT_GROWTH * largest)
    _take_snapshot(state)
    if state.pending is None:
        raise ValueError(_("This model has weights that are not finite numbers; rebuild it or load another."))
    state.snapshot, state.pending = state.pending, None  # nothing earlier to go back to
    return state


def update_settings(state: TrainState, **changes) -> None:
    """Change a run's settings between chunks, e.g. `update_settings(state, lr=1e-3, clip=True)`.

    This is also how a diverged run goes on: from the restored snapshot, with the new settings
    (or, with no changes, the same ones, which replay the same batches). Changing the optimizer starts it afresh (Adam's
    moments are dropped); the seed fixes the run's data and cannot change.
    """
    settings = dataclasses.replace(state.settings, **changes).for_task(state.task)
    if settings.seed != state.settings.seed:
        raise ValueError(_("The seed fixes a run's data and initial weights; start a new run to change it."))
    if (settings.batch_size, settings.seq_len, settings.carry_state) != (
            state.settings.batch_size, state.settings.seq_len, state.settings.carry_state):
        state.streams = state.carried = None  # streams of the old shape: the next step starts new ones
    state.settings = settings
    if settings.optimizer != state.optimizer.__class__.__name__.lower():
        state.optimizer = make_optimizer(state.model, settings)
        # a snapshot from before the switch restores its weights with the new, fresh optimizer
        state.snapshot.optimizer = _copy_optimizer_state(state.optimizer.state_dict())
        state.pending = None
    for group in state.optimizer.param_groups:
        group["lr"] = settings.lr
    state.divergence = None


def parameter_group(name: str) -> str:
    """Which gradient-norm group a parameter belongs to, by torch.nn's names.

    input: weight_ih_* (what the core reads); recurrent: weight_hh_* and Jordan's weight_ho_l0
    (the loop through time); bias: every bias; head: everything outside the core (head.weight,
    embedding.weight).
    """
    leaf = name.rsplit(".", 1)[-1]
    if leaf.startswith("bias"):
        return "bias"
    if leaf.startswith("weight_ih"):
        return "input"
    if leaf.startswith(("weight_hh", "weight_ho", "weight_hr")):
        return "recurrent"
    return "head"


def train_steps(state: TrainState, n: int, callback: Callable[[dict], bool | None] | None = None) -> list[dict]:
    """Apply exactly n optimizer steps (fewer only on divergence or when `callback(row)` returns True)
    and return their log rows, which are also appended to `state.logs`. Each row:

    step, loss, metric (the task's, on this training batch, before the update), grad_norm_before
    (total L2 norm of the gradient), grad_norm_after (after clipping; equal when not clipped),
    clipped, group_norms {input, recurrent, bias, head} (before clipping, see parameter_group),
    lr, seconds (this step), wall_time (seconds of training so far, this step included).

    On a non-finite loss or gradient the step is not applied and the run goes back to its last
    safe snapshot (see Snapshot): rows after it leave `state.logs` and are not returned, though
    `callback` has seen them. `state.stopped_reason` says what happened, and further calls raise
    TrainingDiverged until `update_settings`.
    """
    if not is_whole(n) or n < 0:
        raise ValueError(_("The number of steps must be a whole number of at least 0; got {value!r}.").format(
            value=n))
    if state.diverged:
        raise TrainingDiverged(state.stopped_reason + " Call update_settings to go on from there.")
    model, task, settings, optimizer = state.model, state.task, state.settings, state.optimizer
    model.train()
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    params = [param for _name, param in named]
    membership = torch.zeros(len(GROUPS), len(params))  # (G, P): which group each parameter's norm adds to
    for j, (name, _param) in enumerate(named):
        membership[GROUPS.index(parameter_group(name)), j] = 1.0
    no_grad = torch.zeros(())  # stands in for the gradient of a parameter the loss did not reach
    logs_before = len(state.logs)
    _take_snapshot(state)

    for i in range(n):
        if i and i % SNAPSHOT_EVERY == 0:
            _take_snapshot(state)
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        if settings.carry_state:
            if state.streams is None or state.streams.ids is not task.split_ids("train"):  # new, or a new task
                state.streams = task.streams("train", settings.batch_size, settings.seq_len, state.generator)
            batch, fresh = state.streams.next()
            output, carried = model(batch.x, None if fresh else state.carried)
            state.carried = tuple(part.detach() for part in carried) if isinstance(carried, tuple) else carried.detach()
        else:
            batch = task.batch("train", settings.batch_size, settings.seq_len, state.generator)
            output = model(batch.x)[0]  # (B, T, O) per step or (B, O) last step
        loss = task.loss(output, batch)
        loss.backward()

        with torch.no_grad():
            grads = [p.grad if p.grad is not None else no_grad for p in params]
            norms = torch.stack(torch._foreach_norm(grads))  # (P,) one fused pass over every gradient
            # computed as clip_grad_norm_ does, so clipping matches it bit for bit
            total = torch.linalg.vector_norm(norms)
            group_norms = (membership @ norms.square()).sqrt()  # (G,)
            loss_value, before, *groups = torch.cat([loss.detach().reshape(1), total.reshape(1), group_norms]).tolist()
        if not math.isfinite(loss_value) or not math.isfinite(before):
            _diverge(state, "loss" if not math.isfinite(loss_value) else "gradient",
                     loss_value if not math.isfinite(loss_value) else before)
            break
        if state.pending is not None:  # a finite step from the pending snapshot: it is safe to go back to
            state.snapshot, state.pending = state.pending, None

        after, clipped = before, False
        if settings.clip:
            with torch.no_grad():
                coef = torch.clamp(settings.clip_norm / (total + 1e-6), max=1.0)  # as clip_grad_norm_
                if float(coef) < 1.0:
                    present = [p.grad for p in params if p.grad is not None]
                    torch._foreach_mul_(present, coef)
                    after = float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(present))))
                    clipped = True
        optimizer.step()
        largest = _largest_weight(state)
        if not largest <= state.weight_limit:  # nan fails it too
            _diverge(state, "weights", largest)
            break
        metric = task.metric(output.detach(), batch)

        state.step += 1
        seconds = time.perf_counter() - started
        state.wall_time += seconds
        row = {
            "step": state.step, "loss": loss_value, "metric": metric,
            "grad_norm_before": before, "grad_norm_after": after, "clipped": clipped,
            "group_norms": dict(zip(GROUPS, groups)), "lr": optimizer.param_groups[0]["lr"],
            "seconds": seconds, "wall_time": state.wall_time,
        }
        state.logs.append(row)
        if callback is not None and callback(row):
            break
    return state.logs[logs_before:]  # without the rows a restore took back


def _diverge(state: TrainState, what: str, value: float) -> None:
    """Go back to the last safe snapshot and say what happened."""
    failed = state.step + 1
    state.optimizer.zero_grad(set_to_none=True)
    state.pending = None  # it produced the bad step, or came after the safe one
    _restore(state, state.snapshot)
    state.divergence = Divergence(failed=failed, what=what, value=value, restored=state.step,
                                  clip=state.settings.clip, limit=state.weight_limit)


def _tensors(state: TrainState):
    yield from state.model.state_dict().values()
    for per_param in state.optimizer.state.values():
        yield from (v for v in per_param.values() if torch.is_tensor(v))


def _state_is_finite(state: TrainState) -> bool:
    # The largest |value|, not a norm: a norm of huge but finite weights overflows and would look
    # infinite. max propagates NaN; two fused passes beat isfinite(t).all() per tensor.
    tensors = [t for t in _tensors(state) if t.is_floating_point()]
    return math.isfinite(float(torch.stack(torch._foreach_max(torch._foreach_abs(tensors))).max()))


def _largest_weight(state: TrainState) -> float:
    """The largest |weight| of the model (nan if any is nan): one fused pass."""
    weights = [p.detach() for p in state.model.parameters() if p.is_floating_point()]
    return float(torch.stack(torch._foreach_norm(weights, ord=math.inf)).max()) if weights else 0.0


def _take_snapshot(state: TrainState) -> None:
    """Make the current state the pending snapshot, if it is finite and not already kept."""
    if any(snap is not None and snap.step == state.step for snap in (state.snapshot, state.pending)):
        return  # no step since (a chunk right after a restore, or after a chunk of 0 steps)
    if not _state_is_finite(state) or not _largest_weight(state) <= state.weight_limit:
        return  # an update overflowed or ran away; the next step will diverge and go back to state.snapshot
    model, optimizer = kept_weights(state)
    state.pending = Snapshot(step=state.step, model=model, optimizer=optimizer, generator=state.generator.get_state(),
                             logs_len=len(state.logs))


def kept_weights(state: TrainState) -> tuple[dict, dict]:
    """Copies of the model's weights and of the optimizer's state (Adam's moments included), for
    `restore_weights`. Unlike a Snapshot they leave the data position, step count and logs alone."""
    return ({k: v.detach().clone() for k, v in state.model.state_dict().items()},
            _copy_optimizer_state(state.optimizer.state_dict()))


def restore_weights(state: TrainState, kept: tuple[dict, dict]) -> None:
    model, optimizer = kept
    state.model.load_state_dict(model)  # copies into the same Parameters: the optimizer keeps them
    state.optimizer.load_state_dict(_copy_optimizer_state(optimizer))  # a copy: load_state_dict may alias


def _copy_optimizer_state(state_dict: dict) -> dict:
    """A deep copy of an optimizer state_dict; tensors cloned directly (copy.deepcopy is far slower)."""
    return {
        "state": {key: {name: value.clone() if torch.is_tensor(value) else copy.deepcopy(value)
                        for name, value in per_param.items()}
                  for key, per_param in state_dict["state"].items()},
        "param_groups": copy.deepcopy(state_dict["param_groups"]),
    }


def _restore(state: TrainState, snapshot: Snapshot) -> None:
    restore_weights(state, (snapshot.model, snapshot.optimizer))
    for group in state.optimizer.param_groups:
        group["lr"] = state.settings.lr  # the snapshot may predate an update_settings
    state.generator.set_state(snapshot.generator)
    state.streams = state.carried = None  # a carrying run starts new streams from the snapshot's generator
    state.step = snapshot.step
    del state.logs[snapshot.logs_len:]


# ----------------------------------------------------------------------------------------------
# evaluation


def evaluate(state_or_model: TrainState | RNNModel, task: Task | None = None, split: str = "val", batches: int = 4,
             batch_size: int | None = None, seq_len: int | None = None, seed: int = EVAL_SEED) -> dict:
    """The task's metric and loss on `batches` fixed batches of `split` (mean over batches).

    Eval mode, no gradients; the batches come from their own generator seeded with `seed`, so
    every call scores the same data and a run's training data is untouched. From a TrainState,
    task, batch_size and seq_len default to the run's; from a bare model, pass the task.
    """
    if isinstance(state_or_model, TrainState):
        model = state_or_model.model
        task = state_or_model.task if task is None else task
        batch_size = state_or_model.settings.batch_size if batch_size is None else batch_size
        seq_len = state_or_model.settings.seq_len if seq_len is None else seq_len
    else:
        model = state_or_model
        if task is None:
            raise ValueError(_("evaluate needs the task when given a model rather than a training run."))
    batch_size = 64 if batch_size is None else batch_size
    seq_len = task.default_seq_len if seq_len is None else seq_len
    if not is_whole(batches) or batches < 1:
        raise ValueError(_("The number of evaluation batches must be a whole number of at least 1; got {value!r}.")
                         .format(value=batches))
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    try:
        losses, metrics = [], []
        with torch.no_grad():
            for _batch in range(batches):
                batch: Batch = task.batch(split, batch_size, seq_len, generator)
                output = model(batch.x)[0]
                losses.append(float(task.loss(output, batch)))
                metrics.append(task.metric(output, batch))
    finally:
        model.train(was_training)
    return {"metric": sum(metrics) / batches, "loss": sum(losses) / batches}


def evaluate_in_order(model: RNNModel, ids: torch.Tensor, streams: int = 32, chunk: int = 256) -> float:
    """Bits per token reading every token of `ids` (a whole split) in order, the state carried across chunks.

    This is how the n-gram baselines are scored, so the two figures compare like with like; `evaluate`'s
    random windows each start from a zero state and so pay for a cold start every `seq_len` tokens. The
    split is cut into `streams` contiguous pieces read side by side (a batch), which costs `streams` cold
    starts in all and keeps the pass fast; the last `len(ids) - 1 - streams * n` tokens are left out.
    """
    if ids.dim() != 1 or len(ids) < 2 * streams + 1:
        raise ValueError(_("Reading a split in order needs a flat sequence of at least {n} token ids.")
                         .format(n=2 * streams + 1))
    n = (len(ids) - 1) // streams
    x = ids[:streams * n].reshape(streams, n)  # (S, n)
    y = ids[1:streams * n + 1].reshape(streams, n)  # (S, n): each token's successor
    was_training = model.training
    model.eval()
    total, state = 0.0, None
    try:
        with torch.no_grad():
            for start in range(0, n, chunk):
                logits, state = model(x[:, start:start + chunk], state)  # (S, chunk, V)
                total += float(nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                           y[:, start:start + chunk].reshape(-1), reduction="sum"))
    finally:
        model.train(was_training)
    return total / (streams * n) / math.log(2)
