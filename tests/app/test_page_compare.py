"""The Compare page (and the user-model pickers), driven headless with AppTest over tiny random models.

What the figures draw must be explorer.trace's numbers on the same text; figures stacked under
each other must share their x axis and margins so that step t lines up."""
import json
import math

import numpy as np
import page_helpers
import pytest
import torch
from page_helpers import APP, CORPUS, as_array, chart_specs, figures_and_panels, key_figure, save_tiny_model
from streamlit.testing.v1 import AppTest

from explorer import ModelConfig, RNNModel, Vocab, trace, zoo
from explorer.analysis import internals
from explorer.app.catalog import ZOO_ENV
from explorer.app.textbox import DEFAULT_TEXT

torch.set_num_threads(1)
PAGE = "pages/compare.py"
SIZES = {"english-rnn": ("rnn", 16), "english-gru": ("gru", 16), "english-lstm": ("lstm", 16),
         "english-rnn-matched": ("rnn", 32), "english-gru-matched": ("gru", 18)}


def make_zoo(folder, names=tuple(SIZES)):
    vocab = Vocab.from_text(CORPUS)
    for k, name in enumerate(names):
        cell, size = SIZES[name]
        save_tiny_model(folder, name, cell=cell, vocab=vocab, hidden_size=size, seed=k, value=6.0 + k / 10,
                        extra_test={"split": "test"})
    return folder


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    return make_zoo(tmp_path_factory.mktemp("zoo"))


def open_page(at, page=PAGE, **params):
    return page_helpers.open_page(at, page, **params)


def titled(at, part):
    return [s for s in figures_and_panels(at) if part in s["layout"]["title"]["text"]]


def texts(elements):
    return " ".join(str(e.value) for e in elements)




def summary(at):
    return at.dataframe[0].value




def test_the_page_opens_on_the_three_hidden_states_and_a_computed_sentence(app, tiny_zoo):
    at = open_page(app)
    box = key_figure(at)
    (spec,) = chart_specs(box)
    panels = [s for s in figures_and_panels(box) if "hidden state h" in s["layout"]["title"]["text"]]
    assert [p["layout"]["title"]["text"].split(" ")[0] for p in panels] == ["english-rnn", "english-gru",
                                                                              "english-lstm"]
    shares = {}
    for cell, name, panel in zip(("SimpleRNN", "GRU", "LSTM"), ("english-rnn", "english-gru", "english-lstm"), panels):
        hidden = trace(zoo.load(name, tiny_zoo), DEFAULT_TEXT["english"]).hidden[0, 0]
        np.testing.assert_allclose(as_array(panel["data"][0]["z"]), hidden.T, atol=1e-6)
        shares[cell] = internals.saturated_share(hidden)
    sentence = internals.saturation_sentence(shares)
    assert any(m.value.endswith(sentence) for m in at.markdown)  # right above the picture
    assert f"{shares['SimpleRNN']:.0%} of the SimpleRNN's values" in sentence
    assert at.text_input(key="text").value == DEFAULT_TEXT["english"]  # a sentence: Enter applies it


