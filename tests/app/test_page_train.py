"""The Train live page, driven headless with streamlit's AppTest (one fragment tick per .run()).

Runs against a folder holding one tiny pretrained model (RNN_EXPLORER_ZOO_DIR), so it passes
whether or not the real zoo has been built.
"""
from pathlib import Path

import pytest
import torch
from page_helpers import chart_specs, chart_titles
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from explorer import i18n, zoo
from explorer.app.catalog import ZOO_ENV
from explorer.training import playground as play
from explorer.training.train import build_model, config_for

torch.set_num_threads(1)

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/train.py"


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train_zoo")
    task = play.get_task("count")
    model = build_model(config_for(task, cell="lstm", hidden_size=8), task.vocab, seed=5)
    zoo.save(model, "count-tiny", {"name": "count-tiny", "task": "count", "task_config": {}, "cell": "lstm",
                                   "parameters": model.num_parameters(),
                                   "metrics": {"test": {"metric": "accuracy", "value": 0.2,
                                                        "baseline": {"value": 0.14, "description": "majority"}}}},
             folder)
    return folder


@pytest.fixture
def page(tiny_zoo, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tiny_zoo))

    def open_page(**widgets):
        at = AppTest.from_file(APP, default_timeout=60)
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
        for key, value in widgets.items():
            widget = at.get_by_key(key) if hasattr(at, "get_by_key") else None
            (widget or _find(at, key)).set_value(value)
        if widgets:
            at.run()
            assert not at.exception, at.exception
        return at

    return open_page


def _find(at, key):
    for kind in ("selectbox", "number_input", "multiselect", "toggle"):
        for widget in getattr(at, kind):
            if widget.key == key:
                return widget
    raise KeyError(key)


TINY = dict(train_task="count", train_cells=["rnn", "lstm"], train_hidden=16, train_batch=16,
            train_steps_per_tick=15, train_lr=0.02)


def step_count(at) -> str:
    return next(m.value for m in at.metric if m.label == "Step")


def errors(at) -> str:
    return " ".join(str(e.value) for e in at.error)


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_default_page_shows_the_adding_problem(page):
    at = page()
    pg = at.session_state["train_playground"]
    assert pg.task.name == "adding" and [run.label for run in pg.runs] == ["SimpleRNN", "LSTM"]
    assert pg.settings.seq_len == 50 and pg.settings.is_lesson()
    assert step_count(at) == "0" and not at.error and not at.warning
    labels = [m.label for m in at.metric]
    assert labels == ["Step", "Steps per second", "Training time", "Status"]
    titles = chart_titles(at)
    assert any(t.startswith("Training loss") for t in titles) and any("baseline" in t for t in titles)
    assert any("Gradient norm, before and after" in t for t in titles)
    assert any("per parameter group" in t for t in titles) and any("saturation" in t for t in titles)
    assert any(t.startswith("LSTM: hidden state") for t in titles) and any("Predictions against" in t for t in titles)


def keyed(node, key):
    """The block with element key `key` anywhere under `node` (AppTest's tree), or None."""
    for child in getattr(node, "children", {}).values():
        if getattr(child, "key", None) == key:
            return child
        found = keyed(child, key)
        if found is not None:
            return found
    return None


def walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from walk(child)


def test_the_first_screen_is_the_lesson_the_settings_fold_away_and_nothing_is_drawn_twice(page):
    at = page()
    assert [e.label.split(":")[0] for e in at.expander] == ["Settings"] and not at.expander[0].proto.expanded
    key = keyed(at.main, "key_figure")
    inside = list(walk(key))
    sentence = " ".join(e.value for e in inside if type(e).__name__ == "Markdown")
    assert ("within about 30 s the LSTM's loss falls below the baseline (dashed) while the SimpleRNN's stays flat "
            "on it: the SimpleRNN cannot carry the first marked number across the 50 steps") in sentence
    # adding's metric is its loss (MSE): one curve with the baseline, beside the predictions
    assert [e.key for e in inside if getattr(e, "type", "") == "plotly_chart"] == ["train_fig_loss",
                                                                                     "train_fig_scatter"]
    titles = [(spec["layout"].get("title") or {}).get("text", "") for spec in chart_specs(at)]
    assert titles[:2] == ["Training loss (MSE) vs baseline",
                          "Predictions against targets"]
    assert len(titles) == len(set(titles)), titles  # no figure twice
    assert not any(t.startswith("Training MSE") for t in titles)
    assert "Step 0: nothing is trained yet" in " ".join(e.value for e in inside if type(e).__name__ == "Caption")
    assert any(link.proto.label.endswith("→") for link in at.get("page_link"))  # on to the next lesson


