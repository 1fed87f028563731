"""The bad-input sweep: everything a user can throw at the app, the one sentence each must get,
and proof that the page keeps working afterwards. Zero tracebacks.

Runs on the shipped pretrained models, the way a user meets them."""
import json
import pickle
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from explorer import ModelConfig, RNNModel, Vocab, zoo

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NORMAL = "And the LORD spake unto Moses, saying"

pytestmark = pytest.mark.skipif("english-lstm" not in zoo.available(), reason="the pretrained zoo is not built")


def messages(at) -> str:
    """Every warning, info and error sentence on the page."""
    return " | ".join(str(e.value) for kind in ("warning", "info", "error") for e in getattr(at, kind))


def open_page(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    at.run()
    at.switch_page(page).run()
    return at


def text_box(at, key: str):
    """A page's text: a one-line input (applied on Enter) or, for several lines, a text area."""
    return at.text_input(key=key) if any(w.key == key for w in at.text_input) else at.text_area(key=key)


def still_works(at, key: str = "text"):
    """After the bad input, normal input draws figures again with no exception."""
    text_box(at, key).input(NORMAL).run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) > 0


# (page, text-box key, what the user typed, a fragment of the sentence they must see)
TYPED = [
    ("pages/inspect.py", "text", "", "Type some text"),
    ("pages/inspect.py", "text", "   \n\t  ", "only spaces"),
    ("pages/inspect.py", "text", "a b " * 2500, "only the first 5,000 are traced"),
    ("pages/inspect.py", "text", "I love 🐍 and 🎉", "lacks '🐍'"),
    ("pages/inspect.py", "text", "你好，世界", "lacks '你'"),
    ("pages/inspect.py", "text", "שלום עולם", "lacks 'ש'"),
    ("pages/inspect.py", "text", "bell\x07 and escape\x1b[31m", r"'\x07'"),
    ("pages/inspect.py", "text", "nul\x00byte", r"'\x00'"),
    ("pages/inspect.py", "text", "cafe\u0301 and a zero\u200dwidth joiner", "lacks"),
    ("pages/inspect.py", "text", "<script>alert(1)</script>", "lacks '<'"),
    ("pages/generate.py", "prompt", "", "Type a prompt"),
    ("pages/generate.py", "prompt", "     ", "only spaces"),
    ("pages/generate.py", "prompt", "Snakes 🐍 said", "lacks '🐍'"),
    ("pages/compare.py", "text", "", "Type some text"),
    ("pages/compare.py", "text", "\u202eright to left override", "lacks"),
    ("pages/compare.py", "text", "x" * 6000, "only the first 5,000"),
    ("pages/gradients.py", "text", "", "at least two characters"),
    ("pages/gradients.py", "text", "a", "at least two characters"),
    ("pages/gradients.py", "text", "ab" * 1500, "only the first 2,000"),
    ("pages/gradients.py", "text", "日本語のテキスト", "lacks"),
]


@pytest.mark.parametrize("page, key, typed, expected", TYPED,
                         ids=[f"{p.split('/')[1][:-3]}-{i}" for i, (p, *_rest) in enumerate(TYPED)])
def test_typed_input_gets_its_sentence_and_the_page_recovers(page, key, typed, expected):
    at = open_page(page)
    text_box(at, key).input(typed).run()
    assert not at.exception, at.exception
    assert expected in messages(at), messages(at)
    if typed:
        assert text_box(at, key).value == typed  # nothing the user typed is lost
    assert "<script>" not in " ".join(m.value for m in at.markdown)  # typed HTML is shown, never run
    still_works(at, key)


