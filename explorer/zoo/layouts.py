"""Common PyTorch layouts: a stock torch.nn.RNN / GRU / LSTM state_dict, read safely, its architecture
inferred from the parameter names and shapes, under RNNModel's own names (explorer/zoo/your_model.py
builds the model from it).

The layouts people save load as they are: the embedding and the head are found by their shapes
against the recurrent core (names only break ties), under any one prefix, tied or not, and a
training checkpoint's weights are read from its `model` / `state_dict` / `model_state_dict` entry.
`found.keys` says which key was taken for what; `found.choices` lists the roles more than one key
fits, and `infer(..., choose={role: key})` takes another.

Nothing is ever unpickled: safetensors is a JSON header and raw tensors, and a .pt file goes
through torch.load(weights_only=True), which refuses anything but tensors and plain containers.
Every failure is a ValueError whose message is one sentence naming the file, key or shape.
"""
from __future__ import annotations

import io
import json
import pickle
import re
from dataclasses import dataclass, field

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes

from explorer.engine.models import ModelConfig
from explorer.i18n import N_, _, ngettext, pgettext
from explorer.zoo import checkpoint
from explorer.zoo.checkpoint import MAX_CHECKPOINT_BYTES

MAX_UPLOAD_BYTES = MAX_CHECKPOINT_BYTES  # the zoo's own limit: far above any model a page can draw
TORCH_MAGIC = (b"PK\x03\x04", b"\x80")  # torch.save's zip archive, or its legacy pickle stream
CORE_KEY = re.compile(r"^(?P<prefix>.*?)(?P<kind>weight|bias)_(?P<part>ih|hh|hr)_l(?P<layer>\d+)(?P<rev>_reverse)?$")
# Names only break ties between keys whose shapes fit a role equally well; matched on the module's own name
EMBED_NAME = re.compile(r"emb|^encoder$|^wte$|^lookup$|^tok")
HEAD_NAME = re.compile(r"head|fc|linear|decoder|out|classifier|proj|dense|readout")
WRAPPERS = ("state_dict", "model_state_dict", "model")  # where training checkpoints keep the weights
ROLES = ("embedding", "head")  # the roles a key can be chosen for; "" means none (one-hot input, no head)
CELL_BY_GATES = {4: "lstm", 3: "gru", 1: "rnn"}  # rows of weight_hh / hidden size, as torch.nn stacks the gates
GATE_LETTERS = {"lstm": "i f g o", "gru": "r z n", "rnn": "one block, no gates"}


class Tensors(dict):
    """read_tensors' answer: key -> float32 tensor, plus `notes`, sentences about what was left out."""

    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inferred:
    """What the weights say the model is, and the weights under RNNModel's own names."""

    config: ModelConfig
    state: dict  # RNNModel state_dict keys -> tensors (zeros where the file had no biases)
    rows: list  # [{"what", "inferred", "read from"}]: the architecture, for the user to confirm
    has_head: bool
    keys: list = field(default_factory=list)  # [{"role", "key", "note"}]: which key was taken for what
    taken: dict = field(default_factory=dict)  # role -> the weight key taken for it ("" for none)
    choices: dict = field(default_factory=dict)  # role -> every key that fits it, where more than one does
    tied: bool = False  # the head's weight is the embedding's
    notes: tuple[str, ...] = ()  # sentences: checkpoint entries left out


# ---------------------------------------------------------------------------------------------
# bytes -> tensors


