"""The Gradients-through-time page, driven headless with AppTest over tiny random models.

The numbers drawn must be explorer.bptt's on the same input: the tests read them back from the
figures' data and compare."""
import html
import json
import math
import re

import numpy as np
import page_helpers
import pytest
import torch
from page_helpers import (
    APP,
    CORPUS,
    as_array,
    chart_specs,
    coloured_texts,
    figures_and_panels,
    key_figure,
    save_tiny_model,
)
from streamlit.testing.v1 import AppTest

from explorer import ModelConfig, RNNModel, Vocab, bptt, figures, zoo
from explorer.analysis import internals
from explorer.analysis.internals import JACOBIAN_CHARS
from explorer.app.catalog import ZOO_ENV
from explorer.app.textbox import DEFAULT_TEXT

torch.set_num_threads(1)
PAGE = "pages/gradients.py"
NOTES = {"sum": "every step adds its own loss's gradient, so the last step's loss shows vanishing better"}
SIZES = {"english-rnn": ("rnn", 16), "english-gru": ("gru", 16), "english-lstm": ("lstm", 16),
         "english-rnn-matched": ("rnn", 32), "english-gru-matched": ("gru", 18),
         "english-mingru": ("mingru", 24), "english-minlstm": ("minlstm", 20)}


def make_zoo(folder, names=tuple(SIZES)[:5]):
    vocab = Vocab.from_text(CORPUS)
    for name in names:
        cell, size = SIZES[name]
        save_tiny_model(folder, name, cell=cell, vocab=vocab, hidden_size=size, extra_test={"split": "test"})
    return folder


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    return make_zoo(tmp_path_factory.mktemp("zoo"))


def open_page(at, **params):
    return page_helpers.open_page(at, PAGE, **params)


def chart(at, title_part):
    found = [s for s in figures_and_panels(at) if title_part in s["layout"]["title"]["text"]]
    assert found, f"no chart titled with {title_part!r}"
    return found[0]


def texts(elements):
    return " ".join(str(e.value) for e in elements)




def curve(spec, model_name):
    traces = [t for t in spec["data"] if t["name"].startswith(model_name + " (")]
    assert len(traces) == 1, [t["name"] for t in spec["data"]]
    return traces[0]




def assert_same_curve(drawn, expected):
    """A log-axis curve against exact numbers: zeros are drawn as gaps, everything else equal."""
    drawn, expected = as_array(drawn), np.asarray(expected, dtype=np.float64)
    assert drawn.shape == expected.shape
    assert np.array_equal(np.isnan(drawn), expected <= 0)
    np.testing.assert_allclose(drawn[expected > 0], expected[expected > 0], rtol=1e-6)


def test_defaults_draw_bptt_numbers(app, tiny_zoo):
    at = open_page(app)
    assert not at.error
    assert at.text_input(key="text").value == DEFAULT_TEXT["english"]
    norms = chart(at, "Gradient norm reaching h_t")
    assert norms["layout"]["yaxis"]["type"] == "log"
    assert len(norms["data"]) == 3  # SimpleRNN, GRU and LSTM overlaid on the same axes
    jac = chart(at, "Jacobian norm")
    assert "Frobenius" in jac["layout"]["yaxis"]["title"]["text"] and "Frobenius" in jac["data"][0]["hovertemplate"]
    for name in ("english-rnn", "english-gru", "english-lstm"):
        model = zoo.load(name, tiny_zoo)
        expected = bptt(model, DEFAULT_TEXT["english"], loss="last", jacobian=True)
        assert_same_curve(curve(norms, name)["y"], np.linalg.norm(expected.dh, axis=-1)[0, 0])
        assert_same_curve(curve(jac, name)["y"], expected.jacobian[0, 0])
        heat = chart(at, f"{name} (").get("data")[0]  # |dL/dh_t| per unit, log10
        z = as_array(heat["z"])
        magnitude = np.abs(expected.dh[0, 0]).T  # [H, T]
        nonzero = magnitude > magnitude.max() * 1e-6
        np.testing.assert_allclose(z[nonzero], np.log10(magnitude[nonzero]), atol=1e-5)
    assert "|dL/dc_t|" in " ".join(s["layout"]["title"]["text"] for s in figures_and_panels(at))  # LSTM's cell
    assert at.query_params["set"] == "same" and at.query_params["loss"] == "last"


