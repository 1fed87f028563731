"""The Train live page under the server-wide share of training time (explorer.turns.TRAINING):
while another session holds the only turn, Step says why it waits and trains nothing; once the
turn is free, the same Step trains, and Pause takes the session out of the line."""
import numpy as np
import pytest
import torch
from page_helpers import APP, as_array, chart_specs, open_page
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext
from streamlit.testing.v1 import AppTest

from explorer.training import turns
from explorer.training.turns import Turnstile

torch.set_num_threads(1)

PAGE = "pages/train.py"
TINY = {"train_task": "count", "train_hidden": 16, "train_batch": 16, "train_steps_per_tick": 15}
WAITING = "Waiting for a turn: 1 training chunk ahead of yours (2 sessions are training on this server, 1 at a time)."


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    return tmp_path_factory.mktemp("share_zoo")  # the page trains new models: no pretrained one is needed


@pytest.fixture
def one_slot(monkeypatch):
    """The server's turnstile with one slot, and a short patience so a run that waits ends soon."""
    gate = Turnstile(1, poll=0.05)
    monkeypatch.setattr(turns, "TRAINING", gate)
    monkeypatch.setattr(turns, "PATIENCE_SECONDS", 0.5)
    return gate


@pytest.fixture
def timers(monkeypatch):
    """The run_every timers (seconds) that the last full script run left on, sorted: the auto_rerun
    messages after each full run, which starts with app.py's st.navigation message."""
    runs = []
    enqueue = ScriptRunContext.enqueue

    def spy(self, msg):
        if msg.HasField("navigation"):
            runs.append([])
        elif msg.HasField("auto_rerun") and runs:
            runs[-1].append(round(msg.auto_rerun.interval, 3))
        return enqueue(self, msg)

    monkeypatch.setattr(ScriptRunContext, "enqueue", spy)
    return lambda: sorted(runs[-1]) if runs else []


@pytest.fixture
def timer(timers):
    """Whether the last full run left a fragment's timer on (the browser reruns it then)."""
    return lambda: bool(timers())


def _train_page(app):
    at = open_page(app, PAGE)
    for key, value in TINY.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _status(at) -> str:
    return next(m.value for m in at.metric if m.label == "Status")


def _click(at, key):
    at.button(key=key).click().run()
    assert not at.exception, at.exception


def test_step_waits_for_the_turn_another_session_holds_then_trains(app, one_slot, timer):
    at = _train_page(app)
    assert at.session_state["train_playground"].task.name == "count"
    other = one_slot.turn()  # another session's chunk, running
    other.__enter__()
    assert not timer()
    _click(at, "train_step")
    pg = at.session_state["train_playground"]
    assert pg.step == 0 and _status(at) == "waiting" and timer()  # the browser goes on waiting
    assert [i.value for i in at.info] == [WAITING]
    assert len(at.get("plotly_chart")) >= 5  # the charts stay on screen while it waits
    at.run()  # the next tick waits on, in the same place
    assert pg.step == 0 and one_slot.busy == 1  # an ended run leaves no ticket behind
    other.__exit__(None, None, None)
    at.run()
    assert not at.exception, at.exception
    assert pg.step == 15 and _status(at) == "paused" and not at.info and not timer()
    at.run()  # one step is one chunk: the timer that waited has stopped
    assert pg.step == 15 and one_slot.busy == 0


def test_a_run_of_the_whole_page_does_not_wait_in_line(app, one_slot, timer, monkeypatch):
    """Play while another session holds the turn: the page's run ends at once with the charts drawn
    (not left greyed out as stale below a run that waits); the fragment's timer does the waiting."""
    monkeypatch.setattr(turns, "PATIENCE_SECONDS", 60.0)  # a run that waited in line would time out here
    at = _train_page(app)
    other = one_slot.turn()
    other.__enter__()
    try:
        at.button(key="train_play").click().run(timeout=10)
        assert not at.exception, at.exception
        assert _status(at) == "waiting" and [i.value for i in at.info] == [WAITING] and timer()
        assert len(at.get("plotly_chart")) >= 5
        assert at.session_state["train_playground"].step == 0 and one_slot.busy == 1  # its place is kept
        assert "train_waiting_since" in at.session_state
    finally:
        other.__exit__(None, None, None)
    at.run()
    assert at.session_state["train_playground"].step > 0 and _status(at) == "playing"


