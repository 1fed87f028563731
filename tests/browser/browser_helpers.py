"""What every journey does: open a page, wait until Streamlit has finished running it, check
that no exception box is shown, read what plotly drew."""
SETTLE_MS = 400
# Idle: the main area has content and the status widget (running man, "Stop") is gone.
IDLE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  const busy = status && /Stop|Running/.test(status.innerText);
  return main && main.innerText.trim().length > 0 && !busy;
}"""


def wait_idle(page, timeout=60_000):
    """Wait until the script has finished: Streamlit shows a status widget while it runs."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_timeout(SETTLE_MS)
    page.wait_for_function(IDLE, timeout=timeout)
    page.wait_for_timeout(SETTLE_MS)


def open_page(page, app_url, path="", timeout=60_000):
    page.goto(f"{app_url}/{path}")
    wait_idle(page, timeout)


def assert_no_exception(page):
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, boxes.first.inner_text()
    assert not page.errors, page.errors


def plot_count(page) -> int:
    return page.locator(".js-plotly-plot").count()


def plot_texts(page) -> str:
    """All text plotly drew (titles, tick labels, annotations)."""
    return " ".join(page.locator(".js-plotly-plot").all_inner_texts())


SLOW = 60_000  # ms: a cold server loads torch and the zoo (and traces what a page needs) first
# True when some plotly x tick label reads exactly `text` (the characters or words a figure was drawn for)
TICKS = "(text) => [...document.querySelectorAll('.js-plotly-plot .xtick text')].some(t => t.textContent === text)"


def plots(page):
    """Every plotly chart on the page."""
    return page.locator(".js-plotly-plot")
