"""Train live over two minutes of Play in a real browser: the first screen holds the lesson (Play,
the sentence and the loss curve at 1280x800), the lesson shows within the sentence's 30 s, and the
page keeps only the charts it shows while it plays (Streamlit keeps a replaced chart hidden until
the run that replaced it ends cleanly; with two fragment timers they piled up to hundreds)."""
import re
import time

import pytest
from browser_helpers import assert_no_exception, open_page, wait_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
SLOW = 60_000  # ms: a cold server loads torch and the zoo first
WIDTH, HEIGHT = 1280, 800
LESSON_SECONDS = 30  # what the page's sentence promises
PLAY_SECONDS = 120
# (charts in the DOM, charts shown): a chart replaced by a redraw stays in the DOM, hidden, until its run ends
CHARTS = """() => {
  const all = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return [document.querySelectorAll('.js-plotly-plot').length, all.length, all.filter(e => e.offsetParent).length];
}"""
STANDING = ".st-key-key_figure [data-testid='stCaptionContainer']"


def _ratios(page) -> dict[str, float]:
    """Each model's share of the baseline, as the caption under the curves states it."""
    text = page.locator(STANDING).first.inner_text()
    return {label: float(value) / 100 for label, value in re.findall(r"(SimpleRNN|LSTM) \S+ \(([\d.]+)% of the", text)}


def _heap_mb(cdp) -> float:
    """The tab's JavaScript heap after a full garbage collection, in MB."""
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6


def test_train_opens_on_the_lesson_shows_it_and_keeps_only_the_charts_it_shows(page, app_url):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    open_page(page, app_url, "train")
    play = page.get_by_role("button", name="Play")
    expect(play).to_be_visible(timeout=SLOW)
    wait_idle(page)
    # the first screen: Play, the sentence and the two curves of the key picture, with the settings folded
    key = page.locator(".st-key-key_figure")
    expect(key).to_contain_text("within about 30 s the LSTM's loss falls below the baseline")
    expect(key.locator(".js-plotly-plot")).to_have_count(2)
    for box in [play.bounding_box()] + [plot.bounding_box() for plot in key.locator(".js-plotly-plot").all()]:
        assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, box
    expect(page.get_by_label("Steps per tick")).not_to_be_visible()  # inside the folded settings
    drawn = page.evaluate(CHARTS)[2]

    play.click()
    began = time.monotonic()
    cdp = page.context.new_cdp_session(page)
    lesson, heap, counts = None, {}, []
    while time.monotonic() - began < PLAY_SECONDS:
        page.wait_for_timeout(500)
        now = time.monotonic() - began
        counts.append(page.evaluate(CHARTS)[0])
        if lesson is None:
            ratios = _ratios(page)
            if ratios.get("LSTM", 1) < 0.5 and ratios.get("SimpleRNN", 0) >= 0.8:
                lesson = now
        if now >= 60 and 60 not in heap:
            heap[60] = _heap_mb(cdp)
    heap[120] = _heap_mb(cdp)
    print(f"\nthe lesson showed {lesson} s after Play; heap {heap[60]:.0f} MB at 60 s, {heap[120]:.0f} MB at 120 s; "
          f"charts in the DOM at most {max(counts)} ({drawn} drawn)")
    assert lesson is not None and lesson <= LESSON_SECONDS, lesson
    # between two redraws every replaced chart is gone: as many chart elements as charts on screen
    page.wait_for_function(f"() => ({CHARTS})()[0] <= {drawn} && ({CHARTS})()[2] === {drawn}", timeout=15_000)
    assert max(counts) <= 5 * drawn, counts  # not hundreds of hidden copies
    assert heap[120] <= 1.25 * heap[60] + 10, heap

    page.get_by_role("button", name="Pause").click()
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Status")).to_contain_text("paused", timeout=SLOW)
    wait_idle(page)
    assert page.evaluate(CHARTS) == [drawn, drawn, drawn]
    assert_no_exception(page)