def test_the_page_opens_on_the_gradient_norms_and_a_computed_sentence(app, tiny_zoo):
    at = open_page(app)
    box = key_figure(at)
    (spec,) = chart_specs(box)
    assert "Gradient norm reaching h_t" in spec["layout"]["title"]["text"] and spec["layout"]["yaxis"]["type"] == "log"
    reach = {cell: internals.gradient_reach(bptt(zoo.load(name, tiny_zoo), DEFAULT_TEXT["english"], loss="last")
                                            .grad_norm_per_step[0, 0])
             for name, cell in (("english-rnn", "SimpleRNN"), ("english-gru", "GRU"), ("english-lstm", "LSTM"))}
    sentence = internals.reach_sentence(reach, start_from="the last prediction")
    assert any(m.value.endswith(sentence) for m in at.markdown)  # right above the picture
    assert sentence.startswith("Followed back from the last prediction to step 0, the SimpleRNN's gradient")
    assert internals.short_number(reach["SimpleRNN"]["first"]) in sentence
    assert isinstance(at.text_input(key="text").value, str)  # a sentence: Enter applies it
    assert all("$" in h.value for h in at.subheader if "Clipping" not in h.value and "Singular" not in h.value)


def test_heatmaps_share_one_colour_scale(app, tiny_zoo):
    at = open_page(app)
    panels = [s for s in figures_and_panels(at) if "|dL/d" in s["layout"]["title"]["text"]]
    assert len(panels) == 4  # dh of three models and the LSTM's dc
    assert len({(p["data"][0]["zmin"], p["data"][0]["zmax"]) for p in panels}) == 1
    grads = [bptt(zoo.load(n, tiny_zoo), DEFAULT_TEXT["english"]) for n in ("english-rnn", "english-gru",
                                                                             "english-lstm")]
    floor, top = figures.gradients.shared_log_range(arrays=[g.dh[0, 0] for g in grads] + [grads[-1].dc[0, 0]])
    assert panels[0]["data"][0]["zmax"] == math.ceil(math.log10(top))
    assert panels[0]["data"][0]["zmin"] == math.floor(math.log10(floor))
    assert internals.short_number(floor) in texts(at.caption)


def test_saliency_opens_where_the_models_differ_most(app, tiny_zoo):
    at = open_page(app)
    text = DEFAULT_TEXT["english"]
    losses = {n: bptt(zoo.load(n, tiny_zoo), text).trace.loss for n in ("english-rnn", "english-gru", "english-lstm")}
    expected = internals.most_different_step(losses)
    assert at.number_input(key="step").value == expected and at.query_params["step"] == str(expected)
    assert f"Step {expected} is the prediction where the models' surprise differs most" in texts(at.markdown)
    at.text_input(key="text").input("Tell me (now) what you saw").run()  # untouched: the default follows the text
    losses = {n: bptt(zoo.load(n, tiny_zoo), "Tell me (now) what you saw").trace.loss for n in losses}
    assert at.number_input(key="step").value == internals.most_different_step(losses)
    at.number_input(key="step").set_value(3).run()  # chosen: kept
    at.text_input(key="text").input("Another (short) one").run()
    assert at.number_input(key="step").value == 3


def test_summed_loss_redraws(app, tiny_zoo):
    at = open_page(app)
    before = chart(at, "Gradient norm")["layout"]["title"]["text"]
    at.radio(key="loss").set_value("sum").run()
    assert not at.exception
    norms = chart(at, "Gradient norm")
    assert norms["layout"]["title"]["text"] != before and "summed" in norms["layout"]["title"]["text"]
    assert "summed over" in texts(at.caption)  # the loss in full, under the chart
    reach = {cell: internals.gradient_reach(bptt(zoo.load(name, tiny_zoo), DEFAULT_TEXT["english"], loss="sum")
                                            .grad_norm_per_step[0, 0])
             for name, cell in (("english-rnn", "SimpleRNN"), ("english-gru", "GRU"), ("english-lstm", "LSTM"))}
    sentence = internals.reach_sentence(reach, start_from="the end of the text", note=NOTES["sum"])
    assert any(m.value.endswith(sentence) for m in at.markdown)
    model = zoo.load("english-gru", tiny_zoo)
    expected = bptt(model, DEFAULT_TEXT["english"], loss="sum").grad_norm_per_step[0, 0]
    assert_same_curve(curve(norms, "english-gru")["y"], expected)
    assert at.query_params["loss"] == "sum"


