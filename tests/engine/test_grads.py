"""bptt() against autograd on an unrolled graph and against finite differences."""
import numpy as np
import pytest
import torch
from torch import nn

from explorer import JordanRNN, ModelConfig, RNNModel, Vocab, bptt
from explorer.engine.reference import autograd_bptt, unrolled


def modules():
    torch.manual_seed(3)
    yield "rnn_tanh", nn.RNN(4, 5, num_layers=2, bidirectional=True)
    yield "rnn_relu", nn.RNN(4, 5, num_layers=2, nonlinearity="relu")
    yield "gru", nn.GRU(4, 5, num_layers=3, bidirectional=True)
    yield "lstm", nn.LSTM(4, 5, num_layers=2, bidirectional=True)
    yield "lstm_nobias", nn.LSTM(4, 5, num_layers=1, bias=False)
    for feedback in ("tanh", "softmax", "identity"):
        yield f"jordan_{feedback}", JordanRNN(4, 5, 3, feedback=feedback)


CASES = list(modules())


def weighted_loss(steps, width, seed=0):
    weights = torch.randn(steps, width, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    return lambda out: (torch.sin(out) * weights).sum()  # touches every step, nonlinearly


@pytest.mark.parametrize("name, module", CASES, ids=[c[0] for c in CASES])
def test_dh_and_dc_equal_autograd_on_the_unrolled_graph(name, module):
    module = module.double()
    x = torch.randn(11, 4, dtype=torch.float64)
    width = module(x)[0].shape[-1]
    loss_fn = weighted_loss(11, width)
    grads = bptt(module, x, loss_fn)
    dh_ref, dc_ref = autograd_bptt(module, x, loss_fn)
    for (layer, d), expected in dh_ref.items():
        np.testing.assert_allclose(grads.dh[layer, d], expected.numpy(), atol=1e-10, rtol=0)
    for (layer, d), expected in dc_ref.items():
        np.testing.assert_allclose(grads.dc[layer, d], expected.numpy(), atol=1e-10, rtol=0)
    # the input gradient too: autograd through the fused module itself
    xg = x.clone().requires_grad_(True)
    loss_fn(module(xg)[0]).backward()
    np.testing.assert_allclose(grads.dx, xg.grad.numpy(), atol=1e-10, rtol=0)
    np.testing.assert_allclose(grads.saliency, np.linalg.norm(xg.grad.numpy(), axis=-1), atol=1e-10)


@pytest.mark.parametrize("name, module", [CASES[0], CASES[2], CASES[3], CASES[5]], ids=["rnn", "gru", "lstm", "jordan"])
def test_dh_matches_finite_differences(name, module):
    module = module.double()
    x = torch.randn(6, 4, dtype=torch.float64)
    loss_fn = weighted_loss(6, module(x)[0].shape[-1], seed=1)
    grads = bptt(module, x, loss_fn)
    eps = 1e-6
    dirs = grads.dh.shape[1]
    for layer, d, t, unit in [(0, 0, 0, 1), (0, dirs - 1, 3, 4), (grads.dh.shape[0] - 1, 0, 5, 2), (0, 0, 2, 0)]:
        def loss_at(shift):
            offset = torch.zeros(6, 5, dtype=torch.float64)
            offset[t, unit] = shift
            with torch.no_grad():
                return float(loss_fn(unrolled(module, x, {(layer, d): offset})["output"]))
        numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
        assert grads.dh[layer, d, t, unit] == pytest.approx(numeric, abs=1e-7)


def test_lstm_dc_matches_finite_differences():
    torch.manual_seed(0)
    module = nn.LSTM(3, 4).double()
    x = torch.randn(7, 3, dtype=torch.float64)
    loss_fn = weighted_loss(7, 4, seed=2)
    grads = bptt(module, x, loss_fn)
    eps = 1e-6
    for t, unit in [(0, 0), (3, 2), (6, 3)]:
        def loss_at(shift):
            offset = torch.zeros(7, 4, dtype=torch.float64)
            offset[t, unit] = shift
            with torch.no_grad():
                return float(loss_fn(unrolled(module, x, cell_offsets={(0, 0): offset})["output"]))
        assert grads.dc[0, 0, t, unit] == pytest.approx((loss_at(eps) - loss_at(-eps)) / (2 * eps), abs=1e-7)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_jacobian_norms_equal_autograd_jacobian(kind):
    torch.manual_seed(5)
    module = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](3, 4, num_layers=2, bidirectional=True).double()
    x = torch.randn(8, 3, dtype=torch.float64)
    norms = bptt(module, x, lambda out: out.sum(), jacobian=True).jacobian  # [L, D, T]
    for layer, d in [(0, 0), (1, 1)]:
        final = 7 if d == 0 else 0
        offset = torch.zeros(8, 4, dtype=torch.float64, requires_grad=True)
        rows = []
        for unit in range(4):
            h = unrolled(module, x, {(layer, d): offset})["hidden"][(layer, d)]
            (g,) = torch.autograd.grad(h[final, unit], offset)
            rows.append(g)
        jac = torch.stack(rows)  # (unit of h_final, t, unit of h_t)
        expected = torch.linalg.matrix_norm(jac.permute(1, 0, 2)).numpy()  # Frobenius per t
        np.testing.assert_allclose(norms[layer, d], expected, atol=1e-10)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_jacobian_alone_is_the_one_bptt_gives(kind):
    from explorer.engine.grads import jacobian
    torch.manual_seed(6)
    module = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](3, 4, num_layers=2, bidirectional=True).double()
    x = torch.randn(9, 3, dtype=torch.float64)
    np.testing.assert_allclose(jacobian(module, x), bptt(module, x, lambda out: out.sum(), jacobian=True).jacobian,
                               rtol=1e-12)
    model = text_model(kind)
    np.testing.assert_allclose(jacobian(model, "abca bc"), bptt(model, "abca bc", jacobian=True).jacobian, rtol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_jacobian_window_of_long_text_carries_the_state_before_it(bidirectional):
    from explorer.analysis.internals import jacobian_through_time
    model = text_model(num_layers=2, bidirectional=bidirectional)
    text = "abc cab bca " * 6
    whole = bptt(model, text, jacobian=True).jacobian
    short = jacobian_through_time(model, text[:20], jacobian_chars=30)
    assert short["jacobian_start"] == 0 and short["jacobian_exact"]
    np.testing.assert_allclose(short["jacobian"], bptt(model, text[:20], jacobian=True).jacobian, rtol=1e-12)
    found = jacobian_through_time(model, text, jacobian_chars=30)
    assert found["jacobian_start"] == len(text) - 30 and found["jacobian"].shape[-1] == 30
    assert found["jacobian_exact"] is not bidirectional
    if not bidirectional:  # started from the state the model had reached: the whole text's numbers
        np.testing.assert_allclose(found["jacobian"], whole[..., -30:], rtol=1e-9)
    else:  # the backward direction cannot know what follows the window's start: it reads the window afresh
        np.testing.assert_allclose(found["jacobian"], bptt(model, text[-30:], jacobian=True).jacobian, rtol=1e-12)


def text_model(cell="lstm", **kw):
    vocab = Vocab.from_chars("abc ")
    config = ModelConfig(cell=cell, input_mode="embedding", input_size=len(vocab), embedding_size=3, hidden_size=6,
                         output_size=len(vocab), **kw)
    torch.manual_seed(0)
    return RNNModel(config, vocab).double().eval()


@pytest.mark.parametrize("where", ["last", "sum", "mean", 2])
def test_model_bptt_loss_choices_equal_autograd_through_the_model(where):
    model = text_model(num_layers=2)
    text = "abc cab"
    grads = bptt(model, text, loss=where)
    ids = model.encode(text).ids
    emb = model.embedding(ids).detach().requires_grad_(True)
    out, _ = model.rnn(emb[None])
    nll = nn.functional.cross_entropy(model.head(out[0])[:-1], ids[1:], reduction="none")
    loss = {"last": nll[-1], "sum": nll.sum(), "mean": nll.mean(), 2: nll[2]}[where]
    loss.backward()
    assert grads.loss == pytest.approx(float(loss.detach()), abs=1e-12)
    np.testing.assert_allclose(grads.dx, emb.grad.numpy(), atol=1e-10)
    assert grads.dh[:, :, -1].max() == 0 == grads.dh[:, :, -1].min()  # the last char predicts nothing
    assert grads.trace.tokens == tuple(text)


def test_model_bptt_last_step_classifier_and_regressor():
    vocab = Vocab.from_chars("ab")
    config = ModelConfig(cell="gru", input_mode="onehot", input_size=len(vocab), hidden_size=4, head="last_step",
                         output_size=2, bidirectional=True)
    model = RNNModel(config, vocab).double().eval()
    grads = bptt(model, "abba", targets=1)
    assert "class 1" in grads.loss_description and np.isfinite(grads.dh).all()
    regressor = RNNModel(ModelConfig(cell="lstm", input_mode="real", input_size=2, hidden_size=4, head="last_step",
                                     output_size=1, output_kind="real")).double().eval()
    x = torch.randn(9, 2, dtype=torch.float64)
    grads = bptt(regressor, x, targets=[0.5])
    xg = x.clone().requires_grad_(True)
    out, _ = regressor(xg)
    ((out - 0.5) ** 2).mean().backward()
    np.testing.assert_allclose(grads.dx, xg.grad.numpy(), atol=1e-10)


def test_bptt_bad_input():
    with pytest.raises(ValueError, match="loss_fn"):
        bptt(nn.GRU(3, 4), torch.randn(5, 3))
    with pytest.raises(ValueError, match="scalar"):
        bptt(nn.GRU(3, 4), torch.randn(5, 3), lambda out: out)
    with pytest.raises(ValueError, match="not finite"):
        bptt(nn.GRU(3, 4), torch.randn(5, 3), lambda out: out.sum() * float("nan"))
    model = text_model()
    with pytest.raises(ValueError, match="empty"):
        bptt(model, "")
    with pytest.raises(ValueError, match="two characters"):
        bptt(model, "a")
    with pytest.raises(ValueError, match="outside"):
        bptt(model, "abc", loss=10)
    with pytest.raises(ValueError, match="nothing to predict"):
        bptt(model, "abc", loss=-1)


def test_lstm_cell_state_carries_gradient_further_than_a_simple_rnn():
    """The point of the Gradients page, on random nets with the same recurrent weight scale:
    the LSTM's forget path (biased open) keeps far more gradient 60 steps back."""
    torch.manual_seed(0)
    rnn, lstm = nn.RNN(4, 16), nn.LSTM(4, 16)
    with torch.no_grad():
        lstm.bias_hh_l0[16:32] += 3.0  # forget gate open, as trained LSTMs often learn
    x = torch.randn(60, 4)

    def last(out):
        return out[-1].sum()

    ratio_rnn = np.linalg.norm(bptt(rnn, x, last).dh[0, 0, 0]) / np.linalg.norm(bptt(rnn, x, last).dh[0, 0, -1])
    ratio_lstm = np.linalg.norm(bptt(lstm, x, last).dc[0, 0, 0]) / np.linalg.norm(bptt(lstm, x, last).dc[0, 0, -1])
    assert ratio_lstm > 100 * ratio_rnn
