"""The Find units journey in a real browser: open the page (on pickers.units_model, the pretrained
python-code-lstm-stateful-long) on the feature it has its strongest unit for, see the ranking table and the top
unit as coloured text, change the feature, see the ranking redraw."""
import pytest
from browser_helpers import SLOW, assert_no_exception, open_page, plots, wait_idle
from playwright.sync_api import expect

from explorer import trace, zoo
from explorer.analysis import probes
from explorer.app import pickers
from explorer.tasks.char_corpus import CODE_CORPORA

pytestmark = pytest.mark.browser


def opening_feature() -> str:
    """What the page should open on: its model's precomputed units if it has them, else the library's ranking."""
    model = zoo.load(pickers.units_model(zoo.available()))
    known = model.meta.get("units")
    if known:
        return probes.opening_feature(known)
    sample = probes.corpus_sample(model.meta["task"], 3000)
    series = probes.unit_series(trace(model, sample, k=1))
    return probes.opening_feature(probes.best_units(series, sample, code=model.meta["task"] in CODE_CORPORA))


def test_find_units_ranks_units_and_follows_a_new_feature(page, app_url):
    first = opening_feature()
    other = "quotes" if first != "quotes" else "brackets"
    first_label, other_label = probes.FEATURES[first][0], probes.FEATURES[other][0]
    open_page(page, app_url, "units")
    expect(plots(page).filter(has_text=f"against “{first_label}")).to_have_count(1, timeout=SLOW)
    main = page.locator("[data-testid='stMain']")
    expect(main.locator("[data-testid='stDataFrame']")).to_have_count(1)  # the ranking table (a canvas)
    expect(main.locator("span[title*='unit']").first).to_be_visible()  # characters coloured by the top unit
    expect(main).to_contain_text(f"The units that follow “{first_label}")
    expect(main).to_contain_text("The best unit, ")  # the sentence under the picture
    main.locator("[data-testid='stSelectbox']").filter(has_text="Feature").click()
    page.get_by_role("option", name=other_label).click()
    expect(plots(page).filter(has_text=f"against “{other_label}")).to_have_count(1, timeout=SLOW)
    wait_idle(page)
    expect(main).to_contain_text(f"The units that follow “{other_label}")
    expect(plots(page).filter(has_text=first_label)).to_have_count(0)
    assert f"feature={other}" in page.url
    assert_no_exception(page)
