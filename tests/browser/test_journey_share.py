"""The server-wide share of training time in a real browser: while every turn is taken by other
sessions' long chunks, pressing Play on Train says why it waits, then trains in its turn."""
import re

import pytest
from browser_helpers import assert_no_exception, open_page, wait_idle
from playwright.sync_api import expect

from explorer.training import turns

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms: a cold server loads torch and the zoo first; chunks share two cores here
LONG_CHUNK = "400"  # steps per tick, on sequences of LONG_SEQUENCES: seconds of one core for the default pair,
LONG_SEQUENCES = "400"  # so a chunk is still early when its first progress bar shows, and the wait is seen


def _step(page) -> int:
    text = page.locator("[data-testid='stMetric']").filter(has_text="Step").first.inner_text()
    digits = re.findall(r"\d[\d,]*", text)
    return int(digits[0].replace(",", "")) if digits else 0


def _status(page):
    return page.locator("[data-testid='stMetric']").filter(has_text="Status")


def _wait_early_in_a_chunk(page):
    """Until the session's progress bar shows its chunk less than half done: its turn is then held for a second
    or more. Play pressed between two of its chunks would find the turn free and train at once, without waiting."""
    page.wait_for_function("() => { const m = document.body.innerText.match(/Training: (\\d+) of (\\d+) steps in this"
                           " chunk/); return m !== null && 2 * Number(m[1]) < Number(m[2]); }", timeout=SLOW)


def _open_train(page, app_url):
    open_page(page, app_url, "train")
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=SLOW)
    wait_idle(page)


def test_play_waits_for_a_turn_then_trains(page, app_url, browser):
    # the server's slot count, computed as the server does (same machine, same environment)
    others = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(turns.slots_from_env())]
    busy_pages = []
    try:
        for context in others:
            busy = context.new_page()
            busy_pages.append(busy)
            _open_train(busy, app_url)
            busy.get_by_text("Settings: the task").click()  # the settings are folded under the buttons
            busy.get_by_label("Steps per tick").fill(LONG_CHUNK)
            busy.get_by_label("Steps per tick").press("Enter")
            wait_idle(busy)
            busy.get_by_label(re.compile("Sequence length")).fill(LONG_SEQUENCES)
            busy.get_by_label(re.compile("Sequence length")).press("Enter")
            wait_idle(busy)
            busy.get_by_role("button", name="Play").click()
            expect(_status(busy)).to_contain_text("playing", timeout=SLOW)
        _open_train(page, app_url)
        for busy in busy_pages:
            _wait_early_in_a_chunk(busy)
        page.get_by_role("button", name="Play").click()
        expect(page.get_by_text(re.compile(r"Waiting for a turn: \d+ training chunks? ahead of yours"))).to_be_visible(
            timeout=SLOW)
        expect(_status(page)).to_contain_text("waiting", timeout=SLOW)
        # the turn comes when a busy chunk ends: seconds of one core each, longer on a slower or busier machine
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
                               ".some(m => /Step/.test(m.innerText) && /[1-9]/.test(m.innerText))", timeout=3 * SLOW)
        assert _step(page) > 0  # its turn came while the others kept playing
        page.get_by_role("button", name="Pause").click()
        expect(_status(page)).to_contain_text("paused", timeout=SLOW)
        assert_no_exception(page)
    finally:
        for context in others:
            context.close()
