"""The app's frame: the table of contents, and direct links that arrive before it exists.

PAGES is the one list of pages: app.py builds the navigation from it and Home its links.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from explorer.app import course, language, sessions, urlstate
from explorer.i18n import N_, _


@dataclass(frozen=True)
class Page:
    path: str  # relative to the repository root, as st.Page and st.page_link take it
    title: str  # English, marked for the catalogue: translate where it is shown
    icon: str  # a Material icon name, drawn by Streamlit from its own bundle
    group: str


LOOK, FAMILY, YOURS = N_("Look inside"), N_("Every shape and family member"), N_("Your model and its units")
PAGES = (
    Page("pages/home.py", N_("Home"), ":material/home:", LOOK),
    Page("pages/glossary.py", N_("Glossary"), ":material/menu_book:", LOOK),
    Page("pages/inspect.py", N_("Inspect"), ":material/biotech:", LOOK),
    Page("pages/generate.py", N_("Generate"), ":material/edit_note:", LOOK),
    Page("pages/compare.py", N_("Compare"), ":material/compare:", LOOK),
    Page("pages/gradients.py", N_("Gradients through time"), ":material/trending_down:", LOOK),
    Page("pages/memory.py", N_("How long can it remember?"), ":material/timeline:", LOOK),
    Page("pages/train.py", N_("Train live"), ":material/model_training:", LOOK),
    Page("pages/sentiment.py", N_("Sentiment (many-to-one)"), ":material/sentiment_satisfied:", FAMILY),
    Page("pages/one_to_many.py", N_("One-to-many"), ":material/call_split:", FAMILY),
    Page("pages/series.py", N_("Time series"), ":material/show_chart:", FAMILY),
    Page("pages/jordan.py", N_("Jordan vs Elman"), ":material/sync_alt:", FAMILY),
    Page("pages/deep.py", N_("Stacked & bidirectional"), ":material/layers:", FAMILY),
    Page("pages/embedding.py", N_("One-hot vs embedding"), ":material/scatter_plot:", FAMILY),
    Page("pages/seq2seq.py", N_("Encoder-decoder"), ":material/translate:", FAMILY),
    Page("pages/your_model.py", N_("Your model"), ":material/upload_file:", YOURS),
    Page("pages/units.py", N_("Find units"), ":material/manage_search:", YOURS),
    Page("pages/intervene.py", N_("Intervene"), ":material/tune:", YOURS),
)
FRAMED = "_framed_by_app"  # session_state: app.py has run around this session's pages
ARRIVALS = "_arrivals"  # session_state: how many times this session switched pages
RESUME = "_resume_page"  # session_state: (page, query params) to go back to once app.py has run


def navigation():
    """st.navigation over PAGES, in their groups (Home first and default)."""
    groups: dict[str, list] = {}
    for i, page in enumerate(PAGES):
        groups.setdefault(_(page.group), []).append(st.Page(page.path, title=_(page.title), icon=page.icon,
                                                            default=i == 0))
    return st.navigation(groups, expanded=True)


def keep_language_in_url() -> None:
    """After the page: a page that writes no URL of its own still carries the language and notation, so
    its address opens in the same language (pages that do write theirs add them in urlstate.set_url); the same
    for the token that lets a reload find this session's training (explorer.app.sessions)."""
    for key, value in (language.url_values() | sessions.url_values()).items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def mark_framed() -> None:
    """Called by app.py on every run, before it runs the page."""
    st.session_state[FRAMED] = True


def require_frame(page_file: str) -> None:
    """Make sure app.py frames this page (layout, one torch thread, shared sidebar); call it with __file__.

    Until some session on a server has called st.navigation, Streamlit routes a direct link
    such as /inspect?text=... to pages/inspect.py through its legacy pages/ directory rule,
    skipping app.py. Then this page hands its address to app.py, which runs st.navigation
    (switching the whole server to it) and sends the user straight back, parameters intact."""
    page = "pages/" + Path(page_file).name
    arrived = st.session_state.get(urlstate.PAGE) != page
    st.session_state[urlstate.PAGE] = page
    course.note_lesson(page)
    if st.session_state.get(FRAMED):
        scroll_to_top(arrived)
        return
    params = st.query_params.to_dict()
    st.session_state[RESUME] = (page, params)
    st.switch_page("app.py", query_params=params)


