"""The app's frame: the table of contents, and direct links that arrive before it exists.

PAGES is the one list of pages: app.py builds the navigation from it and Home its links.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from explorer.app import course, urlstate


@dataclass(frozen=True)
class Page:
    path: str  # relative to the repository root, as st.Page and st.page_link take it
    title: str
    icon: str  # a Material icon name, drawn by Streamlit from its own bundle
    group: str
    blurb: str  # Home's one line on what the page shows


LOOK, FAMILY, YOURS = "Look inside", "Every shape and family member", "Your model and its units"
PAGES = (
    Page("pages/home.py", "Home", ":material/home:", LOOK, "what the app is, the pretrained models, the cells"),
    Page("pages/inspect.py", "Inspect", ":material/biotech:", LOOK,
         "type a sentence; every hidden state, gate and cell state of a char-RNN, per character"),
    Page("pages/generate.py", "Generate", ":material/edit_note:", LOOK,
         "the model warms up on your prompt, then writes one sampled character at a time"),
    Page("pages/compare.py", "Compare", ":material/compare:", LOOK,
         "a SimpleRNN, a GRU and an LSTM side by side on the same text"),
    Page("pages/gradients.py", "Gradients through time", ":material/trending_down:", LOOK,
         "why one forgets and the other remembers: the gradient reaching each step"),
    Page("pages/train.py", "Train live", ":material/model_training:", LOOK,
         "press play and watch loss, gradients and gates change as a toy model learns"),
    Page("pages/sentiment.py", "Sentiment (many-to-one)", ":material/sentiment_satisfied:", FAMILY,
         "the running verdict after every word; negation and \"but\" flip it"),
    Page("pages/one_to_many.py", "One-to-many", ":material/call_split:", FAMILY,
         "one input, a whole sequence out, gates per generated step"),
    Page("pages/series.py", "Time series", ":material/show_chart:", FAMILY,
         "a sliding window in, a forecast out, against a naive last-value baseline"),
    Page("pages/jordan.py", "Jordan vs Elman", ":material/sync_alt:", FAMILY,
         "feeding back the output instead of the hidden state"),
    Page("pages/deep.py", "Stacked & bidirectional", ":material/layers:", FAMILY,
         "every layer and both directions, and where they meet"),
    Page("pages/embedding.py", "One-hot vs embedding", ":material/scatter_plot:", FAMILY,
         "the same net fed both ways, and the character map it learns"),
    Page("pages/seq2seq.py", "Encoder-decoder", ":material/translate:", FAMILY,
         "a sequence squeezed into one state, then written out again"),
    Page("pages/your_model.py", "Your model", ":material/upload_file:", YOURS,
         "upload a torch.nn RNN/GRU/LSTM state_dict and use it on every page"),
    Page("pages/units.py", "Find units", ":material/manage_search:", YOURS,
         "which units track quotes, brackets or your own pattern"),
    Page("pages/intervene.py", "Intervene", ":material/tune:", YOURS,
         "clamp a gate, ablate units or edit a character, and see what changes"),
)
FRAMED = "_framed_by_app"  # session_state: app.py has run around this session's pages
ARRIVALS = "_arrivals"  # session_state: how many times this session switched pages
RESUME = "_resume_page"  # session_state: (page, query params) to go back to once app.py has run


def navigation():
    """st.navigation over PAGES, in their groups (Home first and default)."""
    groups: dict[str, list] = {}
    for i, page in enumerate(PAGES):
        groups.setdefault(page.group, []).append(st.Page(page.path, title=page.title, icon=page.icon, default=i == 0))
    return st.navigation(groups, expanded=True)


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
        if arrived:
            scroll_to_top()
        return
    params = st.query_params.to_dict()
    st.session_state[RESUME] = (page, params)
    st.switch_page("app.py", query_params=params)


# The browser keeps the last page's scroll position across a page switch: a student who clicks "next
# lesson" at the foot of a long page would land in the middle of the next one, below its key picture.
_TO_TOP = """<script>
for (const el of window.parent.document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]'))
  el.scrollTo(0, 0);
window.scrollTo(0, 0);
</script>"""


def scroll_to_top() -> None:
    """Show a page that was just switched to from its top. Each arrival's script differs (a counter): the
    browser keeps an unchanged element from the last page, and its script would not run again."""
    arrivals = st.session_state[ARRIVALS] = st.session_state.get(ARRIVALS, 0) + 1
    st.html(f"{_TO_TOP}<!-- arrival {arrivals} -->", unsafe_allow_javascript=True)


def resume_page() -> None:
    """In app.py, after st.navigation: finish a redirect that require_frame started."""
    resume = st.session_state.pop(RESUME, None)
    if resume is not None:
        page, params = resume
        st.switch_page(page, query_params=params)
