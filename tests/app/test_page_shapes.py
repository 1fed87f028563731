"""The Sentiment, One-to-many and Time-series pages under AppTest.

Most tests run on tiny random models of the three tasks (RNN_EXPLORER_ZOO_DIR); the last ones open
the real pretrained models, where the test is about what those models really do."""

import re

import numpy as np
import pytest
import torch
from page_helpers import APP, as_array, chart_specs, key_figure, look_at, open_page, view_params
from streamlit.testing.v1 import AppTest

from explorer import ModelConfig, RNNModel, tasks, zoo
from explorer.analysis import shapes
from explorer.app.catalog import ZOO_ENV
from explorer.figures import diagram
from explorer.tasks import sentiment as sentiment_task

SERIES_CONFIG = {"source": "synthetic", "window": 24, "horizon": 6, "length": 1000, "seed": 0}


def _save(folder, name, task, config, *, task_config=None):
    torch.manual_seed(0)
    model = RNNModel(config, task.vocab)
    zoo.save(model, name, {"name": name, "task": task.name, "cell": config.cell, "task_config": task_config or {},
                           "parameters": model.num_parameters(), "metrics": {}}, folder)


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    sentiment, count = tasks.get("sentiment"), tasks.get("count")
    _save(folder, "sentiment-gru", sentiment, ModelConfig(cell="gru", input_size=sentiment.input_size, hidden_size=8,
                                                          head="last_step", output_size=2))
    _save(folder, "sentiment-bigru", sentiment, ModelConfig(cell="gru", input_size=sentiment.input_size,
                                                            hidden_size=8, head="last_step", output_size=2,
                                                            bidirectional=True))
    _save(folder, "count-lstm", count, ModelConfig(cell="lstm", input_size=count.input_size, hidden_size=8,
                                                   output_size=11))
    _save(folder, "series-lstm", tasks.get("series", **SERIES_CONFIG),
          ModelConfig(cell="lstm", input_mode="real", input_size=1, hidden_size=8, head="last_step", output_size=6,
                      output_kind="real"), task_config=SERIES_CONFIG)
    return folder


def texts(elements):
    return " ".join(str(e.value) for e in elements)


def titles(at):
    return [s["layout"]["title"]["text"] for s in chart_specs(at)]




def key_titles(at) -> list[str]:
    return [s["layout"]["title"]["text"] for s in chart_specs(key_figure(at))]




def metrics(at):
    return {m.label: m.value for m in at.metric}


def diagram_inputs(at, title: str) -> list[str]:
    """The input boxes' labels of the unrolled diagram titled `title` (which must be drawn)."""
    spec = next(s for s in chart_specs(at) if s["layout"]["title"]["text"] == title)
    return [a["text"] for a in spec["layout"]["annotations"] if a.get("name") == "label:input"]


# ---------------------------------------------------------------------------------------------
# sentiment


def test_sentiment_defaults_render(app, tiny_zoo):
    at = open_page(app, "pages/sentiment.py")
    assert at.text_input(key="sentence").value == "the acting was great, but the ending was dull"
    shown = titles(at)
    assert key_titles(at) == [
        "Running verdict of sentiment-gru: p(positive) after each word"]  # not the bidirectional one
    assert any("hidden state" in t for t in shown) and any("update gate" in t for t in shown)
    assert not at.warning and not at.error
    assert at.query_params["sentence"].startswith("the acting") and at.query_params["heatmaps"] == "hidden,z"
    config = zoo.load("sentiment-gru", tiny_zoo).config
    assert diagram_inputs(at, "sentiment-gru unrolled over the first 5 characters") == [
        f"x<sub>{t}</sub> “{c}”" for t, c in enumerate("the␣a")]
    assert diagram.describe(config) in texts(at.caption)


def test_sentiment_says_first_that_the_model_knows_only_its_grammar(app):
    at = open_page(app, "pages/sentiment.py")
    said = [m.value for m in at.markdown]
    statement = shapes.grammar_statement("sentiment-gru")
    assert statement in said and said.index(statement) < said.index(next(m for m in said if "visibility" in m))
    words, = [e for e in at.expander if e.label == f"The {len(sentiment_task.WORDS)} words it knows"]
    listed = re.findall(r"`([^`]+)`", " ".join(m.value for m in words.markdown))
    assert {word for phrase in listed for word in phrase.split()} == sentiment_task.WORDS  # cannot drift


