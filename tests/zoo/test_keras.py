"""Keras weights (explorer/zoo/keras.py): SimpleRNN, GRU and LSTM layers exported by the documented one-liner,
traced through the Your model path, equal to this file's own NumPy step loop written from Keras's documented
equations (keras.io: SimpleRNN, GRU with reset_after=True, LSTM), to 1e-5."""
import io
import json

import numpy as np
import pytest
import torch
from safetensors.numpy import save as save_safetensors_numpy

import explorer
from explorer.zoo import keras, your_model

VOCAB, EMB, OUT = 9, 5, 9
TEXT = "abcabba cab"


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---- Keras's equations, one step at a time (x a row vector, W kernel, U recurrent_kernel, b bias) ----

def simple_rnn(xs, W, U, b):
    h = np.zeros(U.shape[0])
    out = []
    for x in xs:
        h = np.tanh(x @ W + h @ U + b)
        out.append(h)
    return np.array(out)


def lstm(xs, W, U, b):
    units = U.shape[0]
    h, c = np.zeros(units), np.zeros(units)
    out = []
    for x in xs:
        z = x @ W + h @ U + b
        i, f, g, o = (z[k * units:(k + 1) * units] for k in range(4))  # Keras's order: i, f, c, o
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        out.append(h)
    return np.array(out)


def gru(xs, W, U, b):
    """reset_after=True: b[0] the input bias, b[1] the recurrent bias; columns z, r, h."""
    units = U.shape[0]
    h = np.zeros(units)
    out = []
    for x in xs:
        xw, hu = x @ W + b[0], h @ U + b[1]
        xz, xr, xh = (xw[k * units:(k + 1) * units] for k in range(3))
        hz, hr, hh = (hu[k * units:(k + 1) * units] for k in range(3))
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        candidate = np.tanh(xh + r * hh)
        h = z * h + (1 - z) * candidate
        out.append(h)
    return np.array(out)


STEP = {"rnn": simple_rnn, "lstm": lstm, "gru": gru}
BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}
LAYER_NAME = {"rnn": "simple_rnn", "gru": "gru", "lstm": "lstm"}


def keras_weights(cell, units=(6,), seed=0, embedding=True, dense=True):
    """Weights as the export one-liner writes them, `<layer>/<weight>`, in the model's order."""
    rng = np.random.default_rng(seed)
    weights = {}
    if embedding:
        weights["embedding/embeddings"] = rng.normal(size=(VOCAB, EMB)).astype(np.float32)
    width = EMB if embedding else VOCAB
    for depth, n in enumerate(units):
        name = LAYER_NAME[cell] + (f"_{depth}" if depth else "")
        gates = BLOCKS[cell] * n
        weights[f"{name}/kernel"] = rng.normal(scale=0.5, size=(width, gates)).astype(np.float32)
        weights[f"{name}/recurrent_kernel"] = rng.normal(scale=0.5, size=(n, gates)).astype(np.float32)
        bias_shape = (2, gates) if cell == "gru" else (gates,)
        weights[f"{name}/bias"] = rng.normal(scale=0.5, size=bias_shape).astype(np.float32)
        width = n
    if dense:
        weights["dense/kernel"] = rng.normal(size=(width, OUT)).astype(np.float32)
        weights["dense/bias"] = rng.normal(size=(OUT,)).astype(np.float32)
    return weights


def keras_forward(cell, weights, ids):
    """The Keras model's own forward pass: Embedding, the recurrent layers in order, Dense."""
    xs = weights["embedding/embeddings"][ids] if "embedding/embeddings" in weights else np.eye(VOCAB)[ids]
    names = [k[:-len("/recurrent_kernel")] for k in weights if k.endswith("/recurrent_kernel")]
    for name in names:
        xs = STEP[cell](xs, weights[f"{name}/kernel"], weights[f"{name}/recurrent_kernel"], weights[f"{name}/bias"])
    hidden = xs
    if "dense/kernel" in weights:
        return hidden, xs @ weights["dense/kernel"] + weights["dense/bias"]
    return hidden, None


def npz(weights) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **weights)
    return buffer.getvalue()


def load(raw, name="keras-weights.npz"):
    found = your_model.infer(your_model.read_weights(raw, name))
    vocab = your_model.parse_vocab(json.dumps(list("\n abcdefg")).encode(), found.config.input_size)
    return found, your_model.build(found, vocab)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("fmt", ["npz", "safetensors"])
def test_keras_layers_trace_like_kerass_own_equations(cell, fmt):
    weights = keras_weights(cell, (6,))
    raw = npz(weights) if fmt == "npz" else save_safetensors_numpy(weights)
    found, model = load(raw, f"keras-weights.{fmt}")
    assert found.config.cell == cell and found.config.num_layers == 1 and found.has_head
    tr = explorer.trace(model, TEXT)
    hidden, logits = keras_forward(cell, weights, tr.token_ids)
    np.testing.assert_allclose(tr.hidden[-1, 0], hidden, atol=1e-5)
    np.testing.assert_allclose(tr.logits, logits, atol=1e-5)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("fmt", ["npz", "safetensors"])
