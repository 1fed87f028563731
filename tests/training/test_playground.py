"""The Train live page's logic without streamlit: explorer.training.playground and its figures."""
import copy
import time

import numpy as np
import pytest
import torch

from explorer import zoo
from explorer.figures.train import dashboard, ema, prediction_scatter
from explorer.training import playground as play
from explorer.training import snapshots
from explorer.training.chart_data import RECENT_STEPS, recent_metric
from explorer.training.train import build_model, config_for
from explorer.training.turns import slice_steps

torch.set_num_threads(1)

TINY = dict(task="count", hidden_size=8, batch_size=8, seq_len=None, steps_per_tick=4, snapshot_every=2)


def tiny(**changes) -> play.PlaygroundSettings:
    return play.PlaygroundSettings(**{**TINY, **changes})


def weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_tick_advances_every_model_by_the_chunk():
    pg = play.build(tiny(cells=("rnn", "gru", "lstm")))
    assert [run.step for run in pg.runs] == [0, 0, 0]
    report = play.tick(pg)
    assert report.steps == {"SimpleRNN": 4, "GRU": 4, "LSTM": 4} and not report.diverged
    play.tick(pg, steps=3)
    assert [run.step for run in pg.runs] == [7, 7, 7] and pg.step == 7
    assert all(len(run.state.logs) == 7 for run in pg.runs)
    assert pg.ticks == 2 and pg.elapsed > 0 and pg.steps_per_second > 0
    for run in pg.runs:  # the probe was traced with the new weights
        assert run.probe.hidden.shape == (1, 1, pg.probe.x.shape[1], 8)


def test_a_model_behind_catches_up_one_chunk_per_tick():
    pg = play.build(tiny(cells=("rnn", "lstm")))
    play.tick(pg)
    play.train_steps(pg.runs[0].state, 6)  # as if the LSTM's chunk had been cut short: SimpleRNN 10, LSTM 4
    assert play.tick(pg).steps == {"SimpleRNN": 4, "LSTM": 8}
    assert [run.step for run in pg.runs] == [14, 12]
    assert play.tick(pg).steps == {"SimpleRNN": 4, "LSTM": 6}
    assert [run.step for run in pg.runs] == [18, 18]


def test_progress_callback_counts_every_step():
    pg = play.build(tiny(cells=("rnn", "lstm")))
    seen = []
    play.tick(pg, on_step=lambda done, total: seen.append((done, total)))
    assert seen == [(k, 8) for k in range(1, 9)]


def test_time_spent_in_the_callback_is_not_counted_as_work():
    # The Train page waits in on_step while another user's page runs. Counted as work, those waits made
    # the rate a fraction of the real one, and turns.slice_steps then cut the session to one-step chunks.
    pg = play.build(tiny(cells=("rnn",)))
    play.tick(pg)  # warm: the first step builds what later steps reuse
    play.tick(pg)
    rate, elapsed = pg.steps_per_second, pg.elapsed
    report = play.tick(pg, on_step=lambda done, total: time.sleep(0.1))
    assert report.seconds >= 0.4  # four steps, each waiting 0.1 s: the report's wall time has the waits
    assert pg.steps_per_second > 4 / 0.4 * 3  # the rate has not: many times what four steps in 0.4 s would give
    assert pg.steps_per_second > rate / 5  # and it is of the order of the rate measured without waits
    assert pg.elapsed - elapsed < 0.2  # nor does the training time
    assert slice_steps(500, pg.steps_per_second, contended=True) > 5  # so a turn is not cut to one step


def test_every_model_reads_the_same_data_stream(monkeypatch):
    pg = play.build(tiny(cells=("lstm", "gru")))
    drawn = []
    original = pg.task.batch

    def recording(split, batch_size, seq_len, generator):
        batch = original(split, batch_size, seq_len, generator)
        drawn.append(batch)
        return batch

    monkeypatch.setattr(pg.task, "batch", recording)
    play.tick(pg, steps=5)
    assert len(drawn) == 10
    for first, second in zip(drawn[:5], drawn[5:]):  # run 0's k-th batch is run 1's k-th batch
        assert torch.equal(first.x, second.x) and torch.equal(first.y, second.y)
    assert not torch.equal(drawn[0].x, drawn[1].x)  # and the stream moves on
    states = [run.state.generator.get_state() for run in pg.runs]
    assert torch.equal(states[0], states[1])


