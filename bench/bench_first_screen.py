"""Does each page show its point on the first screen, and how soon? Measured in a real Chromium.

    python bench/bench_first_screen.py                       # every page at 1280x800, warm, both ways in
    python bench/bench_first_screen.py --pages inspect,gradients --viewport 1600x1000 --shots /tmp/shots
    python bench/bench_first_screen.py --enter                # also Inspect's Enter-to-redraw, 200 characters

For each page, in the order of the sidebar, after one warm-up visit, two ways in:
- by its sidebar link, in the same tab, as a student walks the course (the page's default view);
- by its address in a fresh page load (the course's prepared view where the page is a lesson): a new
  session, and the browser evaluates Streamlit's and Plotly's bundles again.
Each line: the seconds to the page's key picture drawn (the element inside `draw.key_figure()`,
st-key-key_figure) with the run finished, its top edge in pixels against the viewport's height, and any
exception or warning box. Targets: first picture under 1 s warm on every page, inside the first screen;
Enter-to-redraw under 0.5 s. The reference in the same run is Home, a page with no chart: what any page
costs to arrive.
"""
import argparse
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from conftest import CHROMIUM, LAUNCH_ARGS, free_port, start_app, stop_app, wait_until_up  # noqa: E402

from explorer.app import course  # noqa: E402
from explorer.app.frame import PAGES  # noqa: E402

KEY = ".st-key-key_figure"
# The key picture is drawn: a chart with its SVG, an image, a graph, or coloured text has arrived,
# and the run that drew it has finished.
DRAWN = """() => {
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  if (status && /Stop|Running/.test(status.innerText)) return false;
  const box = document.querySelector('%s');
  if (!box) return false;
  const plots = [...box.querySelectorAll('.js-plotly-plot')];
  if (plots.length) return plots.every(p => p._fullLayout && p.querySelector('.main-svg'));
  return !!box.querySelector('svg, img, [data-testid="stHtml"], [data-testid="stMarkdown"], table');
}""" % KEY


def url_of(base: str, page) -> str:
    slug = Path(page.path).stem
    lessons = [i for i, lesson in enumerate(course.LESSONS) if lesson.path == page.path]
    params = course.lesson_params(lessons[0]) if lessons else {}
    return f"{base}/{'' if slug == 'home' else slug}" + (f"?{urllib.parse.urlencode(params)}" if params else "")


IDLE = "() => !/Stop|Running/.test(document.querySelector('[data-testid=\"stStatusWidget\"]')?.innerText || '')"


def visit(page, url: str, has_key: bool, by_link: bool = False) -> dict:
    start = time.perf_counter()
    if by_link:  # the sidebar's link to the page: Streamlit swaps the page in the same tab and session
        stem = urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        selector = f'[data-testid="stSidebarNav"] a[href$="/{stem}"]' if stem else '[data-testid="stSidebarNav"] a'
        page.locator(selector).first.click()
        page.wait_for_function("(stem) => stem ? location.pathname.endsWith('/' + stem) : location.pathname === '/'",
                               arg=stem)
        page.wait_for_timeout(50)  # the click's rerun has begun: the status widget says so
    else:
        page.goto(url)
    if has_key:
        page.wait_for_function(DRAWN, timeout=90_000)
    else:
        page.wait_for_selector('[data-testid="stMain"] h1', timeout=90_000)
        page.wait_for_function("() => !/Stop|Running/.test("
                               "document.querySelector('[data-testid=\"stStatusWidget\"]')?.innerText || '')")
    seconds = time.perf_counter() - start
    box = page.locator(KEY).first.bounding_box() if has_key else None
    return {"seconds": seconds, "top": box["y"] if box else None,
            "exceptions": page.locator('[data-testid="stException"]').count(),
            "warnings": page.locator('[data-testid="stAlertContentWarning"], [data-testid="stAlertContentError"]')
            .count()}


def enter_redraw(page, base: str) -> float:
    page.goto(f"{base}/inspect")
    page.wait_for_function(DRAWN, timeout=90_000)
    box = page.get_by_label("Text", exact=False).first
    times = []
    for i in range(3):
        text = (f"Take {i}: " + "And he said unto them, Behold the everlasting covenant is with them; fear not. " * 3)
        box.fill(text[:200])
        before = page.locator(KEY).inner_html()
        start = time.perf_counter()
        box.press("Enter")
        # the key picture has changed (the run for the new text has drawn it) and is drawn completely
        page.wait_for_function(f"(before) => document.querySelector('{KEY}').innerHTML !== before && ({DRAWN})()",
                               arg=before, timeout=60_000)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", default="", help="comma-separated page names (file stems); default all")
    parser.add_argument("--viewport", default="1280x800")
    parser.add_argument("--shots", default="", help="a folder for a screenshot of each page's first screen")
    parser.add_argument("--enter", action="store_true", help="also time Inspect's Enter-to-redraw")
    args = parser.parse_args()
    width, height = (int(v) for v in args.viewport.split("x"))
    wanted = [p for p in args.pages.split(",") if p]
    pages = [p for p in PAGES if not wanted or Path(p.path).stem in wanted]
    shots = Path(args.shots) if args.shots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_app(port)
    try:
        wait_until_up(base, server)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            for p in pages:  # warm: the first visit loads models and fills caches
                visit(page, url_of(base, p), p.path != "pages/home.py")
            slow = []
            for by_link in (True, False):
                if by_link:
                    page.goto(base)
                    page.wait_for_function(IDLE, timeout=90_000)
                way = ("by the sidebar link, in the same tab" if by_link else
                       "by the address, a fresh page load (the lesson's view)")
                print(f"first screen at {width}x{height}, warm, {way} (seconds to the key picture drawn; its top edge)")
                for p in pages:
                    has_key = p.path != "pages/home.py"
                    found = visit(page, url_of(base, p), has_key, by_link=by_link)
                    if shots and not by_link:  # after the timing: let charts finish their transitions and fonts
                        page.wait_for_timeout(1500)
                        page.screenshot(path=str(shots / f"{Path(p.path).stem}-{width}x{height}.png"))
                    fold = "" if found["top"] is None or found["top"] < height else "  BELOW THE FOLD"
                    top = "no key picture" if found["top"] is None else f"top {found['top']:.0f} px of {height}{fold}"
                    flags = "".join([f"  {found['exceptions']} EXCEPTION" if found["exceptions"] else "",
                                     f"  {found['warnings']} warning/error box" if found["warnings"] else ""])
                    print(f"  {p.title:28s} {found['seconds']:5.2f} s  {top}{flags}")
                    if has_key and found["seconds"] >= 1.0:
                        slow.append(f"{p.title} ({'link' if by_link else 'address'})")
            print(f"pages over the 1 s target: {', '.join(slow) if slow else 'none'}")
            if args.enter:
                print(f"inspect Enter-to-redraw, 200 characters: {enter_redraw(page, base):.2f} s (target < 0.5 s)")
            browser.close()
    finally:
        stop_app(server)


if __name__ == "__main__":
    main()
