"""Tests for explorer/tasks/ngram.py: the interpolated Kneser-Ney n-gram on tiny texts whose answers are known."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.tasks.base import entropy_bits
from explorer.tasks.ngram import fit, kneser_ney_bits


def ids_of(text: str, alphabet: str) -> list[int]:
    return [alphabet.index(ch) for ch in text]


def test_a_hand_computed_bigram():
    # "aab", V = 3. Bigram counts a->a 1, a->b 1 (D = 0.5: two singletons, no doubletons). Continuation
    # unigrams: a 1 (after a), b 1 (after a), c 0; so P1(a) = P1(b) = (0.5 + 0.5 * 2 / 3) / 2 = 5/12,
    # P1(c) = 1/6, and P(b | a) = (0.5 + 0.5 * 2 * 5/12) / 2 = 11/24.
    model = fit([0, 0, 1], order=2, vocab_size=3)
    assert model.prob([], 0) == pytest.approx(5 / 12) and model.prob([], 2) == pytest.approx(1 / 6)
    assert model.prob([0], 1) == pytest.approx(11 / 24) and model.prob([0], 2) == pytest.approx(1 / 12)
    assert model.prob([1], 0) == pytest.approx(5 / 12)  # "b" was never a context: the unigram level answers


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_probabilities_sum_to_one_over_the_vocabulary(order):
    alphabet = "abcdr ."
    model = fit(ids_of("abracadabra. a bad cab. abba rad.", alphabet), order=order, vocab_size=len(alphabet))
    for context in ["", "a", "ab", "abr", "..", "dd", "cr"]:  # seen, unseen and partly seen contexts
        p = model.distribution(ids_of(context, alphabet))
        assert p.shape == (len(alphabet),) and (p > 0).all()
        assert p.sum() == pytest.approx(1.0, abs=1e-12), context


def test_a_deterministic_text_costs_few_bits():
    alphabet = "abcdefgh"
    text = ids_of("abcdefgh" * 200, alphabet)
    held_out = ids_of("cdefgh" + "abcdefgh" * 20, alphabet)  # the same cycle, entered mid-way
    assert kneser_ney_bits(text, held_out, order=3, vocab_size=len(alphabet)) < 0.1
    assert kneser_ney_bits(text, held_out, order=1, vocab_size=len(alphabet)) == pytest.approx(3.0, abs=0.01)


def test_order_one_reproduces_the_unigram_entropy():
    rng = np.random.default_rng(0)
    probs = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
    ids = rng.choice(len(probs), size=20_000, p=probs)
    entropy = entropy_bits(torch.bincount(torch.from_numpy(ids), minlength=len(probs)))
    assert fit(ids, order=1, vocab_size=len(probs)).bits(ids) == pytest.approx(entropy, abs=1e-3)


def test_more_context_helps_on_text_with_structure():
    rng = np.random.default_rng(1)
    words = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran"]
    alphabet = "acdeghmnorst "
    text = ids_of(" ".join(rng.choice(words, size=4000)), alphabet)
    train, test = text[: len(text) * 4 // 5], text[len(text) * 4 // 5:]
    # words drawn at random: a longer context than the word itself tells little more
    bits = [kneser_ney_bits(train, test, order=n, vocab_size=len(alphabet)) for n in (1, 2, 3)]
    assert bits[0] > bits[1] > bits[2] and bits[2] < bits[0] - 2.0


def test_tokens_never_seen_in_training_still_get_a_probability():
    model = fit([0, 1, 0, 1, 0, 1], order=3, vocab_size=4)
    assert 0 < model.prob([0, 1], 3) < model.prob([0, 1], 0)
    assert np.isfinite(model.bits([3, 3, 2, 3]))


@pytest.mark.parametrize("kwargs, message", [
    ({"train_ids": [0, 1], "order": 0, "vocab_size": 2}, "order must be a whole number"),
    ({"train_ids": [0, 1], "order": 2, "vocab_size": 0}, "vocabulary size"),
    ({"train_ids": [0, 5], "order": 2, "vocab_size": 3}, r"lie in \[0, 3\)"),
    ({"train_ids": [0.5, 1.0], "order": 1, "vocab_size": 3}, "whole numbers"),
    ({"train_ids": [0], "order": 3, "vocab_size": 3}, "at least 3 training tokens"),
])
def test_bad_input_is_refused_in_one_sentence(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit(**kwargs)


def test_scoring_nothing_is_refused():
    with pytest.raises(ValueError, match="no ids to score"):
        fit([0, 1, 0], order=2, vocab_size=2).bits([])
