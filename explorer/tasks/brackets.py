"""Dyck-1 bracket counting: read "(" and ")" and report the nesting depth after every character.

The depth is a counter the network must keep in its hidden state; train on short strings and
test on strings twice as long (`batch(..., seq_len=2 * L)`) to see whether it learned to count
or only memorised the depths it saw.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explorer.engine.vocab import Vocab
from explorer.i18n import N_, _
from explorer.tasks.base import Batch, Task


def depths(text: str) -> list[int]:
    """Nesting depth after each character: "(()())" -> [1, 2, 1, 2, 1, 0]; any other character keeps it."""
    out, depth = [], 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        out.append(depth)
    return out


@dataclass
class BracketsTask(Task):
    """Per-step depth of a random valid bracket prefix.

    A sample: x = "(()(a))(", y = [1, 2, 1, 2, 2, 1, 0, 1]. Strings are a random walk on the depth:
    at depth 0 the next bracket must open (so depth never goes negative), at `max_depth` it must
    close (so every target is one of the output_size = max_depth + 1 classes), otherwise open or
    close with equal chance. The walk need not end at depth 0: every prefix of a balanced string is
    a valid input. With `filler_prob` > 0 a character is the filler "a" with that chance: the depth
    then has to be held unchanged across gaps. The default, 0, is pure Dyck-1, where a single
    hidden unit that counts shows up as a clean staircase.

    With `climb_share` > 0 that share of the training strings climbs and comes back down: each draws
    its own chance p to open, uniformly between 1/2 and 1, and a turning point, uniformly along the
    string; it opens with chance p before the turn and 1 - p after it. Strings of the training length
    then reach, and leave, the depths a fair walk only reaches at many times that length. With
    `wander_share` > 0 that share of the climbing strings opens at every step up to its turn and takes
    the fair walk after it, so every depth up to the training length is reached about equally often
    and held through many small moves. Validation and test strings always take the fair walk, so a
    model trained this way is measured on the plain task.
    """

    max_depth: int = 15  # 16 classes; a symmetric walk of 128 steps rarely touches it (sd ~ 11)
    filler_prob: float = 0.0
    climb_share: float = 0.0  # 0: every split the fair walk; the models that share the defaults keep their data
    wander_share: float = 0.0  # of the climbing strings; 0 keeps the climbing strings' data as it was

    name = "brackets"
    input_kind = "tokens"
    output_kind = "classes"
    head = "per_step"
    metric_name = "accuracy"
    higher_is_better = True
    default_seq_len = 64
    max_seq_len = 1024  # room for the length-generalisation tests (2x, and brackets-lstm's 8x of 64)

    def __post_init__(self):
        if (self.max_depth < 1 or not 0.0 <= self.filler_prob < 1.0 or not 0.0 <= self.climb_share <= 1.0
                or not 0.0 <= self.wander_share <= 1.0):
            raise ValueError(_("brackets needs max_depth >= 1, 0 <= filler_prob < 1, 0 <= climb_share <= 1 and "
                               "0 <= wander_share <= 1."))
        self.title = N_("Bracket depth: the nesting depth after each character of a Dyck-1 string")
        self.vocab = Vocab.from_chars("()a")  # the filler is always in the vocabulary so models stay interchangeable
        self.input_size = len(self.vocab)
        self.output_size = self.max_depth + 1
        self.output_labels = tuple(str(d) for d in range(self.output_size))

    def batch(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Batch:
        # Every split draws from the same process, except the climbing training strings.
        self.check_request(split, batch_size, seq_len)
        uniform = torch.rand(batch_size, seq_len, 2, generator=generator).numpy()  # (B, T, 2): bracket, filler
        open_prob = np.full((batch_size, 1), 0.5)  # (B, 1) fair coin: open or close
        # drawn only here, after the walk's own numbers: val, test and climb_share=0 draw exactly the fair walk
        if split == "train" and self.climb_share > 0:
            draw = torch.rand(batch_size, 3, generator=generator).numpy()  # (B, 3): climbs?, chance to open, turn
            up = 0.5 + 0.5 * draw[:, 1:2]  # (B, 1)
            before_turn = np.arange(seq_len) < draw[:, 2:] * seq_len  # (B, T)
            after_turn = 1.0 - up  # (B, 1)
            if self.wander_share > 0:  # an extra draw only then, so wander_share=0 keeps the stream as it was
                wanders = torch.rand(batch_size, 1, generator=generator).numpy() < self.wander_share  # (B, 1)
                up, after_turn = np.where(wanders, 1.0, up), np.where(wanders, 0.5, after_turn)
            open_prob = np.where(draw[:, :1] < self.climb_share, np.where(before_turn, up, after_turn), open_prob)
        opens = np.where(uniform[:, :, 0] < open_prob, 1, -1)  # (B, T)
        filler = uniform[:, :, 1] < self.filler_prob  # (B, T)
        depth = np.zeros(batch_size, dtype=np.int64)  # (B,)
        step = np.empty((batch_size, seq_len), dtype=np.int64)
        targets = np.empty((batch_size, seq_len), dtype=np.int64)
        # The walk is sequential in t; numpy on (B,) arrays keeps each step about a microsecond.
        for t in range(seq_len):
            s = np.where(depth == 0, 1, opens[:, t])  # cannot close at depth 0
            s = np.where(depth == self.max_depth, -1, s)  # cannot open past max_depth
            s = np.where(filler[:, t], 0, s)  # filler keeps the depth
            depth = depth + s
            step[:, t], targets[:, t] = s, depth
        ids = torch.tensor([self.vocab.stoi[")"], self.vocab.stoi["a"], self.vocab.stoi["("]])  # indexed by step + 1
        return Batch(x=ids[torch.from_numpy(step) + 1], y=torch.from_numpy(targets))  # (B, T), (B, T)

    def baseline(self) -> tuple[float, str]:
        # Measured, not derived: the reflecting walk's depth histogram has no tidy closed form.
        b = self.batch("test", 2000, self.default_seq_len, torch.Generator().manual_seed(0))
        counts = torch.bincount(b.y.reshape(-1), minlength=self.output_size)  # (C,)
        majority = int(counts.argmax())
        acc = float(counts[majority] / counts.sum())
        return acc, _("Always predicting depth {depth}, the most common depth in strings of length {length}, "
                      "is right {share} of the time.").format(depth=majority, length=self.default_seq_len,
                                                              share=f"{acc:.1%}")

    def describe(self, batch: Batch, index: int = 0) -> dict:
        return {"input": self.vocab.decode(batch.x[index]), "target": [int(d) for d in batch.y[index]]}
