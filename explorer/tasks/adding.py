"""The adding problem (Hochreiter & Schmidhuber, 1997): a long-memory benchmark.

The net reads a long stream of random numbers, two of them flagged, and must output the sum of
the flagged two at the very end. The first flag sits in the first half, so the net has to carry
a value across at least T/2 steps: exactly where a plain RNN's gradients vanish and gates help.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from explorer.i18n import N_, _
from explorer.tasks.base import Batch, Task


@dataclass
class AddingTask(Task):
    """Sum the two marked values of a sequence.

    A sample, T = 6: x[:, 0] = [0.31, 0.77, 0.05, 0.62, 0.90, 0.14] (values, uniform in [0, 1]),
    x[:, 1] = [0, 1, 0, 0, 1, 0] (markers: exactly one in steps [0, T//2), one in [T//2, T)),
    y = [1.67] = 0.77 + 0.90, predicted from the last step.
    """

    name = "adding"
    title = N_("Adding problem: sum the two marked numbers of a long sequence")
    input_kind = "real"
    input_size = 2  # channel 0 the value, channel 1 the marker
    output_kind = "real"
    output_size = 1
    head = "last_step"
    metric_name = "MSE"
    higher_is_better = False
    default_seq_len = 50
    min_seq_len = 2  # one marker in each half
    max_seq_len = 1000

    def batch(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Batch:
        self.check_request(split, batch_size, seq_len)
        half = seq_len // 2
        values = torch.rand(batch_size, seq_len, generator=generator)  # (B, T)
        first = torch.randint(0, half, (batch_size,), generator=generator)  # (B,) in the first half
        second = torch.randint(half, seq_len, (batch_size,), generator=generator)  # (B,) in the second half
        markers = torch.zeros(batch_size, seq_len)  # (B, T)
        rows = torch.arange(batch_size)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        target = (values * markers).sum(dim=1, keepdim=True)  # (B, 1)
        return Batch(x=torch.stack([values, markers], dim=-1), y=target)  # (B, T, 2), (B, 1)

    def baseline(self) -> tuple[float, str]:
        # The sum of two independent U(0, 1) has mean 1 and variance 2 * 1/12 = 1/6.
        return 1 / 6, _("Always predicting the mean sum 1.0 has MSE 1/6 ≈ 0.1667, "
                        "the variance of a sum of two U(0, 1) values.")

    def describe(self, batch: Batch, index: int = 0) -> dict:
        values, markers = batch.x[index].unbind(-1)  # (T,), (T,)
        marked = torch.nonzero(markers).flatten().tolist()
        return {
            "values": [round(float(v), 3) for v in values],
            "marked steps": marked,
            "target": round(float(batch.y[index, 0]), 4),
        }
