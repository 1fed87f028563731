"""Character vocabulary with an explicit unknown token, and the token vocabulary of a word-level model.

Index 0 of a `Vocab` is always the unknown token, so a model trained on a vocabulary can read any text:
characters it never saw map to index 0 and `encode` names them, so the app can warn.

A `TokenVocab` holds words or subwords as a model brought from elsewhere was trained with them: the
text is split by a tokenizer (TOKENIZERS), an `<unk>`-style entry takes what the vocabulary lacks (token
0 where it has none: `unknown_id` and `has_unknown_token` say which), and the steps it reads come back
as `Tokens`, which tell the figures to say "token" rather than "character".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from explorer.i18n import N_, _

UNKNOWN = "\ufffd"  # the Unicode replacement character, drawn as a box with '?' in most fonts
# How a token model's text is split, by key; the names are shown translated
TOKENIZERS = {"whitespace": N_("whitespace"), "punctuation": N_("whitespace and punctuation"),
              "characters": N_("characters")}
SPLIT = {"whitespace": re.compile(r"\n|[^\s]+"), "punctuation": re.compile(r"\n|\w+|[^\w\s]"),
         "characters": re.compile(r".|\n", re.DOTALL)}
SPECIAL = re.compile(r"^(<[^<>\s]+>|\[[A-Za-z_]+\])$")  # <eos>, <unk>, <pad>, [UNK], [SEP]: never typed as such
UNKNOWN_NAMES = ("<unk>", "[unk]", "<oov>", "<unknown>", UNKNOWN)  # compared lower-cased
END_NAMES = ("<eos>", "</s>", "<eol>", "<nl>")  # what a line break is read as, where the vocabulary has one


@dataclass(frozen=True)
class Encoded:
    ids: torch.Tensor  # (T,) int64 token ids; unknown characters are 0
    chars: tuple[str, ...]  # the original characters, unknown ones kept for display
    unknown: tuple[str, ...]  # distinct characters that were not in the vocabulary, in order of appearance


class Tokens(tuple):
    """The steps a token model read (words, subwords, `<eos>`): a tuple whose type tells the figures to
    say "token" where a character model's say "character"."""

    token_level = True


def is_token_vocabulary(itos) -> bool:
    """Words or subwords: an entry longer than one character, or an `<eos>`-style special entry."""
    return any(len(entry) > 1 or SPECIAL.match(entry) for entry in itos)


@dataclass(frozen=True)
class Vocab:
    """An ordered set of characters; `itos[0]` is the unknown token."""

    itos: tuple[str, ...]
    stoi: dict[str, int] = field(init=False, repr=False, compare=False)
    token_level = False  # steps are characters
    unknown_id = 0  # what an entry the vocabulary lacks is read as
    has_unknown_token = True  # token `unknown_id` is an unknown token, not a real character or word

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


@dataclass(frozen=True)
class TokenVocab(Vocab):
    """Words or subwords in the order a model was trained with them, read by one of TOKENIZERS. An
    `<unk>`-style entry takes the tokens the vocabulary lacks; without one they are read as token 0,
    a real token, and `has_unknown_token` is False so the app says so. A line break is read as an
    `<eos>`-style entry where there is one (the usual word-level corpora end each line with it)."""

    tokenizer: str = "whitespace"
    token_level = True

    def __post_init__(self):
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(_("the tokenizer must be one of {names}").format(names=", ".join(TOKENIZERS)))
        object.__setattr__(self, "stoi", {tok: i for i, tok in enumerate(self.itos)})
        unknown = next((i for i, tok in enumerate(self.itos) if tok.lower() in UNKNOWN_NAMES), None)
        object.__setattr__(self, "unknown_id", 0 if unknown is None else unknown)
        object.__setattr__(self, "has_unknown_token", unknown is not None)
        end = next((tok for tok in self.itos if tok.lower() in END_NAMES), None)
        object.__setattr__(self, "end_of_line", end)

    def split(self, text: str) -> list[str]:
        """The tokens of `text`; a line break is the `<eos>`-style entry, or left out where there is none."""
        pieces = SPLIT[self.tokenizer].findall(text)
        if self.tokenizer == "characters" and "\n" in self.stoi:
            return pieces
        return [self.end_of_line if p == "\n" else p for p in pieces if p != "\n" or self.end_of_line]

    def encode(self, text: str) -> Encoded:
        tokens = self.split(text)
        ids = [self.stoi.get(tok, self.unknown_id) for tok in tokens]
        unknown = tuple(dict.fromkeys(tok for tok in tokens if tok not in self.stoi))
        return Encoded(torch.tensor(ids, dtype=torch.long), Tokens(tokens), unknown)

    def decode(self, ids) -> str:
        """Tokens written as text: a space before each word, a line break for the `<eos>`-style entry."""
        glue = "" if self.tokenizer == "characters" else " "
        return "".join("\n" if tok == self.end_of_line else glue + tok for tok in (self.itos[int(i)] for i in ids))

    @staticmethod
    def default_tokenizer(itos) -> str:
        """Whitespace and punctuation where the vocabulary holds punctuation marks as tokens of their own
        (so "word," is two tokens), whitespace otherwise; characters for a vocabulary of single characters."""
        if not is_token_vocabulary(itos):
            return "characters"
        marks = sum(1 for tok in itos if len(tok) == 1 and not tok.isalnum() and not tok.isspace())
        return "punctuation" if marks >= 2 else "whitespace"