def test_same_seed_same_initial_weights_and_losses():
    a, b = play.build(tiny(cells=("lstm",))), play.build(tiny(cells=("lstm",)))
    assert same_weights(weights(a.runs[0].state.model), weights(b.runs[0].state.model))
    play.tick(a)
    play.tick(b)
    assert [r["loss"] for r in a.runs[0].state.logs] == [r["loss"] for r in b.runs[0].state.logs]
    c = play.build(tiny(cells=("lstm",), seed=1))
    assert not same_weights(weights(a.runs[0].state.model), weights(c.runs[0].state.model))


def test_snapshots_are_bounded_and_evenly_thinned(monkeypatch):
    monkeypatch.setattr(snapshots, "MAX_SNAPSHOTS", 6)
    pg = play.build(tiny(cells=("lstm",), snapshot_every=1))
    run = pg.runs[0]
    assert pg.max_snapshots == 6 and [s.step for s in run.snapshots] == [0]
    for _ in range(10):
        play.tick(pg)  # 40 steps, one snapshot per step before thinning
        assert len(run.snapshots) <= 6
    steps = [s.step for s in run.snapshots]
    assert steps[0] == 0 and steps == sorted(steps) and len(set(steps)) == len(steps)
    assert run.snapshot_every > 1  # the interval grew as old snapshots were thinned
    assert steps[-1] >= run.step - run.snapshot_every
    # a snapshot holds that step's weights: the scrubber's trace of the newest one is the live trace
    run.snapshots.append(play.Snapshot(run.step, weights(run.state.model), None))
    replay = play.snapshot_trace(pg, run, len(run.snapshots) - 1)
    np.testing.assert_allclose(replay.hidden, run.probe.hidden, atol=1e-6)
    first = play.snapshot_trace(pg, run, 0)
    assert not np.allclose(first.hidden, run.probe.hidden)


def test_snapshot_memory_bound(monkeypatch):
    monkeypatch.setattr(snapshots, "SNAPSHOT_BYTES", 1)
    pg = play.build(tiny(cells=("lstm",), snapshot_every=1))
    assert pg.max_snapshots == 4  # the floor: the scrubber still shows a beginning, middle and end
    play.tick(pg, steps=20)
    assert len(pg.runs[0].snapshots) <= 4


def test_thin_keeps_first_and_last():
    assert play.thin(list(range(7))) == [0, 2, 4, 6]
    assert play.thin(list(range(6))) == [0, 2, 4, 5]


def test_pretrained_model_is_never_modified():
    task = play.get_task("count")
    original = build_model(config_for(task, cell="lstm", hidden_size=8), task.vocab, seed=3)
    raw, meta = zoo.to_bytes(original, {"name": "count-tiny", "task": "count", "task_config": {}})
    cached = zoo.load_checkpoint(raw, meta)  # as the app's cache holds it: eval mode, no gradients
    before = weights(cached)
    pg = play.build(tiny(), pretrained=cached)
    assert [run.label for run in pg.runs] == ["count-tiny (fine-tuned)"] and pg.pretrained == "count-tiny"
    assert pg.runs[0].state.model is not cached
    for _ in range(3):
        play.tick(pg)
    assert pg.runs[0].step == 12
    assert same_weights(weights(cached), before)  # bit for bit
    assert not same_weights(weights(pg.runs[0].state.model), before)  # while the clone did train
    assert not cached.training and not any(p.requires_grad for p in cached.parameters())


def test_bad_settings_are_refused_with_a_sentence():
    for changes, words in [(dict(hidden_size=0), "hidden_size must be a whole number"),
                           (dict(seq_len=5000), "sequence length for the count task must be from 11 to 64"),
                           (dict(cells=()), "one to 3 cell types"),
                           (dict(cells=("lstm", "lstm")), "each cell type once"),
                           (dict(lr=-1.0), "learning rate must be")]:
        with pytest.raises(ValueError, match=words):
            play.check_settings(tiny(**changes))
        with pytest.raises(ValueError, match=words):
            play.build(tiny(**changes))