def test_long_text_uses_the_jacobian_window(app, tiny_zoo):
    at = open_page(app)
    text = "the (quick) brown fox jumps over the lazy dog. " * 8  # 376 characters
    at.text_input(key="text").input(text).run()
    assert not at.exception and not at.error
    jac = chart(at, "Jacobian norm")
    trace = curve(jac, "english-lstm")
    expected = bptt(zoo.load("english-lstm", tiny_zoo), text, jacobian=True).jacobian[0, 0, -JACOBIAN_CHARS:]
    assert as_array(trace["x"])[0] == len(text) - JACOBIAN_CHARS and len(as_array(trace["y"])) == JACOBIAN_CHARS
    drawn = as_array(trace["y"])
    assert np.array_equal(np.isnan(drawn), expected <= 0)
    np.testing.assert_allclose(drawn[expected > 0], expected[expected > 0], rtol=1e-4)
    assert f"last {JACOBIAN_CHARS} characters" in texts(at.caption)


def test_model_set_and_text_redraw(app):
    at = open_page(app)
    at.sidebar.radio(key="set").set_value("matched").run()
    assert not at.exception
    names = [t["name"] for t in chart(at, "Gradient norm")["data"]]
    assert any(n.startswith("english-rnn-matched") for n in names)
    assert any(n.startswith("english-gru-matched") for n in names)
    assert at.query_params["set"] == "matched"
    at.text_input(key="text").input("Tell me (now)").run()
    assert not at.exception
    assert len(as_array(chart(at, "Gradient norm")["data"][0]["y"])) == len("Tell me (now)")
    assert at.query_params["text"] == "Tell me (now)"


def test_saliency_is_bptt_at_the_chosen_step(app, tiny_zoo):
    at = open_page(app)
    at.number_input(key="step").set_value(10).run()
    assert not at.exception
    shown = [m for m in coloured_texts(at) if "dloss" in html.unescape(m)]
    assert len(shown) == 3
    model = zoo.load("english-rnn", tiny_zoo)
    expected = bptt(model, DEFAULT_TEXT["english"], loss=10).saliency
    rnn_row = html.unescape(next(s for s in shown if "english-rnn" in html.unescape(s)))
    drawn = [float(v) for v in re.findall(r"\|\|dloss/dx\|\| = ([-+0-9.e]+)", rnn_row)]
    assert len(drawn) == 12  # up to the character the step predicts
    np.testing.assert_allclose(drawn, expected[:12], rtol=2e-3, atol=1e-30)
    assert drawn[11] == 0.0 and not expected[11:].any(), "later characters cannot affect the prediction at step 10"
    assert at.query_params["step"] == "10"


def test_spectral_panel_marks_the_bound(app):
    at = open_page(app)
    spectra = {s["layout"]["title"]["text"]: s for s in figures_and_panels(at)}
    rnn = spectra["english-rnn"]  # the name alone: three titles fit side by side
    assert rnn["layout"]["shapes"], "the 1/gamma line"
    assert "σ_max" in texts(at.caption) and "multiply the path" in texts(at.caption)
    lstm = spectra["english-lstm"]
    assert {t["name"].split(",")[0] for t in lstm["data"]} == {"i", "f", "g", "o"}


def test_empty_text_asks_for_text(app):
    at = open_page(app)
    at.text_input(key="text").input("").run()
    assert not at.exception and not at.error
    assert "Type some text" in texts(at.info)
    assert not any("Gradient norm" in s["layout"]["title"]["text"] for s in figures_and_panels(at))


def test_unknown_characters_are_named(app):
    at = open_page(app)
    at.text_input(key="text").input("naïve café ☃ (ok)").run()
    assert not at.exception
    warning = texts(at.warning)
    assert "'ï'" in warning and "'é'" in warning and "'☃'" in warning
    assert chart(at, "Gradient norm")


def test_over_long_text_is_truncated_but_kept(app):
    at = open_page(app)
    long_text = "the quick brown fox (jumps) " * 80  # 2,240 characters
    at.text_input(key="text").input(long_text).run()
    assert not at.exception and not at.error
    assert "2,000" in texts(at.warning)
    assert at.text_input(key="text").value == long_text
    assert len(as_array(chart(at, "Gradient norm")["data"][0]["y"])) == 2000
    for spec in chart_specs(at):
        assert len(json.dumps(spec)) < 2_000_000


