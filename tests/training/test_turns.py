"""The training turnstile: at most K holders, first come first served, a clean line whatever
happens to a waiter or a holder, K from the environment, and chunks cut to a time slice."""
import threading
import time

import pytest

from explorer.training import turns
from explorer.training.turns import NoTurn, Turnstile, slice_steps


def test_never_more_than_k_holders_under_many_threads():
    gate = Turnstile(2, poll=0.01)
    lock = threading.Lock()
    inside, most, served = 0, 0, []

    def worker(i):
        nonlocal inside, most
        for _ in range(5):
            with gate.turn():
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.002)
                with lock:
                    inside -= 1
                    served.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(served) == 60 and most == 2 and gate.busy == 0


def _hold(gate):
    """Enter a turn by hand: (the context manager, to exit later)."""
    held = gate.turn()
    held.__enter__()
    return held


def _start_waiter(gate, name, order, started, **kwargs):
    def run():
        with gate.turn(**kwargs):
            order.append(name)

    thread = threading.Thread(target=run)
    thread.start()
    while gate.busy < started:  # this waiter is in the line before the next one arrives
        time.sleep(0.001)
    return thread


def test_turns_are_granted_in_order_of_arrival():
    gate = Turnstile(1, poll=0.01)
    held = _hold(gate)
    order = []
    threads = [_start_waiter(gate, name, order, started=i + 2) for i, name in enumerate("abcde")]
    held.__exit__(None, None, None)
    for thread in threads:
        thread.join(timeout=10)
    assert order == list("abcde")


def test_a_returning_waiter_keeps_its_place():
    gate = Turnstile(1, poll=0.01)
    held = _hold(gate)
    with pytest.raises(NoTurn) as gave_up, gate.turn(patience=0.05):
        pass
    assert (gave_up.value.ahead, gave_up.value.busy) == (1, 2) and gate.busy == 1  # its ticket left the line
    first_arrival = time.monotonic() - 1.0  # it came before the others
    order = []
    late = _start_waiter(gate, "late", order, started=2)
    back = _start_waiter(gate, "back", order, started=3, since=first_arrival)
    held.__exit__(None, None, None)
    late.join(timeout=10)
    back.join(timeout=10)
    assert order == ["back", "late"]


def test_on_wait_reports_how_many_are_ahead_about_every_poll():
    gate = Turnstile(1, poll=0.02)
    held = _hold(gate)
    seen = []
    order = []
    first = _start_waiter(gate, "first", order, started=2)
    second = _start_waiter(gate, "second", order, started=3, on_wait=seen.append)
    time.sleep(0.3)
    held.__exit__(None, None, None)
    first.join(timeout=10)
    second.join(timeout=10)
    assert 5 <= seen.count(2) <= 20  # two ahead (the holder and the first waiter), every ~0.02 s
    assert order == ["first", "second"] and gate.busy == 0


def test_an_exception_in_on_wait_leaves_the_line_clean():
    gate = Turnstile(1, poll=0.01)
    held = _hold(gate)
    calls = []

    def interrupt(ahead):
        calls.append(ahead)
        raise KeyboardInterrupt  # what Streamlit's StopException does: not an Exception subclass

    with pytest.raises(KeyboardInterrupt), gate.turn(on_wait=interrupt):
        pytest.fail("the block must not run without a turn")
    assert calls == [1] and gate.busy == 1
    held.__exit__(None, None, None)
    with gate.turn(patience=0.5):  # nobody is blocked by the interrupted waiter
        assert gate.holding == 1
    assert gate.busy == 0


def test_an_exception_in_the_block_releases_the_turn():
    gate = Turnstile(1)
    with pytest.raises(RuntimeError), gate.turn():
        raise RuntimeError("the chunk failed")
    assert gate.busy == 0
    with gate.turn(patience=0.1):
        pass


def test_a_vanished_holder_is_dropped_after_the_stale_timeout():
    gate = Turnstile(1, stale_after=0.2, poll=0.01)
    vanished = _hold(gate)  # never released: its thread "died" between acquire and release (kept from GC's close)
    with pytest.raises(NoTurn), gate.turn(patience=0.1):
        pass
    began = time.monotonic()
    with gate.turn(patience=2.0):
        waited = time.monotonic() - began
    assert 0.05 < waited < 1.0 and gate.busy == 0 and vanished is not None


def test_contended_says_whether_others_were_waiting_when_the_turn_began():
    gate = Turnstile(1, poll=0.01)
    with gate.turn() as alone:
        pass
    assert not alone.contended
    held = _hold(gate)
    seen = []

    def run():
        with gate.turn() as turn:
            seen.append(turn.contended)

    threads = []
    for started in (2, 3):
        threads.append(threading.Thread(target=run))
        threads[-1].start()
        while gate.busy < started:
            time.sleep(0.001)
    held.__exit__(None, None, None)
    for thread in threads:
        thread.join(timeout=10)
    assert seen == [True, False]  # the first had the second waiting behind it; the last one was alone


def test_slots_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(turns.SLOTS_ENV, "3")
    assert turns.slots_from_env() == 3
    monkeypatch.delenv(turns.SLOTS_ENV)
    monkeypatch.setattr(turns.os, "cpu_count", lambda: 8)
    assert turns.slots_from_env() == 4
    monkeypatch.setattr(turns.os, "cpu_count", lambda: 1)
    assert turns.slots_from_env() == 1
    monkeypatch.setattr(turns.os, "cpu_count", lambda: None)
    assert turns.slots_from_env() == 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(turns.SLOTS_ENV, bad)
        with pytest.raises(ValueError, match="RNN_EXPLORER_TRAINING_SLOTS must be a whole number of at least 1"):
            turns.slots_from_env()
    monkeypatch.delenv(turns.SLOTS_ENV)
    monkeypatch.undo()
    assert turns.TRAINING.slots == turns.slots_from_env()  # the shared instance was built from it


