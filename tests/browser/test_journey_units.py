"""The Find units journey in a real browser: open the page (the pretrained python-lstm), see the
ranking table and the top unit as coloured text, change the feature, see the ranking redraw."""
import pytest
from browser_helpers import SLOW, assert_no_exception, open_page, plots, wait_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_find_units_ranks_units_and_follows_a_new_feature(page, app_url):
    open_page(page, app_url, "units")
    expect(plots(page).filter(has_text="against “inside quotes")).to_have_count(1, timeout=SLOW)
    main = page.locator("[data-testid='stMain']")
    expect(main.locator("[data-testid='stDataFrame']")).to_have_count(1)  # the ranking table (a canvas)
    expect(main.locator("span[title*='unit']").first).to_be_visible()  # characters coloured by the top unit
    expect(main).to_contain_text("The units that follow “inside quotes")
    main.locator("[data-testid='stSelectbox']").filter(has_text="Feature").click()
    page.get_by_role("option", name="bracket depth ( [ {").click()
    expect(plots(page).filter(has_text="against “bracket depth")).to_have_count(1, timeout=SLOW)
    wait_idle(page)
    expect(main).to_contain_text("The units that follow “bracket depth")
    expect(plots(page).filter(has_text="inside quotes")).to_have_count(0)
    assert "feature=brackets" in page.url
    assert_no_exception(page)
