"""Encoder-decoder: a date written in words goes in, the same date in digits comes out.

source characters -> embedding -> encoder (stock nn.GRU or nn.LSTM) -> its final state, handed
over whole -> decoder (the same stock cell, started from that state, reading the character it
wrote last) -> linear head -> next character, until the end token. No attention: everything the
decoder knows about the source passes through the handed-over state, the bottleneck the view shows.

The task (dates in words, their ISO form, the splits) lives in explorer.tasks.dates.
`trace_seq2seq` runs explorer.trace on the encoder and then on the decoder (given the encoder's
final state as `state=`), so every state and gate drawn is the real network's.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from .tasks.dates import FORM, parse_date  # noqa: F401  (the Encoder-decoder page reads them from here)
from .tasks.dates import (END, FIRST_DATE, LAST_DATE, START, date_words, sample_pairs, source_vocab, split_days,
                          target_vocab)
from .trace import Trace, trace
from .vocab import Vocab

MAX_ANSWER = 16  # greedy decoding stops here if the end token never comes (a right answer has 10)

# ---------------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True)
class Seq2SeqConfig:
    cell: str = "lstm"  # gru or lstm, the stock modules; the LSTM hands over two vectors (h and c)
    source_size: int = 32  # source vocabulary (letters, space, hyphen, comma, unknown)
    target_size: int = 14  # digits, '-', end, start, unknown
    embedding_size: int = 16  # characters carry little; the state does the work
    hidden_size: int = 128  # the whole date must pass through this state (h and c for an LSTM)
    num_layers: int = 1

    def __post_init__(self):
        if self.cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be gru or lstm; got {self.cell!r}")
        for name in ("source_size", "target_size", "embedding_size", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4096:
                raise ValueError(f"{name} must be a whole number from 1 to 4096; got {value!r}")

    def to_dict(self) -> dict:
        return asdict(self)


class Seq2Seq(nn.Module):
    """Embedding -> encoder -> handed-over state -> decoder -> head. Parameter names are torch's
    own inside `encoder.` and `decoder.` (weight_ih_l0, ...)."""

    def __init__(self, config: Seq2SeqConfig, vocab: Vocab, target: Vocab):
        super().__init__()
        if (len(vocab), len(target)) != (config.source_size, config.target_size):
            raise ValueError("the vocabularies do not match source_size and target_size")
        self.config, self.vocab, self.target = config, vocab, target
        cell = nn.GRU if config.cell == "gru" else nn.LSTM
        size = dict(hidden_size=config.hidden_size, num_layers=config.num_layers, batch_first=True)
        self.source_embedding = nn.Embedding(config.source_size, config.embedding_size)
        self.encoder = cell(config.embedding_size, **size)
        self.target_embedding = nn.Embedding(config.target_size, config.embedding_size)
        self.decoder = cell(config.embedding_size, **size)
        self.head = nn.Linear(config.hidden_size, config.target_size)
        self.meta: dict = {}

    def encode(self, source: torch.Tensor, lengths: torch.Tensor):
        """source (B, S) ids padded at the end -> the encoder's state after each sequence's last real character."""
        embedded = self.source_embedding(source)  # (B, S, E)
        if int(lengths.min()) != source.shape[1]:  # padding must never reach the state
            embedded = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = self.encoder(embedded)  # (L, B, H), or (h, c) for an LSTM
        return state

    def forward(self, source: torch.Tensor, lengths: torch.Tensor, decoder_input: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: the decoder reads the true previous character. -> logits (B, T, C)."""
        out, _ = self.decoder(self.target_embedding(decoder_input), self.encode(source, lengths))  # (B, T, H)
        return self.head(out)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def encode_sources(model: Seq2Seq, sources: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ids (B, S) and lengths (B,); padding uses id 0, which packing skips."""
    lengths = torch.tensor([len(s) for s in sources])
    ids = torch.zeros(len(sources), int(lengths.max()), dtype=torch.long)
    for row, text in enumerate(sources):
        ids[row, :len(text)] = model.vocab.encode(text).ids
    return ids, lengths


def decoder_inputs(model: Seq2Seq, targets: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher forcing for equal-length targets: inputs START+y (B, T) and outputs y+END (B, T)."""
    stoi = model.target.stoi
    written = torch.tensor([[stoi[c] for c in t + END] for t in targets])  # (B, T)
    start = torch.full((len(targets), 1), stoi[START])
    return torch.cat([start, written[:, :-1]], 1), written


@torch.no_grad()
def greedy_decode(model: Seq2Seq, sources: list[str], max_len: int = MAX_ANSWER) -> list[str]:
    """Free running: each step reads the most likely character of the step before; stops at END."""
    ids, lengths = encode_sources(model, sources)
    state = model.encode(ids, lengths)
    token = torch.full((len(sources), 1), model.target.stoi[START])
    end, rows = model.target.stoi[END], []
    for _ in range(max_len):
        out, state = model.decoder(model.target_embedding(token), state)  # (B, 1, H)
        token = model.head(out).argmax(-1)  # (B, 1)
        rows.append(token[:, 0])
        if bool((torch.stack(rows, 1) == end).any(1).all()):  # every row has ended
            break
    written = [model.target.decode(row) for row in torch.stack(rows, 1).tolist()]
    return [text.split(END)[0] for text in written]


# ---------------------------------------------------------------------------------------------
# tracing: the encoder, the handed-over state, the decoder


@dataclass
class Seq2SeqTrace:
    """explorer.trace of the encoder over the source and of the decoder as it writes."""

    source: tuple[str, ...]  # the characters read
    encoder: Trace  # [layer, direction, t, unit], t = source position
    handed_hidden: np.ndarray  # [L, H]: the encoder's last hidden state, the decoder's h_{-1}
    handed_cell: np.ndarray | None  # [L, H], LSTM only: the encoder's last cell state, the decoder's c_{-1}
    decoder: Trace  # [layer, direction, t, unit], t = written position
    read: tuple[str, ...]  # what the decoder read at each step: START, then the previous character
    written: tuple[str, ...]  # its most likely character at each step (END included)
    probs: np.ndarray  # [T, C]
    topk_labels: list[list[str]]  # [T][k]
    topk_probs: np.ndarray  # [T, k]
    teacher_forced: bool
    unknown: tuple[str, ...] = ()

    @property
    def answer(self) -> str:
        """What it wrote, up to (not including) the end token."""
        text = "".join(self.written)
        return text.split(END)[0]


def trace_seq2seq(model: Seq2Seq, source: str, *, target: str | None = None, k: int = 3,
                  max_len: int = MAX_ANSWER) -> Seq2SeqTrace:
    """Trace one source. Without `target` the decoder runs free (reads its own greedy output);
    with it, teacher forcing (reads the true previous character)."""
    if not source:
        raise ValueError("the source is empty: type a date in words")
    encoded = model.vocab.encode(source)
    with torch.no_grad():
        encoder = trace(model.encoder, model.source_embedding(encoded.ids))  # (S, E) in
    handed_h = torch.as_tensor(encoder.hidden[:, 0, -1])  # [L, H]: after the last source character
    handed_c = torch.as_tensor(encoder.cell[:, 0, -1]) if encoder.cell is not None else None
    state = (handed_h, handed_c) if handed_c is not None else handed_h
    if target is None:
        answer = greedy_decode(model, [source], max_len)[0]  # each step then reads the one before it
        read_chars = START + (answer if len(answer) < max_len else answer[:-1])  # ended, or cut at max_len
    else:
        unknown = [c for c in target if c not in model.target.stoi]
        if unknown:
            raise ValueError(f"the target holds {unknown[0]!r}, which the decoder cannot write")
        read_chars = START + target
    read_ids = torch.tensor([model.target.stoi[c] for c in read_chars])
    with torch.no_grad():
        decoder = trace(model.decoder, model.target_embedding(read_ids), state=state)
        logits = model.head(torch.as_tensor(decoder.output))  # (T, C)
        probs = torch.softmax(logits.double(), -1)
        top = probs.topk(min(k, probs.shape[-1]), -1)
    written = tuple(model.target.itos[i] for i in probs.argmax(-1).tolist())
    return Seq2SeqTrace(
        source=tuple(source), encoder=encoder, handed_hidden=handed_h.numpy(),
        handed_cell=handed_c.numpy() if handed_c is not None else None, decoder=decoder, read=tuple(read_chars),
        written=written, probs=probs.numpy(), topk_probs=top.values.numpy(),
        topk_labels=[[model.target.itos[i] for i in row] for row in top.indices.tolist()],
        teacher_forced=target is not None, unknown=encoded.unknown)


# ---------------------------------------------------------------------------------------------
# training and scoring


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


# ---------------------------------------------------------------------------------------------
# the zoo's recipes, saving and loading (explorer.zoo lists, loads and builds these)

KIND = "seq2seq"


@dataclass(frozen=True)
class Seq2SeqRecipe:
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


def build(name: str, directory=None, progress: bool = True) -> Seq2Seq:
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
    save(model, name, meta, directory)
    model.meta = read_meta(meta_bytes(model, meta))
    return model


def meta_bytes(model: Seq2Seq, meta: dict) -> bytes:
    from .zoo import FORMAT
    full = dict(meta, kind=KIND, format=FORMAT, config=model.config.to_dict(), vocab=model.vocab.to_json(),
                target_vocab=model.target.to_json())
    return (json.dumps(full, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def save(model: Seq2Seq, name: str, meta: dict, directory=None):
    """NAME.safetensors (raw tensors, nothing executable) and NAME.json, next to the other models."""
    from .zoo import FORMAT, _paths
    weights_path, meta_path = _paths(name, directory)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(weights_path), metadata={"format": FORMAT})
    meta_path.write_bytes(meta_bytes(model, meta))
    return weights_path, meta_path


def read_meta(raw: bytes, label: str = "metadata") -> dict:
    from .zoo import read_meta as read_any
    meta = read_any(raw, label)
    if meta.get("kind") != KIND:
        raise ValueError(f"{label} does not describe an encoder-decoder (kind {meta.get('kind')!r})")
    return meta


def load_checkpoint(weights: bytes, meta: bytes | dict, label: str = "checkpoint") -> Seq2Seq:
    """A ready model (eval mode, no gradients) from safetensors bytes and JSON metadata, every
    part checked; never unpickles anything."""
    from .zoo import load_weights
    meta = read_meta(meta, f"{label} metadata") if isinstance(meta, (bytes, bytearray)) else meta
    try:
        config = Seq2SeqConfig(**meta["config"])
        model = Seq2Seq(config, Vocab.from_json(meta.get("vocab")), Vocab.from_json(meta.get("target_vocab")))
    except (TypeError, ValueError, RuntimeError, OSError) as err:
        raise ValueError(f"{label} metadata or weights are unusable: {err}") from None
    load_weights(model, weights, label)
    model.meta = meta
    return model
