"""minGRU and minLSTM as cells of an RNNModel: config, save and load, trace (hidden states equal the module's own
forward, gates named), bptt (dL/dh_t equal to autograd on the step loop), generation, and the trainer learns."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer import tasks, zoo
from explorer.engine.generate import sample
from explorer.engine.grads import bptt, jacobian, recurrent_spectrum
from explorer.engine.models import ModelConfig, RNNModel
from explorer.engine.trace import GATE_NAMES, trace
from explorer.engine.vocab import Vocab
from explorer.training.train import TrainSettings, build_model, config_for, evaluate, start, train_steps

MIN_CELLS = ["mingru", "minlstm"]
TEXT = "a cab, a bad cab; a dab."
VOCAB = Vocab.from_chars("abcd ,.;")


def make(cell, layers=1, input_mode="embedding", dtype=torch.float32, seed=0, hidden_size=6):
    torch.manual_seed(seed)
    config = ModelConfig(cell=cell, input_mode=input_mode, input_size=len(VOCAB), embedding_size=5,
                         hidden_size=hidden_size, num_layers=layers, output_size=len(VOCAB))
    model = RNNModel(config, VOCAB).to(dtype).eval()
    with torch.no_grad():
        for name, p in model.rnn.named_parameters():
            p.mul_(3.0)  # gates near 0 and 1 and negative candidates: both branches of g
    return model


def loop_states(model, feats, h0=None):
    """Every layer's h_t by the step function, one step at a time, each kept for autograd: the reference."""
    states, layer_input = [], feats  # (T, I)
    for layer in range(model.config.num_layers):
        h = h0[layer] if h0 is not None else feats.new_zeros(model.config.hidden_size)
        row = []
        for t in range(feats.shape[0]):
            h, _gates = model.rnn.step(layer_input[t], h, *model.rnn.layer_weights(layer))
            h.retain_grad()
            row.append(h)
        states.append(row)
        layer_input = torch.stack(row)  # (T, H)
    return states


# ------------------------------------------------------------------------------------------- the config


@pytest.mark.parametrize("cell", MIN_CELLS)
def test_config_round_trips_and_refuses_what_the_cells_lack(cell):
    config = ModelConfig(cell=cell, num_layers=2)
    assert ModelConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="one direction"):
        ModelConfig(cell=cell, bidirectional=True)
    with pytest.raises(ValueError, match="relu"):
        ModelConfig(cell=cell, nonlinearity="relu")


