"""Bring your own model: a stock torch.nn.RNN / GRU / LSTM state_dict (or Keras weights, explorer/zoo/keras.py),
read safely, its architecture inferred from the parameter names and shapes, rebuilt as an explorer RNNModel.

    from explorer.zoo import your_model
    found = your_model.infer(your_model.read_weights(raw, "mine.safetensors"))   # config + rows to confirm
    model = your_model.build(found, your_model.parse_vocab(json_raw, found.config.input_size))

    layouts.py  the weights: reading them safely, the layouts people save, the tables to confirm
    tokens.py   the vocabulary: characters or words, the tokenizer, the stand-in without one
    keras.py    Keras SimpleRNN / GRU / LSTM weights, turned into torch's layout
"""
from __future__ import annotations

import json

import torch
from safetensors.torch import save as save_safetensors_bytes
from torch import nn

from explorer.engine.models import RNNModel
from explorer.engine.vocab import Vocab
from explorer.i18n import _
from explorer.zoo import checkpoint, keras
from explorer.zoo.layouts import (  # noqa: F401  (the names this module has always offered)
    CELL_BY_GATES,
    CORE_KEY,
    EMBED_NAME,
    GATE_LETTERS,
    HEAD_NAME,
    MAX_UPLOAD_BYTES,
    ROLES,
    TORCH_MAGIC,
    WRAPPERS,
    Inferred,
    Roles,
    Tensors,
    infer,
    read_tensors,
    role_name,
)
from explorer.zoo.tokens import STANDIN_NOTE, UploadedVocab, parse_vocab, standin_vocab  # noqa: F401


def read_weights(raw: bytes, filename: str | None = None) -> Tensors:
    """read_tensors, plus Keras weights (a .npz, or safetensors under Keras's names) turned into torch's layout:
    what the Your model page reads. Each failure is one sentence."""
    if keras.is_npz(raw):
        return keras.read_keras(raw, filename)
    tensors = read_tensors(raw, filename)
    if keras.is_keras(tensors):
        label = checkpoint.file_label(filename) if filename else _("the file")
        converted = keras.to_torch(tensors, label, ordered=False)
        converted.notes = tensors.notes + converted.notes
        return converted
    return tensors


# Works for tied weights too: clone() gives each key its own storage, which safetensors insists on
EXPORT_RECIPE = """from safetensors.torch import save_file
save_file({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}, "mine.safetensors")
json.dump(list(itos), open("vocab.json", "w"))  # optional: the character of each token id, in order"""


def build(found: Inferred, vocab: Vocab | None = None, *, source: str = "") -> RNNModel:
    """An eval-mode RNNModel with the uploaded weights. Without a head its output is the core's
    own (an identity head): the pages then show states, gates and gradients, not guesses."""
    model = RNNModel(found.config, vocab if vocab is not None else standin_vocab(found.config.input_size))
    if not found.has_head:
        model.head = nn.Identity()
    model.load_state_dict(found.state)
    model.meta = {"task": "uploaded", "source": source, "has_head": found.has_head,
                  "vocabulary": "uploaded" if vocab is not None else "stand-in",
                  "token_level": bool(vocab is not None and vocab.token_level)}
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def has_head(model: RNNModel) -> bool:
    """False for an uploaded model without a head: it makes no next-character guesses."""
    return not isinstance(getattr(model, "head", None), nn.Identity)


def example_files(seed: int = 0) -> tuple[bytes, bytes]:
    """A small random character LSTM saved the way the README's recipe saves one (an embedding,
    an nn.LSTM under 'lstm.', a head under 'fc.'), and its vocabulary JSON: something to upload."""
    chars = list("\n abcdefghijklmnopqrstuvwxyz.,;:!?'")
    with torch.random.fork_rng():  # leaves the caller's random stream as it was
        torch.manual_seed(seed)
        embedding, lstm, fc = nn.Embedding(len(chars), 16), nn.LSTM(16, 32), nn.Linear(32, len(chars))
    weights = {"embedding.weight": embedding.weight,
               **{f"lstm.{k}": v for k, v in lstm.state_dict().items()},
               **{f"fc.{k}": v for k, v in fc.state_dict().items()}}
    raw = save_safetensors_bytes({k: v.detach().contiguous() for k, v in weights.items()})
    return raw, json.dumps(chars).encode("utf-8")
