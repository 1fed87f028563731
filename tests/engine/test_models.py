"""Models, configs and vocabularies: what a user of the library relies on."""
import numpy as np
import pytest
import torch
from torch import nn

from explorer import JordanRNN, ModelConfig, RNNModel, Vocab, trace
from explorer.engine.vocab import UNKNOWN


def test_vocab_reports_unknown_characters_and_round_trips():
    vocab = Vocab.from_text("hello world")
    assert vocab.itos[0] == UNKNOWN
    enc = vocab.encode("hello, 世界")
    assert enc.unknown == (",", "世", "界")
    assert enc.chars == tuple("hello, 世界")
    assert (enc.ids[5] == 0) and vocab.decode(enc.ids[:5]) == "hello"
    assert Vocab.from_json(vocab.to_json()) == vocab
    with pytest.raises(ValueError, match="single characters"):
        Vocab.from_json(["ab", "c"])
    with pytest.raises(ValueError, match="unknown token"):
        Vocab(("a", "b"))


@pytest.mark.parametrize("field, value, message", [
    ("hidden_size", 0, "hidden_size must be a whole number from 1"),
    ("hidden_size", 10**6, "hidden_size"),
    ("num_layers", 0, "num_layers"),
    ("cell", "transformer", "cell must be one of"),
    ("input_mode", "pixels", "input_mode"),
    ("hidden_size", 2.5, "whole number"),
    ("dropout", 1.0, "dropout must be a number from 0 up to"),
    ("dropout", -0.1, "dropout"),
    ("dropout", True, "dropout"),
])
def test_config_rejects_settings_that_cannot_work(field, value, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**{field: value})


def test_jordan_config_is_one_layer_one_direction():
    with pytest.raises(ValueError, match="Jordan"):
        ModelConfig(cell="jordan", num_layers=2)
    with pytest.raises(ValueError, match="Jordan"):
        ModelConfig(cell="jordan", bidirectional=True)


@pytest.mark.parametrize("cell, module", [("rnn", nn.RNN), ("gru", nn.GRU), ("lstm", nn.LSTM)])
def test_core_is_the_stock_module_with_its_parameter_names(cell, module):
    config = ModelConfig(cell=cell, num_layers=2, bidirectional=True, input_size=10, output_size=10)
    model = RNNModel(config)
    assert type(model.rnn) is module
    stock = module(config.embedding_size, config.hidden_size, num_layers=2, bidirectional=True, batch_first=True)
    assert {f"rnn.{k}" for k in stock.state_dict()} <= set(model.state_dict())
    assert ModelConfig.from_dict(config.to_dict()) == config


def test_dropout_acts_only_in_training_and_the_trace_reads_the_model_without_it():
    vocab = Vocab.from_chars("abcd ")
    config = ModelConfig(cell="lstm", input_size=len(vocab), hidden_size=6, num_layers=2, output_size=len(vocab),
                         dropout=0.4)
    torch.manual_seed(0)
    model = RNNModel(config, vocab).double()
    assert model.rnn.dropout == 0.4  # between the stacked layers, as torch.nn.LSTM does it
    ids = vocab.encode("abcab dca").ids
    model.train()
    torch.manual_seed(1)
    noisy = model(ids)[0]
    torch.manual_seed(2)
    assert not torch.allclose(noisy, model(ids)[0])  # each pass zeroes different inputs and outputs
    model.eval()
    clean = model(ids)[0]
    stock = RNNModel(ModelConfig(**{**config.to_dict(), "dropout": 0.0}), vocab).double().eval()
    stock.load_state_dict(model.state_dict())  # dropout adds no weights: a checkpoint loads either way
    torch.testing.assert_close(stock(ids)[0], clean)
    traced = trace(model, "abcab dca")
    np.testing.assert_allclose(traced.probs, torch.softmax(clean, -1).detach().numpy(), rtol=1e-10, atol=1e-12)
    assert traced.notes == () and "dropout was not applied" in trace(model.train(), "abcab dca").notes[0]
    one_layer = ModelConfig(cell="gru", input_size=5, output_size=5, dropout=0.3)
    assert RNNModel(one_layer).rnn.dropout == 0  # nothing between layers to drop; torch.nn would warn
    old = {key: value for key, value in config.to_dict().items() if key != "dropout"}
    assert ModelConfig.from_dict(old).dropout == 0  # checkpoints saved before dropout existed


