"""The app's words in every language: gettext catalogues read at run time.

Every string a user sees is written in English in the code, wrapped in `_()` (or `N_()` where it is
a module-level constant translated later, at the place it is shown), and translated through the
catalogue of the current language:

    explorer/locale/explorer.pot                 the template: every msgid, extracted from the code
    explorer/locale/<lang>/LC_MESSAGES/explorer.po   one catalogue per language (en, zh, ...)

The catalogues are plain .po files, edited with the usual tools (Poedit, Weblate, a text editor) and
read with polib, so a translator adds a language by adding a folder, without touching code.
`python -m explorer.i18n extract` refreshes the template and merges it into every catalogue;
`python -m explorer.i18n check` lists what is missing.

The current language is the app's business: it registers a source (`set_source`) that reads the
session's choice, so figure builders and the analysis sentences translate without being handed a
language. `use(lang)` overrides it for a block (tests, the command line). With neither, English.
This module is the bottom of the layers: it imports nothing from explorer and no streamlit.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
from pathlib import Path
from typing import Callable, Iterator

import polib

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "explorer"
SOURCE_LANGUAGE = "en"  # the language the msgids are written in

_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("explorer_language", default=None)
_source: Callable[[], str | None] | None = None


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def languages() -> dict[str, str]:
    """{code: the language's own name}, source language first, from the catalogues that exist.
    A catalogue names its language in its header (X-Native-Name)."""
    found = {}
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po.parents[1].name
        found[lang] = polib.pofile(str(po)).metadata.get("X-Native-Name", lang)
    found.setdefault(SOURCE_LANGUAGE, "English")
    return {SOURCE_LANGUAGE: found.pop(SOURCE_LANGUAGE), **found}


@functools.cache
def _table(lang: str) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """{(context, msgid): (msgstr,) or the plural forms} of one catalogue; untranslated and fuzzy entries
    are left out, so they fall back to the English msgid rather than showing a half-done guess."""
    path = catalogue_path(lang)
    if not path.is_file():
        return {}
    table = {}
    for entry in polib.pofile(str(path)):
        if entry.obsolete or entry.fuzzy:
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
            if all(forms):
                table[entry.msgctxt, entry.msgid] = forms
        elif entry.msgstr:
            table[entry.msgctxt, entry.msgid] = (entry.msgstr,)
    return table


def translations(lang: str) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """What one language's catalogue translates: {(context, msgid): forms}."""
    return _table(lang)


def reload() -> None:
    """Forget the catalogues read so far (after editing a .po file in a running process)."""
    _table.cache_clear()
    languages.cache_clear()


def match(accepted: str | None) -> str:
    """The catalogue language that best serves a browser's preference ("zh-CN", "zh-Hans-CN,zh;q=0.9,en;q=0.8",
    "en-GB"), or the source language. Tags are tried in the order given; each by its primary subtag."""
    known = languages()
    for tag in (accepted or "").split(","):
        primary = tag.split(";")[0].strip().replace("_", "-").split("-")[0].lower()
        if primary in known:
            return primary
    return SOURCE_LANGUAGE


def set_source(source: Callable[[], str | None] | None) -> None:
    """Where the current language comes from when no `use` block is open (the app: the session's choice)."""
    global _source
    _source = source


def current() -> str:
    lang = _override.get()
    if lang is None and _source is not None:
        lang = _source()
    return lang if lang in languages() else SOURCE_LANGUAGE


@contextlib.contextmanager
def use(lang: str) -> Iterator[None]:
    """Translate into `lang` inside the block, whatever the source says."""
    token = _override.set(lang)
    try:
        yield
    finally:
        _override.reset(token)


def gettext(message: str) -> str:
    return _table(current()).get((None, message), (message,))[0]


def pgettext(context: str, message: str) -> str:
    """A short word that means different things in different places ("cell" the LSTM's cell state, "cell"
    the table's), told apart by a context that the translator sees."""
    return _table(current()).get((context, message), (message,))[0]


def ngettext(singular: str, plural: str, n: int) -> str:
    forms = _table(current()).get((None, singular))
    if forms is None:
        return singular if n == 1 else plural
    return forms[_plural_index(current(), n) if len(forms) > 1 else 0]


def _plural_index(lang: str, n: int) -> int:
    # The catalogues in the repository need two rules: one form (zh) and one-or-many (en). A third language
    # with other rules adds its case here.
    return 0 if n == 1 else 1


def N_(message: str) -> str:
    """Mark a module-level constant for the catalogue without translating it now (the language is not known
    at import time); translate it with `_()` where it is shown."""
    return message


# Chinese sets no space after a full-width stop; English sets one after its own
_FULL_WIDTH_ENDS = tuple("。！？；：）」』")


def sentences(parts) -> str:
    """Translated sentences in a row, empty ones left out: a space between two, except after a full-width stop."""
    out = ""
    for part in filter(None, parts):
        out += ("" if not out or out.endswith(_FULL_WIDTH_ENDS) else " ") + part
    return out


_ = gettext

__all__ = ["LOCALE_DIR", "N_", "SOURCE_LANGUAGE", "_", "current", "gettext", "languages", "match", "ngettext",
           "pgettext", "reload", "sentences", "set_source", "translations", "use"]
