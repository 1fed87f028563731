"""Moving between pages keeps the model: a model that arrived by a link stays chosen on the next
page that has a model picker, and so does one picked by hand."""
import pytest
from page_helpers import APP, CORPUS, open_page, save_tiny_model

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


def test_every_page_in_sidebar_order_opens_on_its_own_default(monkeypatch):
    """One session walks the sidebar on the real zoo: a key one page set (Time series' `source`, a data set)
    never reaches another page that uses the same name (Encoder-decoder's `source`, a date in words)."""
    from streamlit.testing.v1 import AppTest

    from explorer import zoo
    from explorer.app.catalog import ZOO_ENV
    from explorer.app.frame import PAGES

    if "english-lstm" not in zoo.available():
        pytest.skip("the pretrained zoo is not built")
    monkeypatch.delenv(ZOO_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    for page in PAGES[1:]:
        at.query_params.clear()  # the sidebar's links carry no parameters
        at.switch_page(page.path).run()
        assert not at.exception, (page.path, at.exception)
        assert not at.warning and not at.error, (page.path, [w.value for w in at.warning] + [e.value for e in at.error])
    at.switch_page("pages/series.py").run()
    at.switch_page("pages/seq2seq.py").run()
    assert at.text_input(key="source").value != "synthetic"
    assert not at.warning


def test_lesson_links_carry_the_lesson_and_its_view(app):
    from explorer.app import course

    index = next(i for i, lesson in enumerate(course.LESSONS) if lesson.params.get("model") == "english-rnn")
    open_page(app, course.LESSONS[index].path, **course.lesson_params(index))
    assert not app.exception, app.exception
    text = " ".join(c.value for c in app.caption)
    assert f"Lesson {index + 1} of {len(course.LESSONS)}" in text
    assert app.sidebar.selectbox(key="model").value == "english-rnn"
