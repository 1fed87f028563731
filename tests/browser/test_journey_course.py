"""A student's first hour in a real Chromium at 1280x800: the course from Home by its "next lesson"
links alone, every page in the sidebar's order in one session, and a sentence applied with Enter."""
import time

import pytest
from browser_helpers import SLOW, assert_no_exception, open_page, wait_idle

from explorer.app import course
from explorer.app.frame import PAGES

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1280, "height": 800}
KEY = ".st-key-key_figure"
ALERTS = "[data-testid='stAlertContentWarning'], [data-testid='stAlertContentError']"
# The key picture has arrived: a chart with its SVG, or an image, graph, table or coloured text.
DRAWN = """() => {
  const box = document.querySelector('.st-key-key_figure');
  if (!box) return false;
  const plots = [...box.querySelectorAll('.js-plotly-plot')];
  if (plots.length) return plots.every(p => p._fullLayout && p.querySelector('.main-svg'));
  return !!box.querySelector('svg, img, [data-testid="stHtml"], [data-testid="stMarkdown"], table, input');
}"""


@pytest.fixture
def student(browser, app_url):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    yield page
    context.close()


def check_first_screen(page, where: str) -> None:
    """No exception or warning box, and the key picture's top edge inside the first viewport."""
    page.wait_for_function(DRAWN, timeout=SLOW)
    assert_no_exception(page)
    alerts = page.locator(ALERTS)
    assert alerts.count() == 0, f"{where}: {alerts.first.inner_text()}"
    box = page.locator(KEY).first.bounding_box()
    assert box is not None and 0 <= box["y"] < VIEWPORT["height"], f"{where}: the key picture starts at {box}"


def test_the_course_walks_from_home_by_its_next_links(student, app_url):
    open_page(student, app_url, "", timeout=SLOW)
    student.get_by_role("link", name=f"1. {course.LESSONS[0].title}").click()
    for number, lesson in enumerate(course.LESSONS, start=1):
        start = time.perf_counter()
        wait_idle(student, timeout=SLOW)
        check_first_screen(student, f"lesson {number} ({lesson.path})")
        print(f"lesson {number:2d} {lesson.title:55s} first picture {time.perf_counter() - start:5.2f} s")
        assert f"Lesson {number} of {len(course.LESSONS)}" in student.locator("[data-testid='stMain']").inner_text()
        if number < len(course.LESSONS):
            student.get_by_role("link", name=f"{course.LESSONS[number].title} →").click()


def test_every_page_in_sidebar_order_opens_on_its_default(student, app_url):
    open_page(student, app_url, "", timeout=SLOW)
    visited = []
    for page in PAGES[1:]:
        student.locator("[data-testid='stSidebarNav']").get_by_role("link", name=page.title, exact=True).click()
        wait_idle(student, timeout=SLOW)
        check_first_screen(student, page.title)
        assert page.title.split(" (")[0] in student.locator("[data-testid='stMain'] h1").first.inner_text()
        visited.append(page.title)
    assert len(visited) == len(PAGES) - 1


def test_a_sentence_applies_on_enter(student, app_url):
    open_page(student, app_url, "inspect", timeout=SLOW)
    student.wait_for_function(DRAWN, timeout=SLOW)
    box = student.get_by_role("textbox").first
    box.fill("The quick brown fox.")
    box.press("Enter")
    student.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot .xtick text')]"
                              ".some(t => t.textContent.includes('q'))", timeout=SLOW)
    wait_idle(student, timeout=SLOW)
    assert_no_exception(student)
    assert "fox" in student.locator(KEY).inner_text() or "fox" in student.locator("[data-testid='stMain']").inner_text()


@pytest.mark.parametrize("width, folded", [(1000, "true"), (1280, "false")])
def test_the_sidebar_folds_away_on_a_narrow_window_and_opens_again(browser, app_url, width, folded):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    open_page(page, app_url, "", timeout=SLOW)
    bar = page.locator("[data-testid='stSidebar']")
    page.wait_for_function(f"() => document.querySelector('[data-testid=\"stSidebar\"]')"
                           f".getAttribute('data-collapsed') === '{folded}'", timeout=SLOW)
    if folded == "true":  # the student opens it again, and it stays open on the next page
        page.locator("[data-testid='stExpandSidebarButton'], [data-testid='stSidebarCollapsedControl'] button") \
            .first.click()
        page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"
                               ".getAttribute('data-collapsed') === 'false'", timeout=SLOW)
        page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Glossary", exact=True).click()
        wait_idle(page, timeout=SLOW)
        assert bar.get_attribute("data-collapsed") == "false"
    context.close()