def test_defaults_draw_the_traces(app, tiny_zoo):
    at = open_page(app)
    assert not at.error
    text = DEFAULT_TEXT["english"]
    assert at.text_input(key="text").value == text
    table = summary(at)
    assert [m.split(" ")[0] for m in table["model"]] == ["english-rnn", "english-gru", "english-lstm"]
    for k, name in enumerate(("english-rnn", "english-gru", "english-lstm")):
        model = zoo.load(name, tiny_zoo)
        tr = trace(model, text)
        assert table["parameters"][k] == model.num_parameters()
        assert table["held-out"][k].startswith(f"{6.0 + k / 10:.3f} bits/char")
        assert table["bits/char here"][k] == pytest.approx(np.nanmean(tr.loss) / math.log(2), abs=1e-3)
        heat = titled(at, f"{name} (")[0]  # the hidden-state heatmap, units in index order
        np.testing.assert_allclose(as_array(heat["data"][0]["z"]), tr.hidden[0, 0].T, atol=1e-6)
        bars = titled(at, f"{name} (")[1]
        assert "bits spent" in bars["layout"]["title"]["text"]
        drawn = np.array([np.nan if v is None else v for v in as_array(bars["data"][0]["y"])], dtype=float)
        np.testing.assert_allclose(drawn, tr.loss / math.log(2), rtol=1e-5, equal_nan=True)  # last step blank
        top1 = titled(at, f"{name} (")[2]
        assert "most likely next character" in top1["layout"]["title"]["text"]
        np.testing.assert_allclose(as_array(top1["data"][0]["z"])[0], tr.topk_probs[:, 0], rtol=1e-5)
    saturation = [s for s in figures_and_panels(at) if s["layout"]["title"]["text"] in ("english-gru (GRU, 16 units)",
                                                                          "english-lstm (LSTM, 16 units)")]
    assert [len(s["data"]) for s in saturation] == [2, 3]  # GRU r z; LSTM i f o
    assert "no gates" in texts(at.info)  # the SimpleRNN
    assert at.query_params["set"] == "same"


def test_figures_line_up(app):
    """Hidden states, surprise and top-1 guesses: three figures of one panel per model, every panel on
    the same steps, and the three figures with the same fixed margins, so step t is in one column."""
    at = open_page(app)
    stacked = [s for s in chart_specs(at) if s["layout"].get("xaxis2", {}).get("matches") == "x"]
    assert len(stacked) == 3
    for spec in stacked:
        assert len(spec["data"]) == 3  # one panel per model
        assert len({tuple(t["x"]) for t in spec["data"]}) == 1, "every panel puts step t in the same column"
        assert all(spec["layout"][f"xaxis{i}"]["matches"] == "x" for i in (2, 3)), "zoom one, zoom all"
        assert all(spec["layout"][k].get("automargin") is False for k in spec["layout"] if k.startswith("yaxis"))
    assert len({(s["layout"]["margin"]["l"], s["layout"]["margin"]["r"]) for s in stacked}) == 1


def test_matched_set_and_text_redraw(app):
    at = open_page(app)
    at.sidebar.radio(key="set").set_value("matched").run()
    assert not at.exception
    models = [m.split(" ")[0] for m in summary(at)["model"]]
    assert models == ["english-rnn-matched", "english-gru-matched", "english-lstm"]
    assert "Parameter-matched" in texts(at.caption)
    assert at.query_params["set"] == "matched"
    at.text_input(key="text").input("Tell me (now)").run()
    assert not at.exception
    heat = titled(at, "english-gru-matched (")[0]
    assert heat["data"][0]["x"][0] == "step 0 “T”" and len(heat["data"][0]["x"]) == len("Tell me (now)")
    assert at.query_params["text"] == "Tell me (now)"


def test_the_parallel_set_puts_the_gru_beside_mingru_and_minlstm():
    if not {"english-mingru", "english-minlstm", "english-lstm", "python-lstm"} <= set(zoo.available()):
        pytest.skip("the pretrained zoo is not built")
    at = open_page(AppTest.from_file(APP, default_timeout=90), set="parallel")
    models = [m.split(" ")[0] for m in summary(at)["model"]]
    assert models == ["english-gru", "english-mingru", "english-minlstm"]
    assert not at.warning and not at.error
    # all three trained on the English budget: the training column says so, and no caption blames training
    assert set(summary(at)["training"]) == {"5,000 × 64"}
    assert "different budgets" not in texts(at.caption)
    # a set the user makes can mix budgets: english-lstm (5,000 × 64) beside python-lstm (4,000 × 32)
    mixed = open_page(AppTest.from_file(APP, default_timeout=90), set="custom", models="english-lstm,python-lstm")
    assert list(summary(mixed)["training"]) == ["5,000 × 64", "4,000 × 32"]
    assert "different budgets" in texts(mixed.caption)
    zh = open_page(AppTest.from_file(APP, default_timeout=90), set="custom", models="english-lstm,python-lstm",
                   lang="zh")
    (caption,) = [c.value for c in zh.caption if "训练量不同" in c.value]
    assert "。 " not in caption  # Chinese sentences run on with no space between


