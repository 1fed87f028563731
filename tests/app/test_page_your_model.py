"""The Your model page under AppTest: upload, confirm, name, use; then the model on the other pages."""
import io
import json
import pickle

import numpy as np
import pytest
import torch
from page_helpers import CORPUS, chart_specs, chart_titles, key_figure, open_page, save_tiny_model
from safetensors.torch import save as save_safetensors
from torch import nn

from explorer import Vocab
from explorer.engine.vocab import TokenVocab
from explorer.zoo import your_model

PAGE = "pages/your_model.py"


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    vocab = Vocab.from_text(CORPUS)
    for name, cell in [("english-lstm", "lstm"), ("english-gru", "gru"), ("english-rnn", "rnn")]:
        save_tiny_model(folder, name, cell=cell, vocab=vocab, hidden_size=16)
    return folder


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def titles(at) -> list[str]:
    return chart_titles(at)


def upload(at, filename: str, raw: bytes, key: str = "byom_weights"):
    at.file_uploader(key=key).upload(filename, raw).run()
    assert not at.exception, at.exception
    return at


def use(at, name: str | None = None):
    if name is not None:
        at.text_input(key="byom_name").input(name).run()
    at.button(key="byom_use").click().run()
    assert not at.exception, at.exception
    return at


def headless_gru() -> bytes:
    torch.manual_seed(0)
    buffer = io.BytesIO()
    torch.save(nn.GRU(20, 8, num_layers=2).state_dict(), buffer)
    return buffer.getvalue()




def test_the_page_asks_for_a_file(app):
    at = open_page(app, PAGE)
    box = key_figure(at)  # before an upload, the uploaders are the point of the page
    assert [u.key for u in box.get("file_uploader")] == ["byom_weights", "byom_vocab"]
    assert box.markdown[0].value.endswith("Upload a weights file above (or download the example under “How to "
                                          "export your model” and upload it).")
    assert "Upload the weights (state_dict) of a stock `torch.nn.RNN`" in at.caption[0].value
    assert not at.table and not at.error and not at.warning


def test_after_an_upload_the_key_picture_is_what_the_weights_say(app):
    at = open_page(app, PAGE)
    weights, _ = your_model.example_files()
    upload(at, "example-lstm.safetensors", weights)
    box = key_figure(at)
    assert box.table and not box.get("file_uploader")
    numbers = sum(t.numel() for t in your_model.read_tensors(weights).values())
    assert box.markdown[-1].value.endswith(f"Check each line against your model: 1 layer of 32 LSTM units, forward "
                                           f"only, a head of 35 outputs per step, {numbers:,} numbers in all.")
    assert at.file_uploader(key="byom_weights").value is not None  # moved below the title, still holding the file


def test_upload_confirm_use_and_inspect(app):
    at = open_page(app, PAGE)
    weights, vocab = your_model.example_files()
    upload(at, "example-lstm.safetensors", weights)
    rows = {r["what"]: r["inferred"] for r in at.table[0].value.to_dict("records")}
    assert rows["cell"] == "LSTM (gates i f g o)" and rows["hidden units"] == "32"
    assert rows["input"] == "embedding: 35 tokens × 16" and rows["key prefix"] == "'lstm.'"
    assert "stand-in" in texts(at.info)  # no vocabulary yet, and the page says what it uses instead
    upload(at, "vocab.json", vocab, key="byom_vocab")
    assert "stand-in" not in texts(at.info)
    assert at.text_input(key="byom_name").value == "example-lstm"  # the file's stem
    use(at)
    assert texts(at.success) == "“example-lstm (yours, LSTM, 32 units)” is in the model pickers for this session."
    model = at.session_state["user_models"]["example-lstm"]
    assert model.vocab.itos[2] == "a" and model.config.cell == "lstm"
    at.button(key="byom_go_generate").click().run()  # a model with a head per token can write
    assert not at.exception and not at.error, at.error
    assert at.query_params["model"] == "yours: example-lstm"
    assert at.code[0].value.startswith("And he said, ") and len(at.code[0].value) > len("And he said, ")
    at.switch_page(PAGE).run()
    at.button(key="byom_go_inspect").click().run()
    assert not at.exception, at.exception
    assert at.query_params["model"] == "yours: example-lstm"
    shown = titles(at)  # Inspect's own panels (which ones it opens on is Inspect's business), for this model
    assert any(t.endswith(", layer 0") for t in shown), shown


