"""Intervene in a real browser: the default clamp draws both runs; switching to ablation and
typing units redraws the comparison with the new changed run."""
import re

import pytest
from browser_helpers import SLOW, assert_no_exception, open_page, wait_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
CHANGED_LOSS = """() => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')]
    .find(p => p.layout && p.layout.title && p.layout.title.text.includes('Surprise per character'));
  return plot ? JSON.stringify(plot.data[1].y) : null;
}"""


def test_intervene_switching_to_ablation_redraws_the_comparison(page, app_url):
    open_page(page, app_url, "intervene")
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("after clamping f of units", timeout=SLOW)
    expect(page.locator(".js-plotly-plot").filter(has_text="Surprise per character")).to_have_count(1, timeout=SLOW)
    wait_idle(page)
    before = page.evaluate(CHANGED_LOSS)
    assert before is not None

    page.get_by_text("ablate units").click()
    wait_idle(page)
    units = page.get_by_label(re.compile("^Units"))
    units.fill("7, 8")
    units.press("Enter")
    expect(main).to_contain_text("after ablating units 7, 8 from step 20 on", timeout=SLOW)
    wait_idle(page)
    page.wait_for_function(f"() => ({CHANGED_LOSS})() !== null && ({CHANGED_LOSS})() !== {before!r}", timeout=SLOW)
    assert "units=7%2C+8" in page.url or "units=7%2C%208" in page.url
    assert_no_exception(page)
