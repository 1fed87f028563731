"""The Encoder-decoder page under AppTest: defaults render, the answer shown is the library's
greedy decoding, the figures hold the library's numbers, bad input gets one sentence, links
restore the view, and the text-model pages never offer the encoder-decoder."""
import base64
import json

import numpy as np
import pytest
import torch
from page_helpers import APP, CORPUS, chart_specs, key_figure, look_at, open_page, save_tiny_model
from streamlit.testing.v1 import AppTest

from explorer import ModelConfig, RNNModel, Vocab, seq2seq, tasks, zoo

torch.set_num_threads(1)
PAGE = "pages/seq2seq.py"
NAME = "dates-tiny"
DEFAULT = "the twenty-third of november, two thousand and twenty-six"


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    save_tiny_model(folder, "english-lstm", cell="lstm", vocab=Vocab.from_text(CORPUS), hidden_size=8)
    model = seq2seq.new_model("lstm", hidden_size=12, embedding_size=6, seed=3)
    test = {"metric": "exact match", "value": 0.5, "examples": 10, "baseline": {"value": 0.1, "description": "-"}}
    seq2seq.save(model, NAME, {"name": NAME, "task": "dates", "cell": "lstm", "parameters": model.num_parameters(),
                               "metrics": {"test": test}}, folder)
    series = {"source": "synthetic", "window": 24, "horizon": 6, "length": 1000, "seed": 0}  # for Time series
    forecaster = RNNModel(ModelConfig(cell="lstm", input_mode="real", input_size=1, hidden_size=8, head="last_step",
                                      output_size=6, output_kind="real"), tasks.get("series", **series).vocab)
    zoo.save(forecaster, "series-lstm", {"name": "series-lstm", "task": "series", "cell": "lstm", "metrics": {},
                                         "task_config": series, "parameters": forecaster.num_parameters()}, folder)
    return folder


def texts(elements):
    return " ".join(str(e.value) for e in elements)


def titles(at):
    return [s["layout"]["title"]["text"] for s in chart_specs(at)]


def metrics(at):
    return {m.label: m.value for m in at.metric}


def array(values) -> np.ndarray:
    """A numeric array as plotly sends it: nested lists, or {"dtype", "bdata", "shape"} (base64)."""
    if isinstance(values, dict):
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        shape = values.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return flat.reshape(shape) if shape else flat
    return np.array(values, dtype=float)


def spec(at, title_part):
    return next(s for s in chart_specs(at) if title_part in s["layout"]["title"]["text"])






def test_defaults_render_and_the_answer_is_the_librarys(app, tiny_zoo):
    at = open_page(app, PAGE)
    model = zoo.load(NAME, tiny_zoo)
    assert at.text_input(key="source").value == DEFAULT
    shown = metrics(at)
    assert shown["The model writes"] == (seq2seq.greedy_decode(model, [DEFAULT])[0] or "(nothing)")
    assert shown["True answer"] == "2026-11-23"
    assert shown["Verdict"] == ("right" if shown["The model writes"] == "2026-11-23" else "wrong")
    found = titles(at)
    for part in ("Encoder: hidden state", "Encoder: forget gate", "handed-over state", "Top-3 guesses",
                 "Decoder: hidden state", "Decoder: forget gate"):
        assert any(part in t for t in found), (part, found)
    assert at.get("graphviz_chart")
    assert at.query_params["source"] == DEFAULT and at.query_params["mode"] == "free"


def test_the_key_picture_is_the_squeeze_and_its_sentence_is_computed(app, tiny_zoo):
    at = open_page(app, PAGE)
    assert not at.warning and not at.error
    model = zoo.load(NAME, tiny_zoo)
    tr = seq2seq.trace_seq2seq(model, DEFAULT)
    answer = seq2seq.greedy_decode(model, [DEFAULT])[0]
    box = key_figure(at)
    assert box.get("graphviz_chart")
    sentence = look_at(at)
    assert f"All {len(DEFAULT)} characters reach the decoder only as the 2 × 12 numbers" in sentence
    assert f"it writes {answer or '(nothing)'}" in sentence
    unsure = int(tr.topk_probs[:, 0].argmin())
    assert f"least sure step is step {unsure} " in sentence and f"p = {tr.topk_probs[unsure, 0]:.2f}" in sentence
    wrong = sum(a != b for a, b in zip(answer.ljust(10), "2026-11-23")) + max(0, len(answer) - 10)
    assert ("every character right" if wrong == 0 else f"{wrong} of 10 characters wrong") in sentence


def test_the_date_applies_on_enter(app):
    at = open_page(app, PAGE)
    assert not at.get("form") and not at.text_area  # one line, no Apply button: Enter applies it
    at.text_input(key="source").input("the first of may, nineteen hundred").run()  # what Enter sends
    assert metrics(at)["True answer"] == "1900-05-01"


def test_a_visit_to_time_series_keeps_the_example(app):
    """Time series' `source` (a data set) and this page's (a date in words) share a URL name only."""
    at = open_page(app, "pages/series.py")
    assert at.session_state["source"] == "synthetic"
    at.query_params.clear()  # as the browser does on a page change (it keeps only embed options)
    at.switch_page(PAGE).run()
    assert not at.exception and not at.warning and not at.error
    assert at.text_input(key="source").value == DEFAULT
    assert metrics(at)["True answer"] == "2026-11-23"
    at.query_params.clear()
    at.switch_page("pages/series.py").run()
    assert at.session_state["source"] == "synthetic" and not at.warning
    at.query_params.clear()
    at.switch_page(PAGE).run()
    assert at.text_input(key="source").value == DEFAULT and not at.warning