def test_a_headless_model_works_where_it_can_and_says_why_elsewhere(app):
    at = upload(open_page(app, PAGE), "encoder.pt", headless_gru())
    rows = {r["what"]: r["inferred"] for r in at.table[0].value.to_dict("records")}
    assert rows["cell"] == "GRU (gates r z n)" and rows["layers"] == "2" and rows["head"].startswith("none")
    assert f"No vocabulary: {your_model.STANDIN_NOTE}." in texts(at.info)
    use(at)
    assert at.button(key="byom_go_generate").disabled
    at.session_state["model"] = "yours: encoder"  # as if picked in Generate's sidebar
    at.switch_page("pages/generate.py").run()
    assert not at.exception and not at.get("plotly_chart")
    assert "encoder came without a head (no output layer was uploaded), so it makes no next-character guesses " \
           "and cannot write" in texts(at.info)
    at.switch_page(PAGE).run()
    at.button(key="byom_go_inspect").click().run()
    assert not at.exception, at.exception
    assert at.query_params["model"] == "yours: encoder"
    assert "encoder came without a head (no output layer was uploaded), so there are no next-token guesses" \
        in texts(at.info)
    shown = titles(at)
    assert "hidden state h, layer 0" in shown and not any("Top-5" in t for t in shown)
    at.switch_page(PAGE).run()
    at.button(key="byom_go_compare").click().run()
    assert not at.exception and not at.error, at.error
    assert "it has no surprise or guesses to draw" in texts(at.info)
    assert any("encoder (yours, GRU, 8 units): hidden state h" in t for t in titles(at))
    at.switch_page(PAGE).run()
    at.button(key="byom_go_gradients").click().run()
    assert not at.exception and not at.error, at.error
    assert "its loss here is a stand-in" in texts(at.info)
    assert any("yours" in str(s["data"]) for s in chart_specs(at))


class Payload:
    """Unpickling this would create a file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_broken_files_say_their_sentence_and_stay_uploaded(app, tmp_path):
    at = upload(open_page(app, PAGE), "noise.safetensors", bytes(range(256)) * 4)
    assert texts(at.error) == ("noise.safetensors is not a tensor file: neither safetensors nor a PyTorch .pt file "
                               "(damaged or truncated?).")
    assert at.file_uploader(key="byom_weights").value is not None  # what the user uploaded is kept
    target = tmp_path / "ran.txt"
    upload(at, "evil.pt", pickle.dumps({"weight_ih_l0": Payload(target)}))
    assert texts(at.error).startswith("evil.pt holds Python objects other than tensors")
    assert not target.exists()
    nan = save_safetensors({"weight_ih_l0": torch.full((4, 3), float("nan")), "weight_hh_l0": torch.zeros(4, 4)})
    upload(at, "nan.safetensors", nan)
    assert texts(at.error) == "nan.safetensors: weight_ih_l0 holds NaN or infinite values."
    weights, _ = your_model.example_files()
    upload(at, "example.safetensors", weights)
    upload(at, "short.json", json.dumps(list("abc")).encode(), key="byom_vocab")
    assert texts(at.error) == "short.json has 3 entries but the model reads 35 tokens."
    assert at.table  # the architecture stays on screen above the sentence


def test_elman_nonlinearity_is_asked_and_names_are_checked(app):
    torch.manual_seed(0)
    rnn = nn.RNN(12, 6, nonlinearity="relu", bidirectional=True)
    at = upload(open_page(app, PAGE), "elman.safetensors",
                save_safetensors({k: v.contiguous() for k, v in rnn.state_dict().items()}))
    at.radio(key="byom_nonlinearity").set_value("relu").run()
    assert "RNN (relu: not in the weights, your choice)" in at.table[0].value["inferred"].tolist()
    use(at, "a,b")
    assert texts(at.error) == "A model's name cannot hold a comma (links list models separated by commas)."
    use(at, "   ")
    assert texts(at.error) == "Type a name for the model."
    use(at, "elman")
    assert at.session_state["user_models"]["elman"].config.nonlinearity == "relu"
    use(at)
    assert texts(at.error) == "A model called 'elman' is already in this session; choose another name."
    assert at.text_input(key="byom_name").value == "elman"  # what was typed stays


class WordLanguageModel(nn.Module):
    """The public word-language-model example's layout (our code): encoder, rnn, decoder, tied."""

    def __init__(self, ntoken=12, size=8):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, size)
        self.rnn = nn.LSTM(size, size, 2)
        self.decoder = nn.Linear(size, ntoken)
        self.decoder.weight = self.encoder.weight


