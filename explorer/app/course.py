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

from explorer.app import catalog, language, pickers
from explorer.i18n import N_, _

LESSON = "lesson"  # the URL key a lesson link carries
SHOWN = "_lessons"  # session_state: {page: the lesson it last showed}


@dataclass(frozen=True)
class Lesson:
    path: str  # the page, as st.page_link takes it
    title: str  # English, marked for the catalogue: translate where it is shown
    see: str  # one line: what the student will see there
    params: dict = field(default_factory=dict)  # the prepared view: URL parameters of that page


LESSONS = (
    Lesson("pages/inspect.py", N_("The simple RNN and its hidden state"),
           N_("an Elman net reads a sentence; each column is h_t, the whole memory it carries to the next character"),
           {"model": "english-rnn", "show": "hidden", "order": "similarity"}),
    Lesson("pages/jordan.py", N_("Elman and Jordan networks"),
           N_("two nets count brackets, one feeding back its hidden state (Elman), the other its last output "
              "(Jordan)")),
    Lesson("pages/inspect.py", N_("Many-to-many: a guess after every character"),
           N_("the char-RNN guesses the next character after every character; its surprise is high where the text is "
              "new"),
           {"model": "english-lstm", "show": "guesses,surprise"}),
    Lesson("pages/sentiment.py", N_("Many-to-one: one verdict at the end"),
           N_("a net trained to speak only after the last word holds a verdict after every word: watch “but” turn it")),
    Lesson("pages/one_to_many.py", N_("One-to-many: one input, a whole sequence out"),
           N_("one digit goes in, then only blanks, and the net writes the count down to zero and “end” on its own"),
           {"start": "7"}),
    Lesson("pages/seq2seq.py", N_("Encoder-decoder (N vs M)"),
           N_("a date in words squeezed into one state, then written out again as digits, with the decoder's guesses")),
    Lesson("pages/deep.py", N_("Deep and bidirectional"),
           N_("every layer and both directions, and where the forward and backward states meet in the head"),
           {"net": "sentiment-bigru"}),
    Lesson("pages/gradients.py", N_("Why plain RNNs forget: gradients through time"),
           N_("the gradient reaching each earlier character, on a log axis: the SimpleRNN's falls furthest by step 0"),
           {"set": "same", "loss": "last"}),
    Lesson("pages/memory.py", N_("How long can each cell remember?"),
           N_("success against sequence length for six cells trained alike, with the gradient that reaches back "
              "beside it; train one more point yourself")),
    Lesson("pages/train.py", N_("Watch it happen while they learn"),
           N_("press Play: a SimpleRNN and an LSTM learn the adding problem side by side, and within about 30 s "
           "only the LSTM's loss leaves the baseline")),
    Lesson("pages/inspect.py", N_("LSTM gates and the cell state"),
           N_("the forget, input and output gates open and shut per character, and the cell state carries what they "
              "keep"),
           {"model": "english-lstm", "show": "f,i,o,cell", "order": "similarity"}),
    Lesson("pages/compare.py", N_("SimpleRNN, GRU and LSTM side by side"),
           N_("the same sentence read by the three cells: how often each one's hidden units sit pinned near ±1"),
           {"set": "same"}),
    Lesson("pages/generate.py", N_("Char-RNN writing"),
           N_("warm up on a prompt, then write one sampled character at a time; temperature trades safety for "
              "surprise")),
    Lesson("pages/series.py", N_("Time series: sliding windows"),
           N_("a window of past values in, a forecast out, against the naive forecasts"),
           {"source": "synthetic"}),
    Lesson("pages/embedding.py", N_("One-hot against embedding"),
           N_("a one-hot input selects one column of W_ih, so that column is the learned embedding; where the vowels "
              "sit")),
    Lesson("pages/units.py", N_("Research: find the units that track something"),
           N_("the unit that follows a feature of Python code most closely; then quotes, brackets or your own pattern"),
           {"view": "probe"}),
    Lesson("pages/intervene.py", N_("Research: intervene"),
           N_("clamp the forget gate shut and watch the surprise rise; ablate units or edit a character"),
           {"model": "english-lstm"}),
    Lesson("pages/your_model.py", N_("Research: your own model"),
           N_("upload the state_dict of a torch.nn RNN, GRU or LSTM and look inside it on every page")),
)


def lesson_params(index: int) -> dict:
    """The URL parameters of lesson `index`'s link: its prepared view, and which lesson it is. The writing
    lesson opens on the best writer when it is here, and Find units on the clearest bracket unit, whatever
    model an earlier lesson left chosen."""
    params = dict(LESSONS[index].params)
    if LESSONS[index].path == "pages/generate.py":
        params.update(writer_params())
    if LESSONS[index].path == "pages/units.py":  # a code model where one is built, else python-lstm
        unit_model = pickers.units_model(catalog.available())
        params.update({"model": unit_model} if unit_model else {})
    return {**params, LESSON: str(index + 1), **language.url_values()}


def writer_params() -> dict:
    """The URL parameter that opens Generate on the best writer in the zoo (none when the zoo has no model)."""
    writer = pickers.writer(catalog.picker_models())
    return {"model": writer} if writer in catalog.available() else {}


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
    st.caption(_("Lesson {n} of {total}: {title}").format(n=index + 1, total=len(LESSONS),
                                                          title=_(LESSONS[index].title)))
    before, after = st.columns(2)  # two wide columns: a lesson's title fits even at 1000 px
    if index > 0:
        before.page_link(LESSONS[index - 1].path, label=f"← {_(LESSONS[index - 1].title)}",
                         query_params=lesson_params(index - 1))
    else:
        before.page_link("pages/home.py", label="← " + _("The course"), query_params=language.url_values())
    if index + 1 < len(LESSONS):
        with after.container(horizontal_alignment="right"):
            st.page_link(LESSONS[index + 1].path, label=f"{_(LESSONS[index + 1].title)} →",
                         query_params=lesson_params(index + 1))
