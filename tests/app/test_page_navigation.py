"""Moving between pages keeps the model: a model that arrived by a link stays chosen on the next
page that has a model picker, and so does one picked by hand."""
import pytest
from page_helpers import CORPUS, open_page, save_tiny_model

from explorer import Vocab


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    vocab = Vocab.from_text(CORPUS)
    for name, cell in [("english-lstm", "lstm"), ("english-gru", "gru"), ("english-rnn", "rnn")]:
        save_tiny_model(folder, name, cell=cell, vocab=vocab, hidden_size=16)
    return folder


def picked(at):
    return at.sidebar.selectbox(key="model").value


@pytest.mark.parametrize("then", ["pages/generate.py", "pages/intervene.py", "pages/units.py"])
def test_a_model_from_a_link_stays_chosen_on_the_next_page(app, then):
    open_page(app, "pages/inspect.py", model="english-gru")
    assert picked(app) == "english-gru"
    app.query_params.clear()  # the sidebar's links carry no parameters
    app.switch_page(then).run()
    assert not app.exception, app.exception
    assert picked(app) == "english-gru"
    assert app.query_params["model"] == "english-gru"


def test_a_model_picked_by_hand_stays_chosen_on_the_next_page(app):
    open_page(app, "pages/inspect.py")
    app.sidebar.selectbox(key="model").select("english-rnn").run()
    app.query_params.clear()
    app.switch_page("pages/generate.py").run()
    assert picked(app) == "english-rnn"
    assert app.query_params["model"] == "english-rnn"