def read_tensors(raw: bytes, filename: str | None = None) -> Tensors:
    """A dict of finite float tensors from safetensors or .pt bytes (float32, detached). `filename` names
    the file in the messages (default: "the file", in the current language). A training checkpoint's
    weights come from its `model` / `state_dict` / `model_state_dict` entry; the rest is left out, and
    `.notes` says so."""
    filename = checkpoint.file_label(filename) if filename else _("the file")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValueError(_("{file} is {size} MB; the limit is {limit} MB.").format(
            file=filename, size=f"{len(raw) / 2**20:.0f}", limit=MAX_UPLOAD_BYTES // 2**20))
    if not raw:
        raise ValueError(_("{file} is empty.").format(file=filename))
    # safetensors: an 8-byte header length, then the JSON header; anything else that looks like
    # torch.save's output goes to the weights-only loader
    is_torch = raw[8:9] != b"{" and raw.startswith(TORCH_MAGIC)
    loaded = _torch_load(raw, filename) if is_torch else _safetensors_load(raw, filename)
    notes = []
    wrapper = next((k for k in WRAPPERS if isinstance(loaded, dict) and isinstance(loaded.get(k), dict)), None)
    if wrapper is not None:
        left_out = sorted(str(k) for k in loaded if k != wrapper)
        if left_out:
            notes.append(_("{file} is a training checkpoint: the weights were read from its {key} entry, and the "
                           "rest ({others}) was left out.").format(file=filename, key=repr(wrapper),
                                                                   others=_names(left_out)))
        loaded = loaded[wrapper]
    if not isinstance(loaded, dict):
        raise ValueError(_("{file} holds a {type}, not a dict of tensors; save model.state_dict() instead.")
                         .format(file=filename, type=type(loaded).__name__))
    if not loaded:
        raise ValueError(_("{file} holds no tensors.").format(file=filename))
    others = sorted(str(k) for k, v in loaded.items() if not isinstance(v, torch.Tensor))
    if others:
        raise ValueError(_("{file} holds entries that are not tensors ({keys}); save model.state_dict() alone.")
                         .format(file=filename, keys=_names(others)))
    tensors = Tensors()
    for key, tensor in loaded.items():
        if not tensor.is_floating_point():
            raise ValueError(_("{file}: {key} holds {dtype} values; weights must be floating point.")
                             .format(file=filename, key=key, dtype=str(tensor.dtype).replace("torch.", "")))
        if tensor.dtype not in checkpoint.FLOAT_DTYPES:  # float8: torch cannot even test it for NaN
            raise ValueError(_("{label}: {key} holds {dtype} values; save the weights as float32 or float16.")
                             .format(label=filename, key=key, dtype=str(tensor.dtype).removeprefix("torch.")))
        if not torch.isfinite(tensor).all():
            raise ValueError(_("{file}: {key} holds NaN or infinite values.").format(file=filename, key=key))
        tensors[str(key)] = tensor.detach().to(torch.float32)
    if not is_torch:  # safetensors' save_model keeps one of two tied keys and names the other in its metadata
        for dropped, kept in _safetensors_metadata(raw).items():
            if kept in tensors and dropped not in tensors:
                tensors[dropped] = tensors[kept]
    tensors.notes = tuple(notes)
    return tensors


def _torch_load(raw: bytes, filename: str):
    checkpoint.check_torch_zip(raw, filename)  # declared sizes first: torch.load would allocate them
    try:
        return torch.load(io.BytesIO(raw), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        raise ValueError(_("{file} holds Python objects other than tensors, which are never unpickled here "
                           "(they could run code); save model.state_dict() instead.").format(file=filename)) from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ValueError(_("{file} could not be read as a PyTorch .pt file (damaged or truncated?).")
                         .format(file=filename)) from None


def _safetensors_load(raw: bytes, filename: str):
    checkpoint.check_safetensors_header(raw, filename)  # the tensor count and sizes before safetensors reads them
    try:
        return load_safetensors_bytes(bytes(raw))
    except (SafetensorError, RuntimeError, OSError, ValueError, TypeError):
        raise ValueError(_("{file} is not a tensor file: neither safetensors nor a PyTorch .pt file "
                           "(damaged or truncated?).").format(file=filename)) from None


def _safetensors_metadata(raw: bytes) -> dict[str, str]:
    """The header's free-text metadata (only called once the file has loaded, so the header is sound)."""
    length = int.from_bytes(raw[:8], "little")
    metadata = json.loads(raw[8:8 + length]).get("__metadata__") or {}
    return {str(k): v for k, v in metadata.items() if isinstance(v, str)}


def _names(keys, shown: int = 6) -> str:
    keys = list(keys)
    if len(keys) <= shown:
        return ", ".join(keys)
    return _("{keys} and {n} more").format(keys=", ".join(keys[:shown]), n=len(keys) - shown)


def _shape(t: torch.Tensor) -> tuple:
    return tuple(t.shape)


# ---------------------------------------------------------------------------------------------
# names and shapes -> architecture


def infer(tensors: dict[str, torch.Tensor], *, nonlinearity: str = "tanh", choose: dict | None = None) -> Inferred:
    """The architecture of a stock torch.nn.RNN / GRU / LSTM state_dict (any common key prefix,
    plus an optional embedding and head found by their shapes), checked shape by shape. An Elman
    RNN's tanh or relu cannot be read from its weights: `nonlinearity` says which. `choose` maps a
    role ("embedding", "head") to the weight key to take for it, one of `choices[role]`."""
    core = {k: m for k in tensors if (m := CORE_KEY.match(k))}
    if not core:
        raise ValueError(_("No recurrent weights found (weight_ih_l0, weight_hh_l0, …); the file has {keys}.")
                         .format(keys=_names(sorted(tensors))))
    prefixes = sorted({m["prefix"] for m in core.values()})
    if len(prefixes) > 1:
        raise ValueError(_("The file holds more than one recurrent core (prefixes {prefixes}); upload one model's "
                           "weights.").format(prefixes=_names(repr(p) for p in prefixes)))
    prefix = prefixes[0]
    projected = sorted(k for k, m in core.items() if m["part"] == "hr")
    if projected:
        raise ValueError(_("{key} means an LSTM built with proj_size, which the explorer cannot trace; upload a model "
                           "without projections.").format(key=projected[0]))
    w_hh, w_ih = tensors.get(f"{prefix}weight_hh_l0"), tensors.get(f"{prefix}weight_ih_l0")
    if w_hh is None or w_ih is None:
        raise ValueError(_("The file lacks {ih} or {hh}, which every recurrent layer 0 has.")
                         .format(ih=f"{prefix}weight_ih_l0", hh=f"{prefix}weight_hh_l0"))
    if w_hh.dim() != 2 or w_ih.dim() != 2 or w_hh.shape[1] == 0 or w_hh.shape[0] % w_hh.shape[1] \
            or w_hh.shape[0] // w_hh.shape[1] not in CELL_BY_GATES:
        raise ValueError(_("{key} has shape {shape}: its rows must be 1, 3 or 4 times its columns (RNN, GRU or LSTM).")
                         .format(key=f"{prefix}weight_hh_l0", shape=_shape(w_hh)))
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
                where = (_("layer {layer} backward of this {cell} with {n} units") if d else
                         _("layer {layer} of this {cell} with {n} units")).format(layer=layer, cell=cell.upper(),
                                                                                  n=hidden)
                if key not in tensors:
                    raise ValueError(_("The file lacks {key}, which {where} needs.").format(key=key, where=where))
                if _shape(tensors[key]) != shape:
                    raise ValueError(_("{key} has shape {shape} but {where} needs {needed}.")
                                     .format(key=key, shape=_shape(tensors[key]), where=where, needed=shape))
                state[f"rnn.{part}_l{layer}{sfx}"] = tensors[key]
            if not has_bias:
                for part in ("bias_ih", "bias_hh"):  # torch adds nothing; zeros compute the same function
                    state[f"rnn.{part}_l{layer}{sfx}"] = torch.zeros(gate_rows)
    roles = _roles(tensors, set(core), w_ih.shape[1], dirs * hidden, choose or {})
    embedding, head = roles.embedding, roles.head
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
        raise ValueError(_("The explorer cannot draw this model: {error}.").format(error=err)) from None
    rows = _rows(config, prefix, has_bias, embedding, head, tensors)
    core_keys = [k for k in tensors if k in core]
    keys = _key_table(roles, prefix, core_keys, cell, tensors)
    return Inferred(config=config, state=state, rows=rows, has_head=head is not None, keys=keys,
                    taken={"embedding": embedding or "", "head": head[0] if head else ""},
                    choices=roles.choices, tied=roles.tied, notes=tuple(getattr(tensors, "notes", ())))


@dataclass(frozen=True)
class Roles:
    """Which non-recurrent keys play which part."""

    embedding: str | None  # the embedding's weight key
    head: tuple | None  # (weight key, bias key or None)
    tied: bool  # the head's weight equals (or is) the embedding's
    choices: dict  # role -> candidate weight keys, where more than one fits ("" = none)
    unused: tuple  # keys that fit a role another key was taken for


def _modules(keys) -> tuple[dict, list]:
    """{module name: {"weight": key or None, "bias": key or None}} and the keys that are neither."""
    modules, odd = {}, []
    for key in keys:
        name, dot, part = key.rpartition(".")
        if part in ("weight", "bias"):
            modules.setdefault(name if dot else "", {"weight": None, "bias": None})[part] = key
        else:
            odd.append(key)
    return modules, odd


def _own_name(module: str) -> str:
    return module.rpartition(".")[2].lower()


def _roles(tensors, core_keys, core_input: int, core_output: int, choose: dict) -> Roles:
    """The embedding (tokens, core input) and the head (outputs, core output) by their shapes; names
    only rank keys that fit equally, and `choose` overrides the ranking."""
    modules, odd = _modules(sorted(k for k in tensors if k not in core_keys))

    def shape_of(key):
        return _shape(tensors[key]) if key else None

    def fits_embedding(m):  # an nn.Embedding has a weight and no bias
        shape = shape_of(m["weight"])
        return shape is not None and m["bias"] is None and len(shape) == 2 and shape[1] == core_input

    def fits_head(m):
        shape = shape_of(m["weight"])
        return shape is not None and len(shape) == 2 and shape[1] == core_output and \
            (m["bias"] is None or shape_of(m["bias"]) == (shape[0],))

    def named(pattern, key):
        return bool(pattern.search(_own_name(key.rpartition(".")[0])))

    by_weight = {m["weight"]: m for m in modules.values() if m["weight"]}
    # a bias-less head fits the embedding too where input and hidden sizes agree: its name says which it is
    embeddings = [m["weight"] for m in modules.values() if fits_embedding(m) and not (
        fits_head(m) and named(HEAD_NAME, m["weight"]) and not named(EMBED_NAME, m["weight"]))]
    embeddings.sort(key=lambda k: not named(EMBED_NAME, k))
    heads = [m["weight"] for m in modules.values() if fits_head(m)]
    heads.sort(key=lambda k: not named(HEAD_NAME, k))
    choices = {}
    embedding = _choose("embedding", embeddings, choose, choices)
    heads = [k for k in heads if k != embedding]
    head_weight = _choose("head", heads, choose, choices)
    head = (head_weight, by_weight[head_weight]["bias"]) if head_weight else None
    used = {embedding, head_weight, head[1] if head else None}
    if head is None and embedding is not None:
        # a tied model saved once: the head's bias is left, its weight is the embedding's
        for m in modules.values():
            if m["weight"] is None and shape_of(m["bias"]) == (tensors[embedding].shape[0],) \
                    and tensors[embedding].shape[1] == core_output:
                head = (embedding, m["bias"])
                used.add(m["bias"])
                break
    if embedding is None and head is not None and shape_of(head[0])[1] == core_input:
        # the same, the other way round: only the head's weight was kept, and it is the embedding too
        embedding = _choose("embedding", [head[0], ""], choose, choices)
        embedding = embedding or None
    tied = head is not None and embedding is not None and (
        head[0] == embedding or (tensors[head[0]].shape == tensors[embedding].shape
                                 and torch.equal(tensors[head[0]], tensors[embedding])))
    candidates = set(embeddings) | set(heads)
    unused_modules = {k.rpartition(".")[0] for k in candidates - used}
    left = [(name, m) for name, m in modules.items()
            if name not in unused_modules and not ({m["weight"], m["bias"]} - {None} <= used)]
    if left or odd:
        _refuse(left, odd, shape_of, core_input, core_output)
    return Roles(embedding=embedding, head=head, tied=tied, choices=choices,
                 unused=tuple(k for name in sorted(unused_modules) for k in (modules[name]["weight"],
                                                                               modules[name]["bias"]) if k))


def _choose(role: str, candidates: list, choose: dict, choices: dict) -> str | None:
    if len(candidates) > 1:
        choices[role] = tuple(candidates)
    if role in choose and candidates:  # with no candidate there is nothing to choose between
        if choose[role] not in candidates:
            raise ValueError(_("{key} cannot be the {role}: the keys that fit are {keys}.").format(
                key=repr(choose[role]), role=_(role_name(role)), keys=_names(repr(k) for k in candidates)))
        return choose[role]
    return candidates[0] if candidates else None


def role_name(role: str) -> str:
    """The role's name for people, marked for translation (translate with _ where shown)."""
    return {"embedding": N_("embedding"), "head": N_("head")}[role]


def _refuse(left, odd, shape_of, core_input: int, core_output: int) -> None:
    """The sentence for keys that fit no role: by its name, what the key was meant to be and why it does not fit."""
    for _name, m in left:
        own = _own_name(_name)
        weight, bias = m["weight"], m["bias"]
        shape = shape_of(weight)
        if weight and EMBED_NAME.search(own) and not HEAD_NAME.search(own):
            raise ValueError(_("{key} has shape {shape} but the core reads {n} values per step, so an embedding must "
                               "be (tokens, {n}).").format(key=weight, shape=shape, n=core_input))
        if weight and HEAD_NAME.search(own):
            if shape is not None and len(shape) == 2 and shape[1] == core_output and bias:
                raise ValueError(_("{key} has shape {shape} but {weight} needs {needed}.").format(
                    key=bias, shape=shape_of(bias), weight=weight, needed=(shape[0],)))
            raise ValueError(_("{key} has shape {shape} but the core gives {n} values per step, so a head must be "
                               "(outputs, {n}).").format(key=weight, shape=shape, n=core_output))
    unknown = sorted([k for _name, m in left for k in (m["weight"], m["bias"]) if k] + odd)
    raise ValueError(_("Keys the explorer does not recognise: {keys}; it reads a recurrent core (weight_ih_l0, …), "
                       "an optional embedding (tokens × {inp}, no bias) and an optional head (outputs × {out}), "
                       "found by their shapes.").format(keys=_names(unknown), inp=core_input, out=core_output))


def _key_table(roles: Roles, prefix: str, core_keys: list, cell: str, tensors) -> list[dict]:
    """Which key was taken for what, in the current language: role, key, note."""
    emb, head = roles.embedding, roles.head
    rows = [(_("embedding"), emb or "—", f"{_shape(tensors[emb])}" if emb else _("none: one-hot input"))]
    layers = ngettext("{n} key: {first} …", "{n} keys: {first} …", len(core_keys)).format(
        n=len(core_keys), first=f"{prefix}weight_ih_l0")
    rows.append((_("recurrent layers"), layers, cell.upper()))
    if head:
        keys = f"{head[0]}, {head[1]}" if head[1] else head[0]
        rows.append((_("head"), keys, f"{_shape(tensors[head[0]])}"))
    else:
        rows.append((_("head"), "—", _("none")))
    if head and emb:
        rows.append((_("tied"), pgettext("the weights are tied", "yes") if roles.tied else pgettext(
            "the weights are tied", "no"), _("the head's weight is the embedding's") if roles.tied else
            _("the head has its own weight")))
    if roles.unused:
        rows.append((_("ignored"), _names(roles.unused), _("fits a role another key was taken for")))
    heads = _("role"), _("key"), _("note")
    return [dict(zip(heads, row)) for row in rows]


def _rows(config: ModelConfig, prefix: str, has_bias: bool, embedding, head, tensors) -> list[dict]:
    """The architecture as a table for the user to confirm, in the current language: what, inferred, read from."""
    w_hh = f"{prefix}weight_hh_l0"
    gate_blocks = tensors[w_hh].shape[0] // config.hidden_size
    cell = (_("{cell} ({nonlinearity}: not in the weights, your choice)") if config.cell == "rnn" else
            _("{cell} (gates {letters})")).format(cell=config.cell.upper(), nonlinearity=config.nonlinearity,
                                                  letters=GATE_LETTERS[config.cell])
    blocks = ngettext("{key} {shape}: {n} block of {rows} rows", "{key} {shape}: {n} blocks of {rows} rows",
                      gate_blocks).format(key=w_hh, shape=_shape(tensors[w_hh]), n=gate_blocks, rows=config.hidden_size)
    columns = _("{key}: columns")
    rows = [
        (_("cell"), cell, blocks),
        (_("hidden units"), str(config.hidden_size), columns.format(key=w_hh)),
        (_("layers"), str(config.num_layers), f"{prefix}weight_ih_l0 … _l{config.num_layers - 1}"
         if config.num_layers > 1 else _("only {key}").format(key=f"{prefix}weight_ih_l0")),
        (_("directions"), _("2 (bidirectional)") if config.bidirectional else _("1 (forward)"),
         _("_reverse keys") if config.bidirectional else _("no _reverse keys")),
        (_("biases"),
         pgettext("the model has them", "yes") if has_bias else _("none (zeros stand in: the same function)"),
         f"{prefix}bias_ih_l0, bias_hh_l0" if has_bias else _("no bias_* keys")),
    ]
    if embedding:
        rows.append((_("input"), _("embedding: {tokens} tokens × {size}").format(tokens=config.input_size,
                                                                                size=config.embedding_size),
                     f"{embedding} {_shape(tensors[embedding])}"))
    else:
        rows.append((_("input"), _("one-hot over {tokens} tokens (no embedding in the file)")
                     .format(tokens=config.input_size), columns.format(key=f"{prefix}weight_ih_l0")))
    if head:
        inferred = (_("{n} outputs per step, one per token: next-token guesses")
                    if config.output_size == config.input_size else
                    _("{n} outputs per step, not one per input token ({tokens}), so not read as next-character "
                      "guesses")).format(n=config.output_size, tokens=config.input_size)
        source = f"{head[0]} {_shape(tensors[head[0]])}"
        rows.append((_("head"), inferred, source if head[1] else _("{key}, no bias (zeros)").format(key=source)))
    else:
        rows.append((_("head"), _("none: no next-character guesses; states, gates and gradients (stand-in loss) only"),
                     _("no key of shape (outputs, {n})").format(n=config.directions * config.hidden_size)))
    if prefix:
        rows.append((_("key prefix"), repr(prefix), _("stripped from every recurrent key")))
    heads = _("what"), _("inferred"), _("read from")
    return [dict(zip(heads, row)) for row in rows]
