"""What every task shares: the Batch contract, the Task base class, and the loss/metric helpers.

A task turns a seeded `torch.Generator` into batches, scores a model's output with a loss (for
training) and a metric (for people), and knows what a trivial predictor would score, so every
number the app shows can be read against a baseline.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from explorer.engine.vocab import Vocab
from explorer.i18n import _, pgettext

SPLITS = ("train", "val", "test")


def split_name(split: str) -> str:
    """A split as a user reads it; the keys themselves stay English in code, URLs and metadata."""
    names = {"train": pgettext("split", "train"), "val": pgettext("split", "val"), "test": pgettext("split", "test")}
    return names.get(split, split)


def check_split(split: str) -> None:
    """Refuse anything but a split's key with one sentence naming the three."""
    if split not in SPLITS:
        raise ValueError(_("split must be one of {splits}; got {split}.").format(splits=", ".join(SPLITS),
                                                                                  split=repr(split)))


@dataclass(frozen=True)
class Batch:
    x: torch.Tensor  # (B, T) int64 token ids, or (B, T, input_size) float32 for real-valued input
    y: torch.Tensor  # per step: (B, T) int64 or (B, T, O) float32; last step: (B,) int64 or (B, O) float32
    mask: torch.Tensor | None = None  # (B, T) bool, True where a per-step target counts


# ----------------------------------------------------------------------------------------------
# loss and metric helpers: one definition each, used by every task through Task.loss / Task.metric


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy in nats over the targets that count. logits (..., C), targets (...)."""
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")  # (N,)
    if mask is None:
        return losses.mean()
    weights = mask.reshape(-1).to(losses.dtype)  # (N,)
    # clamp: a batch with nothing scored gives 0, not nan, so a training step never poisons the weights
    return (losses * weights).sum() / weights.sum().clamp(min=1.0)


def bits_per_char(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy in bits: the average number of bits an ideal coder using the model would spend per character."""
    return cross_entropy(logits, targets, mask) / math.log(2)


def accuracy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Fraction of scored targets whose class has the largest logit."""
    correct = (logits.argmax(dim=-1) == targets).to(torch.float32)  # same shape as targets
    if mask is None:
        return correct.mean()
    weights = mask.to(torch.float32)
    return (correct * weights).sum() / weights.sum().clamp(min=1.0)


def mse(predictions: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error; a (B, T) mask over (B, T, O) values weights every output of a scored step."""
    squared = (predictions - targets) ** 2
    if mask is None:
        return squared.mean()
    weights = mask.to(squared.dtype).unsqueeze(-1).expand_as(squared)  # (B, T, O)
    return (squared * weights).sum() / weights.sum().clamp(min=1.0)


METRICS = {"bits/char": bits_per_char, "accuracy": accuracy, "MSE": mse}


def entropy_bits(counts: torch.Tensor) -> float:
    """Entropy in bits of the distribution proportional to `counts` (zeros ignored)."""
    p = counts[counts > 0].to(torch.float64) / counts.sum()
    return float(-(p * p.log2()).sum())


# ----------------------------------------------------------------------------------------------


class Task:
    """Base class. Subclasses set the attributes below and implement batch, baseline and describe.

    Subclasses are dataclasses whose fields are their constructor arguments, so `config()` returns
    exactly what `explorer.tasks.get(task.name, **task.config())` needs to rebuild the task.
    """

    name: str  # registry key, e.g. "english"
    title: str  # one human line for the UI, marked N_() for the catalogue: translate it where shown
    input_kind: str  # "tokens" or "real"
    vocab: Vocab | None = None  # token tasks only
    input_size: int  # len(vocab) for token tasks, feature width for real ones
    output_kind: str  # "classes" or "real"
    output_size: int
    output_labels: tuple[str, ...] | None = None  # a name per class, for legends and hover text
    head: str  # "per_step" or "last_step"
    metric_name: str  # a key of METRICS
    higher_is_better: bool
    default_seq_len: int
    min_seq_len: int = 1  # some tasks need room (two markers, a whole sentence)
    max_seq_len: int  # settings above this are refused by the UI

    def batch(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Batch:
        raise NotImplementedError

    def baseline(self) -> tuple[float, str]:
        raise NotImplementedError

    def describe(self, batch: Batch, index: int = 0) -> dict:
        raise NotImplementedError

    def config(self) -> dict:
        return ({f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
                if dataclasses.is_dataclass(self) else {})

    def check_request(self, split: str, batch_size: int, seq_len: int) -> None:
        """Refuse a bad batch request with one sentence saying what was wrong."""
        check_split(split)
        if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(_("batch_size must be a whole number of at least 1; got {value}.").format(
                value=repr(batch_size)))
        if not isinstance(seq_len, numbers.Integral) or not self.min_seq_len <= seq_len <= self.max_seq_len:
            raise ValueError(_("seq_len for the {task} task must be between {low} and {high}; got {value}.").format(
                task=self.name, low=self.min_seq_len, high=self.max_seq_len, value=repr(seq_len)))

    def _check_output(self, output: torch.Tensor, batch: Batch) -> None:
        expected = (*batch.y.shape, self.output_size) if self.output_kind == "classes" else tuple(batch.y.shape)
        if tuple(output.shape) != expected:
            raise ValueError(_("the {task} task expects model output of shape {expected}; got {shape}.").format(
                task=self.name, expected=expected, shape=tuple(output.shape)))

    def loss(self, output: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Scalar training loss: cross-entropy in nats for classes, MSE for real values; masked steps ignored."""
        self._check_output(output, batch)
        if self.output_kind == "classes":
            return cross_entropy(output, batch.y, batch.mask)
        return mse(output, batch.y, batch.mask)

    @torch.no_grad()
    def metric(self, output: torch.Tensor, batch: Batch) -> float:
        self._check_output(output, batch)
        return float(METRICS[self.metric_name](output, batch.y, batch.mask))
