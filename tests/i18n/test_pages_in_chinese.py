"""Every page drawn in Chinese says nothing in English, apart from names, code and numbers."""
import pytest
from language_helpers import untranslated
from page_helpers import APP, open_page
from streamlit.testing.v1 import AppTest

from explorer.app import frame


def open_in(page: str, lang: str) -> AppTest:
    return open_page(AppTest.from_file(APP, default_timeout=120), page, lang=lang)


@pytest.mark.parametrize("page", [p.path for p in frame.PAGES])
def test_page_in_chinese_leaves_nothing_in_english(page):
    left = untranslated(open_in(page, "zh"))
    assert not left, f"{page} in 中文 still shows, in English:\n" + "\n".join(left)