# The browser keeps the last page's scroll position across a page switch: a student who clicks "next
# lesson" at the foot of a long page would land in the middle of the next one, below its key picture.
# The view is held at the top until the new page has finished drawing (no running indicator, no stale
# element of the last page left) and a moment longer, at most HOLD_MS, and let go as soon as the student
# scrolls, types or clicks. A fixed few seconds were not enough on a loaded server: the last page's elements
# stay until the new ones replace them, and the browser's scroll anchoring carried the view down with them
# after the hold had ended, so anchoring is off from the first arrival on, and stays off after the hold: a redraw
# that comes later must not carry the view down either. The page counts as finished only
# after three seconds without a running indicator: Streamlit shows the indicator and marks stale elements only after a
# short delay, so on a loaded server a shorter settle could end before the new page had begun to draw. A
# student's own scroll ends the hold at once.
_TO_TOP = """<script>
(() => {  // a scope of its own: every arrival runs this script again in the same page
const doc = window.parent.document;
const views = () => doc.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]');
const busy = () => !!doc.querySelector(
  '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"], [data-stale="true"]');
const began = Date.now();
let calm = null;  // when the page was last seen finished
const toTop = () => {
  for (const el of views()) { el.style.overflowAnchor = "none"; el.scrollTo(0, 0); }
  window.scrollTo(0, 0);
};
const stop = () => clearInterval(timer);  // anchoring stays off: a late redraw must not carry the view down
const tick = () => {
  toTop();
  calm = busy() ? null : (calm ?? Date.now());
  if ((calm !== null && Date.now() - calm > %(settle)d) || Date.now() - began > %(hold)d) stop();
};
const timer = setInterval(tick, 100);
for (const kind of ["wheel", "touchstart", "keydown", "mousedown"]) doc.addEventListener(kind, stop, {once: true});
tick();
})();
</script>""" % {"settle": 3000, "hold": 30_000}


def scroll_to_top(arrived: bool) -> None:
    """Show a page that was just switched to from its top. Each arrival's script differs (a counter): the
    browser keeps an unchanged element from the last page, and its script would not run again. Every later run
    of the same page draws the same element again: unchanged, it neither starts a new hold nor goes away. A
    loaded server can interrupt the arrival's own run with a rerun before the browser has its element; the rerun,
    no longer an arrival, still delivers it."""
    arrivals = st.session_state.get(ARRIVALS, 0) + (1 if arrived else 0)
    st.session_state[ARRIVALS] = arrivals
    st.html(f"{_TO_TOP}<!-- arrival {arrivals} -->", unsafe_allow_javascript=True)


NARROW_PX = 1100  # below this the sidebar takes a third of the window from the key picture
FOLDED = "_sidebar_folded"  # session_state: the narrow-window check has run once in this session
_FOLD = """<script>
(() => {
const doc = window.parent.document;
if (window.parent.innerWidth < %d) {
  const bar = doc.querySelector('[data-testid="stSidebar"]');
  const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (bar && bar.getAttribute('data-collapsed') === 'false' && button) button.click();
}
})();
</script>"""


def fold_sidebar_on_narrow_screens() -> None:
    """Streamlit folds the sidebar by itself only on phone-sized screens; on a laptop's half screen it would
    push the key picture below the fold. Once per session, so a student who opens it again keeps it open."""
    # Drawn on every run, at the sidebar's foot: an element that came and went would shift the ones after it,
    # and Streamlit would show a stale copy of them while the next run draws.
    first = not st.session_state.get(FOLDED)
    st.session_state[FOLDED] = True
    st.sidebar.html(_FOLD % NARROW_PX if first else "<!-- the sidebar was folded or left open once -->",
                    unsafe_allow_javascript=True)


def resume_page() -> None:
    """In app.py, after st.navigation: finish a redirect that require_frame started."""
    resume = st.session_state.pop(RESUME, None)
    if resume is not None:
        page, params = resume
        st.switch_page(page, query_params=params)
