"""The session's language and notation: chosen in the sidebar, carried in every link.

The language starts from the link (?lang=zh), else the browser's preferred languages (the request's
Accept-Language, which st.context gives), else English; the sidebar's switch changes it. The notation
(?notation=course|pytorch) names the weights as the course writes them (U, W, V, b, c) or as PyTorch does
(W_ih, W_hh, b_ih, b_hh); explorer.engine.cells.NOTATIONS says how the two map.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer import i18n
from explorer.engine.cells import NOTATIONS
from explorer.i18n import _

LANG, NOTATION = "lang", "notation"  # the URL keys
GLOBAL_KEYS = (LANG, NOTATION)  # carried by every page's URL (explorer.app.urlstate.set_url) and every link
DEFAULT_NOTATION = "course"
# The choices live under keys of their own, not under the switches' widget keys: Streamlit forgets a
# widget's state on a run that does not draw it, and the choice must outlive any such run.
STATE = {LANG: "_lang", NOTATION: "_notation"}
SWITCH = {LANG: "_lang_switch", NOTATION: "_notation_switch"}
LINKED = "_lang_linked"  # session_state: the values this app last put into the URL and its links


def _session_language() -> str | None:
    # Figure builders and caches may run on helper threads: those carry the page's script context
    # (explorer.app.fanout), and without one there is no session to ask.
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get(STATE[LANG])


def settle() -> None:
    """Decide this run's language and notation before anything is drawn (app.py, every run). A link's
    value wins when it is new (not what this app wrote into the address itself), so a shared link opens
    in its language while a switch the student just clicked is not undone by the old address."""
    i18n.set_source(_session_language)
    linked = st.session_state.get(LINKED, {})
    for key, valid, default in ((LANG, i18n.languages(), lambda: i18n.match(_browser_languages())),
                                (NOTATION, NOTATIONS, lambda: DEFAULT_NOTATION)):
        raw = st.query_params.get(key)
        if raw in valid and raw != linked.get(key):
            st.session_state[STATE[key]] = raw
        elif st.session_state.get(STATE[key]) not in valid:
            st.session_state[STATE[key]] = default()


def _browser_languages() -> str:
    try:
        return preferred_languages(st.context.locale, st.context.headers.get("Accept-Language"))
    except Exception:  # noqa: BLE001 - AppTest and bare scripts have no request: English
        return ""


def preferred_languages(locale: str | None, accept_language: str | None) -> str:
    """The browser's languages, best first: the page's own (navigator.language, st.context.locale), then the
    WebSocket request's Accept-Language list ("zh-CN,zh;q=0.9,en;q=0.8"). The page's goes first because the
    two can disagree: Chromium 150 sends its default list on the WebSocket while the page speaks Chinese."""
    return ",".join(part for part in (locale, accept_language) if part)


def current() -> str:
    return i18n.current()


def notation() -> str:
    return st.session_state.get(STATE[NOTATION], DEFAULT_NOTATION)


def _chosen(key: str) -> None:
    value = st.session_state.get(SWITCH[key])
    if value is None:  # a segmented control can be clicked off: keep the last choice
        return
    if key == LANG and value != st.session_state.get(STATE[LANG]):
        _keep_choices_across_languages()
    st.session_state[STATE[key]] = value


# Streamlit sends a choice widget's value (radio, selectbox, pills, multiselect) back as its *shown*
# label and finds the option again by formatting every option: after a language switch the old label
# matches no option of the new language, and the page would get the label itself for a value.
_LABELLED = {"string_value", "string_array_value"}


def _keep_choices_across_languages() -> None:
    """Pin every choice widget to the option it holds, read while the old language's labels still decode it."""
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        state = get_session_state()._state  # noqa: SLF001 - no public way to tell a widget's value type
        metadata = state._new_widget_state.widget_metadata  # noqa: SLF001
        keyed = state._key_id_mapper.id_key_mapping  # noqa: SLF001
    except (ImportError, AttributeError):  # another Streamlit: the switch still works, choices may reset
        return
    for widget_id, meta in list(metadata.items()):
        key = keyed.get(widget_id)
        if key is None or key in SWITCH.values() or meta.value_type not in _LABELLED:
            continue
        try:
            st.session_state[key] = st.session_state[key]
        except (KeyError, st.errors.StreamlitAPIException):
            continue


def switches() -> None:
    """The sidebar's language and notation switches. The language switch's label is in both languages
    on purpose: whoever opened the app in a language they cannot read must still find it."""
    names = i18n.languages()
    for key in GLOBAL_KEYS:
        st.session_state[SWITCH[key]] = st.session_state[STATE[key]]
    with st.sidebar:
        st.segmented_control("Language / 语言", list(names), format_func=names.get, key=SWITCH[LANG],
                             on_change=_chosen, args=(LANG,), selection_mode="single", width="stretch")
        st.segmented_control(_("Notation"), list(NOTATIONS), format_func=lambda n: _(NOTATIONS[n].label),
                             key=SWITCH[NOTATION], on_change=_chosen, args=(NOTATION,), selection_mode="single",
                             width="stretch",
                             help=_("Course: U, W, V, b, c, as the lecture notes write them. PyTorch: the names of "
                                    "torch.nn's parameters, W_ih, W_hh, b_ih, b_hh. U = W_ih, W = W_hh, "
                                    "b = b_ih + b_hh; V and c are the output layer."))


def url_values() -> dict[str, str]:
    """The language and notation as query parameters, for every link and every page's URL."""
    values = {key: st.session_state[STATE[key]] for key in GLOBAL_KEYS if st.session_state.get(STATE[key])}
    st.session_state[LINKED] = dict(values)
    return values
