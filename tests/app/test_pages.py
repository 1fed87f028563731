"""The app's pages, driven headless with streamlit's AppTest.

They run against a folder of tiny random models (RNN_EXPLORER_ZOO_DIR), so they pass whether or
not the real pretrained models have been built; the last tests also open the real zoo when it
exists.
"""
import json

import pytest
from page_helpers import (
    APP,
    CORPUS,
    chart_specs,
    chart_titles,
    coloured_texts,
    open_page,
    panel_traces,
    save_tiny_model,
)
from streamlit.testing.v1 import AppTest

from explorer import Vocab, zoo
from explorer.app.catalog import ZOO_ENV
from explorer.app.textbox import MAX_TEXT
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
    assert "baseline" in table["held-out (test)"][0]
    assert len(app.latex) >= 4
    assert "n_t" in texts(app.latex) and r"r_t \odot (W_{hn}" in texts(app.latex)


def test_inspect_default_view(app):
    at = open_page(app, "pages/inspect.py")
    assert at.text_area(key="text").value.startswith("And he said")
    titles = chart_titles(at)
    assert any("hidden state" in t for t in titles) and any("cell state" in t for t in titles)
    assert any("Cell-state flow" in t for t in titles) and not any("saturation" in t for t in titles)
    saturation = [m for m in coloured_texts(at) if "Gate saturation over this text" in m]
    units = len(at.multiselect(key="flow").options)  # one option per unit
    assert len(saturation) == 1 and saturation[0].count("<span title=") == 3 * units  # i f o of every unit, as HTML
    assert "saturation" in at.selectbox(key="download_figure").options  # the interactive figure, to download
    assert any("Top-5" in t for t in titles) and any("Surprise" in t for t in titles)
    assert "<span" in coloured_texts(at)[0]
    at.pills(key="show").set_value(["f", "o"]).run()
    titles = chart_titles(at)
    assert any("forget gate" in t for t in titles) and not any("cell state" in t for t in titles)
    assert at.query_params["show"] == "f,o"
    (equations,) = at.latex  # the LSTM's step equations with numbers, typeset as one block
    assert all(f"{name}_t" in equations.value for name in "ifgoch") and equations.value.count(r"\\") >= 6
    assert at.query_params["model"] == "english-lstm" and at.query_params["text"].startswith("And he said")


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
    at.text_area(key="text").input("Another sentence (with brackets)").run()
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
    assert "unrolled='yes' is not valid (0 or 1)" in texts(bad.warning)


def test_typing_changes_the_figures(app):
    at = open_page(app, "pages/inspect.py")
    before = panel_traces(chart_specs(at)[0], "hidden state")[0]  # the heatmap
    at.text_area(key="text").input("Tell me (now) what you saw").run()
    assert not at.exception
    after = panel_traces(chart_specs(at)[0], "hidden state")[0]
    assert after["type"] == "heatmap" and before["x"] != after["x"]
    assert after["x"][0] == "step 0 “T”"
    assert at.query_params["text"] == "Tell me (now) what you saw"


def test_empty_text_asks_for_text(app):
    at = open_page(app, "pages/inspect.py")
    at.text_area(key="text").input("").run()
    assert not at.exception and not at.error
    assert "Type some text" in texts(at.info)
    assert not at.get("plotly_chart")


def test_unknown_characters_are_named(app):
    at = open_page(app, "pages/inspect.py")
    at.text_area(key="text").input("naïve café ☃").run()
    assert not at.exception
    warning = texts(at.warning)
    assert "'ï'" in warning and "'é'" in warning and "'☃'" in warning
    assert at.get("plotly_chart")


def test_over_long_text_is_truncated_but_kept(app):
    at = open_page(app, "pages/inspect.py")
    long_text = "the quick brown fox (jumps) " * 200  # 5,600 characters
    at.text_area(key="text").input(long_text).run()
    assert not at.exception
    assert f"{MAX_TEXT:,}" in texts(at.warning)
    assert at.text_area(key="text").value == long_text, "the user's text stays in the box"
    for spec in chart_specs(at):
        assert len(json.dumps(spec)) < 2_000_000


def test_url_restores_the_view(app):
    at = open_page(app, "pages/inspect.py", model="english-gru", text="Hello (world)", unit="3",
                   order="activity", color="z", show="hidden,z")
    assert not at.warning
    assert at.sidebar.selectbox(key="model").value == "english-gru"
    assert at.text_area(key="text").value == "Hello (world)"
    assert at.number_input(key="unit").value == 3
    assert at.radio(key="order").value == "activity"
    titles = chart_titles(at)
    assert any("update gate" in t for t in titles) and not any("Cell-state" in t for t in titles)
    assert "unit 3 z" in coloured_texts(at)[0]


def test_bad_url_params_fall_back_with_a_warning(app):
    at = open_page(app, "pages/inspect.py", model="no-such-model", unit="999", order="sideways", layer="x")
    warning = texts(at.warning)
    assert "no-such-model" in warning and "999" in warning and "sideways" in warning
    assert at.sidebar.selectbox(key="model").value == "english-lstm"
    assert at.number_input(key="unit").value == 0
    assert at.get("plotly_chart")


def test_switching_model_keeps_the_text(app):
    at = open_page(app, "pages/inspect.py")
    at.text_area(key="text").input("my own words").run()
    at.sidebar.selectbox(key="model").select("english-rnn").run()
    assert not at.exception
    assert at.text_area(key="text").value == "my own words"
    assert "a_t" in texts(at.latex)  # Elman: the pre-activation
    assert "brackets-lstm" not in at.sidebar.selectbox(key="model").options


def test_generate_is_repeatable(app):
    at = open_page(app, "pages/generate.py")
    first = at.code[0].value
    assert first.startswith(at.text_area(key="prompt").value) and len(first) > 100
    titles = [s["layout"]["title"]["text"] for s in chart_specs(at)]
    assert any("prompt | generated" in t for t in titles)
    heat = chart_specs(at)[0]
    assert heat["layout"]["shapes"], "the prompt/generated boundary is marked"
    at.number_input(key="seed").set_value(7).run()
    assert at.code[0].value != first
    at.number_input(key="seed").set_value(0).run()
    assert at.code[0].value == first
    assert at.query_params["seed"] == "0"


def test_generate_empty_prompt(app):
    at = open_page(app, "pages/generate.py")
    at.text_area(key="prompt").input("").run()
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
    at.text_area(key="text").input("kept (across pages)").run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/inspect.py").run()
    assert not at.exception
    assert at.text_area(key="text").value == "kept (across pages)"


def test_a_link_from_home_switches_the_model(app):
    at = open_page(app, "pages/inspect.py")
    assert at.sidebar.selectbox(key="model").value == "english-lstm"
    at.query_params["model"] = "english-gru"  # what st.page_link(..., query_params=...) on Home does
    at.run()
    assert not at.exception and not at.warning
    assert at.sidebar.selectbox(key="model").value == "english-gru"