def key_table(at) -> dict:
    return {r["role"]: r for r in at.table[1].value.to_dict("records")}


def test_a_tied_checkpoint_loads_as_saved_and_the_key_table_says_so(app):
    torch.manual_seed(0)
    net = WordLanguageModel()
    buffer = io.BytesIO()
    torch.save({"epoch": 4, "model_state_dict": net.state_dict(), "lr": 20.0}, buffer)
    at = upload(open_page(app, PAGE), "wordlm.pt", buffer.getvalue())
    assert not at.error, at.error
    assert "wordlm.pt is a training checkpoint: the weights were read from its 'model_state_dict' entry, and the " \
           "rest (epoch, lr) was left out." in texts(at.info)
    keys = key_table(at)
    assert keys["embedding"]["key"] == "encoder.weight" and keys["head"]["key"] == "decoder.weight, decoder.bias"
    assert keys["tied"]["key"] == "yes" and not at.selectbox
    upload(at, "vocab.json", json.dumps(list("abcdefghij .")).encode(), key="byom_vocab")
    use(at, "wordlm")
    model = at.session_state["user_models"]["wordlm"]
    assert torch.equal(model.head.weight, net.encoder.weight) and torch.equal(model.embedding.weight,
                                                                              net.encoder.weight)


def two_heads() -> tuple[bytes, nn.Linear]:
    torch.manual_seed(1)
    embedding, gru, fc, out = nn.Embedding(10, 4), nn.GRU(4, 6), nn.Linear(6, 10), nn.Linear(6, 10)
    state = {"embedding.weight": embedding.weight}
    for name, module in (("gru", gru), ("fc", fc), ("out", out)):
        state.update({f"{name}.{k}": v for k, v in module.state_dict().items()})
    return save_safetensors({k: v.detach().contiguous() for k, v in state.items()}), out


def test_a_role_two_keys_fit_is_the_users_choice(app):
    raw, out = two_heads()
    at = upload(open_page(app, PAGE), "two.safetensors", raw)
    picker = at.selectbox(key="byom_role_head")
    assert picker.options == ["fc.weight (10, 6)", "out.weight (10, 6)"] and picker.value == "fc.weight"
    assert key_table(at)["head"]["key"] == "fc.weight, fc.bias"
    assert key_table(at)["ignored"]["key"] == "out.weight, out.bias"
    picker.set_value("out.weight").run()
    assert not at.exception, at.exception
    assert key_table(at)["head"]["key"] == "out.weight, out.bias" and key_table(at)["ignored"]["key"].startswith("fc.")
    use(at, "two")
    assert torch.equal(at.session_state["user_models"]["two"].head.weight, out.weight.detach())
    weights, _ = your_model.example_files()
    upload(at, "example.safetensors", weights)  # a file with nothing to choose: the old choice is dropped
    assert not at.error and not at.selectbox
    assert key_table(at)["head"]["key"] == "fc.weight, fc.bias"