def test_sentiment_sentence_is_computed_from_the_clauses(app, tiny_zoo):
    sentence = "the acting was great, but the ending was dull"
    at = open_page(app, "pages/sentiment.py")
    run = shapes.running_sentiment(zoo.load("sentiment-gru", tiny_zoo), sentence)
    clauses = shapes.clause_verdicts(run)
    said = look_at(at)
    assert said.startswith("Follow the thick line from clause to clause: ")
    for clause, _, p in clauses:
        assert f"after “{clause}”: **{'positive' if p > 0.5 else 'negative'}** ({p:.2f})" in said
    turned = (clauses[0][2] > 0.5) != (clauses[-1][2] > 0.5)
    assert said.endswith("; the last clause turns the verdict around." if turned else "; the verdict holds to the end.")
    at.text_input(key="sentence").input("the film is good").run()  # one clause: the final verdict, as drawn
    run = shapes.running_sentiment(zoo.load("sentiment-gru", tiny_zoo), "the film is good")
    assert f"p(positive) = {run.final:.2f}" in look_at(at)


def test_sentiment_sentence_applies_on_enter(app):
    at = open_page(app, "pages/sentiment.py")
    assert at.text_input(key="sentence").label.startswith("Sentence")  # one line: Enter applies it
    assert not at.text_area and not at.get("form")
    at.text_input(key="sentence").input("the plot was dull").run()
    assert at.query_params["sentence"] == "the plot was dull"
    assert chart_specs(key_figure(at))[0]["layout"]["xaxis"]["ticktext"] == ["the", "plot", "was", "dull"]


def test_sentiment_numbers_are_the_librarys(app, tiny_zoo):
    at = open_page(app, "pages/sentiment.py", sentence="the plot was dull, but the cast was charming")
    run = shapes.running_sentiment(zoo.load("sentiment-gru", tiny_zoo), "the plot was dull, but the cast was charming")
    line = chart_specs(key_figure(at))[0]["data"][1]  # the per-word curve
    np.testing.assert_allclose(as_array(line["y"]), run.word_p, atol=1e-9)
    assert line["customdata"] == [w for w, _ in run.word_ends]
    assert metrics(at)["The grammar's label"] == "positive"
    assert metrics(at)["Verdict (last step)"] == ("positive" if run.final > 0.5 else "negative")


def test_sentiment_names_words_outside_the_grammar_and_keeps_the_text(app):
    at = open_page(app, "pages/sentiment.py")
    at.text_input(key="sentence").input("this film is good!").run()
    assert not at.exception
    warning = texts(at.warning)
    assert "The training grammar never uses 'this', 'good!'" in warning
    assert "'!'" in warning  # the character the vocabulary lacks
    assert at.text_input(key="sentence").value == "this film is good!"
    assert any("Running verdict" in t for t in titles(at))


def test_sentiment_empty_sentence_asks_for_one(app):
    at = open_page(app, "pages/sentiment.py")
    at.text_input(key="sentence").input("   ").run()
    assert not at.exception and not at.error
    assert "Type a sentence above" in texts(at.info) and not at.get("plotly_chart")


def test_sentiment_bad_link_falls_back(app):
    at = open_page(app, "pages/sentiment.py", heatmaps="hidden,q")
    assert "heatmaps='hidden,q'` is not valid" in texts(at.warning)
    assert any("update gate" in t for t in titles(at))


# ---------------------------------------------------------------------------------------------
# one-to-many


def test_one_to_many_defaults_and_choice(app, tiny_zoo):
    at = open_page(app, "pages/one_to_many.py")
    assert key_titles(at) == [
        "count-lstm: the output distribution at each step"]
    assert any("cell state" in t for t in titles(at))
    at.segmented_control(key="start").set_value("3").run()
    assert not at.exception and at.query_params["start"] == "3"
    unrolled = shapes.unroll(zoo.load("count-lstm", tiny_zoo), "3", 12)
    spec = chart_specs(key_figure(at))[0]
    assert spec["data"][0]["x"][0].startswith("step 0 → " + unrolled.greedy_all[0])
    np.testing.assert_allclose(as_array(spec["data"][0]["z"]).T, unrolled.trace.probs, atol=1e-6)
    ticks = spec["layout"]["xaxis"]["ticktext"]  # level and short: the step over the class it emitted
    assert ticks == [f"{t}<br>{c}" for t, c in enumerate(unrolled.greedy_all)] and spec["layout"]["xaxis"][
        "tickangle"] == 0
    said = look_at(at)
    assert said.startswith(f"From the one input **3** the model wrote **{' '.join(unrolled.emitted)}**, the bright "
                           "cells from left to right")
    assert f"p ≥ {np.floor(unrolled.p_emitted.min() * 1000) / 1000:.3f}" in said
    config = zoo.load("count-lstm", tiny_zoo).config
    assert diagram_inputs(at, "count-lstm unrolled over its first 5 steps") == (
        ["x<sub>0</sub> “3”"] + [f"x<sub>{t}</sub> “_”" for t in range(1, 5)])
    assert diagram.describe(config) in texts(at.caption)