def test_unit_order_follows_the_choice(app, tiny_zoo):
    at = open_page(app)
    at.radio(key="order").set_value("activity").run()
    assert not at.exception
    tr = trace(zoo.load("english-lstm", tiny_zoo), DEFAULT_TEXT["english"])
    order = np.argsort(-np.abs(tr.hidden[0, 0]).mean(0), kind="stable")
    heat = titled(at, "english-lstm (")[0]
    assert heat["data"][0]["y"] == [f"unit {u}" for u in order]
    assert at.query_params["order"] == "activity"


def test_empty_text_asks_for_text(app):
    at = open_page(app)
    at.text_input(key="text").input("").run()
    assert not at.exception and not at.error
    assert "Type some text" in texts(at.info)
    assert not at.get("plotly_chart")


def test_unknown_characters_are_named(app):
    at = open_page(app)
    at.text_input(key="text").input("naïve café ☃").run()
    assert not at.exception
    warning = texts(at.warning)
    assert "'ï'" in warning and "'é'" in warning and "'☃'" in warning
    assert at.get("plotly_chart")


def test_over_long_text_is_truncated_but_kept(app):
    at = open_page(app)
    long_text = "the quick brown fox (jumps) " * 200  # 5,600 characters
    at.text_input(key="text").input(long_text).run()
    assert not at.exception and not at.error
    assert "5,000" in texts(at.warning)
    assert at.text_input(key="text").value == long_text
    assert at.slider(key="compare_window").value[1] <= 5000
    for spec in chart_specs(at):
        assert len(json.dumps(spec)) < 2_000_000


def test_url_restores_the_view(app):
    at = open_page(app, set="custom", models="english-gru,english-lstm", text="Hello (world)", order="variance")
    assert not at.warning
    assert at.sidebar.radio(key="set").value == "custom"
    assert [m.split(" ")[0] for m in summary(at)["model"]] == ["english-gru", "english-lstm"]
    assert at.text_input(key="text").value == "Hello (world)"
    assert at.radio(key="order").value == "variance"
    assert at.query_params["models"] == "english-gru,english-lstm"


def test_bad_url_params_fall_back(app):
    at = open_page(app, set="custom", models="english-lstm,no-such-model", order="sideways")
    warning = texts(at.warning)
    assert "no-such-model" in warning and "sideways" in warning
    assert [m.split(" ")[0] for m in summary(at)["model"]] == ["english-rnn", "english-gru", "english-lstm"]


def test_missing_models_are_left_out(tmp_path, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(make_zoo(tmp_path, ("english-rnn", "english-gru", "english-lstm"))))
    at = open_page(AppTest.from_file(APP, default_timeout=60), set="matched")
    assert "english-rnn-matched" in texts(at.info) and not at.error
    assert [m.split(" ")[0] for m in summary(at)["model"]] == ["english-lstm"]


# -- the models a user trained on the Train page open on every page --

def user_model():
    vocab = Vocab.from_text(CORPUS)
    torch.manual_seed(3)
    config = ModelConfig(cell="gru", input_size=len(vocab), output_size=len(vocab), hidden_size=8)
    model = RNNModel(config, vocab).eval()
    model.meta = {"name": "GRU · english · step 25", "task": "english", "cell": "gru", "trained_live": True,
                  "metrics": {"val": {"split": "val", "metric": "bits/char", "value": 5.5}}}
    return model


