"""Keras SimpleRNN / GRU / LSTM weights, exported without Keras's own file format, in torch's layout.

There is no Keras or h5py here and a `.keras` file may hold code, so the weights come as a plain array
file written by one documented line (EXPORT_RECIPE): each variable under `<layer>/<weight>`, where the
weight is `kernel`, `recurrent_kernel`, `bias` (recurrent layers and Dense) or `embeddings`. Layers are
taken in the file's order (a .npz keeps it; a safetensors file sorts names, so there they are taken in
Keras's naming order, lstm, lstm_1, lstm_2, …). The answer is a state dict under torch.nn's names
(`embedding.weight`, `rnn.weight_ih_l0`, …, `head.weight`) that explorer.zoo.layouts.infer reads like any
other upload.

Keras's equations (keras.io, SimpleRNN / GRU / LSTM), with x_t a row vector, W the kernel (input, gates·H),
U the recurrent kernel (H, gates·H) and b the bias:

    SimpleRNN  h_t = tanh(x_t W + h_{t-1} U + b)
    LSTM       [i f c o] = x_t W + h_{t-1} U + b            (gate columns in this order)
               c_t = σ(f) c_{t-1} + σ(i) tanh(c);  h_t = σ(o) tanh(c_t)
    GRU        [z r h] columns; reset_after=True (Keras's default) keeps two bias rows, b_in and b_rec:
               z = σ(x W_z + b_in,z + h U_z + b_rec,z),  r likewise,
               ĥ = tanh(x W_h + b_in,h + r ⊙ (h U_h + b_rec,h)),  h_t = z ⊙ h_{t-1} + (1 − z) ⊙ ĥ

torch.nn stores W.T (gates·H, input), LSTM gates i f g o (Keras's order: only a transpose), GRU r z n with
b_ih and b_hh, and h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}: Keras's reset_after=True GRU exactly, once z and r swap.
reset_after=False applies r before the recurrent matmul, tanh(x W_h + (r ⊙ h) U_h + b), which no torch.nn.GRU
computes, so it is refused. Dense's kernel is (input, outputs), torch's Linear weight its transpose.
"""
from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import torch

from explorer.i18n import _
from explorer.zoo import checkpoint
from explorer.zoo.layouts import MAX_UPLOAD_BYTES, Tensors, read_tensors

