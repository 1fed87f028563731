"""Fixtures for the AppTest page tests. Each page-test module defines its own `tiny_zoo`
(the models it needs); `app` points the app at it."""
import pytest
from page_helpers import APP
from streamlit.testing.v1 import AppTest

from explorer.app.catalog import ZOO_ENV


@pytest.fixture
def app(tiny_zoo, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tiny_zoo))
    return AppTest.from_file(APP, default_timeout=60)