def test_pause_during_a_wait_leaves_the_line(app, one_slot):
    at = _train_page(app)
    other = one_slot.turn()
    other.__enter__()
    _click(at, "train_play")
    assert _status(at) == "waiting" and [i.value for i in at.info] == [WAITING]
    _click(at, "train_pause")
    assert _status(at) == "paused" and not at.info
    assert "train_waiting_since" not in at.session_state and one_slot.busy == 1
    other.__exit__(None, None, None)
    at.run()
    assert at.session_state["train_playground"].step == 0  # paused: nothing trains


def test_alone_a_chunk_is_the_full_chunk(app, one_slot, timer):
    at = _train_page(app)
    _click(at, "train_step")
    assert at.session_state["train_playground"].step == 15 and _status(at) == "paused" and not timer()
    assert one_slot.busy == 0 and not at.info


def _loss_steps(at) -> float:
    """The last training step on the loss panel that the page sends."""
    spec = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("Training loss"))
    loss = [t for t in spec["data"] if t.get("name") != "baseline"]
    return max(float(np.nanmax(as_array(t["x"]))) for t in loss if len(as_array(t["x"])))



def test_alone_the_page_trains_and_redraws_every_second_on_one_timer(app, monkeypatch, timers):
    """One timer: with a second one for the training tick, the browser kept every chart a redraw replaced
    (hidden) whenever the other timer came due mid-run, hundreds of them after two minutes of Play."""
    monkeypatch.setattr(turns, "TRAINING", Turnstile(2, poll=0.05))
    at = _train_page(app)
    _click(at, "train_play")
    assert timers() == [1.0]
    assert at.session_state["train_playground"].step == 15 and _loss_steps(at) == 15
    assert not any("redrawn every" in c.value for c in at.caption)


def test_the_charts_wait_longer_while_other_sessions_train(app, monkeypatch, timers):
    gate = Turnstile(4, poll=0.05)
    monkeypatch.setattr(turns, "TRAINING", gate)
    at = _train_page(app)
    at.session_state["train_chart_spread"] = 1.0  # this session's factor on the timer (see the test below)
    others = [gate.turn() for _ in range(3)]  # three other sessions' chunks, running beside ours
    others[0].__enter__()
    _click(at, "train_play")
    assert timers() == [3.0]  # 3 s for each other session training here
    assert any("redrawn every 3 s" in c.value for c in at.caption)
    for other in others[1:]:
        other.__enter__()
    at.run()  # a tick after sessions came: the page sets the charts' timer again
    assert not at.exception, at.exception
    assert timers() == [9.0] and any("redrawn every 9 s" in c.value for c in at.caption)
    _click(at, "train_pause")
    assert timers() == [] and _loss_steps(at) == at.session_state["train_playground"].step
    for other in others:
        other.__exit__(None, None, None)


def test_sessions_spread_their_chart_redraws(app, monkeypatch, timers):
    """Sessions that press Play together must not redraw their charts together forever after: each
    draws a factor of 0.8-1.2 for its timer once, and keeps it."""
    gate = Turnstile(4, poll=0.05)
    monkeypatch.setattr(turns, "TRAINING", gate)
    spreads = []
    for _ in range(3):
        at = _train_page(AppTest.from_file(APP, default_timeout=60))
        spreads.append(at.session_state["train_chart_spread"])
        assert 0.8 <= spreads[-1] <= 1.2
    assert len(set(spreads)) == 3
    other = gate.turn()
    other.__enter__()
    try:
        _click(at, "train_play")
        # one other session: 3 s, times this one's factor
        assert timers() == [pytest.approx(3.0 * spreads[-1], abs=1e-3)]
        at.run()
        assert at.session_state["train_chart_spread"] == spreads[-1]
    finally:
        other.__exit__(None, None, None)