def test_one_to_many_long_runs_label_every_few_steps(app):
    at = open_page(app, "pages/one_to_many.py", steps="64")
    axis = chart_specs(key_figure(at))[0]["layout"]["xaxis"]
    assert len(axis["ticktext"]) == 16 and axis["ticktext"][1].startswith("4<br>")


def test_one_to_many_bad_link_falls_back(app):
    at = open_page(app, "pages/one_to_many.py", start="0", steps="500")
    warning = texts(at.warning)
    assert "start='0'` is not valid" in warning and "steps='500'` is not valid" in warning
    assert at.segmented_control(key="start").value == "7" and at.number_input(key="steps").value == 12


# ---------------------------------------------------------------------------------------------
# time series


def test_series_defaults_render_and_scores_are_the_librarys(app, tiny_zoo):
    at = open_page(app, "pages/series.py")
    shown = titles(at)
    for part in ("The synthetic series", "Close up", "test stretch", "Error by steps ahead", "forget gate"):
        assert any(part in t for t in shown), (part, shown)
    assert key_titles(at) == ["Close up: 24 values read, 6 forecast"]
    model = zoo.load("series-lstm", tiny_zoo)
    series = shapes.load_series(model, "synthetic")
    stretch = shapes.evaluate_stretch(model, series, "test", 24, 6)
    got = metrics(at)
    assert got["Model MSE (normalised)"] == f"{stretch.scores['model_mse']:.4f}"
    assert got["Naive MSE (normalised)"] == f"{stretch.scores['naive_mse']:.4f}"
    assert got["Naive MAE (value)"] == f"{stretch.scores['naive_mae']:.4g}"
    assert got["Seasonal naive MSE (normalised)"] == f"{stretch.scores['seasonal_mse']:.4f}"
    assert got["Seasonal naive MAE (value)"] == f"{stretch.scores['seasonal_mae']:.4g}"
    assert not any("growth" in label for label in got)  # the synthetic series dips below 0: no growth ratio
    by_step = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("Error by steps ahead"))
    assert [trace["name"] for trace in by_step["data"]] == ["model", "naive (last value)", "seasonal naive"]
    for trace, scored in zip(by_step["data"], ("model", "naive", "seasonal")):
        np.testing.assert_allclose(as_array(trace["y"]), stretch.per_step[f"{scored}_mse"], rtol=1e-6)
    verdict = texts(at.markdown)
    for baseline in ("naive (last value)", "seasonal naive"):  # one sentence each, whatever the random model does
        assert sum(f"**{baseline}**" in part for part in verdict.split(". ")) == 1, verdict
    close_up = chart_specs(key_figure(at))[0]["data"]  # forecasting steps 850-855: seasonal naive reads 838-843
    assert close_up[-1]["name"] == "seasonal naive"
    np.testing.assert_allclose(as_array(close_up[-1]["y"]), series.values[838:844], rtol=1e-6)
    assert not at.info  # the training window and direct outputs: nothing to explain
    window = series.values[826:831]
    assert diagram_inputs(at, "series-lstm unrolled over the first 5 values of the window") == [
        f"x<sub>{t}</sub> “{v:.2f}”" for t, v in enumerate(window)]
    assert view_params(at) == {"source": "synthetic", "win": "24", "horizon": "6", "at": "826",
                                     "heatmaps": "hidden,f"}


def test_series_sentence_is_the_close_ups_numbers(app, tiny_zoo):
    at = open_page(app, "pages/series.py")
    model = zoo.load("series-lstm", tiny_zoo)
    series = shapes.load_series(model, "synthetic")
    ahead = shapes.window_forecast(model, series, 826, 24, 6)
    stretch = shapes.evaluate_stretch(model, series, "test", 24, 6)
    said = look_at(at)
    assert said.startswith("The model read 24 values (steps 826–849, blue) and forecast the next 6 (orange)")
    assert f"off by **{np.abs(ahead.forecast - ahead.truth).mean():.3g}** on average" in said
    assert f"is off by **{np.abs(ahead.naive - ahead.truth).mean():.3g}**" in said
    ratio = stretch.scores["model_mse"] / stretch.scores["naive_mse"]
    assert f"; over all {len(stretch.starts)} test windows its MSE is {ratio:.2f}× the naive one's" in said
    spec = chart_specs(key_figure(at))[0]  # the picture the sentence describes: the same forecast
    np.testing.assert_allclose(as_array(spec["data"][2]["y"]), ahead.forecast, rtol=1e-6)