# ---- word-level models, Keras weights, and file names no page can show ----

WORDS = ["<unk>", "<eos>", "the", "cat", "sat", "on", "mat", "a", "dog", "ran", ",", "."]


def word_model_files(words=WORDS) -> tuple[bytes, bytes]:
    """A word-level LSTM as people write one (embedding, lstm, fc), saved as a state_dict, and its word list."""
    torch.manual_seed(0)
    embedding, lstm, fc = nn.Embedding(len(words), 6), nn.LSTM(6, 8), nn.Linear(8, len(words))
    state = {"embedding.weight": embedding.weight, **{f"lstm.{k}": v for k, v in lstm.state_dict().items()},
             **{f"fc.{k}": v for k, v in fc.state_dict().items()}}
    return save_safetensors({k: v.detach().contiguous() for k, v in state.items()}), json.dumps(words).encode()


def test_a_word_vocabulary_makes_a_token_model_and_inspect_shows_the_tokens(app):
    weights, vocab = word_model_files()
    at = upload(open_page(app, PAGE), "words.safetensors", weights)
    upload(at, "words.json", vocab, key="byom_vocab")
    tokenizer = at.radio(key="byom_tokenizer")
    assert tokenizer.value == "punctuation" and tokenizer.options == [
        "whitespace", "whitespace and punctuation", "characters"]
    assert "so this model reads tokens, not characters" in texts(at.info)
    assert "Tokens it lacks are read as its unknown token '<unk>' (token 0). A line break is read as '<eos>'." \
        in texts(at.caption).replace("\\", "")
    use(at, "words")
    model = at.session_state["user_models"]["words"]
    assert isinstance(model.vocab, TokenVocab) and model.vocab.tokenizer == "punctuation"
    at.button(key="byom_go_inspect").click().run()
    assert not at.exception, at.exception
    at.switch_page("pages/inspect.py")  # the runs after this one stay on Inspect
    at.text_input(key="text").input("the cat sat on the zebra.").run()
    assert not at.exception and not at.error, at.error
    assert "The model's vocabulary lacks the token 'zebra'; it is read as the unknown token '<unk>'." \
        in texts(at.warning).replace("\\", "")
    specs = chart_specs(at)
    axes = [v for spec in specs for k, v in spec["layout"].items() if k.startswith("xaxis") and v.get("ticktext")]
    assert any(a["ticktext"][:4] == ["the", "cat", "sat", "on"] for a in axes)
    assert any(a.get("title", {}).get("text") == "step (token read)" for a in axes)
    assert not any("character" in str(a.get("title", {}).get("text", "")) for a in axes)
    assert "Hover for the token, step, unit and value" in texts(at.caption)
    assert "reading “" in texts(at.caption) and "the next token" in texts(at.caption)


def test_the_tokenizer_is_the_users_choice(app):
    weights, vocab = word_model_files()
    at = upload(open_page(app, PAGE), "words.safetensors", weights)
    upload(at, "words.json", vocab, key="byom_vocab")
    at.radio(key="byom_tokenizer").set_value("whitespace").run()
    use(at, "spaced")
    model = at.session_state["user_models"]["spaced"]
    assert model.encode("the cat, sat").chars == ("the", "cat,", "sat")


def test_without_an_unknown_token_inspect_says_token_0_not_the_unknown_token(app):
    weights, _ = your_model.example_files()
    at = upload(open_page(app, PAGE), "example.safetensors", weights)
    chars = json.loads(your_model.example_files()[1])  # no unknown token: token 0 is a line break
    upload(at, "vocab.json", json.dumps(chars).encode(), key="byom_vocab")
    use(at, "plain")
    at.button(key="byom_go_inspect").click().run()
    at.switch_page("pages/inspect.py")  # the runs after this one stay on Inspect
    at.text_input(key="text").input("hello ZEBRA").run()
    assert not at.exception, at.exception
    warned = texts(at.warning)
    assert "'Z', 'E', 'B', 'R', 'A' and has no unknown token, so they are read as token 0 (" in warned, warned
    assert "as the unknown token" not in warned