def test_stacked_keras_layers_of_one_size(cell, fmt):
    weights = keras_weights(cell, (6, 6, 6), seed=3)
    found, model = load(npz(weights) if fmt == "npz" else save_safetensors_numpy(weights), f"k.{fmt}")
    assert found.config.num_layers == 3
    tr = explorer.trace(model, TEXT)
    hidden, logits = keras_forward(cell, weights, tr.token_ids)
    np.testing.assert_allclose(tr.hidden[-1, 0], hidden, atol=1e-5)
    np.testing.assert_allclose(tr.logits, logits, atol=1e-5)


def test_an_lstm_s_gates_are_kerass_own():
    weights = keras_weights("lstm", (6,), seed=1)
    _, model = load(npz(weights))
    tr = explorer.trace(model, TEXT)
    xs = weights["embedding/embeddings"][tr.token_ids]
    W, U, b = weights["lstm/kernel"], weights["lstm/recurrent_kernel"], weights["lstm/bias"]
    h = np.zeros(6)
    z = xs[0] @ W + h @ U + b
    np.testing.assert_allclose(tr.gates["f"][0, 0, 0], sigmoid(z[6:12]), atol=1e-6)  # Keras's second block: forget
    np.testing.assert_allclose(tr.gates["g"][0, 0, 0], np.tanh(z[12:18]), atol=1e-6)  # third: the candidate c


def test_without_embedding_or_head_the_input_is_one_hot_and_the_output_the_state():
    weights = keras_weights("gru", (6,), embedding=False, dense=False)
    found, _ = load(npz(weights))
    assert found.config.input_mode == "onehot" and not found.has_head
    model = your_model.build(found)
    ids = torch.tensor([1, 4, 2, 0])
    tr = explorer.trace(model, ids)
    hidden, _ = keras_forward("gru", weights, ids.numpy())
    np.testing.assert_allclose(tr.hidden[0, 0], hidden, atol=1e-5)


def test_a_gru_with_reset_after_false_is_refused_with_a_sentence():
    weights = keras_weights("gru", (6,))
    weights["gru/bias"] = weights["gru/bias"][0]  # one bias row: reset_after=False
    with pytest.raises(ValueError, match=r"^k\.npz: the GRU gru was built with reset_after=False .* torch's GRU "
                                         r"cannot compute that"):
        your_model.read_weights(npz(weights), "k.npz")


BAD = {
    "object arrays": (lambda: npz({"lstm/kernel": np.array([{"a": 1}], dtype=object)}),
                      r"never unpickled"),
    "integers": (lambda: npz({**keras_weights("lstm"), "lstm/bias": np.arange(24)}),
                 r"lstm/bias holds int64 values"),
    "no recurrent layer": (lambda: npz({"dense/kernel": np.ones((3, 3), np.float32)}),
                           r"holds no Keras recurrent layer"),
    "other keys": (lambda: npz({**keras_weights("lstm"), "optimizer/iterations": np.ones(1, np.float32)}),
                   r"optimizer/iterations are not Keras weights"),
    "bidirectional": (lambda: npz({f"bidirectional/{d}_lstm/{k}": v for d in ("forward", "backward")
                                   for k, v in (("kernel", np.ones((5, 24), np.float32)),
                                                ("recurrent_kernel", np.ones((6, 24), np.float32)))}),
                      r"Bidirectional Keras layer"),
    "mixed cells": (lambda: npz({**keras_weights("lstm"), **{k.replace("simple_rnn", "simple_rnn_9"): v for k, v in
                                                             keras_weights("rnn", embedding=False, dense=False,
                                                                           units=(6,)).items()}}),
                    r"stacks different recurrent layers"),
    "bad shapes": (lambda: npz({"lstm/kernel": np.ones((5, 20), np.float32),
                                "lstm/recurrent_kernel": np.ones((6, 20), np.float32)}),
                   r"which no Keras SimpleRNN, GRU or LSTM has"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_keras_files_get_their_sentence(case):
    make, message = BAD[case]
    with pytest.raises(ValueError, match=message):
        your_model.read_weights(make(), "k.npz")


def test_a_torch_zip_is_not_taken_for_an_npz():
    buffer = io.BytesIO()
    torch.save({"weight_ih_l0": torch.ones(4, 2)}, buffer)
    assert not keras.is_npz(buffer.getvalue()) and keras.is_npz(npz(keras_weights("lstm")))


def test_the_export_recipe_names_what_the_reader_reads():
    assert "np.savez" in keras.EXPORT_RECIPE and 'f"{layer.name}/{w.name}"' in keras.EXPORT_RECIPE
    # Keras 2 names a variable with its scope and ":0"; those keys are read too
    weights = {f"{k.split('/')[0]}/{k.split('/')[0]}_cell/{k.split('/')[1]}:0": v
               for k, v in keras_weights("lstm").items()}
    found, _ = load(npz(weights))
    assert found.config.cell == "lstm" and found.has_head
