"""What a unit of a zoo model trained on a task (not a text corpus) can be checked against: features that
the task itself defines, one value per step, over the task's own held-out sequences.

A feature is a pure function of one sequence as the model reads it (the decoded characters of a token
task, the values (T, I) of a real-valued one) to float64 [T], read after the step like h_t, with NaN where
the task leaves it undefined (the padding before a review, the blanks after a countdown's end); those
steps are left out of its correlation. `held_out` draws the sequences and computes every feature of the
task over them; explorer/analysis/known_units.py traces the model on the same sequences and ranks its units.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explorer.i18n import N_, _
from explorer.tasks.base import Task
from explorer.tasks.brackets import depths
from explorer.tasks.sentiment import NEGATIONS, PAD, label_of

STEPS = 4000  # held-out steps per model: thousands of values for every per-step feature
MIN_SEQUENCES = 100  # a feature read once per sequence (the review's label) still gets a hundred values
SPLIT = "test"
WORD = re.compile(r"[a-z]+|,")  # the review grammar's words, and the comma that ends a clause


def nesting_depth(text: str) -> np.ndarray:
    """The bracket task's own target: how many "(" are open after each character."""
    return np.asarray(depths(text), dtype=np.float64)


def steps_to_end(text: str) -> np.ndarray:
    """For a countdown input "k___…": the steps left before the net should say "end": k + 1 at step 0,
    then k, …, 0 at the end step itself; NaN on the unscored blanks after it. "2____" -> [3, 2, 1, 0, nan]."""
    if not text or not text[0].isdigit():
        raise ValueError(_("a countdown input starts with its digit; got {start}").format(start=repr(text[:1])))
    left = int(text[0]) + 1 - np.arange(len(text), dtype=np.float64)
    return np.where(left >= 0, left, np.nan)


def first_marked_held(values: np.ndarray) -> np.ndarray:
    """Adding problem, values (T, 2) = (number, marker): the first marked number, from its marker up to the
    step before the second marker, the stretch where the net must carry it; NaN elsewhere."""
    read = np.cumsum(values[:, 1])
    return np.where(read == 1, np.cumsum(values[:, 0] * values[:, 1]), np.nan)


def marked_sum(values: np.ndarray) -> np.ndarray:
    """Adding problem: the sum of the marked numbers read so far (its last value is the target)."""
    return np.cumsum(values[:, 0] * values[:, 1]).astype(np.float64)


def marker_seen(values: np.ndarray) -> np.ndarray:
    """Adding problem: 1 from the first marker on (a marked number has been read), 0 before it."""
    return (np.cumsum(values[:, 1]) > 0).astype(np.float64)


def review_label(text: str) -> np.ndarray:
    """A left-padded review: the grammar's label (1 positive, 0 negative) at its last character, the one the
    many-to-one head reads; NaN everywhere before it."""
    out = np.full(len(text), np.nan)
    out[-1] = label_of(text.lstrip(PAD))
    return out


def negated_clause(text: str) -> np.ndarray:
    """A left-padded review: 1 from the last letter of a "not" or "never" to the end of its clause (the
    comma reads 0), else 0; NaN on the padding. "_not x, y" -> [nan, 0, 0, 1, 1, 1, 0, 0, 0]."""
    start = len(text) - len(text.lstrip(PAD))
    out = np.full(len(text), np.nan)
    out[start:] = 0.0
    for word in WORD.finditer(text, start):
        if word.group() in NEGATIONS:
            out[word.end() - 1:] = 1.0
        elif word.group() == ",":
            out[word.start():] = 0.0
    return out


def value_read(values: np.ndarray) -> np.ndarray:
    """A forecaster's window (T, 1): the value just read, as the model reads it (normalised or relative)."""
    return values[:, 0].astype(np.float64)


def window_mean(values: np.ndarray) -> np.ndarray:
    """A forecaster's window (T, 1): the mean of the values read so far, the level of the window."""
    return np.cumsum(values[:, 0], dtype=np.float64) / np.arange(1, len(values) + 1)


# task -> feature -> (its name in English, marked for the catalogue; the function). Keys are stored in sidecars.
FEATURES: dict[str, dict[str, tuple[str, Callable]]] = {
    "brackets": {"depth": (N_("the nesting depth"), nesting_depth)},
    "count": {"countdown": (N_("the steps left before “end”"), steps_to_end)},
    "adding": {"held": (N_("the first marked number, held until the second"), first_marked_held),
               "marked_sum": (N_("the sum of the marked numbers so far"), marked_sum),
               "marker": (N_("whether a marked number has been read"), marker_seen)},
    "sentiment": {"label": (N_("the review's label at its last character"), review_label),
                  "negation": (N_("a “not” or “never” in the clause"), negated_clause)},
    "series": {"value": (N_("the value just read"), value_read),
               "level": (N_("the mean of the window so far"), window_mean)},
}


@dataclass(frozen=True)
class HeldOut:
    """Held-out sequences of a task and every feature of the task over them, steps of all sequences in a row."""

    inputs: list[torch.Tensor]  # each sequence as the model reads it: ids (T,) or values (T, I)
    features: dict[str, np.ndarray]  # feature -> [N] float64, N = the sequences' steps together; NaN: undefined


def held_out(task: Task, *, seq_len: int, seed: int, steps: int = STEPS) -> HeldOut:
    """About `steps` steps of the task's test split at `seq_len` (at least MIN_SEQUENCES sequences), drawn
    with `seed`; a forecaster's test split is read whole, every window in time order (it has no draws)."""
    if task.name not in FEATURES:
        raise ValueError(_("no unit features are defined for the {task} task").format(task=repr(task.name)))
    if hasattr(task, "all_windows"):
        batch = task.all_windows(SPLIT, seq_len)
    else:
        count = max(MIN_SEQUENCES, math.ceil(steps / seq_len))
        batch = task.batch(SPLIT, count, seq_len, torch.Generator().manual_seed(seed))
    inputs = list(batch.x)
    readable = ([task.vocab.decode(x) for x in inputs] if task.input_kind == "tokens"
                else [x.numpy() for x in inputs])
    features = {key: np.concatenate([function(sequence) for sequence in readable])
                for key, (_name, function) in FEATURES[task.name].items()}
    return HeldOut(inputs=inputs, features=features)
