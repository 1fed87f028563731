"""A server-wide fair share of training time: at most K training chunks run at once, and
interactive page runs go first (`FOREGROUND`).

    with TRAINING.turn(on_wait=lambda ahead: print(ahead, "ahead")) as turn:
        steps = slice_steps(requested, pg.steps_per_second, contended=turn.contended)
        playground.tick(pg, steps=steps)

Every session of a Streamlit server runs in one process. Sessions that each train flat out on
two cores leave a user typing on another page waiting for seconds (bench/bench_training_share.py);
with K chunks at a time (K = half the cores by default, RNN_EXPLORER_TRAINING_SLOTS to change it),
interactive reruns always find a free core and training shares the rest, first come first served.
When the Train page takes its turns, and what it says meanwhile, is explorer.training.schedule.

The turnstile is process-wide on purpose, the one shared mutable thing in the app: it holds no user
data, only anonymous tickets (an arrival time and a grant time), so sharing it between sessions
leaks nothing. A session that gave up waiting (its run was interrupted, or its patience ran out)
comes back with the same `since` and keeps its place in the line. A chunk whose holder vanished
without releasing its turn (a thread that never reached its `finally`) is dropped after
`stale_after` seconds, so nothing can block the line forever.
"""
from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SLOTS_ENV = "RNN_EXPLORER_TRAINING_SLOTS"
POLL_SECONDS = 0.15  # how often a waiter says how many are ahead (and checks for stale holders)
STALE_SECONDS = 120.0  # far above any chunk (500 steps of three big models): only a vanished holder lasts this long
SLICE_SECONDS = 0.5  # a chunk's share while others wait: about one default chunk of the Train page
PATIENCE_SECONDS = 20.0  # how long one page run waits before it ends (and redraws); the next tick waits on in
# place. Long enough that most waits end within one run: each run re-renders the page in its tab.


class NoTurn(Exception):
    """Raised by `Turnstile.turn` when its patience ran out; the ticket has left the line.
    `ahead` and `busy` are as they were just before it left (busy counted it)."""

    def __init__(self, ahead: int, busy: int):
        super().__init__(f"no turn yet: {ahead} chunks ahead, {busy} running or waiting")
        self.ahead, self.busy = ahead, busy


@dataclass(eq=False)
class _Ticket:
    since: float  # arrival (time.monotonic): the line is ordered by it
    granted: float | None = None  # when its turn began


@dataclass(frozen=True)
class Turn:
    """What the holder of a turn needs to know: whether others were waiting when it began."""

    contended: bool


@dataclass(eq=False)
class Turnstile:
    """At most `slots` holders at once, granted in order of arrival (FIFO)."""

    slots: int
    stale_after: float = STALE_SECONDS
    poll: float = POLL_SECONDS
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _waiting: list[_Ticket] = field(default_factory=list, repr=False)  # sorted by since
    _holding: list[_Ticket] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.slots, int) or self.slots < 1:
            raise ValueError(f"A turnstile needs at least one slot; got {self.slots!r}.")

    @property
    def busy(self) -> int:
        """Chunks running or waiting now."""
        with self._cond:
            return len(self._holding) + len(self._waiting)

    @property
    def holding(self) -> int:
        with self._cond:
            return len(self._holding)

    @contextmanager
    def turn(self, on_wait: Callable[[int], None] | None = None, *, since: float | None = None,
             patience: float = math.inf) -> Iterator[Turn]:
        """Wait for a turn, hold it for the block, release it however the block ends.

        `on_wait(ahead)` is called about every `poll` seconds while waiting, with the number of
        chunks ahead (running or waiting). Whatever it raises (Streamlit interrupts a run that
        way) takes the ticket out of the line before it propagates. `since` (the time.monotonic()
        of an earlier arrival) keeps a returning waiter's place. After `patience`
        seconds without a turn, NoTurn is raised and the ticket leaves the line."""
        now = time.monotonic()
        ticket = _Ticket(since=now if since is None else since)
        deadline = now + patience
        try:
            with self._cond:
                self._join(ticket)
            while True:
                with self._cond:
                    self._drop_stale()
                    ahead = self._ahead(ticket)
                    if ahead < self.slots:
                        self._waiting.remove(ticket)
                        ticket.granted = time.monotonic()
                        self._holding.append(ticket)
                        contended = bool(self._waiting)
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise NoTurn(ahead, len(self._holding) + len(self._waiting))
                    self._cond.wait(min(self.poll, remaining))
                    ahead = self._ahead(ticket)
                if on_wait is not None and ahead >= self.slots:
                    on_wait(ahead)
            yield Turn(contended=contended)
        finally:
            with self._cond:
                self._leave(ticket)

    # everything below runs with self._cond held

    def _join(self, ticket: _Ticket) -> None:
        index = len(self._waiting)
        while index and self._waiting[index - 1].since > ticket.since:  # a returning waiter keeps its place
            index -= 1
        self._waiting.insert(index, ticket)

    def _ahead(self, ticket: _Ticket) -> int:
        return len(self._holding) + self._waiting.index(ticket)

    def _leave(self, ticket: _Ticket) -> None:
        for line in (self._waiting, self._holding):
            if ticket in line:
                line.remove(ticket)
        self._cond.notify_all()

    def _drop_stale(self) -> None:
        now = time.monotonic()
        alive = [t for t in self._holding if now - t.granted < self.stale_after]
        if len(alive) < len(self._holding):
            self._holding[:] = alive
            self._cond.notify_all()