@pytest.mark.parametrize("cell", MIN_CELLS)
@pytest.mark.parametrize("input_mode", ["onehot", "embedding"])
def test_the_model_runs_the_scan_and_continues_from_its_state(cell, input_mode):
    model = make(cell, layers=2, input_mode=input_mode)
    ids = model.encode(TEXT).ids
    names = set(model.state_dict())
    assert {"rnn.weight_ih_l0", "rnn.bias_ih_l0", "rnn.weight_ih_l1", "rnn.bias_ih_l1"} <= names
    assert not any("weight_hh" in n for n in names)
    whole, state = model(ids)  # (T, V), (L, 1, H)
    assert whole.shape == (len(TEXT), len(VOCAB)) and state.shape == (2, 1, 6)
    first, mid = model(ids[:10])
    rest, end = model(ids[10:], mid)
    torch.testing.assert_close(torch.cat([first, rest]), whole, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(end, state, rtol=1e-5, atol=1e-5)
    batch, _ = model(torch.stack([ids, ids.flip(0)]))
    torch.testing.assert_close(batch[0], whole, rtol=1e-5, atol=1e-5)
    looped, _ = model.rnn.step_loop(model.features(ids)[None])
    torch.testing.assert_close(model.step_outputs(looped[0]), whole, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", MIN_CELLS)
def test_zoo_save_and_load(cell, tmp_path):
    model = make(cell, layers=2)
    zoo.save(model, "tiny-min", {"task": "english", "cell": cell}, tmp_path)
    again = zoo.load("tiny-min", tmp_path)
    assert again.config == model.config
    for key, value in model.state_dict().items():
        assert torch.equal(value, again.state_dict()[key])
    weights, meta = zoo.to_bytes(model, {"task": "english"})
    assert torch.equal(zoo.load_checkpoint(weights, meta).rnn.weight_ih_l1, model.rnn.weight_ih_l1)


@pytest.mark.parametrize("cell", MIN_CELLS)
def test_generation_continues_from_the_state(cell):
    out = sample(make(cell, layers=2), "a cab", length=20, seed=1)
    assert len(out.generated) == 20 and out.text.startswith("a cab")


# ------------------------------------------------------------------------------------------- trace


@pytest.mark.parametrize("cell", MIN_CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_trace_equals_the_modules_forward_and_names_the_gates(cell, layers):
    model = make(cell, layers=layers)
    ids = model.encode(TEXT).ids
    tr = trace(model, TEXT)
    assert tr.cell_type == cell and tr.cell is None
    assert tuple(tr.gates) == GATE_NAMES[cell] == {"mingru": ("z", "cand"), "minlstm": ("f", "i", "cand")}[cell]
    assert tr.hidden.shape == (layers, 1, len(TEXT), 6)
    feats = model.features(ids)[None]  # (1, T, E)
    with torch.no_grad():
        out, h_n = model.rnn(feats)
        logits, _ = model(ids)
    np.testing.assert_allclose(tr.hidden[-1, 0], out[0].numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tr.hidden[:, 0, -1], h_n[:, 0].numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tr.logits, logits.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tr.probs.sum(-1), 1.0, rtol=1e-10)
    assert tr.loss.shape == (len(TEXT),) and np.isnan(tr.loss[-1]) and np.isfinite(tr.loss[:-1]).all()
    # each gate against the step function, fed the traced state it started from
    with torch.no_grad():
        layer_input = feats[0]
        for layer in range(layers):
            h_prev = torch.as_tensor(tr.previous("hidden", layer, 0))
            h, gates = model.rnn.step(layer_input, h_prev, *model.rnn.layer_weights(layer))
            np.testing.assert_allclose(tr.hidden[layer, 0], h.numpy(), rtol=1e-5, atol=1e-5)
            for name in GATE_NAMES[cell]:
                step_name = name
                np.testing.assert_allclose(tr.gates[name][layer, 0], gates[step_name].numpy(), rtol=1e-5, atol=1e-6)
            layer_input = torch.as_tensor(tr.hidden[layer, 0])
    if cell == "minlstm":
        np.testing.assert_allclose(tr.gates["f"] + tr.gates["i"], 1.0, rtol=1e-6)


@pytest.mark.parametrize("cell", MIN_CELLS)
def test_trace_from_a_starting_state(cell):
    model = make(cell, layers=2, dtype=torch.float64)
    h0 = torch.rand(2, 6, dtype=torch.float64)
    tr = trace(model, TEXT, state=h0)
    reference = loop_states(model, model.features(model.encode(TEXT).ids), h0)
    for layer in range(2):
        np.testing.assert_allclose(tr.hidden[layer, 0], torch.stack(reference[layer]).detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(tr.initial_hidden[:, 0], h0.numpy())
    with pytest.raises(ValueError, match="negative"):
        trace(model, TEXT, state=-h0)


# ------------------------------------------------------------------------------------------- bptt


@pytest.mark.parametrize("cell", MIN_CELLS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
@pytest.mark.parametrize("where", ["last", "sum"])
def test_bptt_equals_autograd_on_the_step_loop(cell, layers, dtype, tol, where):
    model = make(cell, layers=layers, dtype=dtype)
    ids = model.encode(TEXT).ids
    grads = bptt(model, TEXT, loss=where)
    feats = model.features(ids).detach().requires_grad_(True)  # (T, E)
    states = loop_states(model, feats)
    nll = F.cross_entropy(model.step_outputs(torch.stack(states[-1])), torch.cat([ids[1:], ids[:1]]),
                          reduction="none")[:-1]  # the last step has nothing to predict
    objective = nll[-1] if where == "last" else nll.sum()
    objective.backward()
    assert grads.loss == pytest.approx(float(objective.detach()), rel=tol)
    for layer in range(layers):
        expected = torch.stack([h.grad for h in states[layer]]).numpy()  # (T, H)
        np.testing.assert_allclose(grads.dh[layer, 0], expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(grads.dx, feats.grad.numpy(), rtol=tol, atol=tol)
    assert grads.dc is None


@pytest.mark.parametrize("cell", MIN_CELLS)
def test_the_jacobian_is_the_product_of_the_gates_that_keep_the_state(cell):
    model = make(cell, layers=2, dtype=torch.float64)
    tr = trace(model, TEXT)
    keep = 1 - tr.gates["z"] if cell == "mingru" else tr.gates["f"]  # [L, 1, T, H]
    # dh_last/dh_t = diag(keep_{t+1} ... keep_{T-1}) within a layer
    later = np.concatenate([np.cumprod(keep[..., :0:-1, :], axis=-2)[..., ::-1, :],
                            np.ones_like(keep[..., :1, :])], axis=-2)
    np.testing.assert_allclose(jacobian(model, TEXT), np.linalg.norm(later, axis=-1), rtol=1e-10)
    assert recurrent_spectrum(model.rnn) == []


# ------------------------------------------------------------------------------------------- training


@pytest.mark.parametrize("cell", MIN_CELLS)
def test_the_trainer_teaches_a_min_cell_to_count_down(cell):
    task = tasks.get("count")
    model = build_model(config_for(task, cell=cell, hidden_size=32), task.vocab, seed=0)
    state = start(task, model, TrainSettings(lr=1e-2, batch_size=16, seq_len=11, seed=0))
    before = evaluate(state)
    rows = train_steps(state, 150)
    after = evaluate(state)
    assert rows[-1]["loss"] < rows[0]["loss"] / 2
    assert after["loss"] < before["loss"] / 2
    assert after["metric"] > 0.9 > before["metric"]
