"""Real-browser fixtures: the app started the way the README starts it, driven by Playwright
in Debian's chromium (no browser download). Without chromium these tests skip with a message;
with CI=true they fail instead, because CI must run them."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("RNN_EXPLORER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _missing_reason():
    if not Path(CHROMIUM).exists():
        return "chromium not found: install Debian's package (apt-get install chromium) to run the browser tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -r requirements.txt"
    return None


def _require_browser():
    reason = _missing_reason()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, env: dict | None = None) -> subprocess.Popen:
    """`streamlit run app.py`, as in the README, on a loopback port."""
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the app did not answer on {url} within {timeout} s")


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def running_app(env: dict | None = None):
    """The app on a free loopback port for the duration of the block (`env`: variables to set); yields its URL."""
    port = free_port()
    process = start_app(port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        stop_app(process)


@pytest.fixture(scope="session")
def app_url():
    _require_browser()
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, app_url, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("request", lambda req: outside.append(req.url) if not _on_this_machine(req.url) else None)
    page.errors = errors
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot of the failing page: {shot}")
    context.close()
    # the app makes no network calls of its own: every request goes to the app's server (or is inline data)
    assert not outside, f"the page asked for things from outside this machine: {sorted(set(outside))[:5]}"


def _on_this_machine(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    return urllib.parse.urlsplit(url).hostname in ("127.0.0.1", "localhost")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
