"""The main journeys in a real browser: what a student does on each page.

Each step waits for what it expects to see (Playwright's `expect` retries until a timeout),
so the tests do not depend on guessing when Streamlit has finished a run."""
import re

import pytest
from browser_helpers import assert_no_exception, open_page, plot_texts, wait_idle
from playwright.sync_api import expect

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
    expect(plots(page).filter(has_text="forget gate")).not_to_have_count(0, timeout=SLOW)
    box = page.get_by_label(re.compile("^Text")).first
    box.fill("Zebras quietly jump over lazy oxen")
    box.press("Enter")  # a sentence applies on Enter
    # the coloured text and the heatmap tick labels now hold the typed characters
    expect(page.locator("[data-testid='stMain']")).to_contain_text("Zebras", timeout=SLOW)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot .xtick text')]"
                           ".some(t => t.textContent === 'Z')", timeout=SLOW)
    wait_idle(page)
    assert "Mahershalalhashbaz" not in plot_texts(page) and "LORD" not in plot_texts(page)
    heatmap = plots(page).filter(has_text="forget gate").first  # one figure, a panel per view
    subplot = heatmap.evaluate("el => { const i = el.layout.annotations.filter(a => a.name === 'panel title')"
                               ".findIndex(a => a.text.includes('forget gate')) + 1;"
                               " return i === 1 ? 'xy' : `x${i}y${i}`; }")
    panel = heatmap.locator(f".nsewdrag[data-subplot='{subplot}']")
    panel.scroll_into_view_if_needed()
    area = panel.bounding_box()
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
    box.press("Enter")
    expect(page.locator("[data-testid='stAlert']").first).to_be_visible(timeout=SLOW)
    wait_idle(page)
    assert_no_exception(page)


def test_generate_warms_up_and_writes(page, app_url):
    open_page(page, app_url, "generate")
    written = page.locator(".st-key-key_figure")  # the written text, coloured by its probabilities
    expect(written).to_contain_text("And he said", timeout=SLOW)
    expect(plots(page).first).to_be_visible(timeout=SLOW)
    box = page.get_by_label(re.compile("^Prompt")).first
    box.fill("Behold, ")
    box.press("Enter")  # the prompt applies on Enter
    expect(written).to_contain_text("Behold,", timeout=SLOW)
    assert_no_exception(page)


def test_compare_draws_three_models(page, app_url):
    open_page(page, app_url, "compare")
    for name in ("english-rnn", "english-gru", "english-lstm"):
        expect(plots(page).filter(has_text=re.compile(name.split("-")[1].upper()))).not_to_have_count(
            0, timeout=SLOW)
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible(timeout=SLOW)
    wait_idle(page)
    assert_no_exception(page)


def test_gradients_log_axis_curve_for_each_model(page, app_url):
    open_page(page, app_url, "gradients")
    curve = plots(page).filter(has_text="dL/dh").first
    expect(curve).to_be_visible(timeout=SLOW)
    wait_idle(page)
    layout = curve.evaluate("el => ({type: el._fullLayout.yaxis.type, "
                            "names: el.data.map(d => d.name || '')})")
    assert layout["type"] == "log"
    names = " ".join(layout["names"])
    for name in ("english-rnn", "english-gru", "english-lstm"):
        assert name in names, names
    assert_no_exception(page)


STEP = """() => {  // the number on the Step metric, 0 before it is drawn
  const metric = [...document.querySelectorAll('[data-testid="stMetric"]')].find(m => /Step/.test(m.innerText));
  const digits = metric && metric.innerText.match(/\\d[\\d,]*/);
  return digits ? parseInt(digits[0].replace(/,/g, ''), 10) : 0;
}"""


def _step(page) -> int:
    return page.evaluate(STEP)


def _settled_step(page, quiet_ms: int = 1500, timeout_ms: int = 30_000) -> int:
    """The step once it has stood still for `quiet_ms`: a timer's rerun that was on its way when Pause
    was pressed may still redraw the row once after it says "paused"."""
    last, since, waited = _step(page), 0, 0
    while since < quiet_ms:
        assert waited < timeout_ms, f"the step never settled after Pause: {last}"
        page.wait_for_timeout(250)
        waited += 250
        now = _step(page)
        last, since = now, (since + 250 if now == last else 0)
    return last


LOSS_POINTS = """() => {  // points on the loss curves; -1 while the chart is being redrawn
  const chart = [...document.querySelectorAll('.js-plotly-plot')].find(el => /loss/i.test(el.innerText));
  if (!chart || !chart._fullData) return -1;  // _fullData: the decoded arrays plotly drew
  return chart._fullData.reduce((n, d) => n + ((d.x && d.x.length) || 0), 0);
}"""


def _loss_points(page) -> int:
    return page.evaluate(LOSS_POINTS)


def test_train_play_grows_steps_and_loss_curve_pause_stops(page, app_url):
    open_page(page, app_url, "train")
    play = page.get_by_role("button", name="Play")
    expect(play).to_be_visible(timeout=SLOW)
    wait_idle(page)
    play.click()
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
                           ".some(m => /Step/.test(m.innerText) && /[1-9]/.test(m.innerText))", timeout=SLOW)
    page.wait_for_function(f"() => ({LOSS_POINTS})() > 0", timeout=SLOW)
    first_steps, first_points = _step(page), _loss_points(page)
    page.wait_for_function(f"() => ({LOSS_POINTS})() > {first_points}", timeout=SLOW)  # the curve grows
    # and so does the step, though not always in the same redraw: on a loaded machine the curve's row can
    # arrive a rerun before the Step metric's
    assert first_steps > 0
    page.wait_for_function(f"() => ({STEP})() > {first_steps}", timeout=SLOW)
    page.get_by_role("button", name="Pause").click()
    # Step and Status are drawn together: once Status reads "paused" and the run is over, Step is final
    status = page.locator("[data-testid='stMetric']").filter(has_text="Status")
    expect(status).to_contain_text("paused", timeout=SLOW)
    wait_idle(page)
    paused = _settled_step(page)
    page.wait_for_timeout(3000)  # Play trains dozens of steps a second: a Pause that did not hold shows here
    assert _step(page) == paused
    assert_no_exception(page)
