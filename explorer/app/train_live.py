"""The Train page's live part in Streamlit: Play, Pause and Step, the status row, training in
chunks and the charts, all in one fragment with one timer.

    train_live.start_state()                  # once per run of the page, before the buttons
    st.button("Play", on_click=train_live.play)
    train_live.show(pg_key, draw_charts)      # the status row, training while playing, the charts

While playing, each run of the fragment trains chunk after chunk (each in its turn on the server)
for part of the timer, then redraws the charts once. One timer, not one for training and one for
the charts: a run of one fragment that the other's timer overlapped ends "early for a rerun", and
the browser then keeps every chart that run replaced, hidden, until some later run ends cleanly;
with two timers they piled up by the hundred, and the tab's memory with them, until Pause.

The decisions (how long to wait for a turn, what to say meanwhile, how often the page redraws)
are explorer.training.schedule's; this module keeps them in st.session_state and draws them.
Everything here is per session: the keys start with "train_", and nothing is kept in this module,
which every session of the server shares. The words are translated on each run, the fragment's own
runs too: explorer.i18n reads the session's language through the source app.py set, and a fragment's
rerun carries the session's script context.
"""
from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

import streamlit as st
import torch

from explorer.app.train_charts import listed
from explorer.i18n import _, pgettext
from explorer.training import schedule, turns
from explorer.training.runs import Playground

PLAYING, STEP = "train_playing", "train_step_requested"
WAITING = "train_waiting_since"  # when this session joined the server's line for a turn: kept, it keeps its place
CHART_EVERY = "train_chart_seconds"  # the page's timer as the last full run set it (None: no timer)
CHART_SPREAD = "train_chart_spread"  # this session's factor on that timer (schedule.CHART_SPREAD), drawn once
# Whether the fragment is being called inline by a full run of the page (True) or by its own
# timer (False). A full run takes only a turn that is free now, a timer's rerun waits in line (see
# schedule.patience). Kept in session_state: a fragment's rerun reuses the call of the last full run,
# arguments included, so an argument would always say "full run".
PAGE_RUN = "train_page_run"
DRAWING = "train_drawing_seconds"  # what the last timed run spent after training: the status row and the charts
RUNNING_INDICATOR = '[data-testid="stStatusWidget"]'  # Streamlit's "Running…" widget, hidden while playing
# torch threads, as app.py sets them: again here, because a fragment's rerun does not run app.py, and
# the first visit to a fresh server through a link to this page runs it without app.py (Streamlit's
# pages/ folder fallback); two threads on two busy cores stall training badly.
THREADS = int(os.environ.get("RNN_EXPLORER_THREADS", "1"))


def start_state() -> None:
    torch.set_num_threads(THREADS)
    for key, value in ((PLAYING, False), (STEP, False), (CHART_SPREAD, random.uniform(*schedule.CHART_SPREAD))):
        st.session_state.setdefault(key, value)


def playing() -> bool:
    return st.session_state[PLAYING]


def play() -> None:
    st.session_state[PLAYING] = True


def pause() -> None:
    st.session_state[PLAYING] = False


def step() -> None:
    st.session_state[PLAYING] = False
    st.session_state[STEP] = True


def wants_training() -> bool:
    """Play is on or Step was pressed: a diverged run may go on with the settings as they are now."""
    return st.session_state[PLAYING] or st.session_state[STEP]


def status_row(pg: Playground, waiting: bool = False) -> None:
    steps = {run.label: run.step for run in pg.runs}
    cols = st.columns(4)
    if len(set(steps.values())) == 1:
        applied = _("Optimizer steps applied per model.")
    else:
        applied = _("Optimizer steps applied per model. Now {steps}: a chunk cut short catches up in the next one.")
        applied = applied.format(steps=listed(f"{label} {step}" for label, step in steps.items()))
    cols[0].metric(pgettext("count of training steps", "Step"), str(pg.step), help=applied)
    cols[1].metric(_("Steps per second"), f"{pg.steps_per_second:.1f}",
                   help=_("Per model, over the last chunk: training, snapshots and probe traces; "
                          "not the time it gave way to other users' pages."))
    cols[2].metric(_("Training time"), f"{pg.elapsed:.1f} s",
                   help=_("Time spent training in chunks; pauses, and waits while other users' pages run, do not "
                          "count."))
    if waiting:
        state = pgettext("training status", "waiting")
    elif pg.diverged:
        state = pgettext("training status", "diverged")
    else:
        state = pgettext("training status", "playing") if playing() else pgettext("training status", "paused")
    cols[3].metric(_("Status"), state)


class _Screen:
    """schedule.Screen on the page: a note above the status row, and the row itself."""

    def __init__(self, pg: Playground, note, status_box, in_line: bool):
        self.pg, self.note, self.status_box, self.in_line = pg, note, status_box, in_line

    def poll(self) -> None:
        st.session_state.get(PLAYING)  # reading session state lets Pause, Step and Reset interrupt the wait here

    def waiting(self, sentence: str, first: bool) -> None:
        self.note.info(sentence)
        if first and not self.in_line:  # the status row does not say "waiting" yet
            with self.status_box.container():
                status_row(self.pg, waiting=True)

    def progress(self, fraction: float, text: str) -> None:
        self.note.progress(fraction, text=text)

    def clear(self) -> None:
        self.note.empty()


