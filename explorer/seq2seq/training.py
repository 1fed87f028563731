"""Training and scoring the encoder-decoder on the dates task (explorer.tasks.dates): a fresh
model over the task's vocabularies, teacher-forced training, greedy-decoding exact match.
"""
from __future__ import annotations

import datetime as dt

import torch
import torch.nn.functional as F
from torch import nn

from explorer.seq2seq.model import Seq2Seq, Seq2SeqConfig, decoder_inputs, encode_sources, greedy_decode
from explorer.tasks.dates import END, date_words, sample_pairs, source_vocab, split_days, target_vocab


def new_model(cell: str = "lstm", hidden_size: int = 128, embedding_size: int = 16, seed: int = 0) -> Seq2Seq:
    """A freshly initialised model over the task's own vocabularies (the seed fixes the weights)."""
    vocab, target = source_vocab(), target_vocab()
    config = Seq2SeqConfig(cell=cell, source_size=len(vocab), target_size=len(target),
                           embedding_size=embedding_size, hidden_size=hidden_size)
    torch.manual_seed(seed)
    return Seq2Seq(config, vocab, target)


def train(model: Seq2Seq, *, steps: int, lr: float = 3e-3, batch_size: int = 64, clip: float = 1.0,
          seed: int = 0, on_chunk=None, chunk: int = 50) -> list[float]:
    """Teacher-forced training on the train split with Adam and gradient clipping.
    `on_chunk(done, loss)` is called every `chunk` steps. Returns the loss at every step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)  # settle into a sharp minimum
    model.train()
    losses = []
    for step in range(steps):
        pairs = sample_pairs("train", batch_size, generator)
        ids, lengths = encode_sources(model, [s for s, _ in pairs])
        inputs, outputs = decoder_inputs(model, [t for _, t in pairs])  # (B, T) each
        logits = model(ids, lengths, inputs)  # (B, T, C)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), outputs.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if on_chunk is not None and (step + 1) % chunk == 0:
            on_chunk(step + 1, losses[-1])
    model.eval()
    return losses


def score(model: Seq2Seq, split: str = "test", limit: int | None = None) -> dict:
    """Greedy decoding of every date of a split (or its first `limit`): exact-match rate and
    per-character accuracy (position by position over the answer and its end token)."""
    days = split_days(split)[:limit]
    pairs = [(date_words(d), d.isoformat()) for d in map(dt.date.fromordinal, days.tolist())]
    answers = []
    for at in range(0, len(pairs), 1024):  # batches bound the memory of the padded encoder input
        answers += greedy_decode(model, [s for s, _ in pairs[at:at + 1024]])
    exact = sum(a == t for a, (_, t) in zip(answers, pairs))
    chars = sum(sum(x == y for x, y in zip(a + END, t + END)) for a, (_, t) in zip(answers, pairs))
    total_chars = sum(len(t) + 1 for _, t in pairs)
    wrong = [(s, t, a) for a, (s, t) in zip(answers, pairs) if a != t]
    return {"split": split, "metric": "exact match", "value": exact / len(pairs), "char_accuracy": chars / total_chars,
            "examples": len(pairs), "wrong_examples": wrong[:5],
            "baseline": {"value": 1 / len(pairs), "description": "a decoder that ignores the source writes one "
                         "date for all and is right once"}}
