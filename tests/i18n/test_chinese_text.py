"""Chinese text in: the poetry model reads it on the pages, and an English model says where to go."""
import pytest
from page_helpers import APP, open_page
from streamlit.testing.v1 import AppTest

from explorer import zoo
from explorer.app.textbox import CHINESE_MODEL, DEFAULT_TEXT

pytestmark = pytest.mark.skipif(CHINESE_MODEL not in zoo.store.available(), reason="poetry-lstm is not built")


def run(page, **params):
    return open_page(AppTest.from_file(APP, default_timeout=120), page, **params)


@pytest.mark.parametrize("page", ["pages/inspect.py", "pages/generate.py"])
def test_the_poetry_model_reads_chinese_without_a_warning(page):
    at = run(page, model=CHINESE_MODEL, lang="zh")
    assert not at.warning, [w.value for w in at.warning]
    boxes = [*at.text_input, *at.text_area]
    assert any(box.value in (DEFAULT_TEXT["poetry"], "床前明月光，") for box in boxes)


def test_inspect_names_the_poetry_model_s_own_unit():
    at = run("pages/inspect.py", model=CHINESE_MODEL, lang="zh")
    captions = " ".join(c.value for c in at.caption)
    assert "诗句中的位置" in captions or "整首诗中的位置" in captions


def test_an_english_model_reading_chinese_points_to_the_poetry_model():
    at = run("pages/inspect.py", model="english-lstm", text="床前明月光", lang="zh")
    warnings = " ".join(w.value for w in at.warning)
    assert CHINESE_MODEL in warnings and "你的模型" in warnings
    at = run("pages/inspect.py", model="english-lstm", text="床前明月光")
    assert "To read Chinese, pick the model poetry-lstm" in " ".join(w.value for w in at.warning)
