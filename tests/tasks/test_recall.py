"""The delayed-recall task: what the batches hold, what is scored, and what chance and memory score."""
import pytest
import torch
import torch.nn.functional as F

from explorer.tasks.recall import BLANK, GO, RecallTask


def test_a_batch_is_symbols_then_blanks_then_the_question_and_the_answer_is_the_symbols():
    task = RecallTask()
    batch = task.batch("train", 64, 12, torch.Generator().manual_seed(0))
    k, vocab = task.k, task.vocab
    assert batch.x.shape == batch.y.shape == batch.mask.shape == (64, 12)
    for row in range(64):
        text = vocab.decode(batch.x[row])
        assert text[k:12 - k] == BLANK * task.gap(12) and text[12 - k] == GO and text[12 - k + 1:] == BLANK * (k - 1)
        assert "".join(task.output_labels[int(c)] for c in batch.y[row, 12 - k:]) == text[:k]  # in order
        assert batch.mask[row].tolist() == [False] * (12 - k) + [True] * k
    assert batch.y[batch.mask].unique().tolist() == list(range(task.n_symbols))  # every symbol occurs


def test_seeded_batches_repeat_and_the_gap_is_the_length_less_twice_k():
    task = RecallTask(k=2, n_symbols=3)
    first = task.batch("val", 8, 30, torch.Generator().manual_seed(5))
    second = task.batch("val", 8, 30, torch.Generator().manual_seed(5))
    assert torch.equal(first.x, second.x) and torch.equal(first.y, second.y)
    assert task.gap(30) == 26 and task.output_size == 3 and task.input_size == len(task.vocab) == 6


def test_memory_scores_one_and_guessing_scores_the_baseline():
    task = RecallTask()
    batch = task.batch("test", 2000, 20, torch.Generator().manual_seed(1))
    remembered = F.one_hot(batch.y, task.output_size).float() * 10  # (B, T, C) logits of a perfect memory
    assert task.metric(remembered, batch) == 1.0
    guess = torch.zeros(2000, 20, task.output_size)
    guess[..., 0] = 1.0  # always the first symbol
    baseline, words = task.baseline()
    assert baseline == 0.25 and "25.0%" in words
    assert abs(task.metric(guess, batch) - baseline) < 0.02
    assert float(task.loss(remembered, batch)) < 1e-3 < float(task.loss(guess, batch))


def test_bad_settings_and_lengths_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="k from 1 to 10"):
        RecallTask(k=0)
    with pytest.raises(ValueError, match="n_symbols"):
        RecallTask(n_symbols=9)
    with pytest.raises(ValueError, match="seq_len for the recall task must be between 6"):
        RecallTask().batch("train", 2, 5, torch.Generator())
    assert RecallTask(**RecallTask(k=4).config()).k == 4
