"""Two replicas behind nginx, as deploy/compose.yaml runs them, here on loopback without containers: the same
deploy/nginx.conf with its upstream servers pointed at two `streamlit run app.py` processes. Eight browser
sessions type on Inspect and train on Train live through the proxy; each stays on one replica (its WebSocket
and every request), sees only its own state, and meets no error."""
import os
import re
import shutil
import subprocess
import time
import zlib
from collections import defaultdict
from pathlib import Path

import pytest
from browser_helpers import SLOW, wait_idle
from conftest import ROOT, free_port, start_app, stop_app, wait_until_up
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SESSIONS = 8


def _require_nginx():
    if Path(NGINX).exists():
        return
    reason = "nginx not found: install Debian's package (apt-get install nginx-light) to run the proxy test"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def loopback_config(text: str, replicas: list[int], port: int, folder: Path) -> str:
    """deploy/nginx.conf with the compose file's names replaced by this machine's ports and a private folder."""
    servers = iter(replicas)
    text = re.sub(r"server app\d+:8501", lambda _: f"server 127.0.0.1:{next(servers)}", text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("/tmp/rnn-explorer-nginx", str(folder / "nginx"))
    return text.replace("access_log /dev/stdout route;", f"access_log {folder / 'route.log'} route;")


def _key_for(replica: int) -> str:
    """A route cookie that nginx's `hash` (CRC32 of the key, modulo the equal weights) sends to `replica`."""
    return next(f"class-{i}" for i in range(100) if zlib.crc32(f"class-{i}".encode()) % 2 == replica)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    _require_nginx()
    folder = tmp_path_factory.mktemp("proxy")
    ports = [free_port(), free_port()]
    apps = [start_app(port) for port in ports]
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(loopback_config((ROOT / "deploy" / "nginx.conf").read_text(), ports, port, folder))
    nginx = None
    try:
        for app, app_port in zip(apps, ports):
            wait_until_up(f"http://127.0.0.1:{app_port}", app)
        nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_until_up(f"http://127.0.0.1:{port}", nginx, timeout=20)
        yield {"url": f"http://127.0.0.1:{port}", "ports": ports, "log": folder / "route.log", "apps": apps}
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for app in apps:
            stop_app(app)


def _sessions(log: Path) -> dict[str, set[str]]:
    """From nginx's log: {route cookie: the upstreams that served it}, for the browsers that opened a WebSocket."""
    routes, streams = defaultdict(set), defaultdict(int)
    for line in log.read_text().splitlines():
        cookie, upstream, status, request = line.split(" ", 3)
        if cookie == "-" or not cookie:
            continue
        routes[cookie].add(upstream)
        streams[cookie] += "/_stcore/stream" in request
        assert status != "-" and int(status) < 500, line
    return {cookie: upstreams for cookie, upstreams in routes.items() if streams[cookie]}


def test_eight_sessions_through_the_proxy_stay_on_their_replica_and_see_only_their_own_state(browser, proxy):
    url = proxy["url"]
    pages, contexts = [], []
    for i in range(SESSIONS):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        if i < 2:  # one browser surely on each replica; the others get the proxy's own random keys
            context.add_cookies([{"name": "rnnx_route", "value": _key_for(i), "url": url}])
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda err, page=page: page.errors.append(str(err)))
        page.goto(f"{url}/inspect")
        box = page.get_by_label("Text (press Enter to read it)")
        expect(box).to_be_visible(timeout=SLOW)
        wait_idle(page)
        box.fill(f"session {i} reads its own sentence.")
        box.press("Enter")
        wait_idle(page)
        page.get_by_role("link", name="Train live").first.click()
        expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=SLOW)
        wait_idle(page)
        for _ in range(i % 3 + 1):  # each session trains its own number of chunks
            page.get_by_role("button", name="Step", exact=True).click()
            wait_idle(page)
        pages.append(page)

    for i, page in enumerate(pages):  # after all eight have worked side by side
        steps = page.locator("[data-testid='stMetric']").first
        expect(steps).to_contain_text(str(15 * (i % 3 + 1)), timeout=SLOW)
        page.get_by_role("link", name="Inspect").first.click()
        box = page.get_by_label("Text (press Enter to read it)")
        expect(box).to_have_value(f"session {i} reads its own sentence.", timeout=SLOW)
        assert page.locator("[data-testid='stException']").count() == 0
        assert not page.errors, page.errors
    for context in contexts:
        context.close()

    # nginx writes a WebSocket's line when the connection ends: give the closed tabs' lines a moment to land
    deadline = time.monotonic() + 15
    while len(sessions := _sessions(proxy["log"])) < SESSIONS and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(sessions) >= SESSIONS, sessions
    for cookie, upstreams in sessions.items():
        assert len(upstreams) == 1, f"browser {cookie} was served by {upstreams}"
    used = {next(iter(upstreams)) for upstreams in sessions.values()}
    assert used == {f"127.0.0.1:{port}" for port in proxy["ports"]}, used
    print(f"\nsessions per replica: {sorted(sum(1 for u in sessions.values() if port in u) for port in used)}")
    for app in proxy["apps"]:
        assert app.poll() is None, "a replica stopped"