def test_words_without_an_unknown_token_are_read_as_token_0_and_the_page_says_so(app):
    words = ["the", "cat", "sat", "<eos>", "on", "mat", "a", "dog", "ran", ",", ".", "x"]
    weights, vocab = word_model_files(words)
    at = upload(open_page(app, PAGE), "words.safetensors", weights)
    upload(at, "words.json", vocab, key="byom_vocab")
    assert "Your vocabulary has no unknown token, so tokens it lacks are read as token 0 ('the'), a real token." \
        in texts(at.caption)


def keras_npz() -> bytes:
    rng = np.random.default_rng(0)
    weights = {"embedding/embeddings": rng.normal(size=(9, 4)), "gru/kernel": rng.normal(size=(4, 15)),
               "gru/recurrent_kernel": rng.normal(size=(5, 15)), "gru/bias": rng.normal(size=(2, 15)),
               "dense/kernel": rng.normal(size=(5, 9)), "dense/bias": rng.normal(size=(9,))}
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v.astype(np.float32) for k, v in weights.items()})
    return buffer.getvalue()


def test_keras_weights_are_read_and_say_how(app):
    at = open_page(app, PAGE)
    assert "Keras weights (.npz or .safetensors)" in texts(at.caption)
    upload(at, "keras-weights.npz", keras_npz())
    assert not at.error, at.error
    rows = {r["what"]: r["inferred"] for r in at.table[0].value.to_dict("records")}
    assert rows["cell"] == "GRU (gates r z n)" and rows["input"] == "embedding: 9 tokens × 4"
    assert "keras-weights.npz holds Keras weights: embedding → gru (GRU) → dense read as torch.nn's layout " \
           "(kernels transposed, GRU gates z r h taken as torch's r z n)." in texts(at.info)
    assert any("np.savez" in c.value for c in at.code)
    use(at, "from-keras")
    assert at.session_state["user_models"]["from-keras"].config.cell == "gru"


def test_a_file_name_with_a_nul_keeps_the_page_and_its_uploaders(app):
    weights, _ = your_model.example_files()
    at = upload(open_page(app, PAGE), "my\x00lstm.safetensors", weights)
    assert [u.key for u in at.file_uploader] == ["byom_weights", "byom_vocab"]
    assert at.table and not at.error
    assert at.text_input(key="byom_name").value == "mylstm"
    use(at)
    assert "mylstm" in at.session_state["user_models"]
    use(at, "bad\tname")
    assert texts(at.error) == "A model's name cannot hold control characters (a line break, a tab, a NUL)."


def test_inspect_shows_how_a_trace_differs_from_the_module(app):
    weights, vocab = your_model.example_files()
    at = upload(open_page(app, PAGE), "example.safetensors", weights)
    upload(at, "vocab.json", vocab, key="byom_vocab")
    use(at, "dropping")
    model = at.session_state["user_models"]["dropping"]
    model.drop = nn.Dropout(0.3)  # a module left in training mode with dropout, as a notebook might leave it
    model.train()
    at.button(key="byom_go_inspect").click().run()
    assert not at.exception, at.exception
    assert "How it was traced: the module is in training mode, but its dropout was not applied: it was traced as " \
           "in eval mode." in texts(at.caption)


def test_the_name_typed_survives_a_vocabulary_error(app):
    weights, vocab = your_model.example_files()
    at = upload(open_page(app, PAGE), "example.safetensors", weights)
    at.text_input(key="byom_name").input("my lecture model").run()
    upload(at, "short.json", json.dumps(list("abc")).encode(), key="byom_vocab")
    assert "has 3 entries" in texts(at.error)
    upload(at, "vocab.json", vocab, key="byom_vocab")
    assert not at.error
    assert at.text_input(key="byom_name").value == "my lecture model"
