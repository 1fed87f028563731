"""The course: the app's pages in the order an RNN course teaches them, each lesson a prepared view.

Home lists LESSONS as the path through the course; every lesson page ends with links to the
previous and the next lesson (`lesson_links`), so a student can walk the whole course without the
sidebar. A page can serve several lessons (Inspect shows the Elman net, then the LSTM's gates):
the lesson's link carries `?lesson=N`, and the page remembers which lesson it is showing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

LESSON = "lesson"  # the URL key a lesson link carries
SHOWN = "_lessons"  # session_state: {page: the lesson it last showed}


@dataclass(frozen=True)
class Lesson:
    path: str  # the page, as st.page_link takes it
    title: str
    see: str  # one line: what the student will see there
    params: dict = field(default_factory=dict)  # the prepared view: URL parameters of that page


LESSONS = (
    Lesson("pages/inspect.py", "The simple RNN and its hidden state",
           "an Elman net reads a sentence; each column is h_t, the whole memory it carries to the next character",
           {"model": "english-rnn", "show": "hidden", "order": "similarity"}),
    Lesson("pages/jordan.py", "Elman and Jordan networks",
           "two nets count brackets, one feeding back its hidden state (Elman), the other its last output (Jordan)"),
    Lesson("pages/inspect.py", "Many-to-many: a guess after every character",
           "the char-RNN guesses the next character after every character; its surprise is high where the text is new",
           {"model": "english-lstm", "show": "guesses,surprise"}),
    Lesson("pages/sentiment.py", "Many-to-one: one verdict at the end",
           "a net trained to speak only after the last word holds a verdict after every word: watch “but” turn it"),
    Lesson("pages/one_to_many.py", "One-to-many: one input, a whole sequence out",
           "one digit goes in, then only blanks, and the net writes the count down to zero and “end” on its own",
           {"start": "7"}),
    Lesson("pages/seq2seq.py", "Encoder-decoder (N vs M)",
           "a date in words squeezed into one state, then written out again as digits, with the decoder's guesses"),
    Lesson("pages/deep.py", "Deep and bidirectional",
           "every layer and both directions, and where the forward and backward states meet in the head",
           {"net": "sentiment-bigru"}),
    Lesson("pages/gradients.py", "Why plain RNNs forget: gradients through time",
           "the gradient reaching each earlier character, on a log axis: the SimpleRNN's falls furthest by step 0",
           {"set": "same", "loss": "last"}),
    Lesson("pages/train.py", "Watch it happen while they learn",
           "press Play: a SimpleRNN and an LSTM learn the adding problem side by side, and within about 30 s "
           "only the LSTM's loss leaves the baseline"),
    Lesson("pages/inspect.py", "LSTM gates and the cell state",
           "the forget, input and output gates open and shut per character, and the cell state carries what they keep",
           {"model": "english-lstm", "show": "f,i,o,cell", "order": "similarity"}),
    Lesson("pages/compare.py", "SimpleRNN, GRU and LSTM side by side",
           "the same sentence read by the three cells: how often each one's hidden units sit pinned near ±1",
           {"set": "same"}),
    Lesson("pages/generate.py", "Char-RNN writing",
           "warm up on a prompt, then write one sampled character at a time; temperature trades safety for surprise"),
    Lesson("pages/series.py", "Time series: sliding windows",
           "a window of past values in, a forecast out, against the naive forecasts",
           {"source": "synthetic"}),
    Lesson("pages/embedding.py", "One-hot against embedding",
           "a one-hot input selects one column of W_ih, so that column is the learned embedding; where the vowels sit"),
    Lesson("pages/units.py", "Research: find the units that track something",
           "the unit that follows a feature of Python code most closely; then quotes, brackets or your own pattern",
           {"model": "python-lstm", "view": "probe"}),
    Lesson("pages/intervene.py", "Research: intervene",
           "clamp the forget gate shut and watch the surprise rise; ablate units or edit a character",
           {"model": "english-lstm"}),
    Lesson("pages/your_model.py", "Research: your own model",
           "upload the state_dict of a torch.nn RNN, GRU or LSTM and look inside it on every page"),
)


def lesson_params(index: int) -> dict:
    """The URL parameters of lesson `index`'s link: its prepared view, and which lesson it is."""
    return {**LESSONS[index].params, LESSON: str(index + 1)}


def note_lesson(page: str) -> None:
    """Remember which lesson a link asked this page for (?lesson=N): called at the top of every page,
    before the page writes its own URL (which leaves `lesson` out)."""
    raw = st.query_params.get(LESSON)
    if raw is not None and raw.isdigit() and 0 < int(raw) <= len(LESSONS) and LESSONS[int(raw) - 1].path == page:
        st.session_state.setdefault(SHOWN, {})[page] = int(raw) - 1


def current_lesson(page_file: str) -> int | None:
    """The lesson this page is showing: the one a link last asked for, else the page's first lesson.
    None for a page that is no lesson (Home)."""
    page = "pages/" + Path(page_file).name
    mine = [i for i, lesson in enumerate(LESSONS) if lesson.path == page]
    if not mine:
        return None
    return st.session_state.get(SHOWN, {}).get(page, mine[0])


def lesson_links(page_file: str) -> None:
    """The foot of a lesson page: where this lesson sits in the course, and the previous and next lessons."""
    index = current_lesson(page_file)
    if index is None:
        return
    st.divider()
    st.caption(f"Lesson {index + 1} of {len(LESSONS)}: {LESSONS[index].title}")
    before, after = st.columns(2)  # two wide columns: a lesson's title fits even at 1000 px
    if index > 0:
        before.page_link(LESSONS[index - 1].path, label=f"← {LESSONS[index - 1].title}",
                         query_params=lesson_params(index - 1))
    else:
        before.page_link("pages/home.py", label="← The course")
    if index + 1 < len(LESSONS):
        with after.container(horizontal_alignment="right"):
            st.page_link(LESSONS[index + 1].path, label=f"{LESSONS[index + 1].title} →",
                         query_params=lesson_params(index + 1))