def test_series_knobs_redraw_and_explain(app):
    at = open_page(app, "pages/series.py")
    before = as_array(chart_specs(key_figure(at))[0]["data"][2]["x"])  # the forecast's steps in the close-up
    at.slider(key="win").set_value(12).run()
    at.slider(key="horizon").set_value(10).run()
    assert not at.exception
    info = texts(at.info)
    assert "The window (12) is not the training window (24)" in info and "Steps 7–10 ahead are iterated" in info
    assert "open markers: iterated forecasts" in texts(at.caption)
    after = as_array(chart_specs(key_figure(at))[0]["data"][2]["x"])
    assert len(before) == 6 and len(after) == 10 and after[0] != before[0]
    assert at.query_params["win"] == "12" and at.query_params["horizon"] == "10"


def test_series_airline_and_bad_link(app):
    at = open_page(app, "pages/series.py", source="airline", win="500")
    assert "win='500'` is not valid" in texts(at.warning)
    assert "trained on the synthetic series only" in texts(at.warning)
    assert any("The airline series" in t for t in titles(at)) and "thousand passengers" in " ".join(metrics(at))


def test_series_link_reproduces_the_view(app):
    link = {"source": "airline", "win": "12", "horizon": "3", "at": "100", "heatmaps": "cell,o"}
    app.query_params.update(link)  # "at" is also open_page's first argument
    at = open_page(app, "pages/series.py")
    assert at.sidebar.radio[0].value == "airline" and at.slider(key="win").value == 12
    assert at.slider(key="horizon").value == 3 and at.slider(key="at").value == 100
    assert [t for t in titles(at) if "while reading" in t] == ["cell state c while reading steps 100–111",
                                                                "output gate o while reading steps 100–111"]
    assert view_params(at) == link


def test_series_setting_longer_than_the_stretch_says_so(app):
    at = open_page(app, "pages/series.py", source="airline", win="90", horizon="48")
    assert not at.exception
    assert "Cannot score this setting" in texts(at.error) and texts(at.error) == (
        "Cannot score this setting: the test stretch (22 points) is shorter than the horizon (48). "
        "Choose a shorter horizon.")
    at.slider(key="horizon").set_value(12).run()
    assert not at.error and at.slider(key="win").value == 90  # the other knob is kept


# ---------------------------------------------------------------------------------------------
# the real pretrained models


@pytest.fixture
def real_app(monkeypatch):
    monkeypatch.delenv(ZOO_ENV, raising=False)
    return AppTest.from_file(APP, default_timeout=60)


def test_real_sentiment_flips_after_but(real_app):
    at = open_page(real_app, "pages/sentiment.py")
    assert metrics(at)["Verdict (last step)"] == "negative"
    flip = texts(at.markdown)
    assert "after “the acting was great”: **positive**" in flip
    assert "after “but the ending was dull”: **negative**" in flip
    assert look_at(at).endswith("; the last clause turns the verdict around.")
    at.text_input(key="sentence").input("the film is not good").run()
    assert look_at(at) == ("The thick line is the verdict after each word; it ends **negative** (p(positive) = 0.00) "
                           "on the last character, the only step the model was trained to answer on.")
    assert "With the negation: after “the film is not good”: **negative** (0.00)  \nWithout it: after “the film is " \
           "good”: **positive** (1.00)" in texts(at.markdown)


def test_real_count_and_series(real_app):
    at = open_page(real_app, "pages/one_to_many.py", start="9")
    assert look_at(at).startswith("From the one input **9** the model wrote **9 8 7 6 5 4 3 2 1 0 end**")
    assert look_at(at).endswith("said “end” at step 10 and kept saying it: the count is right.")
    assert metrics(at)["Right?"] == "yes"
    assert metrics(at)["Outputs before “end”"] == "10"
    at.switch_page("pages/series.py").run()
    got = metrics(at)
    assert float(got["Model MSE (normalised)"]) < 0.5 * float(got["Naive MSE (normalised)"])
    assert float(got["Model MSE (normalised)"]) < 0.5 * float(got["Seasonal naive MSE (normalised)"])
    assert ("The model beats **naive (last value)** at every step ahead (1–6). The model beats **seasonal naive** "
            "at every step ahead (1–6).") in texts(at.markdown)
    assert "Against seasonal naive (dotted) its MSE is 0.46× that one's: it beats it." in look_at(at)


