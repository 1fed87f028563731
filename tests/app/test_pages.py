"""The app's pages, driven headless with streamlit's AppTest.

They run against a folder of tiny random models (RNN_EXPLORER_ZOO_DIR), so they pass whether or
not the real pretrained models have been built; the last tests also open the real zoo when it
exists.
"""
import html
import json

import numpy as np
import page_helpers
import pytest
from page_helpers import (
    APP,
    CORPUS,
    chart_specs,
    chart_titles,
    coloured_texts,
    key_figure,
    open_page,
    panel_traces,
    save_tiny_model,
)
from streamlit.testing.v1 import AppTest

import explorer
from explorer import Vocab, figures, zoo
from explorer.app import course
from explorer.app.catalog import ZOO_ENV
from explorer.app.inspect_view import SENTENCE
from explorer.app.textbox import MAX_TEXT
from explorer.engine.generate import sample
from explorer.figures import house


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    vocab = Vocab.from_text(CORPUS)
    for name, cell in [("english-lstm", "lstm"), ("english-gru", "gru"), ("english-rnn", "rnn"),
                       ("brackets-lstm", "lstm")]:
        task = "brackets" if name.startswith("brackets") else "english"
        save_tiny_model(folder, name, cell=cell, vocab=vocab, hidden_size=16, task=task)
    return folder


def texts(elements):
    return " ".join(str(e.value) for e in elements)


def test_home_lists_models_and_equations(app):
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["model"]) == ["english-lstm", "english-gru", "english-rnn", "brackets-lstm"]
    assert table["held-out (test)"][0].startswith("bits/char") and float(table["without memory"][0]) > 0
    assert len(app.latex) >= 4
    # the course's notation by default: the GRU's candidate reads r_t ⊙ (W_n h_{t-1} + b_hn)
    assert "n_t" in texts(app.latex) and r"r_t \odot (W_{n} h_{t-1} + b_{hn})" in texts(app.latex)




def look_at(at) -> str:
    """The sentence on what to look at, as the reader sees it (entities unescaped)."""
    return html.unescape(page_helpers.look_at(at))


def test_inspect_default_view(app):
    """A short sentence, the LSTM's forget, input and output gates and its cell state in one key picture,
    units ordered by similarity, and one computed sentence on where the forget gate closes."""
    at = open_page(app, "pages/inspect.py")
    assert at.text_input(key="text").value == SENTENCE["english"]
    (stack,) = chart_specs(key_figure(at))
    titles = [a["text"] for a in stack["layout"]["annotations"] if a.get("name") == "panel title"]
    assert [t.split(",")[0] for t in titles] == ["forget gate f", "input gate i", "output gate o", "cell state c"]
    axes = [k for k in stack["layout"] if k.startswith("xaxis")]
    assert len(axes) == 4 and all(stack["layout"][k]["showticklabels"] for k in axes)  # characters under every panel
    assert stack["layout"]["xaxis"]["ticktext"] == [figures.char_label(c) for c in SENTENCE["english"]]
    assert at.radio(key="order").value == "similarity"
    titles = chart_titles(at)
    assert not any("Cell-state flow" in t or "saturation" in t or "Top-5" in t for t in titles)
    saturation = [m for m in coloured_texts(at) if "Gate saturation over this text" in m]
    units = len(at.multiselect(key="flow").options)  # one option per unit
    assert len(saturation) == 1 and saturation[0].count("<span title=") == 3 * units  # i f o of every unit, as HTML
    assert "saturation" in at.selectbox(key="download_figure").options  # the interactive figure, to download
    assert "<span" in coloured_texts(at)[0]
    at.pills(key="show").set_value(["f", "o"]).run()
    titles = chart_titles(at)
    assert any("forget gate" in t for t in titles) and not any("cell state" in t for t in titles)
    assert at.query_params["show"] == "f,o"
    (equations,) = at.latex  # the LSTM's step equations with numbers, typeset as one block
    assert all(f"{name}_t" in equations.value for name in "ifgoch") and equations.value.count(r"\\") >= 6
    assert at.query_params["model"] == "english-lstm" and at.query_params["text"] == SENTENCE["english"]


def test_the_sentence_says_where_the_forget_gate_closes(app, tiny_zoo):
    """The sentence's step and value are the forget gate's lowest mean over its units, after step 0."""
    at = open_page(app, "pages/inspect.py")
    tr = explorer.trace(zoo.load("english-lstm", tiny_zoo), SENTENCE["english"])
    means = tr.gates["f"][0, 0].mean(axis=1)
    step = int(np.argmin(means[1:])) + 1
    said = look_at(at)
    assert f"(step {step})" in said and f"falls to {means[step]:.2f}" in said and f"{means.mean():.2f} overall" in said
    assert f"“{figures.char_label(SENTENCE['english'][step])}”" in said


