"""Nothing a link says is rendered as markup: Markdown and HTML planted in every URL key of every page
come back as the characters they are (escaped, or inside a code span they cannot end), never as an
image, a link or a tag."""
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import zoo
from explorer.app import draw, frame

APP = str(Path(__file__).resolve().parents[2] / "app.py")

# (what a hostile link plants, the pieces that must never reach the page unescaped)
PAYLOADS = {
    "image": ("![x](http://127.0.0.1:9/t.png)", ["![x](http://127.0.0.1:9"]),
    "link": ("[Log in](https://example.com)", ["[Log in](https://example.com"]),
    "img-tag": ("<img src=x>", ["<img"]),
    "a-tag": ("<a href=x>y</a>", ["<a href"]),
    "code-breaker": ("`` ` [Log in](https://example.com) `", ["[Log in](https://example.com"]),
}


def rendered_text(body: str) -> str:
    """What Markdown makes readable of `body`, near enough to find a planted link: code spans dropped
    (nothing inside one renders), backslash-escaped characters replaced by a neutral one (they render as
    plain characters, so an escaped `[` cannot open a link)."""
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append("\N{MIDDLE DOT}")
            i += 2
            continue
        if body[i] == "`":
            run = re.match("`+", body[i:]).group()
            close = re.compile(rf"(?<!`){run}(?!`)").search(body, i + len(run))
            if close:
                i = close.end()
                continue
            out.append(run)
            i += len(run)
            continue
        out.append(body[i])
        i += 1
    return "".join(out)


def bodies(at) -> list[str]:
    """Every piece of Markdown or HTML the page sent: sentences, captions, alerts, headings, widget labels."""
    found = []
    for kind in ("markdown", "caption", "warning", "info", "error", "success", "title", "header", "subheader"):
        found += [str(e.value) for e in getattr(at, kind)]
    found += [str(getattr(e, "proto").body) for e in at.get("html")]
    for kind in ("selectbox", "text_input", "text_area", "number_input", "slider", "radio", "multiselect",
                 "toggle", "checkbox", "button", "select_slider"):
        found += [str(w.label) for w in getattr(at, kind)]
    return found


def test_rendered_text_sees_what_markdown_would_render():
    assert "[Log in](https://example.com)" in rendered_text("see [Log in](https://example.com)")
    assert "[Log in](" not in rendered_text(draw.plain("[Log in](https://example.com)"))
    assert "<img" not in rendered_text(draw.plain("<img src=x>"))
    assert "[Log in](" in rendered_text("`model='`[Log in](https://example.com)`'`")  # the old warning's flaw
    assert "[Log in](" not in rendered_text(draw.code("model='`[Log in](https://example.com)`'"))
    assert "[" not in rendered_text(draw.code("`` ` [x](y) `"))


@pytest.fixture(scope="module")
def page_keys():
    """Each page's URL keys, read from the address after a plain visit (what its set_url writes)."""
    keys = {}
    for page in frame.PAGES:
        at = AppTest.from_file(APP, default_timeout=90)
        at.run()
        at.switch_page(page.path).run()
        keys[page.path] = sorted(at.query_params)
    return keys


@pytest.mark.skipif("english-lstm" not in zoo.available(), reason="the pretrained zoo is not built")
@pytest.mark.parametrize("payload", PAYLOADS, ids=list(PAYLOADS))
@pytest.mark.parametrize("page", [p.path for p in frame.PAGES], ids=[p.path[6:-3] for p in frame.PAGES])
def test_markup_in_every_url_key_is_shown_as_text(page, payload, page_keys):
    value, forbidden = PAYLOADS[payload]
    keys = page_keys[page] + ["model", "text"]  # the shared keys a link may carry to any page
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({key: value for key in keys})
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    for body in bodies(at):
        shown = rendered_text(body)
        for piece in forbidden:
            assert piece not in shown, body


# ---- a name the user chose for an uploaded or trained model ----

HOSTILE_NAME = "![x](http://127.0.0.1:9/t.png) [Log in](https://example.com) <img src=x> <a href=x>y</a>`"
MODEL_PAGES = ["pages/inspect.py", "pages/generate.py", "pages/compare.py", "pages/gradients.py", "pages/units.py",
               "pages/intervene.py"]


def figure_texts(at) -> list[str]:
    """The figures as the browser gets them (titles, labels, hover text included)."""
    return [str(e.proto.spec) for e in at.get("plotly_chart")]


@pytest.mark.skipif("english-lstm" not in zoo.available(), reason="the pretrained zoo is not built")
@pytest.mark.parametrize("page", MODEL_PAGES, ids=[p[6:-3] for p in MODEL_PAGES])
def test_a_model_named_with_markup_is_shown_as_text(page):
    from explorer.app import catalog
    picked = catalog.YOURS + HOSTILE_NAME
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[catalog.USER_MODELS] = {HOSTILE_NAME: zoo.load("english-lstm")}
    at.query_params.update({"model": picked, "models": f"english-lstm,{picked}", "set": "custom"})
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    for body in bodies(at):
        shown = rendered_text(body)
        for piece in ("![x](http", "[Log in](https", "<img", "<a href"):
            assert piece not in shown, body
    for spec in figure_texts(at):
        assert "<img" not in spec and "<a href" not in spec