def test_figures_hold_the_traced_numbers(app, tiny_zoo):
    at = open_page(app, PAGE)
    tr = seq2seq.trace_seq2seq(zoo.load(NAME, tiny_zoo), DEFAULT)
    handed = spec(at, "handed-over state")["data"]  # bars: h, then c
    np.testing.assert_allclose(array(handed[0]["y"]), tr.handed_hidden[0], atol=1e-6)
    np.testing.assert_allclose(array(handed[1]["y"]), tr.handed_cell[0], atol=1e-6)
    encoder = spec(at, "Encoder: hidden state")["data"][0]
    assert encoder["x"][0] == "step 0 “t”" and len(encoder["x"]) == len(DEFAULT)
    np.testing.assert_allclose(array(encoder["z"]), tr.encoder.hidden[0, 0].T, atol=1e-6)
    decoder = spec(at, "Decoder: forget gate")
    assert decoder["layout"]["xaxis"]["title"]["text"] == "step (character written)"
    last = len(tr.written) - 1
    assert decoder["data"][0]["x"][-1] == f"step {last} “{'end' if tr.written[-1] == seq2seq.END else tr.written[-1]}”"
    np.testing.assert_allclose(array(decoder["data"][0]["z"]), tr.decoder.gates["f"][0, 0].T,
                               atol=1e-6)
    guesses = spec(at, "Top-3 guesses")["data"][0]
    np.testing.assert_allclose(array(guesses["z"]), tr.topk_probs.T, atol=1e-6)


def test_typing_and_examples_redraw(app):
    at = open_page(app, PAGE)
    at.text_input(key="source").input("the first of may, nineteen hundred").run()
    assert not at.exception
    assert metrics(at)["True answer"] == "1900-05-01"
    assert spec(at, "Encoder: hidden state")["data"][0]["x"][4] == "step 4 “f”"
    assert at.query_params["source"] == "the first of may, nineteen hundred"
    at.selectbox(key="example").select("the fourth of july, nineteen seventy-six").run()
    assert at.text_input(key="source").value == "the fourth of july, nineteen seventy-six"
    assert metrics(at)["True answer"] == "1976-07-04"


def test_teacher_forcing_reads_the_true_answer(app, tiny_zoo):
    at = open_page(app, PAGE)
    at.radio(key="mode").set_value("teacher").run()
    assert not at.exception
    tr = seq2seq.trace_seq2seq(zoo.load(NAME, tiny_zoo), DEFAULT, target="2026-11-23")
    decoder = spec(at, "Decoder: hidden state")["data"][0]
    np.testing.assert_allclose(array(decoder["z"]), tr.decoder.hidden[0, 0].T, atol=1e-6)
    assert len(decoder["x"]) == len("2026-11-23") + 1  # ten characters and the end token
    assert "Teacher forcing" in texts(at.caption)
    assert at.query_params["mode"] == "teacher"


def test_characters_outside_the_alphabet_get_one_sentence(app):
    at = open_page(app, PAGE)
    typed = "The 1st of May, 1990"
    at.text_input(key="source").input(typed).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("The encoder never saw 'T', '1', 'M', '9', '0':")
    assert "lowercase letters, spaces, hyphens and commas only" in at.error[0].value
    assert not at.get("plotly_chart")
    assert at.text_input(key="source").value == typed, "what the user typed stays in the box"


def test_words_outside_the_task_are_named_and_still_answered(app):
    at = open_page(app, PAGE)
    at.text_input(key="source").input("the first of smarch, nineteen eighty").run()
    assert not at.exception and not at.error
    assert "“smarch” is not a month" in texts(at.warning)
    assert "True answer" not in metrics(at) and "The model writes" in metrics(at)
    assert at.get("plotly_chart")
    at.radio(key="mode").set_value("teacher").run()
    assert "runs free here" in texts(at.info)


def test_empty_and_overlong_sources(app):
    at = open_page(app, PAGE)
    at.text_input(key="source").input("").run()
    assert not at.exception and not at.error
    assert "Type a date in words" in texts(at.info)
    long_text = "the first of may " * 20
    at.text_input(key="source").input(long_text).run()
    assert "shorten it" in texts(at.error) and not at.get("plotly_chart")
    assert at.text_input(key="source").value == long_text


def test_a_link_restores_the_view(app):
    at = open_page(app, PAGE, source="the twelfth of may, nineteen oh five", mode="teacher", show="i,cell")
    assert not at.warning
    assert at.text_input(key="source").value == "the twelfth of may, nineteen oh five"
    assert at.radio(key="mode").value == "teacher"
    found = titles(at)
    assert any("Encoder: input gate" in t for t in found) and any("Decoder: cell state" in t for t in found)
    assert not any("hidden state" in t for t in found)


def test_a_bad_link_falls_back_with_a_warning(app):
    at = open_page(app, PAGE, mode="sideways", seq_model="nope")
    warning = texts(at.warning)
    assert "sideways" in warning and "nope" in warning
    assert at.radio(key="mode").value == "free" and at.get("plotly_chart")


def test_home_lists_it_and_text_pickers_do_not_offer_it(app):
    app.run()
    assert NAME in list(app.dataframe[0].value["model"])
    at = open_page(app, "pages/inspect.py")
    assert NAME not in at.sidebar.selectbox(key="model").options


@pytest.mark.skipif("dates-lstm" not in zoo.available(), reason="build it: python -m explorer.zoo build dates-lstm")
def test_the_pretrained_model_gets_the_default_date_right():
    at = AppTest.from_file(APP, default_timeout=60)
    at = open_page(at, PAGE)
    shown = metrics(at)
    assert shown["The model writes"] == "2026-11-23" and shown["Verdict"] == "right"
    assert json.dumps(chart_specs(at)).count("unit 127") >= 3  # 128 units in every heatmap
