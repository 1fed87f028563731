"""Bring your own model (explorer/zoo/your_model.py): a stock module's state_dict, uploaded as safetensors
or .pt, comes back as a model whose trace equals the module; every broken file gets its sentence."""
import io
import json
import pickle

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save as save_safetensors
from torch import nn

import explorer
from explorer.engine import generate
from explorer.engine.vocab import UNKNOWN
from explorer.zoo import layouts, your_model

STOCK = {"rnn": lambda **kw: nn.RNN(**kw), "relu": lambda **kw: nn.RNN(nonlinearity="relu", **kw),
         "gru": nn.GRU, "lstm": nn.LSTM}


def safetensors_bytes(state: dict) -> bytes:
    return save_safetensors({k: v.contiguous() for k, v in state.items()})


def pt_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def load(raw: bytes, *, nonlinearity="tanh", vocab=None):
    found = your_model.infer(your_model.read_tensors(raw, "mine"), nonlinearity=nonlinearity)
    return found, your_model.build(found, vocab)


def stock(kind, *, layers=1, bidirectional=False, bias=True, input_size=6, hidden=5, seed=0):
    torch.manual_seed(seed)
    return STOCK[kind](input_size=input_size, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
                       bias=bias).eval()


@pytest.mark.parametrize("fmt", ["safetensors", "pt"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_uploaded_core_traces_like_the_stock_module(kind, layers, bidirectional, fmt):
    module = stock(kind, layers=layers, bidirectional=bidirectional)
    raw = safetensors_bytes(module.state_dict()) if fmt == "safetensors" else pt_bytes(module.state_dict())
    found, model = load(raw)
    assert (found.config.cell, found.config.num_layers, found.config.bidirectional) == (kind, layers, bidirectional)
    assert (found.config.hidden_size, found.config.input_size, found.config.input_mode) == (5, 6, "onehot")
    ids = torch.tensor([0, 3, 1, 5, 5, 2, 4, 0, 1])
    tr = explorer.trace(model, ids)
    with torch.no_grad():
        expected, _ = module(F.one_hot(ids, 6).float())  # (T, D*H)
    assert torch.allclose(torch.from_numpy(tr.output), expected, atol=1e-5)
    reference = explorer.trace(module, F.one_hot(ids, 6).float())  # every layer, direction and gate
    assert torch.allclose(torch.from_numpy(tr.hidden), torch.from_numpy(reference.hidden), atol=1e-5)
    for gate, values in reference.gates.items():
        assert torch.allclose(torch.from_numpy(tr.gates[gate]), torch.from_numpy(values), atol=1e-5)
    assert tr.probs is None and tr.loss is None  # no head uploaded: no guesses


def test_relu_rnn_needs_its_nonlinearity_said():
    module = stock("relu", layers=2)
    raw = safetensors_bytes(module.state_dict())
    ids = torch.tensor([1, 2, 3, 4, 5, 0])
    with torch.no_grad():
        expected, _ = module(F.one_hot(ids, 6).float())
    _, as_relu = load(raw, nonlinearity="relu")
    assert torch.allclose(torch.from_numpy(explorer.trace(as_relu, ids).output), expected, atol=1e-5)
    _, as_tanh = load(raw)  # the weights cannot tell, and the default is tanh: a different function
    assert not torch.allclose(torch.from_numpy(explorer.trace(as_tanh, ids).output), expected, atol=1e-3)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_module_without_biases_works(kind):
    module = stock(kind, bias=False, layers=2, bidirectional=True)
    found, model = load(safetensors_bytes(module.state_dict()))
    ids = torch.tensor([4, 0, 2, 2, 1])
    with torch.no_grad():
        expected, _ = module(F.one_hot(ids, 6).float())
    assert torch.allclose(torch.from_numpy(explorer.trace(model, ids).output), expected, atol=1e-5)
    assert any(r["what"] == "biases" and r["inferred"].startswith("none") for r in found.rows)


class CharModel(nn.Module):
    """A typical user's char-RNN: embedding -> GRU -> linear, as people write it."""

    def __init__(self, vocab_size=9, bidirectional=False):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 4)
        self.gru = nn.GRU(4, 6, num_layers=2, bidirectional=bidirectional)
        self.fc = nn.Linear(6 * (2 if bidirectional else 1), vocab_size)

    def forward(self, ids):
        return self.fc(self.gru(self.embed(ids))[0])


@pytest.mark.parametrize("wrap", ["plain", "module-prefix", "state_dict-key"])
def test_embedding_and_head_under_a_prefix_give_the_same_logits(wrap):
    torch.manual_seed(1)
    net = CharModel(bidirectional=True).eval()
    state = net.state_dict()
    if wrap == "module-prefix":  # what nn.DataParallel saves
        state = {f"module.{k}": v for k, v in state.items()}
    raw = pt_bytes({"state_dict": state, "epoch": 3}) if wrap == "state_dict-key" else safetensors_bytes(state)
    vocab = your_model.parse_vocab(json.dumps(list("abcdefgh ")).encode(), 9)
    found, model = load(raw, vocab=vocab)
    assert found.has_head and found.config.input_mode == "embedding" and found.config.output_size == 9
    tr = explorer.trace(model, "bad cafe")
    with torch.no_grad():
        expected = net(torch.tensor([1, 0, 3, 8, 2, 0, 5, 4]))
    assert torch.allclose(torch.from_numpy(tr.logits), expected, atol=1e-5)
    assert tr.topk_labels is not None and tr.loss is not None  # a head per token: next-character guesses


def test_float64_weights_are_read_as_float32():
    module = stock("lstm").double()
    _, model = load(safetensors_bytes(module.state_dict()))
    assert model.rnn.weight_hh_l0.dtype == torch.float32
    ids = torch.tensor([1, 2, 3])
    with torch.no_grad():
        expected, _ = module(F.one_hot(ids, 6).double())
    assert torch.allclose(torch.from_numpy(explorer.trace(model, ids).output).double(), expected, atol=1e-5)


def test_headless_gradients_follow_the_stand_in_loss():
    module = stock("lstm", layers=2)
    _, model = load(safetensors_bytes(module.state_dict()))
    assert not your_model.has_head(model) and model.meta["has_head"] is False
    ids = torch.tensor([1, 4, 2, 0, 3])
    grads = explorer.bptt(model, ids, loss="last")
    reference = explorer.bptt(module, F.one_hot(ids, 6).float(), lambda out: out[-1].sum())
    assert torch.allclose(torch.from_numpy(grads.dh), torch.from_numpy(reference.dh), atol=1e-6)
    with torch.no_grad():
        expected = float(module(F.one_hot(ids, 6).float())[0][-1].sum())
    assert grads.loss == pytest.approx(expected, abs=1e-5)


def test_stand_in_vocabulary_reads_text_as_ids():
    _, model = load(safetensors_bytes(stock("gru", input_size=40).state_dict()))
    assert model.vocab.itos[0] == UNKNOWN and model.vocab.itos[1] == " " and len(model.vocab) == 40
    assert model.meta["vocabulary"] == "stand-in"
    tr = explorer.trace(model, "A!z")  # 39 stand-ins: the space up to "F"; "z" is beyond them
    assert tr.token_ids.tolist() == [ord("A") - 31, ord("!") - 31, 0] and tr.unknown == ("z",)


def test_example_files_load_into_a_character_model():
    weights, vocab_json = your_model.example_files()
    assert your_model.example_files() == (weights, vocab_json)  # seeded: the same bytes every time
    found = your_model.infer(your_model.read_tensors(weights, "example"))
    model = your_model.build(found, your_model.parse_vocab(vocab_json, found.config.input_size))
    assert found.config.cell == "lstm" and found.has_head
    assert "'lstm.'" in [r["inferred"] for r in found.rows if r["what"] == "key prefix"]
    assert explorer.engine.generate.sample(model, "the ", length=5).generated  # it can write


# ---------------------------------------------------------------------------------------------
# every broken file gets its sentence


class Hostile:
    """Unpickling this would create a file: proof that a payload ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("make", ["torch.save", "pickle.dumps"])
def test_a_hostile_pickle_never_runs(tmp_path, make):
    target = tmp_path / "pwned.txt"
    payload = {"weight_ih_l0": Hostile(str(target))}
    raw = pt_bytes(payload) if make == "torch.save" else pickle.dumps(payload)
    with pytest.raises(ValueError, match=r"^evil\.pt holds Python objects other than tensors, which are never "
                                         r"unpickled here \(they could run code\); save model.state_dict\(\) "
                                         r"instead\.$"):
        your_model.read_tensors(raw, "evil.pt")
    assert not target.exists()


def test_the_payload_would_have_run_with_plain_unpickling(tmp_path):
    target = tmp_path / "pwned.txt"  # the check above is meaningful: this file is a real payload
    pickle.loads(pickle.dumps(Hostile(str(target)))).close()
    assert target.exists()


def lstm_state():
    return stock("lstm", layers=2).state_dict()


BROKEN_FILES = {
    "empty": (b"", r"^f is empty\.$"),
    "random bytes": (bytes(range(7, 250)) * 3, r"^f is not a tensor file: neither safetensors nor a PyTorch \.pt file"),
    "truncated safetensors": (safetensors_bytes(lstm_state())[:300], r"^f is not a tensor file"),
    "truncated pt": (pt_bytes(lstm_state())[:400],
                     r"^f could not be read as a PyTorch \.pt file \(damaged or truncated\?\)\.$"),
    "a whole module": (pt_bytes(nn.LSTM(3, 4)), r"^f holds Python objects other than tensors"),
    "a list": (pt_bytes([torch.zeros(3)]),
               r"^f holds a list, not a dict of tensors; save model\.state_dict\(\) instead\.$"),
    "non-tensor values": (pt_bytes({**lstm_state(), "epoch": 3, "note": "x"}),
                          r"^f holds entries that are not tensors \(epoch, note\); "
                          r"save model\.state_dict\(\) alone\.$"),
    "no tensors": (pt_bytes({}), r"^f holds no tensors\.$"),
    "integer weights": (safetensors_bytes({"weight_ih_l0": torch.ones(4, 2, dtype=torch.int64)}),
                        r"^f: weight_ih_l0 holds int64 values; weights must be floating point\.$"),
    "NaN": (safetensors_bytes({**lstm_state(), "weight_hh_l1": torch.full((20, 5), float("nan"))}),
            r"^f: weight_hh_l1 holds NaN or infinite values\.$"),
    "infinity": (pt_bytes({"bias_ih_l0": torch.tensor([1.0, float("inf")])}), r"^f: bias_ih_l0 holds NaN or infinite"),
}


@pytest.mark.parametrize("case", BROKEN_FILES)
def test_broken_files_get_their_sentence(case):
    raw, message = BROKEN_FILES[case]
    with pytest.raises(ValueError, match=message):
        your_model.read_tensors(raw, "f")


def test_too_big_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(layouts, "MAX_UPLOAD_BYTES", 2**20)
    with pytest.raises(ValueError, match=r"^big\.pt is 2 MB; the limit is 1 MB\.$"):
        your_model.read_tensors(b"\x80" * (2 * 2**20), "big.pt")


def edited(drop=(), **changes):
    state = {k: v for k, v in lstm_state().items() if k not in drop}
    return {**state, **changes}


WRONG_KEYS = {
    "no core": ({"encoder.weight": torch.zeros(3, 3)},
                r"^No recurrent weights found \(weight_ih_l0, weight_hh_l0, …\); the file has encoder\.weight\.$"),
    "two cores": ({**{f"enc.{k}": v for k, v in lstm_state().items()},
                   **{f"dec.{k}": v for k, v in lstm_state().items()}},
                  r"^The file holds more than one recurrent core \(prefixes 'dec\.', 'enc\.'\); "
                  r"upload one model's weights\.$"),
    "proj_size": (nn.LSTM(6, 5, proj_size=3).state_dict(),
                  r"^weight_hr_l0 means an LSTM built with proj_size, which the explorer cannot trace"),
    "gate rows": ({"weight_ih_l0": torch.zeros(10, 3), "weight_hh_l0": torch.zeros(10, 5)},
                  r"^weight_hh_l0 has shape \(10, 5\): its rows must be 1, 3 or 4 times its columns "
                  r"\(RNN, GRU or LSTM\)\.$"),
    "layer shapes": (edited(weight_ih_l1=torch.zeros(20, 4)),
                     r"^weight_ih_l1 has shape \(20, 4\) but layer 1 of this LSTM with 5 units needs \(20, 5\)\.$"),
    "missing key": (edited(drop=("weight_hh_l1",)),
                    r"^The file lacks weight_hh_l1, which layer 1 of this LSTM with 5 units needs\.$"),
    "half bidirectional": (edited(weight_ih_l0_reverse=torch.zeros(20, 6)),
                           r"^The file lacks weight_hh_l0_reverse, which layer 0 backward of this LSTM"),
    "unrecognised": (edited(**{"norm.weight": torch.ones(5), "step": torch.zeros(1)}),
                     r"^Keys the explorer does not recognise: norm\.weight, step; it reads a recurrent core"),
    "embedding width": (edited(**{"embedding.weight": torch.zeros(30, 8)}),
                        r"^embedding\.weight has shape \(30, 8\) but the core reads 6 values per step, so an "
                        r"embedding must be \(tokens, 6\)\.$"),
    "head width": (edited(**{"head.weight": torch.zeros(6, 10)}),
                   r"^head\.weight has shape \(6, 10\) but the core gives 5 values per step, so a head must be "
                   r"\(outputs, 5\)\.$"),
    "head bias": (edited(**{"fc.weight": torch.zeros(6, 5), "fc.bias": torch.zeros(7)}),
                  r"^fc\.bias has shape \(7,\) but fc\.weight needs \(6,\)\.$"),
    "a bias alone": (edited(**{"fc.bias": torch.zeros(6)}),
                     r"^Keys the explorer does not recognise: fc\.bias; it reads a recurrent core"),
    "too wide": ({"weight_ih_l0": torch.zeros(3000, 2), "weight_hh_l0": torch.zeros(3000, 3000)},
                 r"^The explorer cannot draw this model: hidden_size must be a whole number from 1 to 2048"),
}


@pytest.mark.parametrize("case", WRONG_KEYS)
def test_wrong_keys_and_shapes_get_their_sentence(case):
    state, message = WRONG_KEYS[case]
    with pytest.raises(ValueError, match=message):
        your_model.infer(your_model.read_tensors(safetensors_bytes(state), "f"))


# ---------------------------------------------------------------------------------------------
# vocabularies


@pytest.mark.parametrize("data", [list("abc"), {"itos": list("abc")}, {"b": 1, "a": 0, "c": 2}])
def test_vocabulary_forms(data):
    vocab = your_model.parse_vocab(json.dumps(data).encode(), 3)
    assert vocab.itos == ("a", "b", "c")
    encoded = vocab.encode("cab?")
    assert encoded.ids.tolist() == [2, 0, 1, 0] and encoded.unknown == ("?",)  # token 0 stands in for "?"


def test_a_vocabulary_that_starts_with_the_unknown_token_is_a_plain_vocab():
    vocab = your_model.parse_vocab(json.dumps([UNKNOWN, "x"]).encode(), 2)
    assert type(vocab) is explorer.Vocab


BAD_VOCABS = {
    "not json": (b"[\"a\", ", r"^v\.json is not valid JSON \(JSONDecodeError\)\.$"),
    "duplicates": (json.dumps(list("abca")).encode(), r"^v\.json lists 'a' twice \(positions 0 and 3\)\.$"),
    "wrong size": (json.dumps(list("ab")).encode(), r"^v\.json has 2 entries but the model reads 4 tokens\.$"),
    "not characters": (json.dumps(["a", 3, "b", "c"]).encode(), r"^v\.json: entry 1 \(3\) is not a character\.$"),
    "gaps": (json.dumps({"a": 0, "b": 2, "c": 3, "d": 4}).encode(),
             r"^v\.json maps characters to indices, but the indices are not 0, 1, …, 3 each once\.$"),
    "a number": (b"42", r"^v\.json must be a list of characters"),
}


@pytest.mark.parametrize("case", BAD_VOCABS)
def test_bad_vocabularies_get_their_sentence(case):
    raw, message = BAD_VOCABS[case]
    with pytest.raises(ValueError, match=message):
        your_model.parse_vocab(raw, 4, "v.json")


def test_generate_writes_token_0_when_it_is_a_real_character():
    torch.manual_seed(1)
    net = CharModel(bidirectional=False).eval()
    with torch.no_grad():
        net.fc.bias.fill_(-20.0)
        net.fc.bias[0] = 20.0  # the model is sure the next character is token 0, "a"
    vocab = your_model.parse_vocab(json.dumps(list("abcdefgh ")).encode(), 9)
    _, model = load(safetensors_bytes(net.state_dict()), vocab=vocab)
    out = generate.sample(model, "bad", length=5, temperature=1.0, seed=0)
    assert out.generated == "aaaaa"