def test_real_airline_uses_airline_lstm_and_beats_the_naive_forecast(real_app):
    at = open_page(real_app, "pages/series.py")  # synthetic: series-lstm, 36 values in, 6 out
    assert at.slider(key="win").value == 36 and at.slider(key="horizon").value == 6
    at.sidebar.radio[0].set_value("airline").run()
    assert not at.exception and not at.warning and not at.info  # its own series, window and horizon
    assert view_params(at) == {"source": "airline", "win": "12", "horizon": "1", "at": "110",
                                     "heatmaps": "hidden,f"}
    assert any(t.startswith("airline-lstm unrolled") for t in titles(at))
    assert "log(value / the window's last value)" in texts(at.caption)
    model = zoo.load("airline-lstm")
    series = shapes.load_series(model, "airline")
    shown = {}
    for horizon in (1, 6):
        at.slider(key="horizon").set_value(horizon).run()
        scores = shapes.evaluate_stretch(model, series, "test", 12, horizon).scores
        shown[horizon] = got = metrics(at)
        assert got == {"Model MSE (normalised)": f"{scores['model_mse']:.4f}",
                       "Naive MSE (normalised)": f"{scores['naive_mse']:.4f}",
                       "Seasonal naive MSE (normalised)": f"{scores['seasonal_mse']:.4f}",
                       "With growth MSE (normalised)": f"{scores['seasonal_growth_mse']:.4f}",
                       "Model MAE (thousand passengers)": f"{scores['model_mae']:.4g}",
                       "Naive MAE (thousand passengers)": f"{scores['naive_mae']:.4g}",
                       "Seasonal naive MAE (thousand passengers)": f"{scores['seasonal_mae']:.4g}",
                       "With growth MAE (thousand passengers)": f"{scores['seasonal_growth_mae']:.4g}"}
        assert float(got["Model MSE (normalised)"]) < 0.25 * float(got["Naive MSE (normalised)"])
    assert [shown[1]["Model MSE (normalised)"], shown[1]["Naive MSE (normalised)"]] == ["0.1005", "0.5240"]
    assert list(shown[6].values()) == ["0.0813", "1.9465", "0.5295", "0.0973", "17.6", "84.99", "52.24", "18.18"]
    # the honest part: one month ahead, last year's month times the last year's growth is better
    assert [shown[1]["Model MAE (thousand passengers)"], shown[1]["With growth MAE (thousand passengers)"]] == [
        "19.38", "15.31"]
    at.slider(key="horizon").set_value(1).run()
    assert ("The model beats **seasonal naive** one step ahead. The model loses to **seasonal naive with growth** "
            "one step ahead.") in texts(at.markdown)
    assert look_at(at).endswith("Against seasonal naive with growth (dotted) its MSE is 1.36× that one's: it loses "
                                "to it.")


def test_real_series_after_encoder_decoder_and_from_a_link(real_app):
    """Encoder-decoder keeps a date in words under `source`, Time series a data set: each page starts
    from its own value, and a link that carries Time series' keys still shows what it says."""
    at = open_page(real_app, "pages/seq2seq.py")
    at.text_input(key="source").input("the fifth of may, nineteen ninety").run()
    at.query_params.clear()  # as the browser does on a page change
    at.switch_page("pages/series.py").run()
    assert not at.exception and not at.warning and not at.error
    assert at.sidebar.radio[0].value == "synthetic" and at.query_params["source"] == "synthetic"
    link = {"source": "airline", "win": "12", "horizon": "1", "at": "110", "heatmaps": "hidden,f"}
    at.query_params.clear()
    at.query_params.update(link)
    at.switch_page("pages/series.py").run()
    assert not at.exception and not at.warning and view_params(at) == link
    assert at.sidebar.radio[0].value == "airline" and any(t.startswith("airline-lstm unrolled") for t in titles(at))
    at.query_params.clear()
    at.switch_page("pages/seq2seq.py").run()
    assert not at.exception and not at.warning and at.text_input(key="source").value != "airline"


def test_real_count_too_few_steps_says_so(real_app):
    at = open_page(real_app, "pages/one_to_many.py", start="9", steps="5")
    assert look_at(at).endswith("and did not say “end” within 5 steps, where the task wants 9 8 7 6 5 4 3 2 1 0 end.")
    assert "Counting down from 9 needs 11 steps; run at least that many." in texts(at.warning)
    assert metrics(at)["Right?"] == "no" and metrics(at)["Outputs before “end”"] == "no “end” yet"