def test_the_caption_under_the_curves_states_the_numbers(page):
    at = page()
    click(at, "train_step")
    pg = at.session_state["train_playground"]
    baseline = pg.baseline[0]
    now = {run.label: sum(row["metric"] for row in run.state.logs) / 15 for run in pg.runs}  # 15 steps of 20
    caption = next(c.value for c in at.caption if c.value.startswith("At step 15,"))
    for label, value in now.items():
        assert f"{label} {value:.3g} ({value / baseline:.0%} of the baseline)" in caption, caption
    assert "the baseline is 0.167" in caption


def test_other_settings_get_a_sentence_that_promises_nothing(page):
    at = page(**TINY)
    texts = " ".join(m.value for m in at.markdown)
    assert "within about 30 s" not in texts and "against the task's baseline (dashed)" in texts
    titles = [(spec["layout"].get("title") or {}).get("text", "") for spec in chart_specs(at)]
    assert titles[:2] == ["Training loss (cross-entropy, nats)", "Training accuracy vs baseline"]


def test_play_trains_and_the_loss_falls(page):
    at = page(**TINY)
    assert at.session_state["train_playground"].task.name == "count"
    click(at, "train_play")
    for _ in range(7):
        at.run()
        assert not at.exception, at.exception
    pg = at.session_state["train_playground"]
    assert pg.step == 8 * 15 and step_count(at) == "120"
    assert next(m.value for m in at.metric if m.label == "Status") == "playing"
    for run in pg.runs:
        losses = [row["loss"] for row in run.state.logs]
        assert sum(losses[-15:]) / 15 < 0.8 * sum(losses[:15]) / 15, run.label


def running_indicator_hidden(at) -> bool:
    return any('[data-testid="stStatusWidget"] {display: none}' in h.proto.body for h in at.get("html"))


def test_pause_stops_step_advances_one_chunk_reset_goes_to_zero(page):
    at = page(**TINY)
    assert not running_indicator_hidden(at)
    click(at, "train_play")
    at.run()
    assert running_indicator_hidden(at)  # the Status metric says "playing" instead; its animation cost every tab
    click(at, "train_pause")
    assert not running_indicator_hidden(at)
    paused_at = at.session_state["train_playground"].step
    at.run()
    at.run()
    assert at.session_state["train_playground"].step == paused_at and step_count(at) == str(paused_at)
    click(at, "train_step")
    assert at.session_state["train_playground"].step == paused_at + 15
    at.run()  # a step is one chunk, not a restart of play
    assert at.session_state["train_playground"].step == paused_at + 15
    before = at.session_state["train_playground"]
    click(at, "train_reset")
    after = at.session_state["train_playground"]
    assert after is not before and after.step == 0 and step_count(at) == "0"
    assert all(run.step == 0 and not run.state.logs for run in after.runs)
    assert not at.session_state["train_playing"]


def test_two_sessions_share_nothing(page):
    first = page(**TINY)
    click(first, "train_step")
    second = page()
    assert first.session_state["train_playground"].step == 15
    assert second.session_state["train_playground"].step == 0 and step_count(second) == "0"
    a, b = first.session_state["train_playground"], second.session_state["train_playground"]
    assert a is not b and a.runs[0].state.model is not b.runs[0].state.model
    click(first, "train_keep")
    assert "user_models" in first.session_state and "user_models" not in second.session_state
    click(second, "train_step")
    assert first.session_state["train_playground"].step == 15


def test_divergence_pauses_says_why_and_keeps_finite_weights(page):
    at = page(train_optimizer="sgd", train_lr=100.0, train_clip=False, train_batch=16, train_hidden=32,
              train_seq_len_adding=50)
    click(at, "train_play")
    pg = at.session_state["train_playground"]
    assert pg.diverged, "lr 100 with plain SGD and no clipping should diverge"
    assert "diverged" in errors(at) and "restored" in errors(at)
    assert not at.session_state["train_playing"]
    assert next(m.value for m in at.metric if m.label == "Status") == "diverged"
    for run in pg.runs:
        assert all(torch.isfinite(p).all() for p in run.state.model.parameters())
    at.run()  # nothing else happens while paused
    assert at.session_state["train_playground"] is pg
    # lower the learning rate and go on from the restored step
    _find(at, "train_lr").set_value(0.001)
    at.run()
    click(at, "train_step")
    assert not pg.diverged and all(run.step > 0 for run in pg.runs)
    assert "diverged" not in errors(at)


