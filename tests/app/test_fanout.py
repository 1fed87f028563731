"""explorer.app.fanout for several models at once: each_model runs them side by side, and the
spectra figure, which does not depend on the text, is built once per model set."""
import json
import threading

import numpy as np
import plotly.io as pio
import pytest
import torch
from page_helpers import CORPUS, save_tiny_model

from explorer import Vocab, figures, zoo
from explorer.app import caches, catalog, fanout
from explorer.engine.grads import recurrent_spectrum
from explorer.figures import house, panels

NAMES = ("english-rnn", "english-gru", "english-lstm")


def test_each_model_runs_the_models_at_once_and_keeps_their_order():
    meeting = threading.Barrier(len(NAMES), timeout=10)  # passes only if all three are running together

    def work(name):
        meeting.wait()
        return name.upper()

    assert list(fanout.each_model(work, list(reversed(NAMES))).items()) == [(n, n.upper()) for n in reversed(NAMES)]


def test_each_model_gives_each_worker_the_callers_torch_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert set(fanout.each_model(lambda name: torch.get_num_threads(), NAMES).values()) == {1}
    finally:
        torch.set_num_threads(before)


def test_each_model_maps_an_expected_error_to_its_model_and_raises_others():
    def work(name):
        if name == "english-gru":
            raise ValueError("no such model")
        return len(name)

    found = fanout.each_model(work, NAMES)
    assert found["english-rnn"] == len("english-rnn") and found["english-lstm"] == len("english-lstm")
    assert isinstance(found["english-gru"], ValueError) and str(found["english-gru"]) == "no such model"

    def broken(name):
        raise KeyError(name)

    with pytest.raises(KeyError):  # a bug is not a message for the user: it reaches the caller
        fanout.each_model(broken, NAMES)


class Stopped(BaseException):  # like Streamlit's StopException: not an Exception
    pass


def test_each_model_carries_a_signal_that_is_not_an_exception_to_the_caller():
    def work(name):
        if name == "english-lstm":
            raise Stopped()
        return name

    with pytest.raises(Stopped):  # neither lost in the worker thread nor a missing model afterwards
        fanout.each_model(work, NAMES)


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    vocab = Vocab.from_text(CORPUS)
    for name, cell in zip(NAMES, ("rnn", "gru", "lstm")):
        save_tiny_model(tmp_path, name, cell=cell, vocab=vocab, hidden_size=12)
    monkeypatch.setenv(catalog.ZOO_ENV, str(tmp_path))
    return tmp_path


def test_the_kept_spectra_figure_is_the_one_built_afresh(tiny_zoo):
    titles = [f"{name} here" for name in NAMES]
    rows = {name: recurrent_spectrum(zoo.load(name, tiny_zoo).rnn) for name in NAMES}
    fresh = panels.side_by_side([figures.spectrum_figure(rows=rows[n], title=t) for n, t in zip(NAMES, titles)])
    drawn = json.loads(pio.to_json(house.house_style(fresh)))  # draw.plot draws every figure in the house look
    for _ in range(2):  # built, then read back from the cache
        kept_figure = caches.spectra_figure(list(NAMES), titles, notation="pytorch")
        assert json.loads(pio.to_json(house.house_style(kept_figure))) == drawn
    kept = caches.spectrum("english-gru")
    assert len(kept) == len(rows["english-gru"]) > 0
    for mine, theirs in zip(kept, rows["english-gru"]):
        assert mine.keys() == theirs.keys()
        for key in mine:
            np.testing.assert_array_equal(mine[key], theirs[key])