def test_a_chunk_is_cut_to_a_time_slice_only_while_others_wait():
    assert slice_steps(500, 30.0, contended=False) == 500  # alone: nothing changes
    assert slice_steps(500, 30.0, contended=True) == 15  # 0.5 s at 30 steps/s
    assert slice_steps(10, 30.0, contended=True) == 10  # never more than asked
    assert slice_steps(500, 0.5, contended=True) == 1  # at least one step
    assert slice_steps(500, 0.0, contended=True) == 1  # no rate yet: one step measures it
    assert slice_steps(500, 100.0, contended=True, slice_seconds=0.2) == 20


def test_a_turnstile_needs_a_slot():
    with pytest.raises(ValueError, match="at least one slot"):
        Turnstile(0)


# -- interactive page runs go first (turns.Foreground) --


def _run_elsewhere(fg, seconds):
    """Another session's page run of `seconds`, in its own thread; returns once it is in progress."""
    started = threading.Event()

    def page():
        with fg.running():
            started.set()
            time.sleep(seconds)

    thread = threading.Thread(target=page)
    thread.start()
    started.wait(5)
    return thread


def test_training_does_not_wait_when_no_page_is_running():
    fg = turns.Foreground(grace=0.2)
    assert fg.give_way(limit=5) < 0.05 and fg.busy == 0


def test_training_waits_for_another_page_run_and_its_grace():
    fg = turns.Foreground(grace=0.2)
    thread = _run_elsewhere(fg, 0.3)
    assert fg.busy == 1
    waited = fg.give_way(limit=5)
    thread.join()
    assert 0.3 + 0.2 - 0.05 < waited < 1.5 and fg.busy == 0  # the run, then the browser's time to draw it


def test_training_waits_no_longer_than_its_limit():
    fg = turns.Foreground(grace=0.2)
    thread = _run_elsewhere(fg, 1.5)
    waited = fg.give_way(limit=0.3)
    assert 0.25 < waited < 0.9 and fg.busy == 1  # slowed down, never stopped
    thread.join()


def test_a_page_that_trains_inside_its_own_run_does_not_wait_for_itself():
    fg = turns.Foreground(grace=0.5)
    with fg.running():
        assert fg.give_way(limit=5) < 0.05
    assert fg.give_way(limit=5) < 0.05  # nor for the grace after its own run


def test_a_page_run_that_raises_still_ends():
    fg = turns.Foreground(grace=0.0)

    def page():
        with fg.running():
            raise RuntimeError("interrupted")  # Streamlit stops a run with an exception

    thread = threading.Thread(target=lambda: pytest.raises(RuntimeError, page))
    thread.start()
    thread.join()
    assert fg.busy == 0 and fg.give_way(limit=5) < 0.05


def test_training_inside_a_page_run_is_background_work():
    fg = turns.Foreground(grace=0.0)
    phase = {name: threading.Event() for name in ("aside", "back", "next", "end")}

    def page_that_trains():
        with fg.running():
            with fg.aside():  # its chunk, which may wait seconds for a turn
                phase["aside"].set()
                phase["next"].wait(5)
            phase["back"].set()  # its charts: a page run again
            phase["end"].wait(5)

    thread = threading.Thread(target=page_that_trains)
    thread.start()
    phase["aside"].wait(5)
    assert fg.busy == 0 and fg.give_way(limit=5) < 0.05  # others train on meanwhile
    phase["next"].set()
    phase["back"].wait(5)
    assert fg.busy == 1 and fg.give_way(limit=0.2) > 0.15
    phase["end"].set()
    thread.join()
    assert fg.busy == 0


def test_throttle_says_yes_at_most_once_per_period():
    now = [100.0]
    due = turns.Throttle(2.0, clock=lambda: now[0])
    assert due() and not due()  # the first at once, then not again within 2 s
    now[0] += 1.9
    assert not due()
    now[0] += 0.1
    assert due() and not due()
    now[0] += 5.0
    assert due()


def test_throttle_waiting_first_stays_quiet_for_a_short_task():
    now = [0.0]
    due = turns.Throttle(0.5, wait_first=True, clock=lambda: now[0])
    now[0] = 0.4
    assert not due()  # a chunk shorter than 0.5 s draws no progress bar
    now[0] = 0.5
    assert due() and not due()
    now[0] = 0.99
    assert not due()
    now[0] = 1.0
    assert due()


@pytest.mark.parametrize("seconds", [-1.0, float("nan")])
def test_throttle_rejects_a_negative_or_nan_period(seconds):
    with pytest.raises(ValueError, match="seconds must be 0 or more"):
        turns.Throttle(seconds)


def test_retime_sets_a_longer_timer_at_the_next_redraw_and_a_shorter_one_at_once():
    from explorer.training.schedule import retime
    assert retime(9.0, None) is None  # no timer: not playing
    assert retime(9.0, 9.0) is None and retime(5.0, 9.0) is None and retime(17.0, 9.0) is None  # within 2x
    assert retime(20.0, 9.0) == "at the next redraw"  # others came: the next redraw is a full run instead
    assert retime(1.0, 9.0) == "now"  # others stopped: the charts would lag behind for up to 9 s
