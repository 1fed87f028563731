"""The text a page reads: its box, its defaults, and one sentence for each way it can be off."""
from __future__ import annotations

import streamlit as st

from explorer.app import catalog, draw
from explorer.app.urlstate import param_default, set_url
from explorer.i18n import N_, _, ngettext
from explorer.tasks.char_corpus import CODE_CORPORA

MAX_TEXT = 5000  # characters traced; the rest of what was typed stays in the box
NO_MODELS = N_("No pretrained models found; build them with `python -m explorer.zoo build --all`.")
DEFAULT_TEXT = {
    "english": "And he said unto them, Behold (the everlasting covenant) is with Mahershalalhashbaz; fear not.",
    "python": 'def scale(values, factor=2):\n    label = "scaled"\n    return [factor * (v + 1) for v in values]',
    # Li Bai's "Quiet Night Thoughts", in the traditional characters the poetry corpus is written in
    "poetry": "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。",
}
# Inspect's opening text: short enough that every character labels its column, with a full stop in the
# middle for the forget gate to close at. Other pages treat it as untouched too, so it never leaks there.
SHORT_TEXT = {
    "english": "And the LORD said unto Moses, Go in. And he went.",
    "python": 'def scale(x, k=2):\n    s = "big"\n    return [k * (v + 1) for v in x]',
    "poetry": "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。",
}
DEFAULT_PROMPT = {"english": "And he said, ", "python": "def ", "poetry": "床前明月光，"}
CODE_TASKS = CODE_CORPORA  # several lines, and the texts written for "python"
for table in (DEFAULT_TEXT, SHORT_TEXT, DEFAULT_PROMPT):
    table.update(dict.fromkeys(CODE_TASKS, table["python"]))
CHINESE_MODEL = "poetry-lstm"  # the pretrained model that reads Chinese


def default_text(name: str) -> str:
    return DEFAULT_TEXT.get(catalog.model_info(name).get("task"), DEFAULT_TEXT["english"])


def default_prompt(name: str) -> str:
    return DEFAULT_PROMPT.get(catalog.model_info(name).get("task"), DEFAULT_PROMPT["english"])


def reads_code(name: str) -> bool:
    """Whether the model was trained on Python source: its text box then takes several lines."""
    return catalog.model_info(name).get("task") in CODE_TASKS


def text_box(label: str, *, key: str = "text", multiline: bool = False, height: int = 100, where=None) -> str:
    """The text a page reads, bound to session_state[key]. A sentence is one line that applies on Enter;
    several lines (Python source) go in a form whose Apply button (or Ctrl+Enter) applies them, because
    Enter there starts a new line."""
    where = where or st
    if not multiline:
        return where.text_input(label, key=key, persist_state="session")
    with where.form(f"{key}_form", border=False, enter_to_submit=False):
        value = st.text_area(label, key=key, persist_state="session", height=height)
        st.form_submit_button(_("Apply"), icon=":material/play_arrow:")
    return value


def model_text(names: list[str], name: str, *, label: str, height: int = 100, key: str = "text") -> str:
    """A page's text box, bound to ?text=; a model's default sentence follows the model while it is untouched.
    A model of Python source gets several lines and an Apply button; the others a sentence applied on Enter."""
    defaults = {default_text(n) for n in names} | set(SHORT_TEXT.values())
    param_default(key, default_text(name))
    if st.session_state[key] in defaults:
        st.session_state[key] = default_text(name)
    multiline = reads_code(name) or "\n" in st.session_state[key]
    return text_box(label, key=key, multiline=multiline, height=height)


def limited_text(text: str, limit: int = MAX_TEXT) -> str:
    """The part of `text` that is traced; says so when the rest is left out."""
    if len(text) > limit:
        st.warning(_("The text has {n} characters; only the first {limit} are traced "
                     "(your full text stays in the box).").format(n=f"{len(text):,}", limit=f"{limit:,}"))
        return text[:limit]
    return text


def text_to_read(text: str, limit: int = MAX_TEXT, *, url: dict, what: str) -> str:
    """The part of a page's text that is read: an empty box stops the page with a request to type
    (the view still goes into the URL), whitespace and over-long text get their notes."""
    if not text:
        set_url(**url)
        st.info(_("Type some text above to see {what}.").format(what=what))
        st.stop()
    note_whitespace(text)
    return limited_text(text, limit)


def note_whitespace(text: str) -> None:
    """Only spaces and line breaks: the model reads them, but the user probably meant to type."""
    if text and not text.strip():
        st.info(_("The text is only spaces, tabs or line breaks. The model reads those too (tabs as the unknown "
                  "token), but type some words to see something interesting."))


def warn_unknown(unknown, vocab=None) -> None:
    """One sentence naming what the vocabulary lacks and what it is read as: the unknown token where the
    vocabulary has one, token 0 (a real character or word) where it has none. `vocab`: the model's."""
    if not unknown:
        return
    words = bool(getattr(vocab, "token_level", False))
    shown = ", ".join(repr(c) for c in unknown[:12]) + (" …" if len(unknown) > 12 else "")
    if words:  # a word can hold markup that a single character cannot open
        shown = draw.plain(shown)
    if vocab is not None and not vocab.has_unknown_token:
        entry = draw.plain(repr(vocab.itos[vocab.unknown_id]))
        message = (ngettext("The model's vocabulary lacks the token {chars} and has no unknown token, so it is read "
                            "as token {id} ({entry}).",
                            "The model's vocabulary lacks the tokens {chars} and has no unknown token, so they are "
                            "read as token {id} ({entry}).", len(unknown)) if words else
                   ngettext("The model's vocabulary lacks {chars} and has no unknown token, so it is read as token "
                            "{id} ({entry}).",
                            "The model's vocabulary lacks {chars} and has no unknown token, so they are read as token "
                            "{id} ({entry}).", len(unknown)))
        st.warning(message.format(chars=shown, id=vocab.unknown_id, entry=entry))
        return
    if words:
        message = ngettext("The model's vocabulary lacks the token {chars}; it is read as the unknown token {entry}.",
                           "The model's vocabulary lacks the tokens {chars}; they are read as the unknown token "
                           "{entry}.", len(unknown))
        st.warning(message.format(chars=shown, entry=draw.plain(repr(vocab.itos[vocab.unknown_id]))))
        return
    message = ngettext("The model's vocabulary lacks {chars}; it is read as the unknown token.",
                       "The model's vocabulary lacks {chars}; they are read as the unknown token.", len(unknown))
    if any(_is_chinese(c) for c in unknown):
        message += " " + _("To read Chinese, pick the model {model} (classical Tang poems, traditional characters) "
                           "in the sidebar, or bring a model of your own on the Your model page.")
    st.warning(message.format(chars=shown, model=CHINESE_MODEL))


def _is_chinese(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"