# (page, URL parameters, a fragment of the warning)
LINKS = [
    ("pages/inspect.py", {"unit": "99999"}, "unit='99999'` is not valid"),
    ("pages/inspect.py", {"layer": "-1"}, "layer='-1'` is not valid"),
    ("pages/inspect.py", {"unit": "abc"}, "unit='abc'` is not valid"),
    ("pages/inspect.py", {"order": "alphabet"}, "order='alphabet'` is not valid"),
    ("pages/inspect.py", {"model": "no-such-model"}, "model='no-such-model'` is not valid"),
    ("pages/inspect.py", {"utm_source": "mail", "zzz": "1"}, None),  # unknown parameters: ignored quietly
    ("pages/generate.py", {"length": "100000"}, "length='100000'` is not valid"),
    ("pages/generate.py", {"temp": "0"}, "temp='0'` is not valid"),
    ("pages/generate.py", {"seed": "-5"}, "seed='-5'` is not valid"),
    ("pages/gradients.py", {"loss": "banana"}, "loss='banana'` is not valid"),
    ("pages/gradients.py", {"step": "99999"}, "is not valid"),
    ("pages/compare.py", {"set": "everything"}, "set='everything'` is not valid"),
    # hostile or clumsy values: each named in a code span it cannot end, never rendered (see test_injection.py)
    ("pages/inspect.py", {"unit": "![x](http://127.0.0.1:9/t.png)"}, "`unit='![x](http://127.0.0.1:9/t.png)'` is"),
    ("pages/inspect.py", {"model": "[Log in again](https://example.com)"}, "`model='[Log in again](https://exa"),
    ("pages/inspect.py", {"layer": "1e309"}, "layer='1e309'` is not valid"),
    ("pages/inspect.py", {"unit": "9" * 5000}, "is not valid"),
    ("pages/inspect.py", {"order": "`x` [y](z)"}, "``order='`x` [y](z)'`` is not valid"),
    ("pages/generate.py", {"temp": "nan"}, "temp='nan'` is not valid"),
    ("pages/generate.py", {"temp": "inf"}, "temp='inf'` is not valid"),
    ("pages/generate.py", {"length": "1e3"}, "length='1e3'` is not valid"),
    ("pages/generate.py", {"seed": "\x00"}, "is not valid"),
    ("pages/compare.py", {"order": "<a href=x>y</a>"}, "`order='<a href=x>y</a>'` is not valid"),
    ("pages/gradients.py", {"loss": "<img src=x>"}, "`loss='<img src=x>'` is not valid"),
    ("pages/intervene.py", {"kind": "<img src=x>"}, "`kind='<img src=x>'` is not valid"),
    ("pages/intervene.py", {"value": "nan"}, "value='nan'` is not valid"),
    ("pages/units.py", {"view": "![x](http://127.0.0.1:9/t.png)"}, "`view='![x](http://127.0.0.1:9/t.png)'` is"),
]


@pytest.mark.parametrize("page, params, expected", LINKS,
                         ids=[f"{p.split('/')[1][:-3]}-{'-'.join(q)}" for p, q, _ in LINKS])
def test_a_bad_link_falls_back_with_a_warning(page, params, expected):
    at = open_page(page, **params)
    assert not at.exception, at.exception
    if expected is None:
        assert "not valid" not in messages(at)
    else:
        assert expected in messages(at), messages(at)
    key = "prompt" if page.endswith("generate.py") else "text"
    still_works(at, key)


