"""The encoder-decoder's zoo recipes and how one is rebuilt: train with the fixed seed, score
every held-out date, save. explorer.zoo lists and builds these through the kind registered in
explorer/seq2seq/__init__.py (`python -m explorer.zoo build dates-lstm`).
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from explorer.seq2seq.checkpoint import KIND, read_meta, save
from explorer.seq2seq.model import Seq2Seq
from explorer.seq2seq.training import new_model, score, train
from explorer.tasks.dates import FIRST_DATE, LAST_DATE


@dataclass(frozen=True)
class Seq2SeqRecipe:
    """How to rebuild one pretrained encoder-decoder from nothing."""

    name: str
    title: str
    cell: str
    hidden_size: int
    steps: int
    lr: float = 3e-3
    batch_size: int = 64
    embedding_size: int = 16
    seed: int = 0
    note: str = ""


RECIPES: dict[str, Seq2SeqRecipe] = {r.name: r for r in [
    Seq2SeqRecipe("dates-lstm", "LSTM encoder-decoder: a date in words to digits", "lstm", 128, steps=1500,
                  lr=5e-3, note="the Encoder-decoder page's model; no attention, one handed-over state (h, c)"),
]}


def build(name: str, directory: Path | None = None, progress: bool = True) -> Seq2Seq:
    """Train a recipe from scratch with its fixed seed, score it on every held-out date, save it."""
    recipe = RECIPES[name]
    torch.set_num_threads(1)  # small batches; one thread keeps the build reproducible and polite
    model = new_model(recipe.cell, recipe.hidden_size, recipe.embedding_size, recipe.seed)
    started = time.perf_counter()

    def report(done, loss):
        if progress:
            print(f"\r{name:22s} {done}/{recipe.steps} loss {loss:.4f} {time.perf_counter() - started:5.0f} s",
                  end="", file=sys.stderr, flush=True)

    train(model, steps=recipe.steps, lr=recipe.lr, batch_size=recipe.batch_size, seed=recipe.seed, on_chunk=report)
    seconds = time.perf_counter() - started
    if progress:
        print(file=sys.stderr)
    meta = {
        "name": name, "kind": KIND, "title": recipe.title, "task": "dates",
        "task_title": "a date in words to its ISO form", "cell": recipe.cell, "recipe": asdict(recipe),
        "seed": recipe.seed, "steps": recipe.steps, "training_seconds": round(seconds, 1),
        "data_source": f"every date {FIRST_DATE} to {LAST_DATE} written out by explorer.seq2seq.date_words; "
                       "every tenth day held out for test",
        "parameters": model.num_parameters(), "metrics": {"test": score(model, "test"), "val": score(model, "val")},
        "torch": torch.__version__, "note": recipe.note,
    }
    _, meta_path = save(model, name, meta, directory)
    model.meta = read_meta(meta_path.read_bytes())  # exactly the sidecar on disk, as zoo.load would give it
    return model
