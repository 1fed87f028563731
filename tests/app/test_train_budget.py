"""Train live refuses settings over the session's or the server's budget with one sentence, and keeps training
what it had (explorer.training.budget behind pages/train.py)."""
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from explorer.app.catalog import ZOO_ENV
from explorer.training import budget

torch.set_num_threads(1)

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _find(at, key):
    return next(w for kind in ("number_input", "multiselect", "selectbox") for w in getattr(at, kind) if w.key == key)


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tmp_path))
    monkeypatch.setattr(budget, "SERVER", budget.Ledger())
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    return at


def errors(at) -> str:
    return " ".join(str(e.value) for e in at.error)


def test_a_model_over_the_session_budget_gets_one_sentence_with_the_size_that_fits(page):
    first = page.session_state["train_playground"]
    assert budget.SERVER.owner_of(first) == page.session_state["train_budget_owner"]
    _find(page, "train_hidden").set_value(2048)
    _find(page, "train_layers").set_value(8)
    page.run()
    assert not page.exception, page.exception
    assert len(page.error) == 1
    assert "needs about" in errors(page) and "GB per session: " in errors(page) and " fits." in errors(page)
    assert page.session_state["train_playground"] is first  # the old models are kept


def test_a_full_server_refuses_a_new_session(page, monkeypatch):
    monkeypatch.setenv("RNN_EXPLORER_SERVER_BUDGET_GB", "0.0001")  # less than the lesson's pair holds
    other = AppTest.from_file(APP, default_timeout=60)
    other.switch_page("pages/train.py").run()
    assert not other.exception, other.exception
    assert "the sessions on this server hold about" in errors(other)