# the family's pages, whose main input is not a sentence: (page, URL parameters, a fragment of the warning);
# afterwards the same page opened plainly still draws its figures
FAMILY_LINKS = [
    ("pages/series.py", {"source": "<img src=x>"}, "`source='<img src=x>'` is not valid"),
    ("pages/series.py", {"win": "1"}, "win='1'` is not valid"),
    ("pages/series.py", {"win": "9" * 400}, "is not valid"),
    ("pages/series.py", {"horizon": "0"}, "horizon='0'` is not valid"),
    ("pages/series.py", {"at": "-3"}, "at='-3'` is not valid"),
    ("pages/seq2seq.py", {"seq_model": "[x](http://127.0.0.1:9)"}, "`seq_model='[x](http://127.0.0.1:9)'` is"),
    ("pages/seq2seq.py", {"mode": "forced"}, "mode='forced'` is not valid"),
    ("pages/one_to_many.py", {"start": "x"}, "start='x'` is not valid"),
    ("pages/one_to_many.py", {"steps": "65"}, "steps='65'` is not valid"),
    ("pages/deep.py", {"net": "<b>big</b>"}, "`net='<b>big</b>'` is not valid"),
    ("pages/deep.py", {"state": "gates"}, "state='gates'` is not valid"),
    ("pages/embedding.py", {"vectors": "pca"}, "vectors='pca'` is not valid"),
    ("pages/embedding.py", {"near": "\x00"}, "is not valid"),
    ("pages/units.py", {"sample": "7"}, "sample='7'` is not valid"),
    ("pages/units.py", {"view": "probe", "rank": "0"}, "rank='0'` is not valid"),
    ("pages/units.py", {"view": "trajectory", "dims": "4"}, "dims='4'` is not valid"),
]


@pytest.mark.parametrize("page, params, expected", FAMILY_LINKS,
                         ids=[f"{p.split('/')[1][:-3]}-{'-'.join(q)}" for p, q, _ in FAMILY_LINKS])
def test_a_bad_link_on_a_family_page_falls_back_with_a_warning(page, params, expected):
    at = open_page(page, **params)
    assert not at.exception, at.exception
    assert expected in messages(at), messages(at)
    assert len(at.get("plotly_chart")) > 0  # the page drew its default view instead
    plain = open_page(page)
    assert not at.exception and not plain.exception
    assert "not valid" not in messages(plain)


# ---- files: every place the app accepts a checkpoint goes through zoo.load_checkpoint ----

def small_checkpoint():
    vocab = Vocab.from_chars("ab ")
    model = RNNModel(ModelConfig(cell="lstm", input_size=len(vocab), output_size=len(vocab), hidden_size=4), vocab)
    return zoo.to_bytes(model, {"task": "english"})


class RunsCode:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('HOSTILE_RAN').write_text('x')",))


def _hostile_pickle():
    return pickle.dumps({"rnn.weight_ih_l0": RunsCode()})


FILES = [
    ("random bytes", lambda w, m: (bytes(range(256)) * 40, m), "not a readable safetensors file"),
    ("empty file", lambda w, m: (b"", m), "not a readable safetensors file"),
    ("truncated", lambda w, m: (w[: len(w) - 17], m), "damaged or truncated"),
    ("pickle that runs code", lambda w, m: (_hostile_pickle(), m), "not a readable safetensors file"),
    ("torch.save file", lambda w, m: (_torch_saved(), m), "not a readable safetensors file"),
    ("shapes do not match the JSON", lambda w, m: (w, _meta_with(m, hidden_size=6)), "shape"),
    ("metadata is a list", lambda w, m: (w, b"[]"), "not an RNN Explorer metadata file"),
    ("metadata is not UTF-8", lambda w, m: (w, b"\xff\xfe\x00{"), "not valid JSON"),
    ("unknown cell", lambda w, m: (w, _meta_with(m, cell="transformer")), "cell must be one of"),
    ("vocabulary of words", lambda w, m: (w, _meta_vocab(m, ["\ufffd", "ab", " "])), "is not a single character"),
    ("too big", lambda w, m: (b"\0" * (zoo.MAX_CHECKPOINT_BYTES + 1), m), "the limit is"),
    ("metadata nested 100,000 deep", lambda w, m: (w, b"[" * 100_000 + b"]" * 100_000), "nested too deeply"),
    ("vocabulary nested 100,000 deep", lambda w, m: (w, _meta_raw_vocab(m, "[" * 100_000 + "]" * 100_000)),
     "nested too deeply"),
    ("a 5,000-digit number in the vocabulary", lambda w, m: (w, _meta_raw_vocab(m, "[" + "9" * 5000 + "]")),
     "a number too long to read"),
    ("a lone surrogate in the vocabulary", lambda w, m: (w, _meta_vocab(m, ["\ufffd", "\ud800", " "])),
     "half of a surrogate pair"),
    ("a vocabulary entry that is not text", lambda w, m: (w, _meta_vocab(m, ["\ufffd", 7, " "])),
     "is not a single character"),
    ("vocabulary not a list", lambda w, m: (w, _meta_vocab(m, {"a": 0})), "must be a JSON list"),
    ("float8 weights (F8_E4M3)", lambda w, m: (_cast(w, torch.float8_e4m3fn), m), "float8_e4m3fn values"),
    ("float8 weights (F8_E5M2)", lambda w, m: (_cast(w, torch.float8_e5m2), m), "float8_e5m2 values"),
    ("integer weights", lambda w, m: (_cast(w, torch.int32), m), "non-float"),
    ("NaN weights", lambda w, m: (_cast(w, torch.float32, fill=float("nan")), m), "non-finite"),
]