def test_live_settings_apply_without_losing_anything():
    pg = play.build(tiny(cells=("rnn", "lstm")))
    play.tick(pg)
    logs = [len(run.state.logs) for run in pg.runs]
    changed = play.apply_settings(pg, tiny(cells=("rnn", "lstm"), lr=1e-3, clip=False, steps_per_tick=2))
    assert changed == ["SimpleRNN", "LSTM"]
    assert all(run.state.settings.lr == 1e-3 and not run.state.settings.clip for run in pg.runs)
    assert [len(run.state.logs) for run in pg.runs] == logs
    play.tick(pg)
    assert [run.step for run in pg.runs] == [6, 6]
    with pytest.raises(ValueError, match="sequence length"):
        play.apply_settings(pg, tiny(cells=("rnn", "lstm"), seq_len=500))
    assert all(run.state.settings.lr == 1e-3 for run in pg.runs)  # nothing changed
    with pytest.raises(ValueError, match="Reset"):
        play.apply_settings(pg, tiny(cells=("rnn", "lstm"), hidden_size=9))


def test_divergence_stops_restores_and_resumes():
    pg = play.build(play.PlaygroundSettings(task="adding", cells=("rnn",), hidden_size=32, batch_size=16, seq_len=50,
                                            optimizer="sgd", lr=100.0, clip=False, steps_per_tick=10, snapshot_every=2))
    report = play.tick(pg)
    run = pg.runs[0]
    assert report.diverged and "diverged" in report.diverged[0] and run.state.diverged
    assert all(torch.isfinite(p).all() for p in run.state.model.parameters())
    assert all(s.step <= run.step for s in run.snapshots)
    stopped_at = run.step
    assert play.tick(pg).steps == {} and run.step == stopped_at  # it waits until told how to go on
    play.apply_settings(pg, dataclasses_replace(pg.settings, lr=1e-3), resume=True)
    assert not run.state.diverged
    play.tick(pg)
    assert run.step == run.state.logs[-1]["step"] and run.step > 0


def dataclasses_replace(settings, **changes):
    import dataclasses
    return dataclasses.replace(settings, **changes)


def test_log_arrays_follow_appends_and_rollbacks():
    pg = play.build(tiny(cells=("lstm",)))
    run = pg.runs[0]
    play.tick(pg)
    first = play.log_arrays(run)
    assert list(first["step"]) == [1, 2, 3, 4]
    play.tick(pg)
    arrays = play.log_arrays(run)
    assert list(arrays["step"]) == list(range(1, 9))
    assert np.array_equal(arrays["loss"], [r["loss"] for r in run.state.logs])
    assert set(arrays) >= {"clipped", "group:input", "group:recurrent", "group:bias", "group:head"}
    del run.state.logs[5:]  # what a restore after divergence does
    assert list(play.log_arrays(run)["step"]) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("task", ["adding", "brackets", "count", "sentiment", "series", "english"])
def test_every_task_builds_ticks_and_samples(task):
    pg = play.build(play.PlaygroundSettings(task=task, cells=("rnn", "lstm"), hidden_size=8, batch_size=4,
                                            seq_len=None, steps_per_tick=2))
    play.tick(pg)
    out = play.sample_output(pg)
    if task == "english":
        assert out["kind"] == "text" and set(out["samples"]) == {"SimpleRNN", "LSTM"}
        assert all(len(text) == play.SAMPLE_LENGTH for text in out["samples"].values())
    else:
        assert out["kind"] == "table" and len(out["rows"]) == 4
        assert {"input", "target", "SimpleRNN", "LSTM"} <= set(out["rows"][0])
        if task in ("adding", "series"):
            prediction_scatter(points=out["scatter"])
    data = play.chart_data(pg)
    figures = dashboard(data, quantity="f")
    assert {"loss", "grad", "groups", "saturation", "probe:SimpleRNN", "probe:LSTM"} <= set(figures)
    # a metric that is the loss (MSE, bits/char) is drawn once, with the baseline, not as a second copy
    assert data.metric_is_loss == (task in ("adding", "series", "english"))
    assert ("metric" in figures) != data.metric_is_loss
    assert "baseline" in [trace.name for trace in figures["loss" if data.metric_is_loss else "metric"].data]
    for name, fig in figures.items():
        assert fig.layout.title.text, name
        assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text, name
        assert all(trace.hovertemplate for trace in fig.data if trace.type in ("scatter", "heatmap")), name
    assert "forget gate" in figures["probe:LSTM"].layout.title.text
    assert "hidden state" in figures["probe:SimpleRNN"].layout.title.text  # no forget gate: its hidden state
    heat = figures["probe:LSTM"].data[0]
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)  # sigmoid gates on the fixed [0, 1] scale


