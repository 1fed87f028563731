"""The How-long-can-it-remember page, driven headless with AppTest over the shipped sweep: the numbers drawn are
the artefact's (read back from the figures), the sentence is computed from them, and a point trained on the page
appears on the chart and in the table."""
import numpy as np
import pytest
import torch
from page_helpers import APP, chart_specs, key_figure, look_at, open_page
from streamlit.testing.v1 import AppTest

from explorer.app.memory_view import LIVE
from explorer.figures import memory
from explorer.training.settings import CELL_TITLES
from explorer.training.sweep import load_sweep

torch.set_num_threads(1)
PAGE = "pages/memory.py"


@pytest.fixture(scope="module")
def shipped():
    return load_sweep()


def lines(spec) -> dict:
    """The mean line of every cell, by legend name: {name: (x, y)}."""
    return {t["name"]: (np.array(t["x"], dtype=float), np.array(t["y"], dtype=float))
            for t in spec["data"] if t.get("mode") == "lines+markers"}


def bands(spec) -> list[np.ndarray]:
    return [np.array(t["y"], dtype=float) for t in spec["data"] if t.get("fill") == "toself"]


@pytest.mark.parametrize("task", ["adding", "recall"])
def test_the_chart_draws_every_cells_mean_and_band_from_the_artefact(shipped, task):
    at = open_page(AppTest.from_file(APP, default_timeout=60), PAGE)
    if task != "adding":
        at.segmented_control(key="task").set_value(task).run()
        assert not at.exception, at.exception
    key_figure(at)  # the chart is the page's key picture
    sweep_spec, gradient_spec = chart_specs(at)
    drawn, drawn_bands = lines(sweep_spec), bands(sweep_spec)
    assert set(drawn) == {CELL_TITLES[c] for c in shipped.cells(task)} and len(drawn_bands) == len(drawn)
    for cell, band in zip(shipped.cells(task), drawn_bands):
        values = shipped.curve(task, cell)
        x, y = drawn[CELL_TITLES[cell]]
        assert x.tolist() == list(shipped.spec.lengths)
        assert np.allclose(y, values.mean(axis=1))
        assert np.allclose(band, [*values.max(axis=1), *values.min(axis=1)[::-1]])
    baseline = [s for s in sweep_spec["layout"]["shapes"] if s.get("type") == "line"]
    assert [s["y0"] for s in baseline] == pytest.approx([shipped.baseline_success(task)])
    assert sweep_spec["layout"]["xaxis"]["type"] == "log"
    assert gradient_spec["layout"]["yaxis"]["type"] == "log"
    grads = {t["name"]: np.array([np.nan if v is None else v for v in t["y"]], dtype=float)
             for t in gradient_spec["data"]}
    for cell, profile in shipped.gradients(task).items():
        expected = np.where(np.array(profile) > 0, profile, np.nan)
        assert np.allclose(grads[CELL_TITLES[cell]], expected, equal_nan=True)
    names = {c: CELL_TITLES[c] for c in shipped.cells(task)}
    curves = {c: shipped.curve(task, c) for c in shipped.cells(task)}
    assert look_at(at) == memory.look_sentence(lengths=shipped.spec.lengths, curves=curves, names=names,
                                               baseline=shipped.baseline_success(task))


def test_a_point_trained_on_the_page_appears_on_the_chart_and_in_the_table(shipped):
    at = open_page(AppTest.from_file(APP, default_timeout=120), PAGE)
    at.segmented_control(key="task").set_value("recall").run()
    at.selectbox(key="memory_cell").set_value("rnn").run()
    shortest = shipped.spec.lengths[0]
    at.select_slider(key="memory_length_recall_rnn").set_value(shortest).run()
    at.button(key="memory_train").click().run()
    assert not at.exception, at.exception
    [point] = at.session_state[LIVE]
    assert point["task"] == "recall" and point["cell"] == "rnn" and point["length"] == shortest
    assert point["seed"] == max(shipped.spec.seeds) + 1 and 0.0 <= point["success"] <= 1.0
    crosses = [t for t in chart_specs(at)[0]["data"] if t.get("marker", {}).get("symbol") == "x"]
    assert [(c["x"][0], c["y"][0]) for c in crosses] == [(shortest, pytest.approx(point["success"]))]
    table = at.dataframe[0].value
    assert len(table) == 1 and table.iloc[0]["seed"] == point["seed"]
    # the cross belongs to its task: the adding chart has none
    at.segmented_control(key="task").set_value("adding").run()
    assert not [t for t in chart_specs(at)[0]["data"] if t.get("marker", {}).get("symbol") == "x"]


def test_the_sentence_names_what_the_curves_show():
    lengths = (10, 100)
    names = {"rnn": "SimpleRNN", "lstm": "LSTM"}
    high, low = np.full((2, 3), 0.95), np.array([[0.95] * 3, [0.3] * 3])
    said = memory.look_sentence(lengths=lengths, curves={"rnn": low, "lstm": high}, names=names, baseline=0.25)
    assert said.startswith("At length 100, only LSTM still scores above 0.9")
    said = memory.look_sentence(lengths=lengths, curves={"rnn": high, "lstm": high}, names=names, baseline=0.25)
    assert said.startswith("Every cell still scores above 0.9 at length 100")
    said = memory.look_sentence(lengths=lengths, curves={"rnn": low, "lstm": low - [[0.03], [0.1]]}, names=names,
                                baseline=0.25)
    assert said == ("No cell stays above 0.9 at length 100 (best: SimpleRNN, 0.30); lines stay above it for "
                    "SimpleRNN up to 10; LSTM up to 10.")
    said = memory.look_sentence(lengths=lengths, curves={"rnn": low * 0, "lstm": low * 0 + 0.5}, names=names,
                                baseline=0.25)
    assert said == "No cell reaches 0.9 at any length here; at length 100 the best is LSTM with 0.50 (baseline 0.25)."


def test_a_link_opens_on_its_task_and_says_when_it_cannot():
    at = open_page(AppTest.from_file(APP, default_timeout=60), PAGE, task="recall")
    assert not at.exception and at.segmented_control(key="task").value == "recall"
    assert at.query_params.get("task") in ("recall", ["recall"])
    at = open_page(AppTest.from_file(APP, default_timeout=60), PAGE, task="<b>copy</b>")
    assert "`task='<b>copy</b>'` is not valid" in " ".join(w.value for w in at.warning)
    assert at.segmented_control(key="task").value == "adding"
