"""A shared server gets its memory back from closed tabs, and a reload does not lose the training.

Streamlit alone keeps a closed tab's session (its models, optimizer state, traces) for two minutes and then
until another session disconnects; explorer/app/sessions.py closes it after a grace and returns the memory.
"""
import time

import pytest
from browser_helpers import SLOW, assert_no_exception
from conftest import running_app
from playwright.sync_api import expect
from server_memory import open_training, scenario

pytestmark = pytest.mark.browser
GRACE = 6.0  # seconds; the app's default is 20, shortened so the test waits less


def test_closed_tabs_give_their_memory_back_within_a_minute(browser):
    result = scenario(sessions=2, grace=GRACE, watch_seconds=60.0, stop_when_back=True, browser=browser)
    # the sessions really held something: each built models of the size the budget allows
    assert result["peak"] > result["before"] + 100, result
    assert result["back_after_s"] is not None, result
    assert result["after"] <= result["before"] * 1.10, result


@pytest.fixture(scope="module")
def short_grace_app():
    with running_app({"RNN_EXPLORER_SESSION_GRACE_S": str(GRACE)}) as url:
        yield url


def test_a_reload_takes_the_training_over_and_later_says_what_was_lost(browser, short_grace_app):
    context = open_training(browser, short_grace_app, None)
    page = context.pages[0]
    page.get_by_role("button", name="Step", exact=True).click()  # two chunks trained
    page.wait_for_timeout(1500)
    deadline = time.monotonic() + 30
    while "run=" not in page.url and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert "run=" in page.url, page.url
    address = page.url

    page.reload()
    back = page.get_by_text("After the reload the work of this tab is back")
    expect(back).to_be_visible(timeout=SLOW)
    assert "2 models trained for 30 steps" in back.inner_text(), back.inner_text()
    step = page.locator("[data-testid='stMetric']").first
    expect(step).to_contain_text("30", timeout=SLOW)  # the models at the step they had reached
    assert_no_exception_in(page)

    # the tab closes; after the grace its session goes, and the same address then says what was lost
    page.close()
    time.sleep(GRACE + 12)
    again = context.new_page()
    again.goto(address)
    lost = again.get_by_text("so what it trained is gone")
    expect(lost).to_be_visible(timeout=SLOW)
    assert "2 models, 30 steps" in lost.inner_text(), lost.inner_text()
    # another browser (no cookies shared) on the same address, a copied link, gets neither sentence
    stranger = browser.new_context()
    other = stranger.new_page()
    other.goto(address)
    expect(other.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=SLOW)
    other.wait_for_timeout(1500)
    assert other.get_by_text("so what it trained is gone").count() == 0
    assert other.get_by_text("After the reload").count() == 0
    stranger.close()
    context.close()


def assert_no_exception_in(page):
    page.errors = []
    assert_no_exception(page)
