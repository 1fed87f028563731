"""A student whose browser asks for Chinese: Home opens in Chinese, three lessons by their own links,
then English and back, keeping the view."""
import urllib.parse

import pytest
from browser_helpers import SLOW, assert_no_exception, open_page, wait_idle

from explorer import i18n
from explorer.app import course

pytestmark = pytest.mark.browser


def zh(text: str) -> str:
    with i18n.use("zh"):
        return i18n._(text)


@pytest.fixture
def chinese_student(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    yield page
    context.close()


def view_of(url: str) -> tuple[str, dict]:
    """The page and its parameters, language and notation left out."""
    parts = urllib.parse.urlsplit(url)
    params = {k: v for k, v in urllib.parse.parse_qsl(parts.query) if k not in ("lang", "notation")}
    return parts.path, params


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def test_a_chinese_browser_walks_three_lessons_and_switches_language(chinese_student, app_url):
    page = chinese_student
    open_page(page, app_url, "", timeout=SLOW)
    assert zh("The course") in main_text(page)
    nav = page.locator("[data-testid='stSidebarNav']")
    assert nav.get_by_role("link", name=zh("Inspect"), exact=True).count() == 1  # the sidebar speaks Chinese too
    page.get_by_role("link", name=f"1. {zh(course.LESSONS[0].title)}").click()
    for number in (1, 2, 3):
        wait_idle(page, timeout=SLOW)
        assert_no_exception(page)
        total = len(course.LESSONS)
        assert f"第 {number} 课（共 {total} 课）" in main_text(page)
        assert "lang=zh" in page.url
        if number < 3:
            page.get_by_role("link", name=f"{zh(course.LESSONS[number].title)} →").click()

    view = view_of(page.url)
    page.get_by_role("radio", name="English", exact=True).click()
    wait_idle(page, timeout=SLOW)
    assert "Lesson 3 of" in main_text(page) and course.LESSONS[2].title in main_text(page)
    assert "lang=en" in page.url and view_of(page.url) == view

    page.get_by_role("radio", name="中文", exact=True).click()
    wait_idle(page, timeout=SLOW)
    assert "第 3 课" in main_text(page)
    assert view_of(page.url) == view
    assert_no_exception(page)
