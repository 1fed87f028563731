"""The Sentiment, One-to-many and Time-series journeys in a real browser: open the page, change one
thing, see the figure change. They use the real pretrained models."""
import re

import pytest
from browser_helpers import SLOW, TICKS, assert_no_exception, open_page, plots, wait_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_sentiment_typing_a_sentence_redraws_the_running_verdict(page, app_url):
    open_page(page, app_url, "sentiment")
    expect(plots(page).filter(has_text="Running verdict")).to_have_count(1, timeout=SLOW)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("negative")  # the default: great, but … dull
    box = page.get_by_label(re.compile("^Sentence")).first
    box.fill("the plot was dull, but the cast was charming")
    box.press("Enter")
    page.wait_for_function(TICKS, arg="charming", timeout=SLOW)  # the words are the x labels
    wait_idle(page)
    expect(main).to_contain_text("after “but the cast was charming”: positive")
    assert_no_exception(page)


def test_one_to_many_choosing_the_input_rewrites_the_sequence(page, app_url):
    open_page(page, app_url, "one_to_many")
    expect(plots(page).filter(has_text="output distribution")).to_have_count(1, timeout=SLOW)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("7 6 5 4 3 2 1 0 end")
    page.locator("[data-testid='stButtonGroup']").get_by_text("3", exact=True).click()
    expect(main).to_contain_text("the model wrote 3 2 1 0 end", timeout=SLOW)
    page.wait_for_function(TICKS, arg="4end", timeout=SLOW)  # the tick of step 4: the step over the class emitted
    wait_idle(page)
    assert_no_exception(page)


def test_series_switching_to_airline_redraws_the_series_with_its_own_model(page, app_url):
    open_page(page, app_url, "series")
    expect(plots(page).filter(has_text="The synthetic series")).to_have_count(1, timeout=SLOW)
    page.locator("[data-testid='stSidebar']").get_by_text("airline passengers").click()
    expect(plots(page).filter(has_text="The airline series")).to_have_count(1, timeout=SLOW)
    expect(plots(page).filter(has_text="airline-lstm unrolled")).to_have_count(1, timeout=SLOW)  # its own model
    wait_idle(page)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("0.5240")  # the naive forecast's MSE, 1 month ahead; the model's is 0.1005
    expect(main).to_contain_text("0.1005")
    expect(main).not_to_contain_text("trained on the synthetic series only")
    assert "source=airline" in page.url and "win=12" in page.url and "horizon=1" in page.url
    assert_no_exception(page)
