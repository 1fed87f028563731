"""Putting what the figure builders made into the page, and what a user gave it back as plain text."""
from __future__ import annotations

import html
import re

# Imported here, once, before any page runs: plotly imports pandas lazily on its first figure and takes it from
# sys.modules if present, so a second session's thread could be handed the module while the first was still
# importing it ("partially initialized module 'pandas' has no attribute 'Series'", on a fresh server).
import pandas  # noqa: F401
import plotly.graph_objects as go
import streamlit as st

from explorer.figures import house


def markup(text: str, where=None) -> None:
    """Markup made by the figure builders (coloured text: spans with inline styles and hover titles;
    static charts: positioned elements), put into the page as it is. st.markdown would first parse it
    as Markdown with HTML, which costs the browser more than the spans themselves."""
    (where or st).html(text)


# what opens a link, an image, a tag, an entity, a code span, emphasis, :colour[...] or $math$ anywhere in a line
_MARKUP = re.compile(r"([\\`*_\[\]<>~$&])")
_LIST_START = re.compile(r"^(\s*\d*)([-+.)=#])")  # a list item, numbered item, rule or heading: at a line's start


def plain(text) -> str:
    """`text` (a link's value, a file or model name, typed text) for st.markdown, st.caption, st.warning and
    widget labels, shown as the characters it is: every mark that can open markup is backslash-escaped, so no
    link, image, HTML tag, code span, :colour[...] or $math$ can start in it, and a line break is a space
    (a blank line would end the paragraph the sentence is in). Plain sentences keep their look: colons,
    parentheses and full stops are left alone."""
    return _LIST_START.sub(r"\1\\\2", _MARKUP.sub(r"\\\1", " ".join(str(text).splitlines())))


def code(text) -> str:
    """`text` as one Markdown code span that nothing inside it can end: the fence is one backtick longer than
    the longest run of backticks in the text (CommonMark), and line breaks become spaces."""
    text = " ".join(str(text).splitlines()) or " "
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" or (text[0] == " " and text[-1] == " " and text.strip()) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def figure_text(text) -> str:
    """`text` (a model's name the user chose) for a figure's title or label: Plotly reads a small set of HTML
    tags there (<a href>, <b>, <br>), and reads &lt; back as "<", so escaping is enough."""
    return html.escape(str(text), quote=False)


class _Spec(go.Figure):
    """A figure already in the form the browser gets (house.house_spec), for st.plotly_chart, which
    asks a go.Figure for nothing but to_dict(). Building a real go.Figure from the spec, which
    Streamlit then copies, would double the server's work; this hands the spec over as is."""

    def __init__(self, spec: dict):  # BaseFigure.__init__ skipped on purpose: nothing else is read
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def plot(fig, *, key: str, where=None, **kwargs) -> None:
    """Draw a figure in the house look, in `where` (a column or container; default the page).
    house.house_spec prepares it so that the browser draws it once, not twice, and skips an
    unchanged one; Streamlit's own chart theme is off (it would restyle a copy and draw again)."""
    (where or st).plotly_chart(_Spec(house.house_spec(fig)), key=key, theme=None, **kwargs)


KEY_FIGURE = "key_figure"  # the element key of a page's key picture (st-key-key_figure in the page)


def key_figure():
    """The container of a page's key picture: the picture the page is about, which must be on the first
    screen. The browser tests and bench/bench_first_screen.py find it by its key."""
    return st.container(key=KEY_FIGURE)


def look_at(sentence: str, where=None) -> None:
    """The one sentence that says what to look at in the key picture, right beside it."""
    (where or st).markdown(f":material/visibility: {sentence}")
