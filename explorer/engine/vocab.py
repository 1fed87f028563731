"""Character vocabulary with an explicit unknown token.

Index 0 is always the unknown token, so a model trained on a vocabulary can read any text:
characters it never saw map to index 0 and `encode` names them, so the app can warn.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from explorer.i18n import _

UNKNOWN = "\ufffd"  # the Unicode replacement character, drawn as a box with '?' in most fonts


@dataclass(frozen=True)
class Encoded:
    ids: torch.Tensor  # (T,) int64 token ids; unknown characters are 0
    chars: tuple[str, ...]  # the original characters, unknown ones kept for display
    unknown: tuple[str, ...]  # distinct characters that were not in the vocabulary, in order of appearance


@dataclass(frozen=True)
class Vocab:
    """An ordered set of characters; `itos[0]` is the unknown token."""

    itos: tuple[str, ...]
    stoi: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not self.itos or self.itos[0] != UNKNOWN:
            raise ValueError(_("a Vocab's first entry must be the unknown token"))
        if len(set(self.itos)) != len(self.itos):
            raise ValueError(_("a Vocab lists each character once"))
        object.__setattr__(self, "stoi", {ch: i for i, ch in enumerate(self.itos)})

    @classmethod
    def from_text(cls, text: str, min_count: int = 1) -> "Vocab":
        """Every character that occurs at least `min_count` times, sorted, after the unknown token."""
        counts: dict[str, int] = {}
        for ch in text:
            counts[ch] = counts.get(ch, 0) + 1
        chars = sorted(ch for ch, n in counts.items() if n >= min_count and ch != UNKNOWN)
        return cls((UNKNOWN, *chars))

    @classmethod
    def from_chars(cls, chars: str | list[str]) -> "Vocab":
        return cls((UNKNOWN, *[ch for ch in dict.fromkeys(chars) if ch != UNKNOWN]))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> Encoded:
        ids = [self.stoi.get(ch, 0) for ch in text]
        unknown = tuple(dict.fromkeys(ch for ch, i in zip(text, ids) if i == 0))
        return Encoded(torch.tensor(ids, dtype=torch.long), tuple(text), unknown)

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)

    def to_json(self) -> list[str]:
        return list(self.itos)

    @classmethod
    def from_json(cls, itos: list[str]) -> "Vocab":
        if not isinstance(itos, list) or not all(isinstance(c, str) and len(c) == 1 for c in itos):
            raise ValueError(_("a vocabulary must be a JSON list of single characters"))
        return cls(tuple(itos))
