"""The text a page reads: its box, its defaults, and one sentence for each way it can be off."""
from __future__ import annotations

import streamlit as st

from explorer.app import catalog
from explorer.app.urlstate import param_default, set_url

MAX_TEXT = 5000  # characters traced; the rest of what was typed stays in the box
NO_MODELS = "No pretrained models found; build them with `python -m explorer.zoo build --all`."
DEFAULT_TEXT = {
    "english": "And he said unto them, Behold (the everlasting covenant) is with Mahershalalhashbaz; fear not.",
    "python": 'def scale(values, factor=2):\n    label = "scaled"\n    return [factor * (v + 1) for v in values]',
}
DEFAULT_PROMPT = {"english": "And he said, ", "python": "def "}


def default_text(name: str) -> str:
    return DEFAULT_TEXT.get(catalog.model_info(name).get("task"), DEFAULT_TEXT["english"])


def default_prompt(name: str) -> str:
    return DEFAULT_PROMPT.get(catalog.model_info(name).get("task"), DEFAULT_PROMPT["english"])


def model_text(names: list[str], name: str, *, label: str, height: int = 100, key: str = "text") -> str:
    """A page's text box, bound to ?text=; a model's default sentence follows the model while it is untouched."""
    defaults = {default_text(n) for n in names}
    param_default(key, default_text(name))
    if st.session_state[key] in defaults:
        st.session_state[key] = default_text(name)
    return st.text_area(label, key=key, persist_state="session", height=height)


def limited_text(text: str, limit: int = MAX_TEXT) -> str:
    """The part of `text` that is traced; says so when the rest is left out."""
    if len(text) > limit:
        st.warning(f"The text has {len(text):,} characters; only the first {limit:,} are traced "
                   "(your full text stays in the box).")
        return text[:limit]
    return text


def text_to_read(text: str, limit: int = MAX_TEXT, *, url: dict, what: str) -> str:
    """The part of a page's text that is read: an empty box stops the page with a request to type
    (the view still goes into the URL), whitespace and over-long text get their notes."""
    if not text:
        set_url(**url)
        st.info(f"Type some text above to see {what}.")
        st.stop()
    note_whitespace(text)
    return limited_text(text, limit)


def note_whitespace(text: str) -> None:
    """Only spaces and line breaks: the model reads them, but the user probably meant to type."""
    if text and not text.strip():
        st.info("The text is only spaces, tabs or line breaks. The model reads those too (tabs as the unknown "
                "token), but type some words to see something interesting.")


def warn_unknown(unknown) -> None:
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:12]) + (" …" if len(unknown) > 12 else "")
        st.warning(f"The model's vocabulary lacks {shown}; "
                   f"{'it is' if len(unknown) == 1 else 'they are'} read as the unknown token.")
