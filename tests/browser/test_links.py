"""A copied link reproduces the view, even as the very first request a fresh server gets."""
import urllib.parse

import pytest
from conftest import running_app
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_server(browser):
    with running_app() as url:  # its own server: this test needs one that has served nobody yet
        yield url


def test_deep_link_on_a_fresh_server_goes_through_the_app_frame(browser, fresh_server):
    text = "Fear not, little flock (Luke)"
    query = urllib.parse.urlencode({"text": text, "unit": 3})
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{fresh_server}/inspect?{query}")
    nav = page.locator("[data-testid='stSidebarNav']")
    expect(nav).to_contain_text("Gradients through time", timeout=60_000)  # app.py's navigation, not pages/
    expect(nav).not_to_contain_text("app")
    expect(page.get_by_role("heading", name="Inspect")).to_be_visible(timeout=60_000)
    expect(page.get_by_label("Text", exact=False).first).to_have_value(text, timeout=60_000)
    expect(page.get_by_role("spinbutton", name="Unit", exact=True)).to_have_value("3", timeout=30_000)
    assert "text=" in page.url and "inspect" in page.url
    assert page.locator("[data-testid='stException']").count() == 0
    context.close()
