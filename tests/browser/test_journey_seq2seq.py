"""The Encoder-decoder journey in a real browser, with the pretrained dates-lstm: the default
date is translated, a typed date redraws the encoder's heatmaps and is answered right, teacher
forcing is one click, and a date in digits gets one sentence."""
import re

import pytest
from browser_helpers import SLOW, TICKS, assert_no_exception, open_page, plots, wait_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def metric(page, label):
    return page.locator("[data-testid='stMetric']").filter(has_text=label).first


def test_seq2seq_translates_a_typed_date_and_shows_the_flow(page, app_url):
    open_page(page, app_url, "seq2seq")
    expect(page.get_by_role("heading", name="Encoder-decoder")).to_be_visible(timeout=SLOW)
    for title in ("Encoder: hidden state", "handed-over state", "Top-3 guesses", "Decoder: forget gate"):
        expect(plots(page).filter(has_text=title)).to_have_count(1, timeout=SLOW)
    expect(metric(page, "The model writes")).to_contain_text("2026-11-23")
    expect(page.locator("[data-testid='stGraphVizChart']")).to_contain_text("handed-over state")

    box = page.get_by_label(re.compile("^A date in words")).first
    box.fill("the fourth of july, nineteen seventy-six")
    box.press("Enter")
    page.wait_for_function(TICKS, arg="j", timeout=SLOW)  # the encoder's x axis is the typed source
    wait_idle(page)
    expect(metric(page, "The model writes")).to_contain_text("1976-07-04")
    expect(metric(page, "Verdict")).to_contain_text("right")
    assert "source=the+fourth+of+july" in page.url or "source=the%20fourth%20of%20july" in page.url

    page.get_by_text("the true last character (teacher forcing)").click()
    expect(page.locator("[data-testid='stMain']")).to_contain_text("Teacher forcing: in the guesses above",
                                                                   timeout=SLOW)
    wait_idle(page)
    assert "mode=teacher" in page.url

    box.fill("the 4th of july, 1976")
    box.press("Enter")
    expect(page.locator("[data-testid='stAlert']").filter(has_text="The encoder never saw")).to_be_visible(
        timeout=SLOW)
    wait_idle(page)
    assert plots(page).count() == 0
    assert_no_exception(page)
