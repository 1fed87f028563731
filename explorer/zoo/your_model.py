"""Bring your own model: a stock torch.nn.RNN / GRU / LSTM state_dict, read safely, its
architecture inferred from the parameter names and shapes, rebuilt as an explorer RNNModel.

    from explorer.zoo import your_model
    found = your_model.infer(your_model.read_tensors(raw, "mine.safetensors"))   # config + rows to confirm
    model = your_model.build(found, your_model.parse_vocab(json_raw, found.config.input_size))

Nothing is ever unpickled: safetensors is a JSON header and raw tensors, and a .pt file goes
through torch.load(weights_only=True), which refuses anything but tensors and plain containers.
Every failure is a ValueError whose message is one sentence naming the file, key or shape.
"""
from __future__ import annotations

import io
import json
import pickle
import re
from dataclasses import dataclass

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes
from torch import nn

from explorer.engine.models import ModelConfig, RNNModel
from explorer.engine.vocab import UNKNOWN, Encoded, Vocab
from explorer.zoo.checkpoint import MAX_CHECKPOINT_BYTES

MAX_UPLOAD_BYTES = MAX_CHECKPOINT_BYTES  # the zoo's own limit: far above any model a page can draw
TORCH_MAGIC = (b"PK\x03\x04", b"\x80")  # torch.save's zip archive, or its legacy pickle stream
CORE_KEY = re.compile(r"^(?P<prefix>.*?)(?P<kind>weight|bias)_(?P<part>ih|hh|hr)_l(?P<layer>\d+)(?P<rev>_reverse)?$")
HEAD_NAME = re.compile(r"head|fc|linear|decoder|out|classifier")
CELL_BY_GATES = {4: "lstm", 3: "gru", 1: "rnn"}  # rows of weight_hh / hidden size, as torch.nn stacks the gates
GATE_LETTERS = {"lstm": "i f g o", "gru": "r z n", "rnn": "one block, no gates"}
STANDIN_NOTE = ("no vocabulary was uploaded, so token 0 is the unknown token and tokens 1, 2, … are printable "
                "characters from the space upwards: the ids are your model's, the letters are stand-ins")


class UploadedVocab(Vocab):
    """A vocabulary exactly as the uploaded model was trained with it: token 0 need not be the
    unknown token (characters it lacks are still read as token 0; the page says which)."""

    def __post_init__(self):
        object.__setattr__(self, "stoi", {ch: i for i, ch in enumerate(self.itos)})

    def encode(self, text: str) -> Encoded:
        ids = [self.stoi.get(ch, 0) for ch in text]
        unknown = tuple(dict.fromkeys(ch for ch in text if ch not in self.stoi))  # token 0 is a real character here
        return Encoded(torch.tensor(ids, dtype=torch.long), tuple(text), unknown)


@dataclass(frozen=True)
class Inferred:
    """What the weights say the model is, and the weights under RNNModel's own names."""

    config: ModelConfig
    state: dict  # RNNModel state_dict keys -> tensors (zeros where the file had no biases)
    rows: list  # [{"what", "inferred", "read from"}]: the architecture, for the user to confirm
    has_head: bool


# ---------------------------------------------------------------------------------------------
# bytes -> tensors


