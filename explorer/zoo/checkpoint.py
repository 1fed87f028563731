"""Checkpoint files: the one gate every model passes on its way in, the one writer on its way out.

A checkpoint is two files, NAME.safetensors (the model's state_dict: raw tensors and a JSON
header, nothing executable) and NAME.json (the sidecar: config, vocabulary, task, training
settings, held-out metrics). `load_weights` and `save_state_dict` serve every kind of model;
`load_checkpoint`, `save` and `to_bytes` are the RNNModel's own use of them. Loading never
unpickles anything; a damaged, truncated or mismatched file gives a ValueError that says which
file and what is wrong.
"""
from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from explorer.engine.models import ModelConfig, RNNModel
from explorer.engine.vocab import Vocab
from explorer.i18n import _

ZOO_DIR = Path(__file__).resolve().parents[2] / "pretrained"
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024  # far above any model here; stops a hostile upload early
FORMAT = "rnn-explorer/1"
MAX_NAME_SHOWN = 60  # characters of a file name quoted in a sentence
# the float types a checkpoint may hold: float8 has no isfinite and nothing here computes in it
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
MAX_TENSORS = 10_000  # a deep stacked RNN has a few dozen; a header listing more only costs memory to read
# a header of MAX_TENSORS entries with long names stays far below this; safetensors itself reads up to 100 MB
MAX_HEADER_BYTES = 8 * 2**20
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
               "F8_E4M3": 1, "F8_E5M2": 1, "U16": 2, "U32": 4, "U64": 8}


def paths(name: str, directory: Path | None = None) -> tuple[Path, Path]:
    """Where NAME's weights and sidecar live: in `directory`, or the shipped pretrained/ folder."""
    folder = Path(directory) if directory is not None else ZOO_DIR
    return folder / f"{name}.safetensors", folder / f"{name}.json"


# ---------------------------------------------------------------------------------------------
# reading


def file_label(name: str) -> str:
    """An uploaded file's name as a sentence may quote it: control characters (a NUL, a line break) and
    lone surrogates written as escapes, and a long name shortened."""
    shown = "".join(ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else repr(ch)[1:-1] for ch in name)
    return shown if len(shown) <= MAX_NAME_SHOWN else shown[:MAX_NAME_SHOWN] + "…"