def test_metric_figure_draws_the_baseline_and_clip_marks():
    pg = play.build(tiny(cells=("lstm",), clip_norm=1e-3))  # every step clips
    play.tick(pg)
    figures = dashboard(play.chart_data(pg))
    names = [trace.name for trace in figures["metric"].data]
    assert "baseline" in names
    clipped = [trace for trace in figures["grad"].data if trace.name.endswith("clipped")]
    assert clipped and len(clipped[0].x) == 4
    assert any("threshold" in a.text for a in figures["grad"].layout.annotations)


def test_where_the_metric_is_the_loss_one_figure_draws_it_with_the_baseline():
    pg = play.build(play.PlaygroundSettings(hidden_size=8, batch_size=4, steps_per_tick=3))  # adding: MSE
    play.tick(pg)
    data = play.chart_data(pg)
    figures = dashboard(data, height=300)
    assert "metric" not in figures and figures["loss"].layout.height == 300
    assert figures["loss"].layout.title.text == "Training loss (MSE) vs baseline"
    lines = {trace.name: trace for trace in figures["loss"].data}
    assert list(lines["LSTM"].y) == pytest.approx(list(ema(data.logs["LSTM"]["metric"])))
    assert list(lines["baseline"].y) == pytest.approx([1 / 6, 1 / 6])
    now = recent_metric(data)
    assert now["LSTM"] == pytest.approx(float(np.mean(data.logs["LSTM"]["metric"][-RECENT_STEPS:])))


def test_the_default_lesson_shows_the_lstm_leaving_the_baseline_and_the_simple_rnn_on_it():
    """The page's opening sentence promises this (its seconds: bench/bench_train_page.py --lesson)."""
    settings = play.PlaygroundSettings()
    assert settings.is_lesson() and settings.task == "adding" and settings.cells == ("rnn", "lstm")
    assert play.PlaygroundSettings(input_mode="real", steps_per_tick=40).is_lesson()  # pacing and spelling only
    assert not play.PlaygroundSettings(lr=1e-3).is_lesson() and not play.PlaygroundSettings(task="count").is_lesson()
    pg = play.build(settings)
    baseline = pg.baseline[0]
    while pg.step < 450:
        play.tick(pg)
    now = recent_metric(play.chart_data(pg))
    assert now["LSTM"] < 0.2 * baseline
    assert now["SimpleRNN"] > 0.8 * baseline


def test_a_timed_run_leaves_its_timer_room_to_draw_the_charts():
    from explorer.training.schedule import RUN_SHARE, TRAIN_SHARE, train_seconds

    assert train_seconds(1.0) == pytest.approx(TRAIN_SHARE)  # alone: most of a second trains, the rest draws
    assert train_seconds(9.0) == pytest.approx(9 * TRAIN_SHARE)  # others train too: a longer timer, longer runs
    assert train_seconds(1.0, drawing=0.5) == pytest.approx(RUN_SHARE - 0.5)  # slow drawing: less training
    assert train_seconds(1.0, drawing=2.0) == 0.0  # never negative: the run still trains one chunk


def test_finished_model_round_trips_through_the_zoo_format():
    pg = play.build(tiny(cells=("gru",)))
    play.tick(pg)
    name, model = play.finished_model(pg, pg.runs[0])
    assert name == "GRU · count · step 4" and not model.training
    assert model is not pg.runs[0].state.model
    assert model.meta["task"] == "count" and model.meta["metrics"]["val"]["metric"] == "accuracy"
    raw, meta = zoo.to_bytes(model)
    loaded = zoo.load_checkpoint(raw, meta)
    assert same_weights(weights(loaded), weights(model))
    assert loaded.meta["name"] == name
    play.tick(pg)  # training on does not touch the kept copy
    assert same_weights(weights(loaded), weights(model))


def test_playgrounds_share_no_state():
    a, b = play.build(tiny(cells=("lstm",))), play.build(tiny(cells=("lstm",)))
    play.tick(a)
    assert b.runs[0].step == 0 and a.runs[0].state.model is not b.runs[0].state.model
    assert a.task is b.task  # only the read-only task is shared
    c = copy.deepcopy(a)
    play.tick(c)
    assert a.runs[0].step == 4 and c.runs[0].step == 8
