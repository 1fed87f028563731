"""The main journeys in a real browser: what a student does on each page.

Each step waits for what it expects to see (Playwright's `expect` retries until a timeout),
so the tests do not depend on guessing when Streamlit has finished a run."""
import re

import pytest
from playwright.sync_api import expect

from browser_helpers import assert_no_exception, open_page, plot_texts, wait_idle

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms; a cold server loads torch and the zoo first


def plots(page):
    return page.locator(".js-plotly-plot")


def test_home_lists_models_and_links_to_pages(page, app_url):
    open_page(page, app_url)
    expect(page.get_by_role("heading", name="RNN Explorer")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("heading", name="Pretrained models")).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']")).to_have_count(1, timeout=SLOW)  # drawn on a canvas
    nav = page.locator("[data-testid='stSidebarNav']")
    for title in ("Home", "Inspect", "Generate"):
        expect(nav).to_contain_text(title)
    expect(page.locator(".katex").first).to_be_visible()  # the cell equations
    assert_no_exception(page)


def test_inspect_typing_redraws_heatmaps_with_the_typed_characters(page, app_url):
    open_page(page, app_url, "inspect")
    expect(plots(page).filter(has_text="hidden state")).not_to_have_count(0, timeout=SLOW)
    box = page.get_by_label(re.compile("^Text")).first
    box.fill("Zebras quietly jump over lazy oxen")
    box.press("Control+Enter")
    # the coloured text and the heatmap tick labels now hold the typed characters
    expect(page.locator("[data-testid='stMain']")).to_contain_text("Zebras", timeout=SLOW)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot .xtick text')]"
                           ".some(t => t.textContent === 'Z')", timeout=SLOW)
    wait_idle(page)
    assert "Mahershalalhashbaz" not in plot_texts(page)
    heatmap = plots(page).filter(has_text="hidden state").first
    heatmap.scroll_into_view_if_needed()
    area = heatmap.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + area["width"] * 0.1, area["y"] + area["height"] * 0.5)
    page.mouse.move(area["x"] + area["width"] * 0.1 + 2, area["y"] + area["height"] * 0.5 + 2)
    hover = heatmap.locator(".hoverlayer")
    expect(hover).to_contain_text("unit", timeout=10_000)  # hover names the step, character, unit and value
    expect(hover).to_contain_text("step")
    assert_no_exception(page)


def test_inspect_empty_text_asks_for_text(page, app_url):
    open_page(page, app_url, "inspect")
    box = page.get_by_label(re.compile("^Text")).first
    expect(box).to_be_visible(timeout=SLOW)
    box.fill("")
    box.press("Control+Enter")
    expect(page.locator("[data-testid='stAlert']").first).to_be_visible(timeout=SLOW)
    wait_idle(page)
    assert_no_exception(page)


def test_generate_warms_up_and_writes(page, app_url):
    open_page(page, app_url, "generate")
    expect(plots(page).first).to_be_visible(timeout=SLOW)
    expect(page.locator("[data-testid='stMain']")).to_contain_text("And he said", timeout=SLOW)
    assert_no_exception(page)