def read_json(raw: bytes, label: str):
    """Parse a JSON file an upload or the zoo brings, with one sentence for each way it can fail: not UTF-8,
    not JSON, nested deeper than the parser goes, or a number longer than Python converts."""
    try:
        return json.loads(bytes(raw).decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(_("{label} is not valid JSON ({error})")
                         .format(label=label, error=f"{err.__class__.__name__}: {err}")) from None
    except RecursionError:
        raise ValueError(_("{label} is not usable JSON: it is nested too deeply.").format(label=label)) from None
    except ValueError as err:
        if not isinstance(err, json.JSONDecodeError):  # int("9" * 5000): Python's digit limit, in its own words
            raise ValueError(_("{label} is not usable JSON: it holds a number too long to read.")
                             .format(label=label)) from None
        raise ValueError(_("{label} is not valid JSON ({error})")
                         .format(label=label, error=f"{err.__class__.__name__}: {err}")) from None


def check_vocab_entries(entries, label: str) -> None:
    """A character model's vocabulary: a list of single characters, each one a page can show. A lone
    surrogate (JSON's "\\ud800") is a string of length one that no page can encode."""
    if not isinstance(entries, list):
        raise ValueError(_("{label}: a vocabulary must be a JSON list of single characters").format(label=label))
    for position, entry in enumerate(entries):
        if not isinstance(entry, str) or len(entry) != 1:
            raise ValueError(_("{label}: vocabulary entry {position} ({entry}) is not a single character; this "
                               "app reads character models, one character per token.")
                             .format(label=label, position=position, entry=file_label(repr(entry))))
        if 0xD800 <= ord(entry) <= 0xDFFF:
            raise ValueError(_("{label}: vocabulary entry {position} ({entry}) is half of a surrogate pair, not a "
                               "character.").format(label=label, position=position, entry=repr(entry)))


def _mb(nbytes: int) -> str:
    return f"{nbytes / 2**20:.0f}"


def check_safetensors_header(raw: bytes, label: str) -> None:
    """Refuse, before safetensors reads anything, a header that lists more than MAX_TENSORS tensors, is larger
    than MAX_HEADER_BYTES, or declares more than MAX_CHECKPOINT_BYTES of tensors. A header that cannot be read
    is left to safetensors, whose sentence says it is damaged."""
    if len(raw) < 8:
        return
    length = int.from_bytes(bytes(raw[:8]), "little")
    if length > len(raw) - 8:
        return  # not a header at all (random bytes, a truncated file): safetensors' sentence says so
    header = bytes(raw[8:8 + min(length, MAX_HEADER_BYTES + 1)])
    count = header.count(b'"data_offsets"')  # one per tensor, counted without building 700,000 dicts
    if count > MAX_TENSORS:
        raise ValueError(_("{label} lists {count} tensors; the limit is {limit}.").format(
            label=label, count=count, limit=MAX_TENSORS))
    if length > MAX_HEADER_BYTES:
        raise ValueError(_("{label} has a header of {size} MB; the limit is {limit} MB.").format(
            label=label, size=_mb(length), limit=_mb(MAX_HEADER_BYTES)))
    try:
        entries = json.loads(header.decode("utf-8"))
        declared = sum(DTYPE_BYTES.get(entry["dtype"], 8) * math.prod(int(n) for n in entry["shape"])
                       for key, entry in entries.items() if key != "__metadata__")
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return
    if declared > MAX_CHECKPOINT_BYTES:
        raise ValueError(_("{label} declares {size} MB of tensors; the limit is {limit} MB.").format(
            label=label, size=_mb(declared), limit=_mb(MAX_CHECKPOINT_BYTES)))


def check_torch_zip(raw: bytes, label: str) -> None:
    """Refuse, before torch.load allocates anything, a torch.save zip whose entries would unpack to more than
    MAX_CHECKPOINT_BYTES (a few MB of compressed zeros can declare gigabytes) or that holds more than
    MAX_TENSORS of them. The sizes come from the zip's central directory; nothing is decompressed. A file that
    is not a zip is left to torch.load."""
    try:
        with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return
    if len(entries) > MAX_TENSORS:
        raise ValueError(_("{label} holds {count} entries; the limit is {limit}.").format(
            label=label, count=len(entries), limit=MAX_TENSORS))
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_CHECKPOINT_BYTES:
        raise ValueError(_("{label} would unpack to {size} MB; the limit is {limit} MB.").format(
            label=label, size=_mb(unpacked), limit=_mb(MAX_CHECKPOINT_BYTES)))


def read_meta(raw: bytes, label: str | None = None) -> dict:
    """A sidecar's JSON, checked to be an object with a 'config' (every kind has one). `label` names the
    file in the messages (default: "metadata", in the current language)."""
    label = label or _("metadata")
    meta = read_json(raw, label)
    if not isinstance(meta, dict) or "config" not in meta:
        raise ValueError(_("{label} is not an RNN Explorer metadata file: it has no 'config'").format(label=label))
    return meta


def load_weights(model: torch.nn.Module, weights: bytes, label: str | None = None) -> None:
    """Fill a freshly built model from safetensors bytes, then freeze it (eval mode, no gradients).

    The one gate every checkpoint passes (zoo models and encoder-decoders alike): a size limit,
    then safetensors, which holds raw tensors and a JSON header, nothing executable, so nothing is
    ever unpickled; then the same names and shapes as the model, float and finite everywhere."""
    label = file_label(label or _("checkpoint"))
    if len(weights) > MAX_CHECKPOINT_BYTES:
        raise ValueError(_("{label} is {size} MB; the limit is {limit} MB").format(
            label=label, size=f"{len(weights) / 2**20:.0f}", limit=MAX_CHECKPOINT_BYTES // 2**20))
    check_safetensors_header(weights, label)
    try:
        tensors = load_safetensors_bytes(bytes(weights))
    except (SafetensorError, ValueError, RuntimeError, OSError) as err:
        raise ValueError(_("{label} is not a readable safetensors file (damaged or truncated?): {error}")
                         .format(label=label, error=err)) from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        parts = ([_("missing {keys}").format(keys=", ".join(missing[:4]))] if missing else []) + \
                ([_("unexpected {keys}").format(keys=", ".join(unexpected[:4]))] if unexpected else [])
        raise ValueError(_("{label} does not match its config: {problems}")
                         .format(label=label, problems="; ".join(parts)))
    for key, tensor in tensors.items():
        if tensor.shape != expected[key].shape:
            raise ValueError(_("{label}: {key} has shape {shape} but the config needs {needed}").format(
                label=label, key=key, shape=tuple(tensor.shape), needed=tuple(expected[key].shape)))
        if tensor.dtype not in FLOAT_DTYPES and tensor.is_floating_point():
            raise ValueError(_("{label}: {key} holds {dtype} values; save the weights as float32 or float16.")
                             .format(label=label, key=key, dtype=str(tensor.dtype).removeprefix("torch.")))
        if not tensor.is_floating_point() or not torch.isfinite(tensor).all():
            raise ValueError(_("{label}: {key} holds non-finite or non-float values").format(label=label, key=key))
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in tensors.items()})
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)