def test_each_lesson_shows_its_point(app):
    """The Elman lesson draws the hidden state, many-to-many the guesses and the surprise, the LSTM lesson the
    gates and the cell state; each with its own sentence."""
    for index, panels, words in [(0, ["hidden state h"], "columns after the same character"),
                                 (2, ["Top-5 guesses", "Surprise"], "most surprising next character"),
                                 (10, ["forget gate f", "input gate i", "output gate o", "cell state c"],
                                  "forget gate f close")]:
        at = open_page(AppTest.from_file(APP, default_timeout=60), "pages/inspect.py", **course.lesson_params(index))
        assert not at.warning and not at.error
        titles = [a["text"] for a in chart_specs(key_figure(at))[0]["layout"]["annotations"]
                  if a.get("name") == "panel title"]
        assert [t.split(",")[0].split(" for")[0].split(":")[0] for t in titles] == panels, titles
        assert words in look_at(at)
        assert f"Lesson {index + 1} of" in " ".join(c.value for c in at.caption)


def test_many_to_many_sentence_names_the_most_surprising_character(app, tiny_zoo):
    at = open_page(app, "pages/inspect.py", **course.lesson_params(2))
    tr = explorer.trace(zoo.load("english-lstm", tiny_zoo), SENTENCE["english"])
    step = int(np.nanargmax(tr.loss))
    said = look_at(at)
    assert f"(step {step})" in said and f"{tr.loss[step] / np.log(2):.1f} bits" in said
    assert f"expected “{figures.char_label(tr.topk_labels[step][0])}”" in said


def test_the_text_is_coloured_by_the_listed_unit(tmp_path, monkeypatch):
    """A model whose sidecar lists units opens on the first one and names it; one without falls back to its
    most varying hidden unit and says so."""
    vocab = Vocab.from_text(CORPUS)
    model = save_tiny_model(tmp_path, "english-lstm", cell="lstm", vocab=vocab, hidden_size=16)
    save_tiny_model(tmp_path, "english-gru", cell="gru", vocab=vocab, hidden_size=16)
    meta_path = tmp_path / "english-lstm.json"
    meta = json.loads(meta_path.read_text())
    meta["units"] = [{"feature": "brackets", "quantity": "cell", "layer": 0, "direction": 0, "unit": 11, "r": -0.71},
                     {"feature": "word", "quantity": "hidden", "layer": 0, "direction": 0, "unit": 2, "r": 0.5}]
    meta_path.write_text(json.dumps(meta))
    monkeypatch.setenv(ZOO_ENV, str(tmp_path))
    at = open_page(AppTest.from_file(APP, default_timeout=60), "pages/inspect.py")
    assert at.number_input(key="unit").value == 11 and at.selectbox(key="color").value == "cell"
    captions = " ".join(c.value for c in key_figure(at).caption)
    assert "unit 11 of layer 0 (cell state) tracks bracket depth, r = -0.71 on held-out text" in captions
    coloured = html.unescape(coloured_texts(at)[0])
    cell = explorer.trace(model, SENTENCE["english"]).cell[0, 0, :, 11]
    assert "unit 11 cell" in coloured and f"= {cell[3]:.3f}" in coloured  # the listed unit's own numbers
    at.sidebar.selectbox(key="model").select("english-gru").run()  # no list: the most varying hidden unit
    tr = explorer.trace(zoo.load("english-gru", tmp_path), SENTENCE["english"])
    varying = int(np.argmax(tr.hidden[0, 0].var(axis=0)))
    assert at.number_input(key="unit").value == varying and at.selectbox(key="color").value == "hidden"
    assert "the one that varies most over this text" in " ".join(c.value for c in key_figure(at).caption)
    at.number_input(key="unit").set_value((varying + 1) % 16).run()  # the student's own unit stays theirs
    at.sidebar.selectbox(key="model").select("english-lstm").run()
    assert at.number_input(key="unit").value == (varying + 1) % 16