def read_tensors(raw: bytes, filename: str = "the file") -> dict[str, torch.Tensor]:
    """A dict of finite float tensors from safetensors or .pt bytes (float32, detached)."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValueError(f"{filename} is {len(raw) / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    if not raw:
        raise ValueError(f"{filename} is empty.")
    # safetensors: an 8-byte header length, then the JSON header; anything else that looks like
    # torch.save's output goes to the weights-only loader
    is_torch = raw[8:9] != b"{" and raw.startswith(TORCH_MAGIC)
    loaded = _torch_load(raw, filename) if is_torch else _safetensors_load(raw, filename)
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]  # a training checkpoint that wraps the weights
    if not isinstance(loaded, dict):
        raise ValueError(f"{filename} holds a {type(loaded).__name__}, not a dict of tensors; "
                         "save model.state_dict() instead.")
    if not loaded:
        raise ValueError(f"{filename} holds no tensors.")
    others = sorted(str(k) for k, v in loaded.items() if not isinstance(v, torch.Tensor))
    if others:
        raise ValueError(f"{filename} holds entries that are not tensors ({_names(others)}); "
                         "save model.state_dict() alone.")
    tensors = {}
    for key, tensor in loaded.items():
        if not tensor.is_floating_point():
            raise ValueError(f"{filename}: {key} holds {str(tensor.dtype).replace('torch.', '')} values; "
                             "weights must be floating point.")
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{filename}: {key} holds NaN or infinite values.")
        tensors[str(key)] = tensor.detach().to(torch.float32)
    return tensors


def _torch_load(raw: bytes, filename: str):
    try:
        return torch.load(io.BytesIO(raw), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        raise ValueError(f"{filename} holds Python objects other than tensors, which are never unpickled here "
                         "(they could run code); save model.state_dict() instead.") from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ValueError(f"{filename} could not be read as a PyTorch .pt file (damaged or truncated?).") from None


def _safetensors_load(raw: bytes, filename: str):
    try:
        return load_safetensors_bytes(bytes(raw))
    except (SafetensorError, RuntimeError, OSError, ValueError, TypeError):
        raise ValueError(f"{filename} is not a tensor file: neither safetensors nor a PyTorch .pt file "
                         "(damaged or truncated?).") from None


def _names(keys, shown: int = 6) -> str:
    keys = list(keys)
    return ", ".join(keys[:shown]) + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def _shape(t: torch.Tensor) -> tuple:
    return tuple(t.shape)


# ---------------------------------------------------------------------------------------------
# names and shapes -> architecture


def infer(tensors: dict[str, torch.Tensor], *, nonlinearity: str = "tanh") -> Inferred:
    """The architecture of a stock torch.nn.RNN / GRU / LSTM state_dict (any common key prefix,
    plus an optional embedding and head), checked shape by shape. An Elman RNN's tanh or relu
    cannot be read from its weights: `nonlinearity` says which."""
    core = {k: m for k in tensors if (m := CORE_KEY.match(k))}
    if not core:
        raise ValueError(f"No recurrent weights found (weight_ih_l0, weight_hh_l0, …); "
                         f"the file has {_names(sorted(tensors))}.")
    prefixes = sorted({m["prefix"] for m in core.values()})
    if len(prefixes) > 1:
        raise ValueError(f"The file holds more than one recurrent core (prefixes {_names(repr(p) for p in prefixes)}); "
                         "upload one model's weights.")
    prefix = prefixes[0]
    projected = sorted(k for k, m in core.items() if m["part"] == "hr")
    if projected:
        raise ValueError(f"{projected[0]} means an LSTM built with proj_size, which the explorer cannot trace; "
                         "upload a model without projections.")
    w_hh, w_ih = tensors.get(f"{prefix}weight_hh_l0"), tensors.get(f"{prefix}weight_ih_l0")
    if w_hh is None or w_ih is None:
        raise ValueError(f"The file lacks {prefix}weight_ih_l0 or {prefix}weight_hh_l0, "
                         f"which every recurrent layer 0 has.")
    if w_hh.dim() != 2 or w_ih.dim() != 2 or w_hh.shape[1] == 0 or w_hh.shape[0] % w_hh.shape[1] \
            or w_hh.shape[0] // w_hh.shape[1] not in CELL_BY_GATES:
        raise ValueError(f"{prefix}weight_hh_l0 has shape {_shape(w_hh)}: its rows must be 1, 3 or 4 times its columns "
                         "(RNN, GRU or LSTM).")
    hidden = w_hh.shape[1]
    gate_rows = w_hh.shape[0]
    cell = CELL_BY_GATES[gate_rows // hidden]
    layers = 1 + max(int(m["layer"]) for m in core.values())
    bidirectional = any(m["rev"] for m in core.values())
    has_bias = any(m["kind"] == "bias" for m in core.values())
    dirs = 2 if bidirectional else 1
    state = {}
    for layer in range(layers):
        for d in range(dirs):
            sfx = "_reverse" if d else ""
            shapes = {"weight_ih": (gate_rows, w_ih.shape[1] if layer == 0 else dirs * hidden),
                      "weight_hh": (gate_rows, hidden)}
            if has_bias:
                shapes.update(bias_ih=(gate_rows,), bias_hh=(gate_rows,))
            for part, shape in shapes.items():
                key = f"{prefix}{part}_l{layer}{sfx}"
                where = f"layer {layer}{' backward' if d else ''} of this {cell.upper()} with {hidden} units"
                if key not in tensors:
                    raise ValueError(f"The file lacks {key}, which {where} needs.")
                if _shape(tensors[key]) != shape:
                    raise ValueError(f"{key} has shape {_shape(tensors[key])} but {where} needs {shape}.")
                state[f"rnn.{part}_l{layer}{sfx}"] = tensors[key]
            if not has_bias:
                for part in ("bias_ih", "bias_hh"):  # torch adds nothing; zeros compute the same function
                    state[f"rnn.{part}_l{layer}{sfx}"] = torch.zeros(gate_rows)
    embedding, head = _embedding_and_head(tensors, set(core), w_ih.shape[1], dirs * hidden)
    if embedding is not None:
        state["embedding.weight"] = tensors[embedding]
    if head is not None:
        state["head.weight"] = tensors[head[0]]
        out_size = tensors[head[0]].shape[0]
        state["head.bias"] = tensors[head[1]] if head[1] else torch.zeros(out_size)
    vocab_size = tensors[embedding].shape[0] if embedding else w_ih.shape[1]
    try:
        config = ModelConfig(
            cell=cell, input_mode="embedding" if embedding else "onehot", input_size=vocab_size,
            embedding_size=w_ih.shape[1] if embedding else ModelConfig.embedding_size, hidden_size=hidden,
            num_layers=layers, bidirectional=bidirectional, head="per_step",
            output_size=state["head.weight"].shape[0] if head else dirs * hidden,
            output_kind="classes" if head else "real", nonlinearity=nonlinearity if cell == "rnn" else "tanh")
    except ValueError as err:
        raise ValueError(f"The explorer cannot draw this model: {err}.") from None
    rows = _rows(config, prefix, has_bias, embedding, head, tensors)
    return Inferred(config=config, state=state, rows=rows, has_head=head is not None)


def _embedding_and_head(tensors, core_keys, core_input: int, core_output: int):
    """The embedding key and the (head weight key, head bias key or None), each checked; None when absent."""
    rest = sorted(k for k in tensors if k not in core_keys)
    embeddings = [k for k in rest if "embed" in k.lower() and k.endswith("weight")]
    head_weights = [k for k in rest if k not in embeddings and k.endswith("weight")
                    and HEAD_NAME.search(k[:-len("weight")].lower())]
    for found, what in ((embeddings, "embedding"), (head_weights, "head")):
        if len(found) > 1:
            raise ValueError(f"The file holds more than one {what} ({_names(found)}); keep one.")
    embedding = embeddings[0] if embeddings else None
    head_bias = None
    if head_weights:
        candidate = head_weights[0][:-len("weight")] + "bias"
        head_bias = candidate if candidate in tensors else None
    known = set(embeddings) | set(head_weights) | ({head_bias} if head_bias else set())
    unknown = sorted(k for k in rest if k not in known)
    if unknown:
        raise ValueError(f"Keys the explorer does not recognise: {_names(unknown)}; it reads a recurrent core "
                         "(weight_ih_l0, …), an optional *embed*.weight and an optional head "
                         "(head, fc, linear, decoder or out: .weight and .bias).")
    if embedding is not None:
        shape = _shape(tensors[embedding])
        if len(shape) != 2 or shape[1] != core_input:
            raise ValueError(f"{embedding} has shape {shape} but the core reads {core_input} values per step, "
                             f"so an embedding must be (tokens, {core_input}).")
    if not head_weights:
        return embedding, None
    weight = head_weights[0]
    shape = _shape(tensors[weight])
    if len(shape) != 2 or shape[1] != core_output:
        raise ValueError(f"{weight} has shape {shape} but the core gives {core_output} values per step, "
                         f"so a head must be (outputs, {core_output}).")
    if head_bias is not None and _shape(tensors[head_bias]) != (shape[0],):
        raise ValueError(f"{head_bias} has shape {_shape(tensors[head_bias])} but {weight} needs ({shape[0]},).")
    return embedding, (weight, head_bias)


def _rows(config: ModelConfig, prefix: str, has_bias: bool, embedding, head, tensors) -> list[dict]:
    w_hh = f"{prefix}weight_hh_l0"
    gate_blocks = tensors[w_hh].shape[0] // config.hidden_size
    cell = config.cell.upper() + (f" ({config.nonlinearity}: not in the weights, your choice)"
                                  if config.cell == "rnn" else f" (gates {GATE_LETTERS[config.cell]})")
    rows = [
        ("cell", cell, f"{w_hh} {_shape(tensors[w_hh])}: {gate_blocks} block{'s' if gate_blocks > 1 else ''} "
                       f"of {config.hidden_size} rows"),
        ("hidden units", str(config.hidden_size), f"{w_hh}: columns"),
        ("layers", str(config.num_layers), f"{prefix}weight_ih_l0 … _l{config.num_layers - 1}"
         if config.num_layers > 1 else f"only {prefix}weight_ih_l0"),
        ("directions", "2 (bidirectional)" if config.bidirectional else "1 (forward)",
         "_reverse keys" if config.bidirectional else "no _reverse keys"),
        ("biases", "yes" if has_bias else "none (zeros stand in: the same function)",
         f"{prefix}bias_ih_l0, bias_hh_l0" if has_bias else "no bias_* keys"),
    ]
    if embedding:
        rows.append(("input", f"embedding: {config.input_size} tokens × {config.embedding_size}",
                     f"{embedding} {_shape(tensors[embedding])}"))
    else:
        rows.append(("input", f"one-hot over {config.input_size} tokens (no embedding in the file)",
                     f"{prefix}weight_ih_l0: columns"))
    if head:
        rows.append(("head", f"{config.output_size} outputs per step" + (
            ", one per token: next-token guesses" if config.output_size == config.input_size
            else f", not one per input token ({config.input_size}), so not read as next-character guesses"),
            f"{head[0]} {_shape(tensors[head[0]])}" + ("" if head[1] else ", no bias (zeros)")))
    else:
        rows.append(("head", "none: no next-character guesses; states, gates and gradients (stand-in loss) only",
                     "no head, fc, linear, decoder or out keys"))
    if prefix:
        rows.append(("key prefix", repr(prefix), "stripped from every recurrent key"))
    return [{"what": what, "inferred": value, "read from": source} for what, value, source in rows]


# ---------------------------------------------------------------------------------------------
# vocabulary and the model


def parse_vocab(raw: bytes, size: int, filename: str = "the vocabulary") -> Vocab:
    """A JSON vocabulary: a list of characters (index = position), {"itos": [...]} or {char: index}."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{filename} is not valid JSON ({err.__class__.__name__}).") from None
    if isinstance(data, dict) and "itos" in data:
        data = data["itos"]
    if isinstance(data, dict):
        indices = list(data.values())
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in indices) \
                or sorted(indices) != list(range(len(data))):
            raise ValueError(f"{filename} maps characters to indices, but the indices are not 0, 1, …, {len(data) - 1} "
                             "each once.")
        data = sorted(data, key=data.get)
    if not isinstance(data, list):
        raise ValueError(f"{filename} must be a list of characters, {{\"itos\": [...]}} or {{character: index}}.")
    for position, entry in enumerate(data):
        if not isinstance(entry, str) or not entry:
            raise ValueError(f"{filename}: entry {position} ({entry!r}) is not a character.")
    seen: dict[str, int] = {}
    for position, entry in enumerate(data):
        if entry in seen:
            raise ValueError(f"{filename} lists {entry!r} twice (positions {seen[entry]} and {position}).")
        seen[entry] = position
    if len(data) != size:
        raise ValueError(f"{filename} has {len(data)} entries but the model reads {size} tokens.")
    itos = tuple(data)
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


def build(found: Inferred, vocab: Vocab | None = None, *, source: str = "") -> RNNModel:
    """An eval-mode RNNModel with the uploaded weights. Without a head its output is the core's
    own (an identity head): the pages then show states, gates and gradients, not guesses."""
    model = RNNModel(found.config, vocab if vocab is not None else standin_vocab(found.config.input_size))
    if not found.has_head:
        model.head = nn.Identity()
    model.load_state_dict(found.state)
    model.meta = {"task": "uploaded", "source": source, "has_head": found.has_head,
                  "vocabulary": "uploaded" if vocab is not None else "stand-in"}
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
