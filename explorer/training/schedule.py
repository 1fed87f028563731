"""When the Train page trains and redraws, without streamlit: one chunk in this session's turn on
the server, what the line above the status row says meanwhile, and the playing page's one timer.

    report = train_in_turn(pg, since=joined, patience=patience(page_run=False), screen=screen)
    if report is None: ...                       # no turn yet: the place in the line is kept
    chart_seconds(others=turns.TRAINING.busy)    # the page's timer while playing
    train_seconds(every)                         # how much of each timed run goes to training
    retime(wanted, timer)                        # whether that timer should be set again, and when

Every message a page run sends costs each open tab a re-render of the page, so what goes to the
browser while training is rationed here: the playing page has one timer, which grows with the
sessions training on the server; each of its runs trains in chunks for part of it, then redraws
the charts once. The waiting sentence and the progress bar are throttled. The streamlit side
(the fragment, session_state) is explorer.app.train_live.
"""
from __future__ import annotations

from typing import Protocol

from explorer.i18n import _, ngettext
from explorer.training import turns
from explorer.training.playground import tick
from explorer.training.runs import Playground, TickReport

TICK_SECONDS = 0.3  # about what a playing page alone idles between two of its runs (bench_training_share's model)
TRAIN_SHARE = 0.6  # of each timer's period, training at most: the rest draws the charts
RUN_SHARE = 0.85  # a timed run ends within this share of its period, so it ends before the timer comes due again
# (a run that the next one overlaps leaves the charts it replaced in the tab until a later run ends cleanly)
PROGRESS_SECONDS = 0.5  # a chunk's progress bar: first shown, then redrawn, after this long (each redraw
# re-renders the page in every tab, so a short chunk draws no bar at all)
NOTE_SECONDS = 2.0  # the waiting sentence is rewritten when the line moves, at most this often
GIVE_WAY_SECONDS = 1.0  # at most this long per training step, and before a redraw, while other pages run
CHART_SECONDS = 3.0  # while playing, the page's timer per other session training here (1 s alone): a
# dashboard costs each tab most of a second of browser CPU, so many playing tabs must redraw it seldom
CHART_SPREAD = (0.8, 1.2)  # each session's factor on that timer, drawn once: sessions that pressed Play
# together would otherwise redraw together every time, and the server would take all their charts at once


class Screen(Protocol):
    """What the page shows above its status row while a chunk waits or trains."""

    def poll(self) -> None:
        """Called every time the wait polls the line (a page can be interrupted there)."""

    def waiting(self, sentence: str, first: bool) -> None:
        """Show the waiting sentence; `first`: nothing was shown in this chunk before."""

    def progress(self, fraction: float, text: str) -> None: ...

    def clear(self) -> None: ...


def patience(page_run: bool) -> float:
    """How long a chunk waits for its turn. A run of the whole page takes only a turn that is free
    now: everything below the chunk waits for it, greyed out as stale in the browser. The fragment's
    own timer waits in line (up to turns.PATIENCE_SECONDS, then the next tick waits on)."""
    return 0.0 if page_run else turns.PATIENCE_SECONDS


def waiting_sentence(ahead: int, busy: int) -> str:
    return ngettext("Waiting for a turn: {ahead} training chunk ahead of yours ({busy} sessions are training on "
                    "this server, {slots} at a time).",
                    "Waiting for a turn: {ahead} training chunks ahead of yours ({busy} sessions are training on "
                    "this server, {slots} at a time).", ahead).format(ahead=ahead, busy=busy,
                                                                      slots=turns.TRAINING.slots)


def train_in_turn(pg: Playground, *, since: float, patience: float, screen: Screen) -> TickReport | None:
    """One chunk in this session's turn on the server (turns.TRAINING), cut to a time slice while
    others wait; None when no turn came within `patience` seconds. `since` is when this session
    joined the line: passed again after a None, it keeps the session's place."""
    shown = []  # what the screen shows: nothing, [the waiting sentence] or ["progress"]
    note_due = turns.Throttle(NOTE_SECONDS)

    def waiting(ahead, busy=None):
        screen.poll()
        sentence = waiting_sentence(ahead, turns.TRAINING.busy if busy is None else busy)
        if shown != [sentence] and note_due():
            screen.waiting(sentence, first=not shown)
            shown[:] = [sentence]

    try:
        # a chunk is background work even inside the run that Play started: training elsewhere goes on meanwhile
        with turns.FOREGROUND.aside(), \
                turns.TRAINING.turn(on_wait=waiting, since=since, patience=patience) as turn:
            steps = turns.slice_steps(pg.settings.steps_per_tick, pg.steps_per_second, contended=turn.contended)
            progress = (_("Training: {done} of {total} steps in this chunk") if steps == pg.settings.steps_per_tick
                        else _("Training: {done} of {total} steps in this chunk (a shorter chunk: other sessions "
                               "are waiting)"))
            if shown:  # the turn came: the waiting sentence goes
                screen.clear()
                shown.clear()
            progress_due = turns.Throttle(PROGRESS_SECONDS, wait_first=True)

            def on_step(done, total):
                turns.FOREGROUND.give_way(limit=GIVE_WAY_SECONDS)  # a page another user waits for goes first
                if done < total and progress_due():
                    screen.progress(done / total, progress.format(done=done, total=total))
                    shown[:] = ["progress"]

            report = tick(pg, steps=steps, on_step=on_step)
    except turns.NoTurn as no_turn:
        waiting(no_turn.ahead, no_turn.busy)
        return None
    if shown:
        screen.clear()
    return report


def chart_seconds(others: int, spread: float = 1.0) -> float:
    """The page's timer while playing: 1 s alone, CHART_SECONDS for each other session training on
    this server, times this session's `spread`. Each run redraws the charts, the costly part of a
    redraw in every tab, so they come at this pace."""
    return max(1.0, CHART_SECONDS * others * spread)


def train_seconds(every: float, drawing: float = 0.0) -> float:
    """How long a timed run of the playing page goes on training (chunk after chunk, each in its
    turn) before it redraws the charts: TRAIN_SHARE of its timer `every`, less when the drawing
    (`drawing`: the seconds the last run spent after training) would end the run past RUN_SHARE."""
    return max(0.0, min(TRAIN_SHARE * every, RUN_SHARE * every - drawing))


def retime(wanted: float, timer: float | None) -> str | None:
    """When a playing page should set its timer (`timer` seconds, None when off) again to
    `wanted` seconds, as sessions come and go: None while the timer is within a factor of two of it;
    "now" when it is more than twice too long (others stopped: the charts would lag behind);
    "at the next redraw" when it is more than twice too short (others came). Setting a fragment's
    timer takes a full run of the page, and a full run draws the whole page in the browser: done at
    once, it comes on top of the charts' own redraws; at the next redraw, it takes the place of a
    redraw that was due anyway."""
    if not timer:
        return None
    if wanted < timer / 2:
        return "now"
    if wanted > timer * 2:
        return "at the next redraw"
    return None
