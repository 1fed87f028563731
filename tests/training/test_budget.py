"""Train live's budgets (explorer.training.budget): the estimates against real models, the session's refusals with
the nearest setting that fits, and the server's cap over two sessions."""
import gc
import re
import time

import pytest
import torch

from explorer.training import budget
from explorer.training import playground as play
from explorer.training.build import build_model, config_for
from explorer.training.settings import LESSON, get_task

torch.set_num_threads(1)

BIG = play.PlaygroundSettings(cells=("lstm",), hidden_size=2048, num_layers=8)


@pytest.fixture
def server(monkeypatch):
    ledger = budget.Ledger()
    monkeypatch.setattr(budget, "SERVER", ledger)
    return ledger


@pytest.mark.parametrize("cells,layers", [(("rnn", "lstm"), 2), (("gru", "mingru", "minlstm"), 1), (("jordan",), 1)])
def test_the_parameter_count_is_exact(cells, layers):
    settings = play.PlaygroundSettings(task="count", cells=cells, hidden_size=24, num_layers=layers)
    pg = play.build(settings)
    assert budget.estimate(settings, pg.task).parameters == sum(run.state.model.num_parameters() for run in pg.runs)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm", "jordan", "mingru", "minlstm"])
def test_the_activation_estimate_is_within_a_factor_of_what_autograd_keeps(cell):
    task = get_task("adding")
    config = config_for(task, cell=cell, hidden_size=64, num_layers=1 if cell == "jordan" else 2)
    model = build_model(config, task.vocab)
    batch, length = 32, 40
    saved = {}

    def pack(tensor):
        saved[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        out, _ = model(torch.randn(batch, length, config.input_size))
        out.square().mean()
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    measured = sum(nbytes for pointer, nbytes in saved.items() if pointer not in weights)
    estimated = budget.model_estimate(config, model.num_parameters(), batch, length).bytes \
        - model.num_parameters() * 4 * (1 + budget.ADAM_STATE)
    assert measured / 2.5 < estimated < measured * 2.5


def test_the_lesson_is_far_inside_the_budgets():
    need = budget.estimate(LESSON, get_task(LESSON.task))
    assert need.bytes < budget.session_budget_bytes() / 100
    assert need.seconds_per_step < budget.MAX_SECONDS_PER_STEP / 100


def test_the_step_time_estimate_does_not_undercount_a_real_step():
    settings = play.PlaygroundSettings(hidden_size=256, steps_per_tick=2)
    pg = play.build(settings)
    began = time.perf_counter()
    play.tick(pg)
    measured = (time.perf_counter() - began) / 2
    # conservative: a step the estimate allows never takes much longer than it says
    assert budget.estimate(settings, pg.task).seconds_per_step > measured / 3


def test_too_much_memory_is_refused_before_anything_is_built_with_the_nearest_setting(monkeypatch):
    monkeypatch.delenv("RNN_EXPLORER_SESSION_BUDGET_GB", raising=False)
    began = time.perf_counter()
    with pytest.raises(ValueError) as err:
        play.build(BIG)
    assert time.perf_counter() - began < 1
    sentence = str(err.value)
    assert re.fullmatch(r"hidden 2048 × 8 layers, batch 64 × length 50 needs about [\d.]+ GB; this server allows "
                        r"1\.0 GB per session: hidden \d+ fits\.", sentence), sentence
    hidden = int(re.search(r"hidden (\d+) fits", sentence).group(1))
    assert 8 <= hidden < 2048 and hidden % 8 == 0
    task = get_task(BIG.task)
    budget.check_session(BIG.__class__(**{**BIG.__dict__, "hidden_size": hidden}), task)  # it does fit
    with pytest.raises(ValueError):
        budget.check_session(BIG.__class__(**{**BIG.__dict__, "hidden_size": hidden + 8}), task)
    with pytest.raises(ValueError, match="needs about"):
        play.check_settings(BIG)  # the page's check without building says the same


def test_the_session_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RNN_EXPLORER_SESSION_BUDGET_GB", "0.001")
    with pytest.raises(ValueError, match=r"allows 0\.00 GB per session: (hidden|batch) \d+ fits"):
        play.check_settings(play.PlaygroundSettings(hidden_size=256))


def test_a_long_step_is_refused_with_the_nearest_setting(monkeypatch):
    monkeypatch.setenv("RNN_EXPLORER_SESSION_BUDGET_GB", "100")
    settings = play.PlaygroundSettings(hidden_size=1024, batch_size=512)
    with pytest.raises(ValueError, match=r"needs about \d+ s per step; this server allows 5 s per step: "
                                         r"(hidden|batch) \d+ fits\."):
        play.check_settings(settings)


def test_a_live_change_over_the_budget_is_refused_and_changes_nothing():
    pg = play.build(play.PlaygroundSettings(hidden_size=512))
    with pytest.raises(ValueError, match="per session"):
        play.apply_settings(pg, play.PlaygroundSettings(hidden_size=512, batch_size=1024, seq_len=1000))
    assert pg.runs[0].state.settings.batch_size == 64


def test_the_server_caps_two_sessions_together_and_forgets_a_closed_one(server, monkeypatch):
    settings = play.PlaygroundSettings(task="count", hidden_size=256, batch_size=8)
    need = budget.estimate(settings, get_task("count")).bytes
    monkeypatch.setenv("RNN_EXPLORER_SERVER_BUDGET_GB", str(1.5 * need / budget.GB))
    first = play.build(settings, owner="session A")
    assert server.held_bytes() == need
    with pytest.raises(ValueError) as err:
        play.build(settings, owner="session B")
    assert re.fullmatch(r"the sessions on this server hold about [\d.]+ GB of the [\d.]+ GB it allows for "
                        r"training, and hidden 256 × 1 layer, batch 8 × length \d+ needs about [\d.]+ GB: "
                        r"(hidden|batch) \d+ fits\.", str(err.value)), str(err.value)
    again = play.build(settings, owner="session A")  # a Reset replaces what the session held
    assert server.held_bytes() == need
    del first
    gc.collect()
    assert server.held_bytes() == need  # the old playground's finalizer leaves the new one's hold alone
    del again  # the tab is closed: its session state, and with it the playground, goes
    gc.collect()
    assert server.held_bytes() == 0
    second = play.build(settings, owner="session B")
    assert server.held_bytes() == need and server.owner_of(second) == "session B"