def _torch_saved():
    import io
    buffer = io.BytesIO()
    torch.save({"rnn.weight_ih_l0": torch.zeros(2, 2)}, buffer)
    return buffer.getvalue()


def _meta_with(meta, **changes):
    data = json.loads(meta)
    data["config"].update(changes)
    return json.dumps(data).encode()


def _meta_raw_vocab(meta, raw_vocab: str) -> bytes:
    """The sidecar with its vocabulary replaced by raw JSON text (what json.dumps cannot write)."""
    data = json.loads(meta)
    data["vocab"] = "@VOCAB@"
    return json.dumps(data).replace('"@VOCAB@"', raw_vocab).encode()


def _cast(weights, dtype, fill=None):
    """The same safetensors file with its first tensor stored as `dtype` (or filled with `fill`)."""
    from safetensors.torch import load, save
    tensors = load(weights)
    first = sorted(tensors)[0]
    tensors[first] = tensors[first].to(dtype) if fill is None else torch.full_like(tensors[first], fill)
    return save(tensors)


def _meta_vocab(meta, vocab):
    data = json.loads(meta)
    data["vocab"] = vocab
    return json.dumps(data).encode()


@pytest.mark.parametrize("name, make, expected", FILES, ids=[f[0] for f in FILES])
def test_broken_or_hostile_checkpoint_files_get_a_sentence(name, make, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    weights, meta = small_checkpoint()
    bad_weights, bad_meta = make(weights, meta)
    with pytest.raises(ValueError, match=expected):
        zoo.load_checkpoint(bad_weights, bad_meta, "upload.safetensors")
    assert not (tmp_path / "HOSTILE_RAN").exists()
    model = zoo.load_checkpoint(weights, meta)  # and a good file still loads
    assert model.config.hidden_size == 4


@pytest.mark.parametrize("name", ["up\x00load.safetensors", "line\nbreak.safetensors", "\ud800.safetensors",
                                  "x" * 5000 + ".safetensors"])
def test_a_file_name_with_control_characters_is_quoted_with_escapes(name):
    with pytest.raises(ValueError) as refused:
        zoo.load_checkpoint(b"not safetensors", small_checkpoint()[1], name)
    sentence = str(refused.value)
    assert sentence.isprintable() and "not a readable safetensors file" in sentence
    assert len(sentence) < 400
    sentence.encode("utf-8")  # no lone surrogate left: a page can send it


# ---- extreme training settings on the Train page: refused with a sentence, nothing lost ----

def _widget(at, key):
    for kind in ("selectbox", "number_input", "multiselect", "toggle"):
        for widget in getattr(at, kind):
            if widget.key == key:
                return widget
    raise KeyError(key)


TRAINING = [
    ({"train_hidden": 0}, "hidden_size must be a whole number from 1"),
    ({"train_hidden": 100_000}, "hidden_size must be a whole number from 1 to 2048"),
    ({"train_layers": 0}, "num_layers must be a whole number from 1"),
    ({"train_layers": 50}, "num_layers must be a whole number from 1 to 8"),
    ({"train_seq_len_adding": 100_000}, "sequence length for the adding task must be from"),
    ({"train_batch": 0}, "batch"),
    ({"train_lr": 0.0}, "learning rate"),
    ({"train_lr": -1.0}, "learning rate"),
    ({"train_clip_norm": 0.0}, "clip"),
    ({"train_lr": 1e300}, "learning rate must be a number from 1e-06 to 100, such as 0.003; got 1e+300."),
    ({"train_lr": 1e39}, "learning rate must be a number from 1e-06 to 100, such as 0.003; got 1e+39."),
    ({"train_lr": 1e309}, "learning rate must be a number from 1e-06 to 100"),  # the box hands over 0
    ({"train_lr": 1e-9}, "learning rate must be a number from 1e-06 to 100"),
    ({"train_lr": 101.0}, "learning rate must be a number from 1e-06 to 100"),
]


@pytest.mark.parametrize("settings, expected", TRAINING, ids=[next(iter(s)) + "=" + str(next(iter(s.values())))
                                                           for s, _ in TRAINING])
def test_extreme_training_settings_are_refused_with_a_sentence(settings, expected):
    at = open_page("pages/train.py")
    assert not at.exception, at.exception
    at.button(key="train_step").click().run()  # something trained, which a refused change must not lose
    trained = at.session_state["train_playground"].step
    assert trained > 0
    for key, value in settings.items():
        _widget(at, key).set_value(value)
    at.run()
    assert not at.exception, at.exception
    errors = " ".join(str(e.value) for e in at.error)
    assert expected.lower() in errors.lower(), errors
    assert at.session_state["train_playground"].step == trained
    at.button(key="train_step").click().run()  # and Step still trains, with the settings it had
    assert not at.exception, at.exception
    assert at.session_state["train_playground"].step > trained


def test_a_learning_rate_that_diverges_pauses_and_restores():
    at = open_page("pages/train.py")
    for key, value in {"train_optimizer": "sgd", "train_lr": 100.0, "train_clip": False}.items():
        _widget(at, key).set_value(value)
    at.run()
    at.button(key="train_step").click().run()
    assert not at.exception, at.exception
    errors = " ".join(str(e.value) for e in at.error)
    assert "diverged" in errors and "restored" in errors
    for run in at.session_state["train_playground"].runs:
        assert all(torch.isfinite(p).all() for p in run.state.model.parameters())


# ---- Intervene: steps chosen for a longer text, an edit caption that quotes the text ----

def test_intervene_moves_steps_kept_from_a_longer_text_inside_a_short_one():
    at = open_page("pages/intervene.py")
    assert at.number_input(key="from").value == 20  # the default on the long default text
    text_box(at, "text").input("To be or not").run()  # 12 characters: step 20 is past its end
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert 0 <= at.number_input(key="from").value < 12
    at.number_input(key="from").set_value(500).run()  # a step typed for this text still gets its sentence
    assert "outside the text" in " ".join(str(e.value) for e in at.error)
    at.number_input(key="from").set_value(3).run()
    assert not at.exception and not at.error and len(at.get("plotly_chart")) > 0


def test_intervene_quotes_an_edited_text_that_holds_backticks_as_code():
    at = open_page("pages/intervene.py")
    at.radio(key="kind").set_value("edit").run()
    text_box(at, "text").input("a `[Log in](https://example.com)` b").run()
    at.number_input(key="pos").set_value(0).run()
    assert not at.exception, at.exception
    caption = next(str(c.value) for c in at.caption if "changed:" in str(c.value))
    assert caption.count("``") >= 2  # a fence longer than the text's own backticks