def test_url_restores_the_view(app):
    at = open_page(app, set="matched", text="Hello (world) again", loss="sum", step="4")
    assert not at.warning
    assert at.sidebar.radio(key="set").value == "matched"
    assert at.text_input(key="text").value == "Hello (world) again"
    assert at.radio(key="loss").value == "sum"
    assert at.number_input(key="step").value == 4
    assert "summed" in chart(at, "Gradient norm")["layout"]["title"]["text"]


def test_custom_set_from_the_url(app):
    at = open_page(app, set="custom", models="english-lstm,english-rnn-matched")
    assert not at.warning
    names = [t["name"] for t in chart(at, "Gradient norm")["data"]]
    assert len(names) == 2 and names[0].startswith("english-lstm") and names[1].startswith("english-rnn-matched")


def test_bad_url_params_fall_back(app):
    at = open_page(app, set="bogus", loss="sideways", step="99999")
    warning = texts(at.warning)
    assert "bogus" in warning and "sideways" in warning and "99999" in warning
    assert at.sidebar.radio(key="set").value == "same" and at.radio(key="loss").value == "last"


def test_missing_models_are_left_out(tmp_path, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(make_zoo(tmp_path, ("english-rnn", "english-lstm"))))
    at = open_page(AppTest.from_file(APP, default_timeout=60), set="matched")
    assert "english-rnn-matched" in texts(at.info) and "english-gru-matched" in texts(at.info)
    assert len(chart(at, "Gradient norm")["data"]) == 1  # the LSTM alone


