"""Sessions that build big models on Train live and close: the server's resident memory before, at peak and
after (tests/browser/test_session_memory.py asserts on it; bench/bench_session_memory.py prints it beside
Streamlit's own behaviour)."""
from __future__ import annotations

import time
from pathlib import Path

from conftest import CHROMIUM, LAUNCH_ARGS, free_port, start_app, stop_app, wait_until_up

from explorer.app.sessions import POLL_S, TRIMS_AFTER_CLOSE

# the largest lesson-sized setting the default session budget (1 GB by the estimate) and step time allow
BIG = {"Hidden size": "64", "Layers": "2", "Batch size": "512", "Sequence length (2–1000)": "200",
       "Steps per tick": "1"}
SLOW = 120_000  # ms
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _idle(page) -> None:
    page.wait_for_timeout(400)
    page.wait_for_function(IDLE, timeout=SLOW)
    page.wait_for_timeout(400)


def open_training(browser, url: str, settings: dict | None):
    """A new tab on Train live; with `settings`, the models are rebuilt from them; then one chunk is trained."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/train")
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=SLOW)
    _idle(page)
    if settings:
        page.get_by_text("Settings: the task, the cells").click()
        for label, value in settings.items():
            box = page.get_by_label(label, exact=True)
            box.fill(value)
            box.press("Enter")
            _idle(page)
    page.get_by_role("button", name="Step", exact=True).click()
    _idle(page)
    errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    if errors.count():
        raise RuntimeError(errors.first.inner_text())
    return context


def scenario(sessions: int = 3, grace: float = 10.0, watch_seconds: float = 60.0, log=print,
             stop_when_back: bool = False, browser=None) -> dict:
    """RSS (MB) before, at peak and after, and the seconds until memory was back within 10% (None: not).
    `browser`: a Playwright browser already running (the tests' own); without one, a chromium is started here."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            try:
                return scenario(sessions, grace, watch_seconds, log, stop_when_back, launched)
            finally:
                launched.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_app(port, env={"RNN_EXPLORER_SESSION_GRACE_S": str(grace)})
    try:
        wait_until_up(url, process)
        # A first tab loads torch, the zoo and the page's code. With a watcher it also trains once at the
        # measured settings, so that what the process keeps for good (kernels' caches sized by the largest
        # batch) counts in "before"; its session is closed and trimmed before "before" is read. Without one
        # (the reference) its session stays, so it stays small, as the tab of a newcomer would be.
        watched = grace < watch_seconds
        open_training(browser, url, BIG if watched else None).close()
        time.sleep(max(grace, 0) + POLL_S * TRIMS_AFTER_CLOSE + 3 if watched else 8)  # the close and its trims
        before = rss_mb(process.pid)
        contexts = [open_training(browser, url, BIG) for _ in range(sessions)]
        peak = rss_mb(process.pid)
        for context in contexts:
            context.close()
        closed = time.monotonic()
        back_after = None
        while time.monotonic() - closed < watch_seconds:
            time.sleep(1.0)
            now = rss_mb(process.pid)
            peak = max(peak, now)
            if back_after is None and now <= before * 1.10:
                back_after = time.monotonic() - closed
                if stop_when_back:
                    break
        after = rss_mb(process.pid)
    finally:
        stop_app(process)
    result = {"before": before, "peak": peak, "after": after, "back_after_s": back_after, "sessions": sessions}
    log(f"  grace {grace:g} s, {sessions} sessions: RSS before {before:.0f} MB, peak {peak:.0f} MB, "
        f"after {time.monotonic() - closed:.0f} s {after:.0f} MB ({after / before:.2f}x before); back within 10% after "
        + (f"{back_after:.0f} s" if back_after is not None else f"more than {watch_seconds:.0f} s"))
    return result
