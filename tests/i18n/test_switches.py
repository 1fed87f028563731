"""The sidebar's language and notation switches, the URL that carries them, and the glossary's links."""
import urllib.parse

import pytest
from page_helpers import APP, open_page
from streamlit.testing.v1 import AppTest

from explorer import i18n
from explorer.app import glossary


def run(page="pages/home.py", **params):
    return open_page(AppTest.from_file(APP, default_timeout=120), page, **params)


def headers(at):
    return [h.value for h in at.header]


def test_english_without_a_preference_and_chinese_from_the_link():
    assert "The course" in headers(run())
    at = run(lang="zh")
    assert "课程" in headers(at) and "The course" not in headers(at)
    assert at.query_params["lang"] == "zh"  # a page that writes no URL of its own still carries the language


def test_an_unknown_language_in_a_link_falls_back_to_the_browser_or_english():
    assert "The course" in headers(run(lang="klingon"))


def test_a_page_that_writes_its_url_keeps_the_language_and_notation_in_it():
    at = run("pages/inspect.py", lang="zh", notation="pytorch")
    assert at.query_params["lang"] == "zh" and at.query_params["notation"] == "pytorch"
    assert at.query_params["model"]  # the page's own keys are still there


def test_the_lesson_links_carry_the_language():
    at = run(lang="zh")
    links = at.get("page_link")
    lessons = [link for link in links if "lesson=" in link.proto.query_string]
    assert lessons and all("lang=zh" in link.proto.query_string for link in lessons)


@pytest.mark.parametrize("notation, present, absent", [("course", r"U x_t + W h_{t-1} + b", "W_{ih}"),
                                                        ("pytorch", "W_{ih} x_t", "U x_t")])
def test_the_notation_switch_rewrites_home_s_equations(notation, present, absent):
    at = run(notation=notation)
    latex = " ".join(e.value for e in at.latex)
    assert present in latex and absent not in latex
    assert (r"softmax}(V h_t + c)" in latex) == (notation == "course")


def test_the_glossary_gives_each_term_in_both_languages():
    at = run("pages/glossary.py")
    html = " ".join(e.proto.body for e in at.get("html"))
    for term in glossary.TERMS:
        with i18n.use("zh"):
            chinese = i18n._(term.term)
        assert chinese != term.term, f"no Chinese for {term.term!r}"
        assert f'<span lang="zh">{chinese}</span>' in html and f'<span lang="en">{term.term}' in html


VIEWS = sorted({(t.page, urllib.parse.urlencode(t.params)) for t in glossary.TERMS})


@pytest.mark.parametrize("page, query", VIEWS)
def test_every_glossary_link_opens_its_view_without_a_warning(page, query):
    at = run(page, **dict(urllib.parse.parse_qsl(query)), lang="zh")
    assert not at.warning, [w.value for w in at.warning]
