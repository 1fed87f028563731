"""Delayed recall: read k symbols, wait through a gap of blanks, then write the k symbols back in order.

Nothing in the gap helps: whatever the net writes after the "=" must have been carried in its hidden state
across every blank since the symbols went by. The gap is seq_len − 2k, so a longer sequence is a longer wait.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from explorer.engine.vocab import Vocab
from explorer.i18n import N_, _
from explorer.tasks.base import Batch, Task

SYMBOLS = "abcdefgh"  # the alphabet the k symbols are drawn from (its first n_symbols letters)
BLANK, GO = ".", "="


@dataclass
class RecallTask(Task):
    """Remember k symbols, reproduce them after a gap.

    A sample, seq_len 10, k 3: x = "cab....=..", y = [-, -, -, -, -, -, -, c, a, b], scored only on the last
    k steps (mask True there). The "=" arrives at the first answer step, so the net knows when to answer but
    must know what from memory alone. Symbols are uniform and independent, so guessing scores 1/n_symbols.
    """

    k: int = 3  # symbols to remember: enough that one unit cannot hold them all, few enough to learn fast
    n_symbols: int = 4  # alphabet size: chance is 25 %, far below what remembering gives

    name = "recall"
    input_kind = "tokens"
    output_kind = "classes"
    head = "per_step"
    metric_name = "accuracy"
    higher_is_better = True
    default_seq_len = 20
    max_seq_len = 1000

    def __post_init__(self):
        if not 1 <= self.k <= 10 or not 2 <= self.n_symbols <= len(SYMBOLS):
            raise ValueError(_("recall needs k from 1 to 10 and n_symbols from 2 to {most}; got {k} and {n}.")
                             .format(most=len(SYMBOLS), k=self.k, n=self.n_symbols))
        self.title = N_("Delayed recall: remember a few symbols, then write them back after a gap")
        letters = SYMBOLS[:self.n_symbols]
        self.vocab = Vocab.from_chars(letters + BLANK + GO)
        self.input_size = len(self.vocab)
        self.output_size = self.n_symbols
        self.output_labels = tuple(letters)
        self.min_seq_len = 2 * self.k  # a gap of 0: the answer starts right after the symbols

    def gap(self, seq_len: int) -> int:
        """Blank steps between the last symbol and the "=" that asks for the first."""
        return seq_len - 2 * self.k

    def batch(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Batch:
        # Every split draws from the same process; held-out batches come from a generator of their own.
        self.check_request(split, batch_size, seq_len)
        k = self.k
        symbols = torch.randint(0, self.n_symbols, (batch_size, k), generator=generator)  # (B, k) classes
        ids = torch.tensor([self.vocab.stoi[ch] for ch in SYMBOLS[:self.n_symbols]])  # class -> token id
        x = torch.full((batch_size, seq_len), self.vocab.stoi[BLANK], dtype=torch.long)  # (B, T)
        x[:, :k] = ids[symbols]
        x[:, seq_len - k] = self.vocab.stoi[GO]
        y = torch.zeros(batch_size, seq_len, dtype=torch.long)  # (B, T); unscored steps keep class 0
        y[:, seq_len - k:] = symbols
        mask = torch.zeros(batch_size, seq_len, dtype=torch.bool)  # (B, T)
        mask[:, seq_len - k:] = True
        return Batch(x=x, y=y, mask=mask)

    def baseline(self) -> tuple[float, str]:
        acc = 1 / self.n_symbols
        return acc, _("Guessing any one symbol is right {share} of the time: the symbols are uniform and "
                      "independent, so nothing but memory does better.").format(share=f"{acc:.1%}")

    def describe(self, batch: Batch, index: int = 0) -> dict:
        mask = batch.mask[index]
        return {"input": self.vocab.decode(batch.x[index]),
                "target": "".join(self.output_labels[int(c)] for c, m in zip(batch.y[index], mask) if m)}
