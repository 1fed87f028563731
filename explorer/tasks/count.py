"""Count down: one input, many outputs. See the net turn a single token into a timed sequence.

The only information arrives at step 0; every later step reads the same blank, so whatever the
net writes afterwards must come from its own hidden state: a clock it sets and runs down.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from explorer.engine.vocab import Vocab
from explorer.i18n import N_, _
from explorer.tasks.base import Batch, Task

BLANK = "_"
END = 10  # output class after the 0; classes 0..9 are the digits themselves


def countdown(k: int) -> list[int]:
    """Target classes for start digit k: k, k-1, ..., 0, END. countdown(3) == [3, 2, 1, 0, 10]."""
    return list(range(k, -1, -1)) + [END]


@dataclass
class CountTask(Task):
    """One-to-many: count down from a digit, then say "end".

    A sample, seq_len 8, start 3: x = "3_______" (the digit, then blanks),
    y = [3, 2, 1, 0, end, -, -, -] where "-" marks steps after the end: mask False, not scored.
    Start digits are uniform in 1..9, so a sequence needs at most 11 steps (9..0 and end).
    """

    name = "count"
    title = N_("Count down: given one digit, write k, k-1, ..., 0, end")
    input_kind = "tokens"
    output_kind = "classes"
    output_size = 11
    output_labels = tuple("0123456789") + (N_("end"),)  # English, as the analysis compares them: shown with _()
    head = "per_step"
    metric_name = "accuracy"
    higher_is_better = True
    default_seq_len = 12
    min_seq_len = 11  # room for the longest countdown, from 9
    max_seq_len = 64

    def __post_init__(self):
        self.vocab = Vocab.from_chars("123456789" + BLANK)
        self.input_size = len(self.vocab)

    def batch(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Batch:
        self.check_request(split, batch_size, seq_len)
        start = torch.randint(1, 10, (batch_size,), generator=generator)  # (B,) digits 1..9
        x = torch.full((batch_size, seq_len), self.vocab.stoi[BLANK], dtype=torch.long)  # (B, T)
        x[:, 0] = torch.tensor([self.vocab.stoi[str(int(k))] for k in start])
        step = torch.arange(seq_len)  # (T,)
        y = start[:, None] - step  # (B, T): k, k-1, ..., 0, then negative
        y = torch.where(y == -1, END, y.clamp(min=0))  # the step after 0 says end; later ones are unscored anyway
        mask = step <= start[:, None] + 1  # (B, T): the k+1 digits and the end
        return Batch(x=x, y=y, mask=mask)

    def baseline(self) -> tuple[float, str]:
        # Every sequence scores its k+1 digits and one end, and each has exactly one 0 and one end;
        # 0 ties with end as the most common target: 9 of the sum over k of (k + 2) scored steps.
        scored = sum(len(countdown(k)) for k in range(1, 10))
        acc = 9 / scored
        return acc, _("Always predicting 0 (tied with end, the most common targets) is right {share} "
                      "of the scored steps (1/7).").format(share=f"{acc:.1%}")

    def describe(self, batch: Batch, index: int = 0) -> dict:
        mask = batch.mask[index]
        return {
            "input": self.vocab.decode(batch.x[index]),
            "target": [self.output_labels[int(c)] for c, m in zip(batch.y[index], mask) if m],
        }