def _train_in_turn(pg: Playground, note, status_box, in_line: bool, patience: float | None = None) -> bool:
    """One chunk in this session's turn; False when none came (the place in the line is kept)."""
    since = st.session_state.setdefault(WAITING, time.monotonic())
    if patience is None:
        patience = schedule.patience(st.session_state.get(PAGE_RUN, False))
    report = schedule.train_in_turn(pg, since=since, patience=patience, screen=_Screen(pg, note, status_box, in_line))
    if report is None:
        return False
    st.session_state.pop(WAITING, None)  # trained: the next chunk queues behind those waiting now
    if report.diverged and playing():
        st.session_state[PLAYING] = False
        st.rerun(scope="app")  # stop the timer; the page then says what happened
    return True


def _train(pg: Playground, note, status_box, in_line: bool) -> bool:
    """Step: one chunk. Play, in a run of the timer: chunks for schedule.train_seconds of it, the
    status row redrawn after each. False when no turn came for the first chunk."""
    began = time.monotonic()
    if not _train_in_turn(pg, note, status_box, in_line):
        return False
    every = st.session_state.get(CHART_EVERY)
    if not playing() or st.session_state.get(PAGE_RUN, False) or not every:
        return True  # a run of the whole page draws everything below at once
    budget = schedule.train_seconds(every, st.session_state.get(DRAWING, 0.0))
    chunk = time.monotonic() - began
    while len(pg.diverged) < len(pg.runs) and time.monotonic() - began + chunk < budget:  # the next chunk fits
        with status_box.container():
            status_row(pg)
        started = time.monotonic()
        if not _train_in_turn(pg, note, status_box, in_line=False, patience=budget - (started - began)):
            break  # no turn within this run: the next run waits on in the same place
        chunk = time.monotonic() - started
    return True


def _wanted_chart_seconds() -> float:
    return schedule.chart_seconds(turns.TRAINING.busy, st.session_state[CHART_SPREAD])


def _retime() -> str | None:
    return schedule.retime(_wanted_chart_seconds(), st.session_state.get(CHART_EVERY))


def show(pg_key: str, draw_charts: Callable[[Playground, float | None], None]) -> None:
    """The status row, training, then the charts, drawn by `draw_charts(pg, every)`: one fragment
    that reruns itself every `every` seconds while playing (and while a step waits for its turn),
    and is drawn by every run of the page when paused (`every` None)."""
    timed = playing() or WAITING in st.session_state
    if timed:
        # The running indicator would be on nearly all the time, its animation redrawing the tab many
        # times a second; the Status metric says what is going on instead. The style goes with the timer.
        st.html(f"<style>{RUNNING_INDICATOR} {{display: none}}</style>")
    st.session_state[CHART_EVERY] = _wanted_chart_seconds() if timed else None

    @st.fragment(run_every=st.session_state[CHART_EVERY])
    def live():
        torch.set_num_threads(THREADS)  # see THREADS
        page_run = st.session_state.get(PAGE_RUN, False)
        if not page_run and playing() and _retime() == "at the next redraw":
            st.rerun(scope="app")  # more sessions train now: a full run sets the longer timer
        pg = st.session_state[pg_key]
        note, status_box = st.empty(), st.empty()
        in_line = WAITING in st.session_state
        with status_box.container():  # as it stands, so the row stays in place during the chunk; redrawn after it
            status_row(pg, waiting=in_line)
        if wants_training() and len(pg.diverged) < len(pg.runs):
            if _train(pg, note, status_box, in_line):
                st.session_state[STEP] = False
                if timed and not playing():
                    st.rerun(scope="app")  # a step that waited is done: stop the timer (and draw the charts)
                if playing() and _retime() == "now":
                    st.rerun(scope="app")  # other sessions stopped: set the shorter timer at once
            elif not timed:
                st.rerun(scope="app")  # start the timer that goes on waiting
        else:
            st.session_state[STEP] = False
            st.session_state.pop(WAITING, None)  # out of the line: a later Play queues behind those waiting then
            if playing():  # every model diverged: nothing left to train until Play resumes them
                st.session_state[PLAYING] = False
                st.rerun(scope="app")
        trained = time.monotonic()
        with status_box.container():
            status_row(pg, waiting=WAITING in st.session_state)
        if not page_run:
            turns.FOREGROUND.give_way(limit=schedule.GIVE_WAY_SECONDS)  # the charts cost the server and the browser
        draw_charts(pg, st.session_state[CHART_EVERY] if playing() else None)
        if not page_run:
            st.session_state[DRAWING] = time.monotonic() - trained

    st.session_state[PAGE_RUN] = True
    try:
        live()
    finally:
        st.session_state[PAGE_RUN] = False
