"""Character n-gram language models with interpolated Kneser-Ney smoothing, in plain Python: the
baseline that says how much of a recurrent model's score a short fixed window already earns.

    from explorer.tasks.ngram import fit, kneser_ney_bits
    bits = kneser_ney_bits(train_ids, test_ids, order=3, vocab_size=len(vocab))
    model = fit(train_ids, order=3, vocab_size=len(vocab)); model.prob([12, 7], 40)

The smoothing is Chen & Goodman's interpolated Kneser-Ney with one absolute discount per order:

    P_k(w | h) = (max(c_k(h w) - D_k, 0) + D_k * N_k(h) * P_{k-1}(w | h')) / sum_v c_k(h v)

where h' is h without its oldest token, N_k(h) the number of distinct w with c_k(h w) > 0, and
P_{-1} the uniform distribution over the vocabulary (so a token never seen in training still
gets a probability). c_k is the raw count at the highest order and the continuation count below
it: how many distinct tokens precede h w, which is what a lower order is asked about (a context
the higher order has not seen), not how often h w occurs. A context with no counts passes the
lower order's distribution through unchanged.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

Gram = tuple[int, ...]
FALLBACK_DISCOUNT = 0.5  # when an order has no singletons or no doubletons the n1/(n1 + 2 n2) estimate breaks down


@dataclass(frozen=True)
class KneserNey:
    """A fitted model. Level k holds the (k+1)-grams: a context of k tokens and the next one."""

    order: int
    vocab_size: int
    counts: tuple[dict[Gram, int], ...]  # counts[k][h + (w,)]: raw at k = order - 1, continuation counts below
    totals: tuple[dict[Gram, int], ...]  # totals[k][h] = sum over w of counts[k][h + (w,)]
    types: tuple[dict[Gram, int], ...]  # types[k][h] = number of w with counts[k][h + (w,)] > 0
    discounts: tuple[float, ...]  # D_k, one per level

    def prob(self, context: Sequence[int], token: int) -> float:
        """P(token | the last order - 1 tokens of context); fewer are used when fewer are given."""
        context = tuple(int(t) for t in context)
        usable = min(self.order - 1, len(context))
        p = 1.0 / self.vocab_size
        for k in range(usable + 1):  # lowest order first: each level interpolates with the one below
            h = context[len(context) - k:]
            total = self.totals[k].get(h)
            if not total:
                continue
            d = self.discounts[k]
            seen = self.counts[k].get(h + (int(token),), 0)
            p = (max(seen - d, 0.0) + d * self.types[k][h] * p) / total
        return p

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """P(w | context) for every token w of the vocabulary, shape (V,); sums to 1."""
        return np.array([self.prob(context, w) for w in range(self.vocab_size)])

    def bits(self, ids: Sequence[int]) -> float:
        """Mean -log2 P(ids[i] | ids[i - order + 1 : i]) over the sequence: bits per character.
        The first tokens are predicted from the shorter context they have."""
        ids = _checked(ids, self.vocab_size, "the ids to score")
        if not ids:
            raise ValueError("there are no ids to score: give at least one token.")
        width = self.order - 1
        total = 0.0
        for i, token in enumerate(ids):
            total -= math.log2(self.prob(ids[max(0, i - width):i], token))
        return total / len(ids)


def fit(train_ids: Sequence[int], order: int, vocab_size: int) -> KneserNey:
    """Count the training ids (integers in [0, vocab_size)) into an interpolated Kneser-Ney model of `order`."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"the n-gram order must be a whole number of at least 1; got {order!r}.")
    if not isinstance(vocab_size, int) or vocab_size < 1:
        raise ValueError(f"the vocabulary size must be a whole number of at least 1; got {vocab_size!r}.")
    ids = _checked(train_ids, vocab_size, "the training ids")
    if len(ids) < order:
        raise ValueError(f"a {order}-gram needs at least {order} training tokens; got {len(ids)}.")
    counts: list[dict[Gram, int]] = [{} for _ in range(order)]
    counts[order - 1] = dict(Counter(_grams(ids, order)))
    for k in range(order - 1):
        # one continuation count per distinct left neighbour: read it off the distinct (k+2)-grams
        counts[k] = dict(Counter(gram[1:] for gram in set(_grams(ids, k + 2))))
    totals, types = [], []
    for level in counts:
        total, kinds = Counter(), Counter()
        for gram, c in level.items():
            total[gram[:-1]] += c
            kinds[gram[:-1]] += 1
        totals.append(dict(total))
        types.append(dict(kinds))
    return KneserNey(order=order, vocab_size=vocab_size, counts=tuple(counts), totals=tuple(totals),
                     types=tuple(types), discounts=tuple(_discount(level) for level in counts))


def kneser_ney_bits(train_ids: Sequence[int], eval_ids: Sequence[int], order: int, vocab_size: int) -> float:
    """Fit an interpolated Kneser-Ney model of `order` on train_ids; its bits per character on eval_ids."""
    return fit(train_ids, order, vocab_size).bits(eval_ids)


def _grams(ids: list[int], n: int):
    return zip(*(ids[j:] for j in range(n)))  # every n-gram as a tuple, in order


def _discount(level: dict[Gram, int]) -> float:
    # Ney's estimate of the absolute discount from the number of n-grams seen once and twice
    seen = Counter(level.values())
    n1, n2 = seen[1], seen[2]
    return n1 / (n1 + 2 * n2) if n1 and n2 else FALLBACK_DISCOUNT


def _checked(ids: Sequence[int], vocab_size: int, what: str) -> list[int]:
    values = np.asarray(ids)
    if values.ndim != 1 or (values.size and not np.issubdtype(values.dtype, np.integer)):
        raise ValueError(f"{what} must be a flat sequence of whole numbers; got shape {values.shape}, {values.dtype}.")
    if values.size and (values.min() < 0 or values.max() >= vocab_size):
        raise ValueError(f"{what} must lie in [0, {vocab_size}); got values from {values.min()} to {values.max()}.")
    return values.astype(np.int64).tolist()