def test_charts_go_out_in_the_house_look_drawn_once(app):
    """Streamlit's chart theme is off (it makes the browser draw every chart twice). The house look
    is written into each figure, not sent as a template, and numbers outside heatmaps go as lists:
    plotly.js would redraw a chart handed a template or a typed array again. The revision changes
    exactly when the figure does."""
    at = open_page(app, "pages/inspect.py")
    charts = at.get("plotly_chart")
    assert charts
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert chart.proto.theme == "", "theme=None: no second draw in the browser"
        layout = spec["layout"]
        assert layout.get("template") is None and layout["autosize"] is True
        assert "Source Sans" in layout["font"]["family"] and layout["paper_bgcolor"] == "white"
        axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))]
        assert axes and all(layout[k]["tickfont"]["color"] == house.FAINT for k in axes)
        for trace in spec["data"]:
            typed = [k for k, v in trace.items() if isinstance(v, dict) and "bdata" in v]
            assert typed in ([], ["z"]), typed
        assert len(layout["datarevision"]) == 16
    revisions = [json.loads(c.proto.spec)["layout"]["datarevision"] for c in charts]
    at.number_input(key="step").set_value(3).run()  # the figures do not depend on the step
    assert [json.loads(c.proto.spec)["layout"]["datarevision"] for c in at.get("plotly_chart")] == revisions
    at.text_input(key="text").input("Another sentence (with brackets)").run()
    changed = [json.loads(c.proto.spec)["layout"]["datarevision"] for c in at.get("plotly_chart")]
    assert len(set(changed) & set(revisions)) == 0


def test_unrolled_network_is_drawn_only_when_asked(app):
    at = open_page(app, "pages/inspect.py")
    assert not any("unrolled" in t for t in chart_titles(at))
    assert "unrolled" not in at.query_params
    at.toggle(key="unrolled").set_value(True).run()
    assert not at.exception
    titles = chart_titles(at)
    assert any("unrolled over 4 steps" in t and "LSTM" in t for t in titles), titles
    assert at.query_params["unrolled"] == "1"
    link = open_page(AppTest.from_file(APP, default_timeout=60), "pages/inspect.py", unrolled="1")
    assert link.toggle(key="unrolled").value and not link.warning
    bad = open_page(AppTest.from_file(APP, default_timeout=60), "pages/inspect.py", unrolled="yes")
    assert "unrolled='yes'` is not valid (0 or 1)" in texts(bad.warning)


def test_typing_changes_the_figures(app):
    """A sentence is one line that applies on Enter (st.text_input): the figures change with it."""
    at = open_page(app, "pages/inspect.py")
    before = panel_traces(chart_specs(at)[0], "forget gate")[0]  # the heatmap
    sentence_before = look_at(at)
    at.text_input(key="text").input("Tell me (now) what you saw").run()
    assert not at.exception
    after = panel_traces(chart_specs(at)[0], "forget gate")[0]
    assert after["type"] == "heatmap" and before["x"] != after["x"]
    assert after["x"][0] == "step 0 “T”"
    assert look_at(at) != sentence_before
    assert at.query_params["text"] == "Tell me (now) what you saw"


def test_empty_text_asks_for_text(app):
    at = open_page(app, "pages/inspect.py")
    at.text_input(key="text").input("").run()
    assert not at.exception and not at.error
    assert "Type some text" in texts(at.info)
    assert not at.get("plotly_chart")


def test_unknown_characters_are_named(app):
    at = open_page(app, "pages/inspect.py")
    at.text_input(key="text").input("naïve café ☃").run()
    assert not at.exception
    warning = texts(at.warning)
    assert "'ï'" in warning and "'é'" in warning and "'☃'" in warning
    assert at.get("plotly_chart")


def test_over_long_text_is_truncated_but_kept(app):
    at = open_page(app, "pages/inspect.py")
    long_text = "the quick brown fox (jumps) " * 200  # 5,600 characters
    at.text_input(key="text").input(long_text).run()
    assert not at.exception
    assert f"{MAX_TEXT:,}" in texts(at.warning)
    assert at.text_input(key="text").value == long_text, "the user's text stays in the box"
    for spec in chart_specs(at):
        assert len(json.dumps(spec)) < 2_000_000


def test_url_restores_the_view(app):
    at = open_page(app, "pages/inspect.py", model="english-gru", text="Hello (world)", unit="3",
                   order="activity", color="z", show="hidden,z")
    assert not at.warning
    assert at.sidebar.selectbox(key="model").value == "english-gru"
    assert at.text_input(key="text").value == "Hello (world)"
    assert at.number_input(key="unit").value == 3
    assert at.radio(key="order").value == "activity"
    titles = chart_titles(at)
    assert any("update gate" in t for t in titles) and not any("Cell-state" in t for t in titles)
    assert "unit 3 z" in coloured_texts(at)[0]


