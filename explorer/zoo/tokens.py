"""An uploaded model's vocabulary: a JSON list of characters or of words (index = token id), read into
the Vocab the model was trained with; or, without one, stand-in characters so text can be typed.

A vocabulary of words or subwords (an entry longer than one character, or `<eos>`-style entries)
makes the model a token model: its text is split by a tokenizer (explorer.engine.vocab.TOKENIZERS),
whitespace by default, whitespace and punctuation where the vocabulary holds punctuation marks.
"""
from __future__ import annotations

import json

import torch

from explorer.engine.vocab import TOKENIZERS, UNKNOWN, Encoded, TokenVocab, Vocab, is_token_vocabulary
from explorer.i18n import N_, _
from explorer.zoo import checkpoint

__all__ = ["STANDIN_NOTE", "TOKENIZERS", "TokenVocab", "UploadedVocab", "parse_vocab", "standin_vocab"]

STANDIN_NOTE = N_("no vocabulary was uploaded, so token 0 is the unknown token and tokens 1, 2, … are printable "
                   "characters from the space upwards: the ids are your model's, the letters are stand-ins")


class UploadedVocab(Vocab):
    """A vocabulary exactly as the uploaded model was trained with it: token 0 need not be the
    unknown token (characters it lacks are still read as token 0; the page says which)."""

    has_unknown_token = False

    def __post_init__(self):
        object.__setattr__(self, "stoi", {ch: i for i, ch in enumerate(self.itos)})

    def encode(self, text: str) -> Encoded:
        ids = [self.stoi.get(ch, 0) for ch in text]
        unknown = tuple(dict.fromkeys(ch for ch in text if ch not in self.stoi))  # token 0 is a real character here
        return Encoded(torch.tensor(ids, dtype=torch.long), tuple(text), unknown)


def parse_vocab(raw: bytes, size: int, filename: str | None = None, *, tokenizer: str | None = None) -> Vocab:
    """A JSON vocabulary: a list of characters or words (index = position), {"itos": [...]} or {entry: index}.
    A vocabulary of words or subwords gives a TokenVocab split by `tokenizer` (default: the one its entries
    suggest, TokenVocab.default_tokenizer). `filename` names the file in the messages (default: "the
    vocabulary", in the current language)."""
    filename = checkpoint.file_label(filename) if filename else _("the vocabulary")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(_("{file} is not valid JSON ({error}).")
                         .format(file=filename, error=err.__class__.__name__)) from None
    except (RecursionError, ValueError):  # nested too deeply, or a number longer than Python reads
        checkpoint.read_json(raw, filename)  # says which, in one sentence
        raise
    if isinstance(data, dict) and "itos" in data:
        data = data["itos"]
    if isinstance(data, dict):
        indices = list(data.values())
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in indices) \
                or sorted(indices) != list(range(len(data))):
            raise ValueError(_("{file} maps characters to indices, but the indices are not 0, 1, …, {last} each once.")
                             .format(file=filename, last=len(data) - 1))
        data = sorted(data, key=data.get)
    if not isinstance(data, list):
        raise ValueError(_("{file} must be a list of characters, {itos} or {{character: index}}.")
                         .format(file=filename, itos='{"itos": [...]}'))
    for position, entry in enumerate(data):
        if not isinstance(entry, str) or not entry:
            raise ValueError(_("{file}: entry {position} ({entry}) is not a character.")
                             .format(file=filename, position=position, entry=repr(entry)))
    seen: dict[str, int] = {}
    for position, entry in enumerate(data):
        if entry in seen:
            raise ValueError(_("{file} lists {entry} twice (positions {first} and {second}).")
                             .format(file=filename, entry=repr(entry), first=seen[entry], second=position))
        seen[entry] = position
    itos = tuple(data)
    token_level = is_token_vocabulary(itos)
    if token_level:
        for position, entry in enumerate(itos):
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in entry):  # no page can encode half a surrogate pair
                raise ValueError(_("{file}: vocabulary entry {position} ({entry}) holds half of a surrogate pair, "
                                   "not a character.").format(file=filename, position=position, entry=repr(entry)))
    else:
        checkpoint.check_vocab_entries(data, filename)  # none half a surrogate pair
    if len(data) != size:
        raise ValueError(_("{file} has {n} entries but the model reads {size} tokens.")
                         .format(file=filename, n=len(data), size=size))
    if token_level:
        return TokenVocab(itos, tokenizer=tokenizer or TokenVocab.default_tokenizer(itos))
    return Vocab(itos) if itos[0] == UNKNOWN else UploadedVocab(itos)


def standin_vocab(size: int) -> Vocab:
    """Token 0 is the unknown token, tokens 1… printable characters from the space upwards, so
    text can be typed into a model that came without a vocabulary (see STANDIN_NOTE)."""
    chars, code = [], 32
    while len(chars) < size - 1:
        ch = chr(code)
        if ch.isprintable() and ch != UNKNOWN:
            chars.append(ch)
        code += 1
    return Vocab((UNKNOWN, *chars))
