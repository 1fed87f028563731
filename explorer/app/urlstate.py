"""The view in the URL: read once per session into st.session_state, written back every run,
so a copied link reproduces what its sender saw.

URL keys belong to one page. Two pages may use the same name for different things (Time series'
`source` is a data set, Encoder-decoder's a date in words), so each key remembers the page that set
it, and another page starts from its own default instead of inheriting the value. SHARED keys are
what a student carries from page to page on purpose: the model, the model set and the text.
"""
from __future__ import annotations

import streamlit as st

from explorer.app import draw, language, sessions
from explorer.i18n import _

MAX_URL_TEXT = 2000  # characters carried in a link; longer text is left out of the URL
WRITTEN = "_url_written"  # session_state: the query parameters this app last wrote
PAGE = "_page"  # session_state: the page this run draws (explorer.app.frame.require_frame sets it)
OWNERS = "_url_owners"  # session_state: {key: the page that last set it}
SHARED = frozenset({"model", "set", "models", "text"})


def param_default(key: str, default, *, parse=str, valid=None, what: str = "") -> None:
    """Initialise st.session_state[key] from ?key=... in the URL, or `default`: once per
    session, and again whenever the URL carries a value this app did not write there (a link
    from another page, an edited address). A value that does not parse or is not `valid` falls
    back to the default (or the current value) with a warning."""
    raw = st.query_params.get(key)
    page, owners = st.session_state.get(PAGE), st.session_state.setdefault(OWNERS, {})
    if key not in SHARED and owners.get(key, page) != page:
        st.session_state.pop(key, None)  # another page's value under the same name: start from this page's default
        if raw is not None and raw == st.session_state.get(WRITTEN, {}).get(key):
            raw = None  # the other page's own value, still in the address: not a link to this page
    owners[key] = page
    if key in st.session_state:
        if raw is None or raw == st.session_state.get(WRITTEN, {}).get(key):
            return
        default = st.session_state[key]  # a bad value in a new link keeps the current view
    value = default
    if raw is not None:
        try:
            parsed = parse(raw)
            ok = valid(parsed) if valid is not None else True
        except (TypeError, ValueError):
            ok = False
        if ok:
            value = parsed
        else:
            shown = raw if len(raw) <= 40 else raw[:40] + "…"
            message = (_("The link's {setting} is not valid ({what}); showing {default} instead.") if what else
                       _("The link's {setting} is not valid; showing {default} instead."))
            # the link's value, and a default that may be a model name the user chose, as code spans it cannot end
            st.warning(message.format(setting=draw.code(f"{key}={shown!r}"), what=what,
                                      default=draw.code(repr(default))))
    st.session_state[key] = value


def keep_in_range(key: str, options, default) -> None:
    """Reset a remembered choice that the current model does not offer (before its widget is drawn)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def keep_across_pages(key: str) -> None:
    """Carry a value typed on another page into this page's widget with the same key (a widget on
    another page is another widget; writing the value back makes this one adopt it)."""
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]


def set_url(**values) -> None:
    """The view as query parameters, so a copied link reproduces it (None leaves a key out)."""
    params = {k: str(v) for k, v in values.items() if v is not None} | language.url_values() | sessions.url_values()
    st.session_state[WRITTEN] = {**st.session_state.get(WRITTEN, {}), **params}
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)