def slice_steps(requested: int, steps_per_second: float, *, contended: bool,
                slice_seconds: float = SLICE_SECONDS) -> int:
    """Steps for this chunk: all of `requested` when nobody waits; while others wait, about
    `slice_seconds` worth at the measured rate (at least one step, never more than requested).
    With no rate measured yet, one step measures it."""
    if not contended:
        return requested
    if steps_per_second <= 0 or not math.isfinite(steps_per_second):
        return 1
    return max(1, min(requested, int(slice_seconds * steps_per_second)))


def slots_from_env() -> int:
    """K from RNN_EXPLORER_TRAINING_SLOTS, else half the cores (at least one)."""
    value = os.environ.get(SLOTS_ENV, "").strip()
    if not value:
        return max(1, (os.cpu_count() or 2) // 2)
    try:
        slots = int(value)
    except ValueError:
        raise ValueError(f"{SLOTS_ENV} must be a whole number of at least 1; got {value!r}.") from None
    if slots < 1:
        raise ValueError(f"{SLOTS_ENV} must be a whole number of at least 1; got {value!r}.")
    return slots


TRAINING = Turnstile(slots_from_env())


@dataclass(eq=False)
class Foreground:
    """Interactive page runs in progress on this server; background work (training) gives way.

        with FOREGROUND.running():   # app.py, around every page run a user started
            page.run()
        FOREGROUND.give_way(limit=1.0)   # between two training steps

    A user who types on Inspect while other sessions train waits for the CPU the training holds:
    in Python the two share one interpreter lock, and in the browser the new training charts
    compete with the typed text's. `give_way` blocks while a page run of another thread is in
    progress, and for `grace` seconds after the last one ended (the browser is drawing what it
    sent), but never more than `limit` seconds: training slows down under typing, it never stops.
    Like the turnstile it holds no user data: only the threads running now."""

    grace: float = 1.5
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _running: dict = field(default_factory=dict, repr=False)  # thread ident -> runs in progress
    _ended: dict = field(default_factory=dict, repr=False)  # thread ident -> when its last run ended (recent ones)

    @contextmanager
    def running(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            self._running[me] = self._running.get(me, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._running[me] -= 1
                if not self._running[me]:
                    del self._running[me]
                now = time.monotonic()
                self._ended = {t: e for t, e in self._ended.items() if now - e < self.grace}
                self._ended[me] = now
                self._cond.notify_all()

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Within a page run, a stretch that is background work (a Train chunk, which may wait for
        its turn for seconds): other training does not give way to it."""
        me = threading.get_ident()
        with self._cond:
            held = self._running.pop(me, 0)
            self._cond.notify_all()
        try:
            yield
        finally:
            if held:
                with self._cond:
                    self._running[me] = self._running.get(me, 0) + held

    @property
    def busy(self) -> int:
        """Page runs in progress now."""
        with self._cond:
            return sum(self._running.values())

    def give_way(self, limit: float = 1.0) -> float:
        """Wait while another thread's page run is in progress or ended less than `grace` seconds
        ago, at most `limit` seconds; returns the seconds waited. The caller's own run (a page
        that trains inside its own run) does not count."""
        me = threading.get_ident()
        began = time.monotonic()
        with self._cond:
            while True:
                now = time.monotonic()
                others = any(ident != me for ident in self._running)
                ended = max((e for t, e in self._ended.items() if t != me), default=-math.inf)
                quiet_in = 0.0 if others else ended + self.grace - now
                left = began + limit - now
                if not others and quiet_in <= 0 or left <= 0:
                    return now - began
                self._cond.wait(min(left, quiet_in) if not others else left)


FOREGROUND = Foreground()


class Throttle:
    """Says yes at most once every `seconds`: for redraws that cost every open tab a re-render of
    its page (a progress bar, a waiting note). The first yes comes at once, or only after `seconds`
    when `wait_first` (a short chunk then draws no progress bar at all).

        due = Throttle(0.5, wait_first=True)
        for step in range(n):
            ...
            if due():
                bar.progress(step / n)
    """

    def __init__(self, seconds: float, *, wait_first: bool = False, clock: Callable[[], float] = time.monotonic):
        if not seconds >= 0:
            raise ValueError(f"seconds must be 0 or more; got {seconds!r}")
        self.seconds, self.clock = seconds, clock
        self.last = clock() if wait_first else None

    def __call__(self) -> bool:
        now = self.clock()
        if self.last is not None and now - self.last < self.seconds:
            return False
        self.last = now
        return True
