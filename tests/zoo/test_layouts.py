"""Common PyTorch layouts load as they are saved (explorer/zoo/your_model.py): the embedding and the head
found by their shapes under the names people give them, tied weights saved once or twice, training
checkpoints; each loaded model's logits equal the original model's own forward to 1e-5. Then the
tracer's sentences for what it cannot take as given (explorer/engine/trace.py)."""
import io
import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as save_safetensors
from safetensors.torch import save_file, save_model
from torch import nn

import explorer
from explorer.zoo import your_model

ROOT = Path(__file__).resolve().parents[2]
CHARS = list("abcdefghij .")  # a character vocabulary without an unknown token, as people save them
TEXT = "a cab fed hij."


class WordLanguageModel(nn.Module):
    """The layout of the well-known public word-language-model example, written here: an embedding
    named encoder, an nn.LSTM / GRU / RNN named rnn, a linear head named decoder, optionally tied."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight  # needs nhid == ninp

    def forward(self, ids):  # (T,) -> (T, ntoken)
        output, _ = self.rnn(self.drop(self.encoder(ids)))
        return self.decoder(self.drop(output))


def word_lm(rnn_type="LSTM", tied=False, layers=2, seed=0):
    torch.manual_seed(seed)
    return WordLanguageModel(rnn_type, len(CHARS), 8, 8 if tied else 6, layers, dropout=0.5 if layers > 1 else 0.0,
                             tie_weights=tied).eval()


def pt_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def recipe_bytes(model, tmp_path) -> bytes:
    """The export recipe exactly as the page and the docs show it, run on `model`."""
    path = tmp_path / "mine.safetensors"
    recipe = your_model.EXPORT_RECIPE.replace('"mine.safetensors"', repr(str(path))).replace(
        'open("vocab.json", "w")', repr(str(tmp_path / "vocab.json")).join(("open(", ', "w")')))
    exec(recipe, {"json": json, "model": model, "itos": CHARS})  # noqa: S102 - our own recipe text
    return path.read_bytes()


def save_model_bytes(model, tmp_path) -> bytes:
    path = tmp_path / "saved.safetensors"
    save_model(model, str(path))  # keeps one of two tied keys, names the other in the metadata
    return path.read_bytes()


def load(raw: bytes, relu=False, **choose):
    found = your_model.infer(your_model.read_tensors(raw, "mine"), choose=choose,
                             nonlinearity="relu" if relu else "tanh")
    return found, your_model.build(found, your_model.parse_vocab(json.dumps(CHARS).encode(), len(CHARS)))


def assert_same_logits(model, original, text=TEXT):
    ids = torch.tensor([CHARS.index(ch) for ch in text])
    with torch.no_grad():
        expected = original(ids)
    traced = explorer.trace(model, text)
    assert traced.token_ids.tolist() == ids.tolist()
    assert torch.allclose(torch.from_numpy(traced.logits), expected, atol=1e-5)


SAVES = {
    "torch.save": lambda model, tmp: pt_bytes(model.state_dict()),
    "recipe": recipe_bytes,
    "save_model": save_model_bytes,
    "checkpoint": lambda model, tmp: pt_bytes({"epoch": 7, "model_state_dict": model.state_dict(), "loss": 1.5,
                                               "optimizer_state_dict": torch.optim.Adam(model.parameters())
                                               .state_dict()}),
}


@pytest.mark.parametrize("save", SAVES)
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
def test_the_word_language_model_layout_loads_as_saved(rnn_type, tied, save, tmp_path):
    original = word_lm(rnn_type, tied)
    found, model = load(SAVES[save](original, tmp_path), relu=rnn_type == "RNN_RELU")
    assert found.taken == {"embedding": "encoder.weight", "head": "decoder.weight"} and found.tied is tied
    assert not found.choices
    assert (found.config.cell, found.config.num_layers) == ({"LSTM": "lstm", "GRU": "gru"}.get(rnn_type, "rnn"), 2)
    assert_same_logits(model, original)
    table = {row["role"]: row for row in found.keys}
    assert table["embedding"]["key"] == "encoder.weight" and table["head"]["key"] == "decoder.weight, decoder.bias"
    assert table["recurrent layers"]["key"] == "8 keys: rnn.weight_ih_l0 …"  # 2 layers × 2 weights, 2 biases
    assert table["tied"]["key"] == ("yes" if tied else "no")
    if save == "checkpoint":
        assert found.notes == ("mine is a training checkpoint: the weights were read from its 'model_state_dict' "
                               "entry, and the rest (epoch, loss, optimizer_state_dict) was left out.",)
    else:
        assert found.notes == ()


def test_plain_save_file_of_a_tied_model_fails_and_the_recipe_does_not(tmp_path):
    model = word_lm(tied=True)
    with pytest.raises(RuntimeError, match="share memory"):  # why the recipe clones
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp_path / "x.safetensors"))
    _, loaded = load(recipe_bytes(model, tmp_path))
    assert_same_logits(loaded, model)
    assert json.loads((tmp_path / "vocab.json").read_text()) == CHARS


def test_the_docs_show_the_recipe_that_is_tested():
    save_line = your_model.EXPORT_RECIPE.splitlines()[1]
    assert save_line in (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    assert save_line in (ROOT / "README.md").read_text(encoding="utf-8")


class NamedModel(nn.Module):
    """embedding -> core -> head under the names other code bases give them, with an optional wrapper."""

    def __init__(self, embed_name, head_name, core=nn.GRU, bidirectional=False):
        super().__init__()
        self.names = embed_name, head_name
        setattr(self, embed_name, nn.Embedding(len(CHARS), 5))
        self.core = core(5, 7, bidirectional=bidirectional)
        setattr(self, head_name, nn.Linear(7 * (2 if bidirectional else 1), len(CHARS)))

    def forward(self, ids):
        embed, head = (getattr(self, n) for n in self.names)
        return head(self.core(embed(ids))[0])


@pytest.mark.parametrize("prefix", ["", "model.", "module."])
@pytest.mark.parametrize("names", [("embedding", "fc"), ("embed", "head"), ("emb", "out"), ("wte", "lm_head"),
                                   ("word_embeddings", "classifier"), ("tok_embeddings", "proj"),
                                   ("encoder", "linear"), ("table", "readout2")])
def test_embedding_and_head_are_found_by_their_shapes(names, prefix):
    torch.manual_seed(2)
    original = NamedModel(*names, core=nn.LSTM, bidirectional=True).eval()
    state = {prefix + k: v for k, v in original.state_dict().items()}
    found, model = load(save_safetensors({k: v.contiguous() for k, v in state.items()}))
    assert found.taken == {"embedding": f"{prefix}{names[0]}.weight", "head": f"{prefix}{names[1]}.weight"}
    assert found.config.bidirectional and not found.tied
    assert_same_logits(model, original)


def tied_state():
    model = word_lm(tied=True, layers=1)
    return model, {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_a_tied_model_saved_once_under_the_embedding_name():
    original, state = tied_state()
    del state["decoder.weight"]  # only encoder.weight and decoder.bias are left
    found, model = load(pt_bytes(state))
    assert found.tied and found.taken == {"embedding": "encoder.weight", "head": "encoder.weight"}
    assert_same_logits(model, original)


def test_a_tied_model_saved_once_under_the_head_name_can_be_read_either_way():
    original, state = tied_state()
    del state["encoder.weight"]  # no metadata says where it went: the head's weight is the likely embedding
    raw = pt_bytes(state)
    found, model = load(raw)
    assert found.tied and found.choices == {"embedding": ("decoder.weight", "")}
    assert_same_logits(model, original)
    found = your_model.infer(your_model.read_tensors(raw), choose={"embedding": ""})  # one-hot input of 8 tokens
    assert found.config.input_mode == "onehot" and found.config.input_size == 8 and not found.tied


def test_two_heads_that_fit_are_a_choice():
    torch.manual_seed(3)
    original = NamedModel("embedding", "fc").eval()
    other = nn.Linear(7, len(CHARS))
    state = {**original.state_dict(), **{f"out.{k}": v for k, v in other.state_dict().items()}}
    raw = save_safetensors({k: v.contiguous() for k, v in state.items()})
    found, model = load(raw)
    assert found.choices == {"head": ("fc.weight", "out.weight")} and found.taken["head"] == "fc.weight"
    assert {"role": "ignored", "key": "out.weight, out.bias", "note": "fits a role another key was taken for"} \
        in found.keys
    assert_same_logits(model, original)
    found, model = load(raw, head="out.weight")
    assert found.taken["head"] == "out.weight"
    original.fc = other
    assert_same_logits(model, original)
    with pytest.raises(ValueError, match=r"^'core\.weight_ih_l0' cannot be the head: the keys that fit are "
                                         r"'fc\.weight', 'out\.weight'\.$"):
        load(raw, head="core.weight_ih_l0")


def test_a_whole_checkpoint_under_state_dict_with_a_prefix():
    original = word_lm("GRU")
    state = {f"module.{k}": v for k, v in original.state_dict().items()}
    found, model = load(pt_bytes({"state_dict": state, "args": {"lr": 20, "bptt": 35}, "epoch": 3}))
    assert found.taken["embedding"] == "module.encoder.weight" and len(found.notes) == 1
    assert_same_logits(model, original)


def test_the_unrecognised_key_sentence_has_no_markdown_stars():
    state = {**word_lm().state_dict(), "norm.weight": torch.ones(6)}
    with pytest.raises(ValueError) as err:
        your_model.infer(your_model.read_tensors(pt_bytes(state), "f"))
    assert "*" not in str(err.value) and str(err.value).startswith("Keys the explorer does not recognise: norm.weight;")


# ---------------------------------------------------------------------------------------------
# the tracer's sentences


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_is_traced_in_float32_and_said(dtype):
    torch.manual_seed(0)
    module = nn.LSTM(3, 4).to(dtype)
    x = torch.randn(6, 3)
    traced = explorer.trace(module, x)
    name = str(dtype).replace("torch.", "")
    assert traced.notes == (f"the module's weights are {name}, so it was traced in float32 (a copy; the module is "
                            "unchanged)",)
    assert module.weight_ih_l0.dtype == dtype and traced.hidden.dtype == "float32"
    reference = nn.LSTM(3, 4)
    reference.load_state_dict({k: v.float() for k, v in module.state_dict().items()})
    with torch.no_grad():
        expected, _ = reference(x)
    assert torch.allclose(torch.from_numpy(traced.output), expected, atol=1e-5)


def test_a_half_precision_model_traces_text():
    _, model = load(pt_bytes(word_lm().state_dict()))
    traced = explorer.trace(model.to(torch.bfloat16), TEXT)
    assert traced.logits.dtype == "float32" and "bfloat16" in traced.notes[0]


def test_training_mode_with_dropout_is_traced_as_in_eval_mode_and_said():
    original = word_lm().train()
    module = original.rnn  # 2 layers, dropout 0.5 between them
    x = torch.randn(5, 8)
    traced = explorer.trace(module, x)
    assert traced.notes == ("the module is in training mode, but its dropout was not applied: it was traced as in "
                            "eval mode",)
    assert module.training  # the module is left as it was
    with torch.no_grad():
        expected, _ = module.eval()(x)
    assert torch.allclose(torch.from_numpy(traced.output), expected, atol=1e-5)
    assert explorer.trace(module, x).notes == ()  # in eval mode there is nothing to say
    assert explorer.trace(nn.GRU(8, 4).train(), x).notes == ()  # nor without dropout


WANTS = "must be a float tensor of shape (2, 4); got"


@pytest.mark.parametrize("state, message", [
    ((torch.zeros(3, 4), torch.zeros(2, 4)), f"the starting state h0 {WANTS} (3, 4)"),
    ((torch.zeros(2, 5), torch.zeros(2, 4)), f"the starting state h0 {WANTS} (2, 5)"),
    (torch.zeros(2, 4), "an LSTM's starting state is a pair (h0, c0), each of shape (2, 4)"),
    ((torch.zeros(2, 4), torch.zeros(1, 4)),
     "the starting state c0 must be a float tensor of shape (2, 4); got (1, 4)"),
    ((torch.zeros(2, 4), "zeros"), "the starting state c0 must be a float tensor of shape (2, 4); got str"),
    ((torch.zeros(2, 4), torch.full((2, 4), float("nan"))), "the starting state c0 contains NaN or infinite values"),
])
def test_a_wrong_starting_state_names_the_shape(state, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        explorer.trace(nn.LSTM(3, 4, num_layers=2), torch.randn(5, 3), state=state)


def test_a_wrong_starting_state_of_a_gru_or_a_jordan_net_names_the_shape():
    with pytest.raises(ValueError, match=r"^the starting state h0 must be a float tensor of shape \(2, 4\); "
                                         r"got \(4, 2\)$"):
        explorer.trace(nn.GRU(3, 4, bidirectional=True), torch.randn(5, 3), state=torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"^the starting state y0 must be a float tensor of shape \(2,\); got \(3,\)$"):
        explorer.trace(explorer.JordanRNN(3, 4, 2), torch.randn(5, 3), state=torch.zeros(3))


def test_a_starting_state_with_a_batch_of_one_is_taken():
    torch.manual_seed(0)
    module, x, h0 = nn.GRU(3, 4, num_layers=2), torch.randn(5, 3), torch.randn(2, 1, 4)
    with torch.no_grad():
        expected, _ = module(x[:, None], h0)
    traced = explorer.trace(module, x, state=h0)
    assert torch.allclose(torch.from_numpy(traced.output), expected[:, 0], atol=1e-6)


def test_a_batch_of_sequences_is_refused_with_the_way_to_pass_one():
    with pytest.raises(ValueError, match=r"^the input has shape \(6, 4, 3\), a batch of sequences; trace one "
                                         r"sequence at a time, a \(T, 3\) tensor such as x\[0\] \(batch first\) "
                                         r"or x\[:, 0\]$"):
        explorer.trace(nn.LSTM(3, 5), torch.randn(6, 4, 3))


def test_a_bias_less_head_as_wide_as_the_input_is_read_as_the_head():
    torch.manual_seed(4)
    embedding, lstm, head = nn.Embedding(len(CHARS), 6), nn.LSTM(6, 6), nn.Linear(6, len(CHARS), bias=False)
    state = {"wte.weight": embedding.weight, **{f"lstm.{k}": v for k, v in lstm.state_dict().items()},
             "lm_head.weight": head.weight}
    found, model = load(save_safetensors({k: v.detach().contiguous() for k, v in state.items()}))
    assert found.taken == {"embedding": "wte.weight", "head": "lm_head.weight"} and not found.choices

    def original(ids):
        return head(lstm(embedding(ids))[0])

    assert_same_logits(model, original)