# One line, run where the Keras model is: every weight under its layer's name, in the model's order
EXPORT_RECIPE = """import numpy as np
np.savez("keras-weights.npz", **{f"{layer.name}/{w.name}": w.numpy() for layer in model.layers for w in layer.weights})
json.dump(itos, open("vocab.json", "w"))  # optional: the character or word of each token id, in order"""
WEIGHT_NAMES = ("kernel", "recurrent_kernel", "bias", "embeddings")
KERAS_KEY = re.compile(r"^(?P<layer>.+)/(?P<weight>kernel|recurrent_kernel|bias|embeddings)(:\d+)?$")
CELL_BY_BLOCKS = {1: "rnn", 3: "gru", 4: "lstm"}  # recurrent_kernel columns / units
KERAS_NAMES = {"rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}
GRU_TO_TORCH = (1, 0, 2)  # Keras's z r h blocks, taken in torch's order r z n


def is_npz(raw: bytes) -> bool:
    """A zip archive of .npy arrays (np.savez), as opposed to torch.save's zip."""
    if not raw.startswith(b"PK\x03\x04"):
        return False
    try:
        names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return bool(names) and all(name.endswith(".npy") for name in names)


def is_keras(keys) -> bool:
    """Whether the keys are Keras's (`<layer>/kernel`, `…/recurrent_kernel`, `…/embeddings`)."""
    matched = [m["weight"] for k in keys if (m := KERAS_KEY.match(k))]
    return bool(matched) and len(matched) == len(list(keys)) and (
        "recurrent_kernel" in matched or "embeddings" in matched)


def read_keras(raw: bytes, filename: str | None = None) -> Tensors:
    """Keras weights (.npz from EXPORT_RECIPE, or safetensors of the same names) as a torch-layout state dict."""
    label = checkpoint.file_label(filename) if filename else _("the file")
    if is_npz(raw):
        arrays, ordered = _read_npz(raw, label), True
    else:
        arrays, ordered = read_tensors(raw, filename), False
    return to_torch(arrays, label, ordered=ordered)


def _read_npz(raw: bytes, label: str) -> dict[str, torch.Tensor]:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValueError(_("{file} is {size} MB; the limit is {limit} MB.").format(
            file=label, size=f"{len(raw) / 2**20:.0f}", limit=MAX_UPLOAD_BYTES // 2**20))
    infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    # declared sizes first: a small archive can inflate to gigabytes
    if len(infos) > checkpoint.MAX_TENSORS or sum(i.file_size for i in infos) > MAX_UPLOAD_BYTES:
        raise ValueError(_("{file} declares more arrays or bytes than the explorer reads (at most {limit} MB).")
                         .format(file=label, limit=MAX_UPLOAD_BYTES // 2**20))
    arrays = {}
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:  # object arrays would need pickle: refused
            for key in npz.files:
                arrays[key] = npz[key]
    except (ValueError, OSError, zipfile.BadZipFile, EOFError):
        raise ValueError(_("{file} could not be read as a NumPy .npz file of plain arrays (damaged, or holding "
                           "Python objects, which are never unpickled here).").format(file=label)) from None
    tensors = {}
    for key, array in arrays.items():
        if array.dtype.kind != "f":
            raise ValueError(_("{file}: {key} holds {dtype} values; weights must be floating point.")
                             .format(file=label, key=key, dtype=str(array.dtype)))
        if not np.isfinite(array).all():
            raise ValueError(_("{file}: {key} holds NaN or infinite values.").format(file=label, key=key))
        tensors[key] = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    if not tensors:
        raise ValueError(_("{file} holds no tensors.").format(file=label))
    return tensors


def _natural(name: str) -> list:
    """lstm < lstm_1 < lstm_2 < lstm_10: Keras numbers layers of one kind in the order they were made."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def to_torch(arrays: dict[str, torch.Tensor], label: str, *, ordered: bool = True) -> Tensors:
    """Keras weights by `<layer>/<weight>` -> torch.nn names (see the module docstring for the equations).
    `ordered`: the layers are in the file's order (else in Keras's naming order)."""
    layers: dict[str, dict[str, torch.Tensor]] = {}
    odd = []
    for key, tensor in arrays.items():
        m = KERAS_KEY.match(key)
        if m is None:
            odd.append(key)
            continue
        layers.setdefault(m["layer"], {})[m["weight"]] = tensor
    if odd:
        raise ValueError(_("{file}: {keys} are not Keras weights the explorer reads (kernel, recurrent_kernel, bias, "
                           "embeddings under a layer's name).").format(file=label, keys=", ".join(sorted(odd)[:6])))
    names = list(layers) if ordered else sorted(layers, key=_natural)
    if any("backward" in name for name in names):
        raise ValueError(_("{file} holds a Bidirectional Keras layer, which the explorer does not read yet; upload a "
                           "one-directional model.").format(file=label))
    embeddings = [n for n in names if "embeddings" in layers[n]]
    recurrent = [n for n in names if "recurrent_kernel" in layers[n]]
    dense = [n for n in names if n not in embeddings and n not in recurrent]
    if not recurrent:
        raise ValueError(_("{file} holds no Keras recurrent layer (no recurrent_kernel).").format(file=label))
    if len(embeddings) > 1 or len(dense) > 1:
        raise ValueError(_("{file} holds more than one Embedding or Dense layer ({names}); the explorer reads one "
                           "Embedding, recurrent layers and one Dense head.")
                         .format(file=label, names=", ".join(embeddings + dense)))
    state, notes, cells = Tensors(), [], []
    for depth, name in enumerate(recurrent):
        cell, weights = _recurrent(name, layers[name], label)
        cells.append(cell)
        state.update({f"rnn.{part}_l{depth}": tensor for part, tensor in weights.items()})
    if len(set(cells)) > 1:
        raise ValueError(_("{file} stacks different recurrent layers ({names}); the explorer traces one kind of cell "
                           "per model.").format(file=label, names=", ".join(KERAS_NAMES[c] for c in cells)))
    if embeddings:
        state["embedding.weight"] = layers[embeddings[0]]["embeddings"]
    if dense:
        head = layers[dense[0]]
        if "kernel" not in head or head["kernel"].dim() != 2:
            raise ValueError(_("{file}: the Dense layer {name} has no 2-D kernel.").format(file=label, name=dense[0]))
        state["head.weight"] = head["kernel"].T.contiguous()  # (outputs, input), as nn.Linear keeps it
        if "bias" in head:
            state["head.bias"] = head["bias"]
    notes.append(_("{file} holds Keras weights: {layers} read as torch.nn's layout (kernels transposed{gru}).")
                 .format(file=label, layers=" → ".join(embeddings + [f"{n} ({KERAS_NAMES[cells[0]]})"
                                                                     for n in recurrent] + dense),
                         gru=_(", GRU gates z r h taken as torch's r z n") if cells[0] == "gru" else ""))
    if cells[0] == "rnn":
        notes.append(_("A Keras SimpleRNN's activation is not in its weights: tanh (Keras's default) unless you "
                       "choose relu below."))
    state.notes = tuple(notes)
    return state


def _recurrent(name: str, weights: dict, label: str) -> tuple[str, dict[str, torch.Tensor]]:
    """One Keras recurrent layer -> (cell, {weight_ih, weight_hh, bias_ih, bias_hh}) in torch.nn's layout."""
    kernel, recurrent = weights.get("kernel"), weights["recurrent_kernel"]
    blocks = recurrent.shape[1] // recurrent.shape[0] if recurrent.dim() == 2 and recurrent.shape[0] else 0
    if kernel is None or kernel.dim() != 2 or recurrent.dim() != 2 or blocks not in CELL_BY_BLOCKS \
            or recurrent.shape[1] != blocks * recurrent.shape[0] or kernel.shape[1] != recurrent.shape[1]:
        raise ValueError(_("{file}: the layer {name} has kernel {kernel} and recurrent_kernel {recurrent}, which no "
                           "Keras SimpleRNN, GRU or LSTM has.").format(
                               file=label, name=name, kernel=tuple(kernel.shape) if kernel is not None else None,
                               recurrent=tuple(recurrent.shape)))
    units = recurrent.shape[0]
    cell = CELL_BY_BLOCKS[recurrent.shape[1] // units]
    bias = weights.get("bias")
    zeros = torch.zeros(recurrent.shape[1])
    if bias is None:
        bias_ih, bias_hh = zeros, zeros
    elif cell == "gru" and tuple(bias.shape) == (recurrent.shape[1],):
        raise ValueError(_("{file}: the GRU {name} was built with reset_after=False (one bias row), which applies the "
                           "reset gate before the recurrent weights; torch's GRU cannot compute that, so the explorer "
                           "cannot trace it exactly. Rebuild it with reset_after=True (Keras's default).")
                         .format(file=label, name=name))
    elif cell == "gru" and tuple(bias.shape) == (2, recurrent.shape[1]):
        bias_ih, bias_hh = bias[0], bias[1]  # reset_after=True: input bias, recurrent bias
    elif tuple(bias.shape) == (recurrent.shape[1],):
        bias_ih, bias_hh = bias, zeros  # one bias: torch adds two, so the second is zero
    else:
        raise ValueError(_("{file}: the layer {name} has a bias of shape {shape}, which does not fit its kernel.")
                         .format(file=label, name=name, shape=tuple(bias.shape)))

    def torch_rows(matrix):  # Keras (in, gates·H) -> torch (gates·H, in), gates in torch's order
        rows = matrix.T
        if cell == "gru":
            rows = torch.cat([rows.reshape(3, units, -1)[g] for g in GRU_TO_TORCH]).reshape(rows.shape)
        return rows.contiguous()

    def torch_bias(vector):
        return torch_rows(vector.reshape(1, -1)).reshape(-1)

    return cell, {"weight_ih": torch_rows(kernel), "weight_hh": torch_rows(recurrent),
                  "bias_ih": torch_bias(bias_ih), "bias_hh": torch_bias(bias_hh)}