def test_bad_url_params_fall_back_with_a_warning(app, tiny_zoo):
    at = open_page(app, "pages/inspect.py", model="no-such-model", unit="999", order="sideways", layer="x")
    warning = texts(at.warning)
    assert "no-such-model" in warning and "999" in warning and "sideways" in warning
    assert at.sidebar.selectbox(key="model").value == "english-lstm"
    tr = explorer.trace(zoo.load("english-lstm", tiny_zoo), SENTENCE["english"])
    assert at.number_input(key="unit").value == int(np.argmax(tr.hidden[0, 0].var(axis=0)))  # no listed unit
    assert at.get("plotly_chart")


def test_switching_model_keeps_the_text(app):
    at = open_page(app, "pages/inspect.py")
    at.text_input(key="text").input("my own words").run()
    at.sidebar.selectbox(key="model").select("english-rnn").run()
    assert not at.exception
    assert at.text_input(key="text").value == "my own words"
    assert at.pills(key="show").value == ["hidden"]  # the default panels follow the model: an Elman net has no gates
    assert "a_t" in texts(at.latex)  # Elman: the pre-activation
    assert "brackets-lstm" not in at.sidebar.selectbox(key="model").options


def test_generate_is_repeatable(app):
    at = open_page(app, "pages/generate.py")
    first = at.code[0].value
    assert first.startswith(at.text_input(key="prompt").value) and len(first) > 100
    titles = [s["layout"]["title"]["text"] for s in chart_specs(at)]
    assert any("prompt | generated" in t for t in titles)
    heat = chart_specs(at)[0]
    assert heat["layout"]["shapes"], "the prompt/generated boundary is marked"
    at.number_input(key="seed").set_value(7).run()
    assert at.code[0].value != first
    at.number_input(key="seed").set_value(0).run()
    assert at.code[0].value == first
    assert at.query_params["seed"] == "0"


def test_generate_key_picture_is_the_text_coloured_by_its_probabilities(app, tiny_zoo):
    """The written text, each written character on the probability the model gave it (the library's
    numbers), one sentence naming the least likely one, and a prompt that applies on Enter."""
    at = open_page(app, "pages/generate.py")
    out = sample(zoo.load("english-lstm", tiny_zoo), at.text_input(key="prompt").value, length=200,
                 temperature=0.8, seed=0)
    written = html.unescape(key_figure(at).get("html")[0].proto.body)
    assert written.count(" written, ") == len(out.generated)
    low = int(np.argmin(out.chosen_probs))
    assert f"character {low + 1} written" in written and f"p = {out.chosen_probs[low]:.3f}" in written
    said = look_at(at)
    assert f"(character {low + 1}) only {out.chosen_probs[low]:.1%}" in said
    assert f"“{figures.char_label(out.generated[low])}”" in said
    at.text_input(key="prompt").input("Behold, ").run()  # Enter: a new text from the new prompt
    assert at.code[0].value.startswith("Behold, ") and at.query_params["prompt"] == "Behold, "


def test_generate_empty_prompt(app):
    at = open_page(app, "pages/generate.py")
    at.text_input(key="prompt").input("").run()
    assert not at.exception and "Type a prompt" in texts(at.info)


def test_empty_zoo_says_how_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and "python -m explorer.zoo build --all" in texts(at.warning)
    for page in ("pages/inspect.py", "pages/generate.py"):
        at.switch_page(page).run()
        assert not at.exception and "No pretrained models found" in texts(at.warning)


@pytest.mark.skipif("english-lstm" not in zoo.available(), reason="the real zoo is not built")
def test_real_zoo_pages(monkeypatch):
    monkeypatch.delenv(ZOO_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and at.dataframe
    for page in ("pages/inspect.py", "pages/generate.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error
        for index, name in enumerate(at.sidebar.selectbox(key="model").options):  # every pretrained text model
            at.sidebar.selectbox(key="model").select_index(index).run()
            assert not at.exception and not at.error, name
            assert at.get("plotly_chart"), name


def test_text_survives_a_trip_home(app):
    at = open_page(app, "pages/inspect.py")
    at.text_input(key="text").input("kept (across pages)").run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/inspect.py").run()
    assert not at.exception
    assert at.text_input(key="text").value == "kept (across pages)"


def test_a_link_from_home_switches_the_model(app):
    at = open_page(app, "pages/inspect.py")
    assert at.sidebar.selectbox(key="model").value == "english-lstm"
    at.query_params["model"] = "english-gru"  # what st.page_link(..., query_params=...) on Home does
    at.run()
    assert not at.exception and not at.warning
    assert at.sidebar.selectbox(key="model").value == "english-gru"