# ---------------------------------------------------------------------------------------------
# writing


def sidecar(meta: dict, **model_fields) -> dict:
    """The JSON sidecar as written: the caller's metadata, the format tag, then what the model's
    own class needs to rebuild it (config, vocabularies), which always wins over stale copies."""
    return dict(meta, format=FORMAT, **model_fields)


def state_dict_bytes(model: torch.nn.Module) -> bytes:
    """The model's state_dict as safetensors bytes, tagged with FORMAT."""
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    return save_safetensors_bytes(state, metadata={"format": FORMAT})


def save_state_dict(model: torch.nn.Module, name: str, meta: dict,
                    directory: Path | None = None) -> tuple[Path, Path]:
    """The one way a checkpoint reaches disk: NAME.safetensors (the model's state_dict) and
    NAME.json (`meta`, the full sidecar as `sidecar` makes it). Returns both paths."""
    weights_path, meta_path = paths(name, directory)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    weights_path.write_bytes(state_dict_bytes(model))
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return weights_path, meta_path


# ---------------------------------------------------------------------------------------------
# the RNNModel's checkpoints


def load_checkpoint(weights: bytes, meta: bytes | dict, label: str | None = None) -> RNNModel:
    """Build a model from safetensors bytes and its JSON metadata, checking everything."""
    label = file_label(label or _("checkpoint"))
    meta_label = _("{label} metadata").format(label=label)
    meta = read_meta(meta, meta_label) if isinstance(meta, (bytes, bytearray)) else meta
    try:
        config = ModelConfig.from_dict(meta["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(_("{label} has an unusable config: {error}").format(label=meta_label, error=err)) from None
    vocab = None
    if meta.get("vocab") is not None:
        check_vocab_entries(meta["vocab"], meta_label)
        try:
            vocab = Vocab.from_json(meta["vocab"])
        except ValueError as err:
            raise ValueError(_("{label} has an unusable vocabulary: {error}")
                             .format(label=meta_label, error=err)) from None
    try:
        model = RNNModel(config, vocab)
    except ValueError as err:
        raise ValueError(_("{label} does not describe a model: {error}").format(label=meta_label, error=err)) from None
    load_weights(model, weights, label)
    model.meta = meta
    return model


def rnn_sidecar(model: RNNModel, meta: dict) -> dict:
    """An RNNModel's sidecar: config and vocabulary are taken from the model itself."""
    return sidecar(meta, config=model.config.to_dict(),
                   vocab=model.vocab.to_json() if model.vocab is not None else None)


def save(model: RNNModel, name: str, meta: dict, directory: Path | None = None) -> tuple[Path, Path]:
    """Write NAME.safetensors and NAME.json (config and vocabulary are taken from the model)."""
    return save_state_dict(model, name, rnn_sidecar(model, meta), directory)


def to_bytes(model: RNNModel, meta: dict | None = None) -> tuple[bytes, bytes]:
    """The same two files as `save`, in memory (for a download button)."""
    full = rnn_sidecar(model, meta or getattr(model, "meta", {}))
    return state_dict_bytes(model), json.dumps(full, ensure_ascii=False).encode("utf-8")