def test_a_broken_model_is_named_and_the_others_drawn(tmp_path, monkeypatch):
    folder = make_zoo(tmp_path, ("english-rnn", "english-gru", "english-lstm"))
    weights = next(folder.glob("english-gru*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:100])  # truncated after the page listed it
    monkeypatch.setenv(ZOO_ENV, str(folder))
    at = open_page(AppTest.from_file(APP, default_timeout=60))
    assert "english-gru: could not compute its gradients" in texts(at.error)
    drawn = {t["name"].split(" (")[0] for t in chart(at, "Gradient norm")["data"]}
    assert drawn == {"english-rnn", "english-lstm"}


def test_a_model_whose_jacobian_fails_keeps_its_gradients(tmp_path, monkeypatch):
    from explorer.analysis import internals
    monkeypatch.setenv(ZOO_ENV, str(make_zoo(tmp_path, ("english-rnn", "english-gru", "english-lstm"))))
    works = internals.jacobian_through_time

    def jacobian(model, text, **kw):
        if model.config.cell == "gru":
            raise ValueError("out of memory for H backward passes")
        return works(model, text, **kw)

    monkeypatch.setattr(internals, "jacobian_through_time", jacobian)
    at = open_page(AppTest.from_file(APP, default_timeout=60))
    assert "english-gru: could not compute its Jacobian: out of memory" in texts(at.error)
    assert {t["name"].split(" (")[0] for t in chart(at, "Gradient norm")["data"]} == {"english-rnn", "english-gru",
                                                                                   "english-lstm"}
    assert {t["name"].split(" (")[0] for t in chart(at, "Jacobian norm")["data"]} == {"english-rnn", "english-lstm"}


def test_clipping_lab_runs_on_the_button(app):
    at = open_page(app)
    assert "Press the button" in texts(at.info)
    at.button[0].click().run()  # the form's submit button: defaults rnn, T=100, lr 0.5, 20 steps, threshold 1
    assert not at.exception
    lab = chart(at, "Clipping lab")
    names = {t["name"] for t in lab["data"]}
    assert "without clipping" in names and "clipped at 1" in names and "clipped at 1: clipped" in names
    assert "diverged" in texts(at.error)  # the unclipped run explodes, said honestly
    assert "vanishing" in texts(at.markdown)
    at.text_input(key="text").input("still here (kept)").run()  # results stay in session_state
    assert chart(at, "Clipping lab")


def test_user_models_open_here(app):
    vocab = Vocab.from_text(CORPUS)
    torch.manual_seed(1)
    config = ModelConfig(cell="lstm", input_size=len(vocab), output_size=len(vocab), hidden_size=8)
    mine = RNNModel(config, vocab).eval()
    mine.meta = {"task": "english", "cell": "lstm", "trained_live": True}
    at = app
    at.session_state["user_models"] = {"LSTM · english · step 40": mine}
    at = open_page(at, set="custom", models="english-rnn,yours: LSTM · english · step 40")
    assert not at.warning and not at.error
    options = at.sidebar.multiselect(key="models").options
    assert options[-1] == "LSTM · english · step 40 (yours, LSTM, 8 units)"
    norms = chart(at, "Gradient norm")
    drawn = next(t for t in norms["data"] if "(yours" in t["name"])
    assert_same_curve(drawn["y"], bptt(mine, DEFAULT_TEXT["english"]).grad_norm_per_step[0, 0])


ALL_ENGLISH = ("english-rnn", "english-gru", "english-lstm")


@pytest.mark.skipif(not set(ALL_ENGLISH) <= set(zoo.available()), reason="the real English zoo is not built")
def test_real_zoo(monkeypatch):
    monkeypatch.delenv(ZOO_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    norms = chart(at, "Gradient norm")
    model = zoo.load("english-lstm")
    expected = bptt(model, DEFAULT_TEXT["english"]).grad_norm_per_step[0, 0]
    assert_same_curve(curve(norms, "english-lstm")["y"], expected)
    at.sidebar.radio(key="set").set_value("matched").run()
    assert not at.exception and not at.error


def test_unusual_user_models_do_not_break_the_pages(app):
    """A two-layer bidirectional GRU and a last-step classifier, as the Train page might keep them."""
    vocab = Vocab.from_text(CORPUS)
    torch.manual_seed(2)
    deep = RNNModel(ModelConfig(cell="gru", input_size=len(vocab), output_size=len(vocab), hidden_size=6,
                                num_layers=2, bidirectional=True), vocab).eval()
    classifier = RNNModel(ModelConfig(cell="lstm", input_size=len(vocab), output_size=2, hidden_size=6,
                                      head="last_step"), vocab).eval()
    app.session_state["user_models"] = {"deep": deep, "classifier": classifier}
    text = "the (quick) brown fox jumps over the lazy dog. " * 8  # longer than the Jacobian window
    at = open_page(app, set="custom", models="yours: deep,yours: classifier,english-rnn", text=text)
    for page in (PAGE, "pages/compare.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error, page
        assert at.get("plotly_chart"), page
    at.switch_page(PAGE).run()
    names = [t["name"] for t in chart(at, "Gradient norm")["data"]]
    assert sum("deep (yours" in n for n in names) == 4  # 2 layers x 2 directions
    assert at.selectbox(key="layer").options == ["0", "1"]
    assert "bidirectional" in texts(at.caption)
    at.switch_page("pages/inspect.py").run()
    at.sidebar.selectbox(key="model").select_index(len(at.sidebar.selectbox(key="model").options) - 1).run()
    assert not at.exception and not at.error


def test_min_cells_follow_the_gradient_beside_a_gru(tmp_path, monkeypatch):
    names = ("english-gru", "english-mingru", "english-minlstm")
    monkeypatch.setenv(ZOO_ENV, str(make_zoo(tmp_path, names)))
    at = open_page(AppTest.from_file(APP, default_timeout=60), set="custom", models=",".join(names))
    assert not at.exception and not at.error
    norms = chart(at, "Gradient norm reaching h_t")
    assert norms["layout"]["yaxis"]["type"] == "log" and len(norms["data"]) == 3
    jac = chart(at, "Jacobian norm")
    for name in names:
        expected = bptt(zoo.load(name, tmp_path), DEFAULT_TEXT["english"], loss="last", jacobian=True)
        assert_same_curve(curve(norms, name)["y"], np.linalg.norm(expected.dh, axis=-1)[0, 0])
        assert_same_curve(curve(jac, name)["y"], expected.jacobian[0, 0])
    assert [t["name"] for t in norms["data"]] == ["english-gru (GRU, 16 units)", "english-mingru (minGRU, 24 units)",
                                                  "english-minlstm (minLSTM, 20 units)"]
    said = texts(at.caption)
    assert "english-mingru (minGRU, 24 units): no recurrent matrix." in said
    assert "english-minlstm (minLSTM, 20 units): no recurrent matrix." in said
    assert "english-gru" in [s["layout"]["title"]["text"] for s in figures_and_panels(at)]  # its spectrum alone
    assert not [s for s in figures_and_panels(at) if s["layout"]["title"]["text"] in names[1:]]