def test_user_models_are_listed_after_the_pretrained_ones(app):
    mine = user_model()
    app.session_state["user_models"] = {"GRU · english · step 25": mine}
    at = open_page(app, "pages/inspect.py", show="hidden", order="index")  # Inspect's hidden state, units in order
    picker = at.sidebar.selectbox(key="model")
    assert picker.options[:3] == ["english-lstm (LSTM, 16 units)", "english-gru (GRU, 16 units)",
                                  "english-rnn (RNN, 16 units)"]
    assert picker.options[-1] == "GRU · english · step 25 (yours, GRU, 8 units)"
    picker.select_index(len(picker.options) - 1).run()  # (AppTest formats .select()'s value outside the session)
    assert not at.exception and not at.error
    heat = [s for s in figures_and_panels(at) if "hidden state" in s["layout"]["title"]["text"]][0]
    shown = at.query_params["text"]  # the sentence Inspect opens on for this model
    np.testing.assert_allclose(as_array(heat["data"][0]["z"]), trace(mine, shown).hidden[0, 0].T, atol=1e-6)
    assert at.query_params["model"] == "yours: GRU · english · step 25"

    at.switch_page(PAGE).run()
    at.sidebar.radio(key="set").set_value("custom").run()
    at.sidebar.multiselect(key="models").set_value(["english-rnn", "yours: GRU · english · step 25"]).run()
    assert not at.exception and not at.error
    table = summary(at)
    assert table["model"][len(table) - 1].startswith("GRU · english · step 25 (yours")
    assert table["parameters"][len(table) - 1] == mine.num_parameters()
    assert table["held-out"][len(table) - 1] == "5.500 bits/char (val)"

    at.switch_page("pages/gradients.py").run()
    assert not at.exception and not at.error
    norms = [s for s in figures_and_panels(at) if "Gradient norm" in s["layout"]["title"]["text"]][0]
    assert any("(yours" in t["name"] for t in norms["data"])


def test_a_stale_user_model_link_falls_back(app):
    at = open_page(app, "pages/inspect.py", model="yours: gone")
    assert "yours: gone" in texts(at.warning) and not at.exception
    assert at.sidebar.selectbox(key="model").value == "english-lstm"


ALL_ENGLISH = ("english-rnn", "english-gru", "english-lstm")


@pytest.mark.skipif(not set(ALL_ENGLISH) <= set(zoo.available()), reason="the real English zoo is not built")
def test_real_zoo(monkeypatch):
    monkeypatch.delenv(ZOO_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert [m.split(" ")[0] for m in table["model"]] == list(ALL_ENGLISH)
    for k, name in enumerate(ALL_ENGLISH):
        assert table["parameters"][k] == zoo.load(name).num_parameters()
    at.sidebar.radio(key="set").set_value("matched").run()
    assert not at.exception and not at.error


MIN_SET = {"english-gru": ("gru", 16), "english-mingru": ("mingru", 24), "english-minlstm": ("minlstm", 20)}


def test_min_cells_stand_beside_a_gru(tmp_path, monkeypatch):
    vocab = Vocab.from_text(CORPUS)
    models = {name: save_tiny_model(tmp_path, name, cell=cell, vocab=vocab, hidden_size=size, seed=k)
              for k, (name, (cell, size)) in enumerate(MIN_SET.items())}
    monkeypatch.setenv(ZOO_ENV, str(tmp_path))
    at = open_page(AppTest.from_file(APP, default_timeout=60), set="custom", models=",".join(MIN_SET))
    assert not at.exception and not at.error
    table = summary(at)
    assert list(table["cell"]) == ["GRU", "minGRU", "minLSTM"]
    assert list(table["parameters"]) == [m.num_parameters() for m in models.values()]
    text = at.text_input(key="text").value
    for (name, model), cell in zip(models.items(), table["cell"]):
        (panel,) = titled(at, f"{name} ({cell}, {MIN_SET[name][1]} units): hidden state h")
        np.testing.assert_allclose(as_array(panel["data"][0]["z"]), trace(model, text).hidden[0, 0].T, atol=1e-6)
    gates = {s["layout"]["title"]["text"]: [d["name"] for d in s["data"] if d.get("mode") == "markers"]
             for s in titled(at, " units)") if s["layout"]["title"]["text"].endswith("units)")}
    assert gates == {"english-gru (GRU, 16 units)": ["reset gate r", "update gate z"],
                     "english-mingru (minGRU, 24 units)": ["update gate z"],
                     "english-minlstm (minLSTM, 20 units)": ["forget gate f", "input gate i"]}