def test_model_trace_on_text_gives_probabilities_guesses_and_loss():
    vocab = Vocab.from_chars("abcd ")
    config = ModelConfig(cell="lstm", input_mode="onehot", input_size=len(vocab), hidden_size=7, num_layers=2,
                         output_size=len(vocab))
    torch.manual_seed(0)
    model = RNNModel(config, vocab).double().eval()
    text = "abc dx"  # x is unknown
    result = trace(model, text, k=3)
    assert result.tokens == tuple(text) and result.unknown == ("x",)
    np.testing.assert_allclose(result.probs.sum(-1), 1.0, atol=1e-12)
    assert (np.diff(result.topk_probs, axis=-1) <= 0).all()
    assert result.topk_labels[0][0] == vocab.itos[result.topk_ids[0, 0]]
    with torch.no_grad():
        logits, _ = model(model.encode(text).ids[None])
    np.testing.assert_allclose(result.logits, logits[0].numpy(), atol=1e-12)
    ids = model.encode(text).ids
    expected = nn.functional.cross_entropy(logits[0][:-1], ids[1:], reduction="none").numpy()
    np.testing.assert_allclose(result.loss[:-1], expected, atol=1e-10)
    assert np.isnan(result.loss[-1])  # nothing follows the last character


def test_model_trace_rejects_bad_text_and_ids():
    model = RNNModel(ModelConfig(input_size=5, output_size=5), Vocab.from_chars("abcd"))
    with pytest.raises(ValueError, match="empty"):
        trace(model, "")
    with pytest.raises(ValueError, match="token ids"):
        trace(model, torch.tensor([0, 9]))
    with pytest.raises(ValueError, match="text or token ids"):
        trace(model, torch.randn(3, 5))


def test_last_step_bidirectional_head_reads_both_ends():
    config = ModelConfig(cell="gru", input_mode="real", input_size=2, hidden_size=3, bidirectional=True,
                         head="last_step", output_size=1, output_kind="real")
    model = RNNModel(config).double().eval()
    x = torch.randn(5, 2, dtype=torch.float64)
    result = trace(model, x)
    with torch.no_grad():
        out, _ = model(x)
    np.testing.assert_allclose(result.final_output, out.numpy(), atol=1e-12)


def test_jordan_network_learns_and_its_trace_equals_its_forward():
    """Jordan net on a tiny next-character task: 'abcabc...' is predictable from the last output."""
    vocab = Vocab.from_chars("abc")
    config = ModelConfig(cell="jordan", input_mode="onehot", input_size=len(vocab), hidden_size=8,
                         output_size=len(vocab), jordan_feedback="softmax")
    torch.manual_seed(0)
    model = RNNModel(config, vocab)
    ids = vocab.encode("abc" * 10).ids
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        logits, _ = model(ids[None, :-1])
        loss = nn.functional.cross_entropy(logits[0], ids[1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.1 * losses[0]
    model.eval()
    result = trace(model, "abcabcab")
    with torch.no_grad():
        logits, _ = model(vocab.encode("abcabcab").ids[None])
        h, _ = model.rnn(model.features(vocab.encode("abcabcab").ids[None]))
    np.testing.assert_allclose(result.hidden[0, 0], h[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(result.logits, logits[0].numpy(), atol=1e-6)
    assert result.topk_labels[3][0] == "b"  # after 'abca' comes 'b'


def test_jordan_module_batch_first_matches_unbatched():
    jordan = JordanRNN(3, 4, 2, batch_first=True)
    x = torch.randn(2, 5, 3)
    out, y_n = jordan(x)
    out0, y0 = jordan(x[0])
    torch.testing.assert_close(out[0], out0)
    torch.testing.assert_close(y_n[0, 0], y0[0])