def test_bad_settings_show_a_sentence(page):
    at = page(**TINY)
    _find(at, "train_hidden").set_value(0)
    at.run()
    assert not at.exception
    assert "hidden_size must be a whole number from 1" in errors(at)
    _find(at, "train_hidden").set_value(16)
    at.run()
    click(at, "train_step")  # trained: a refused change must not lose it
    _find(at, "train_seq_len_count").set_value(5000)
    at.run()
    assert not at.exception
    assert "The sequence length for the count task must be from 11 to 64; got 5000." in errors(at)
    assert at.session_state["train_playground"].step == 15
    _find(at, "train_hidden").set_value(0)
    at.run()
    assert "hidden_size must be a whole number from 1" in errors(at)
    assert at.session_state["train_playground"].step == 15


def test_keep_then_download_then_load_gives_the_same_weights(page, monkeypatch):
    served = {}
    original_add = MediaFileManager.add

    def add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        served[file_name] = path_or_data
        return original_add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)

    monkeypatch.setattr(MediaFileManager, "add", add)
    at = page(**TINY)
    click(at, "train_step")
    click(at, "train_keep")
    kept = at.session_state["user_models"]
    assert set(kept) == {"SimpleRNN · count · step 15", "LSTM · count · step 15"}
    assert len(at.get("download_button")) == 4
    model = kept["LSTM · count · step 15"]
    assert not model.training and model is not at.session_state["train_playground"].runs[1].state.model
    loaded = zoo.load_checkpoint(served["lstm-count-step-15.safetensors"], served["lstm-count-step-15.json"])
    assert loaded.config == model.config
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    click(at, "train_step")  # training on leaves the kept copy as it was
    assert torch.equal(kept["LSTM · count · step 15"].rnn.weight_hh_l0, loaded.rnn.weight_hh_l0)


def test_starting_from_a_pretrained_model_leaves_it_untouched(page, tiny_zoo):
    from explorer.app import catalog

    at = page(train_task="count")
    at.selectbox(key="train_start_from").set_value("count-tiny").run()
    assert not at.exception, at.exception
    pg = at.session_state["train_playground"]
    assert [run.label for run in pg.runs] == ["count-tiny (fine-tuned)"]
    cached = catalog.get_model("count-tiny")  # the object every session shares
    before = {k: v.clone() for k, v in cached.state_dict().items()}
    click(at, "train_play")
    at.run()
    assert pg.step == 2 * pg.settings.steps_per_tick
    on_disk = zoo.load("count-tiny", tiny_zoo)
    for key, value in cached.state_dict().items():
        assert torch.equal(value, before[key]) and torch.equal(value, on_disk.state_dict()[key]), key
    assert not torch.equal(pg.runs[0].state.model.state_dict()["rnn.weight_hh_l0"], before["rnn.weight_hh_l0"])


def test_the_fragment_speaks_the_sessions_language(tiny_zoo, monkeypatch):
    """The status row, the charts and the divergence sentence are drawn inside the timed fragment, and
    take the session's language there too."""
    monkeypatch.setenv(ZOO_ENV, str(tiny_zoo))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page(PAGE).run()
    # AppTest sends back neither the sidebar's language switch (hence session_state, as the switch would set it)
    # nor select box options formatted in the page's language unless this thread uses it too
    with i18n.use("zh"):
        for key, value in dict(train_optimizer="sgd", train_lr=100.0, train_clip=False, train_batch=16).items():
            _find(at, key).set_value(value)
        at.session_state["lang"] = "zh"
        at.run()
        at.session_state["lang"] = "zh"
        click(at, "train_play")
    assert at.session_state["train_playground"].diverged
    assert [m.label for m in at.metric] == ["步数", "每秒步数", "训练时间", "状态"]
    assert next(m.value for m in at.metric if m.label == "状态") == "已发散"
    assert "训练在第" in errors(at) and "Training diverged" not in errors(at)
    assert any(t.startswith("训练损失") for t in chart_titles(at))


def test_min_cells_train_beside_a_gru_and_their_gates_are_named(page):
    at = page(**{**TINY, "train_cells": ["gru", "mingru", "minlstm"]})
    assert [run.label for run in at.session_state["train_playground"].runs] == ["GRU", "minGRU", "minLSTM"]
    click(at, "train_play")
    for _ in range(7):
        at.run()
        assert not at.exception, at.exception
    for run in at.session_state["train_playground"].runs:
        losses = [row["loss"] for row in run.state.logs]
        assert sum(losses[-15:]) / 15 < 0.8 * sum(losses[:15]) / 15, run.label
    click(at, "train_pause")
    probe = at.radio(key="train_probe_quantity")
    assert {"gate z", "gate f", "gate i", "candidate h̃"} <= set(probe.options)  # AppTest lists the labels
    probe.set_value("cand").run()
    assert not at.exception, at.exception
    titles = " ".join(chart_titles(at))
    assert titles.count("candidate h̃") == 2 and "hidden state h" in titles  # the GRU has no h̃: it shows h
