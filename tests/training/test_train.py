"""Tests for explorer/training/train.py: it learns, it is exact (seeds, chunks, copies), it clips, it survives
divergence, and it refuses bad settings with a sentence. Tiny models: the whole file runs in seconds."""
from __future__ import annotations

import copy
import math

import pytest
import torch

from explorer import i18n, tasks
from explorer.engine.models import RNNModel
from explorer.training.settings import MAX_LR, MIN_LR
from explorer.training.train import (
    GROUPS,
    MAX_WEIGHT,
    TrainingDiverged,
    TrainSettings,
    build_model,
    clone_for_training,
    config_for,
    evaluate,
    evaluate_in_order,
    parameter_group,
    start,
    train_steps,
    update_settings,
)

TIMING_KEYS = ("seconds", "wall_time")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread, as the app runs: two threads fighting another process for 2 cores stall badly."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def count_run(seed=0, hidden_size=16, **settings):
    """A small LSTM on the count task: about 2 ms a step."""
    task = tasks.get("count")
    model = build_model(config_for(task, hidden_size=hidden_size), task.vocab, seed=seed)
    base = dict(lr=1e-2, batch_size=16, seq_len=11, seed=seed)
    return start(task, model, TrainSettings(**{**base, **settings}))


def adding_run(**settings):
    task = tasks.get("adding")
    model = build_model(config_for(task, hidden_size=16), seed=0)
    base = dict(batch_size=8, seq_len=10, seed=0)
    return start(task, model, TrainSettings(**{**base, **settings}))


def without_timing(rows):
    return [{k: v for k, v in row.items() if k not in TIMING_KEYS} for row in rows]


def weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------------------------- it learns


def test_trainer_learns_to_count_down():
    state = count_run(hidden_size=32)
    baseline, _ = state.task.baseline()  # 1/7: always guessing 0
    before = evaluate(state)
    rows = train_steps(state, 150)
    after = evaluate(state)
    assert before["metric"] < 0.4
    assert after["metric"] > 0.95 > baseline  # counting down from an unseen digit is not luck
    assert rows[-1]["loss"] < rows[0]["loss"] / 10
    assert after["loss"] < before["loss"] / 10


# ---------------------------------------------------------------------------------------------- exactness


def test_same_seed_same_losses_bit_for_bit_and_another_seed_differs():
    a, b, c = count_run(seed=0), count_run(seed=0), count_run(seed=1)
    losses = [[row["loss"] for row in train_steps(run, 15)] for run in (a, b, c)]
    assert losses[0] == losses[1]
    assert without_timing(a.logs) == without_timing(b.logs)
    assert losses[0] != losses[2]


def test_n_steps_advance_exactly_n_and_chunks_resume_exactly():
    one, two = count_run(), count_run()
    rows = train_steps(one, 20)
    assert len(rows) == 20 and one.step == 20 and [r["step"] for r in rows] == list(range(1, 21))
    assert train_steps(one, 0) == [] and one.step == 20
    first, second = train_steps(two, 10), train_steps(two, 10)
    assert [r["step"] for r in first + second] == list(range(1, 21))
    assert without_timing(first + second) == without_timing(rows)
    assert same_weights(weights(one.model), weights(two.model))
    wall = [r["wall_time"] for r in two.logs]
    assert wall == sorted(wall) and wall[-1] == pytest.approx(sum(r["seconds"] for r in two.logs))


def test_a_deep_copy_is_an_independent_run_that_continues_identically():
    state = count_run()
    train_steps(state, 5)
    twin = copy.deepcopy(state)
    assert twin.task is state.task  # read-only, shared
    assert twin.model is not state.model
    assert {id(p) for g in twin.optimizer.param_groups for p in g["params"]} == {id(p) for p in twin.model.parameters()}
    assert without_timing(train_steps(twin, 5)) == without_timing(train_steps(state, 5))
    assert same_weights(weights(twin.model), weights(state.model))


def test_callback_sees_every_row_and_can_stop():
    state = count_run()
    seen = []
    rows = train_steps(state, 10, callback=lambda row: seen.append(row["step"]) or row["step"] == 3)
    assert seen == [1, 2, 3] and len(rows) == 3 and state.step == 3 and not state.diverged


def test_build_model_is_seeded_and_leaves_the_global_rng_alone():
    task = tasks.get("count")
    config = config_for(task, hidden_size=8)
    rng = torch.get_rng_state()
    a, b = build_model(config, task.vocab, seed=3), build_model(config, task.vocab, seed=3)
    assert torch.equal(torch.get_rng_state(), rng)
    assert same_weights(a.state_dict(), b.state_dict())
    assert not same_weights(a.state_dict(), build_model(config, task.vocab, seed=4).state_dict())


@pytest.mark.parametrize("task_name, cell, options", [
    ("count", "rnn", dict(input_mode="onehot")),
    ("count", "jordan", dict(jordan_feedback="softmax")),
    ("sentiment", "gru", dict(bidirectional=True, num_layers=2)),
    ("adding", "jordan", {}),
    ("series", "lstm", {}),
])
def test_every_cell_input_and_head_trains(task_name, cell, options):
    task = tasks.get(task_name)
    model = build_model(config_for(task, cell=cell, hidden_size=8, **options), task.vocab, seed=0)
    state = start(task, model, TrainSettings(batch_size=4))
    rows = train_steps(state, 3)
    assert len(rows) == 3 and all(math.isfinite(r["loss"]) and r["group_norms"]["recurrent"] > 0 for r in rows)
    assert math.isfinite(evaluate(state, batches=1)["metric"])


# ---------------------------------------------------------------------------------------------- what it logs


def test_clipping_caps_the_norm_and_off_leaves_it():
    clipped = train_steps(count_run(clip=True, clip_norm=1e-3), 5)
    assert all(r["clipped"] and r["grad_norm_after"] <= 1e-3 + 1e-6 < r["grad_norm_before"] for r in clipped)
    free = train_steps(count_run(clip=False), 5)
    assert all(not r["clipped"] and r["grad_norm_after"] == r["grad_norm_before"] for r in free)


def test_group_norms_add_up_to_the_total():
    for row in train_steps(count_run(clip=False), 3):
        assert set(row["group_norms"]) == set(GROUPS)
        assert all(value > 0 for value in row["group_norms"].values())
        total = math.sqrt(sum(v * v for v in row["group_norms"].values()))
        assert total == pytest.approx(row["grad_norm_before"], rel=1e-5)
        assert row["lr"] == 1e-2 and math.isfinite(row["metric"])


def test_parameter_groups_follow_torch_names():
    lstm = RNNModel(config_for(tasks.get("count"), hidden_size=4, num_layers=2, bidirectional=True))
    jordan = RNNModel(config_for(tasks.get("adding"), cell="jordan", hidden_size=4))
    groups = {name: parameter_group(name) for model in (lstm, jordan) for name, _ in model.named_parameters()}
    assert groups["rnn.weight_ih_l1_reverse"] == "input"
    assert groups["rnn.weight_hh_l0"] == "recurrent" and groups["rnn.weight_ho_l0"] == "recurrent"
    assert groups["rnn.bias_hh_l1"] == "bias" and groups["head.bias"] == "bias" and groups["rnn.bias_ho_l0"] == "bias"
    assert groups["head.weight"] == "head" and groups["embedding.weight"] == "head"


# ---------------------------------------------------------------------------------------------- divergence


def assert_restored_and_clean(state, step):
    assert state.step == state.snapshot.step == len(state.logs) == step
    assert same_weights(weights(state.model), state.snapshot.model)
    assert all(torch.isfinite(p).all() for p in state.model.parameters())


def with_nan_input(state, at_call):
    """Make the run's `at_call`-th next batch (1 = the next) carry a NaN in its input."""
    real_batch, calls = state.task.batch, []

    def batch(*args, **kwargs):
        out = real_batch(*args, **kwargs)
        calls.append(1)
        if len(calls) == at_call:
            out.x[0, 0, 0] = math.nan
        return out

    state.task = copy.copy(state.task)  # the run's own task object; the registry's stays clean
    state.task.batch = batch


def test_huge_learning_rate_diverges_and_goes_back_to_the_chunk_start():
    state = adding_run(optimizer="sgd", lr=1e-2, clip=False)
    train_steps(state, 5)
    at_step_5 = weights(state.model)
    update_settings(state, lr=MAX_LR)
    seen = []
    rows = train_steps(state, 20, callback=lambda row: seen.append(row["step"]))
    failed = seen[-1] + 1
    assert 6 < failed < 25 and state.diverged
    assert rows == []  # the steps after the snapshot were taken back from state.logs too
    # the weights run away before the loss overflows: the weight guard stops the run first
    assert state.stopped_reason.startswith(f"Training diverged at step {failed}: a weight reached")
    assert "The weights of step 5, the last safe snapshot, were restored" in state.stopped_reason
    assert state.stopped_reason.endswith("lower the learning rate.")
    assert_restored_and_clean(state, 5)
    assert same_weights(weights(state.model), at_step_5)
    with pytest.raises(TrainingDiverged, match=f"step {failed}"):
        train_steps(state, 1)


def test_weights_that_run_away_with_a_finite_loss_end_in_the_same_diverged_sentence():
    # Adam moves every weight by about the rate each step whatever the gradient: the loss stays finite
    # (saturated tanh units) while the weights leave any useful range
    state = adding_run(optimizer="adam", lr=1e-2, clip=True)
    train_steps(state, 5)
    update_settings(state, lr=MAX_LR)
    with torch.no_grad():  # as if a few hundred such steps had passed
        next(state.model.parameters()).mul_(0).add_(MAX_WEIGHT * 0.999)
    at_step_5 = weights(state.model)
    train_steps(state, 20)
    assert state.diverged and state.divergence.what == "weights"
    reason = state.stopped_reason
    assert reason.startswith("Training diverged at step ") and ": a weight reached " in reason
    assert f"past the limit of {MAX_WEIGHT:g}" in reason
    assert "The weights of step 5, the last safe snapshot, were restored" in reason
    assert same_weights(weights(state.model), at_step_5)
    update_settings(state, lr=1e-2)  # and it goes on from there
    assert len(train_steps(state, 3)) == 3


def test_the_weight_limit_leaves_room_for_a_model_that_starts_large():
    task = tasks.get("adding")
    model = build_model(config_for(task, hidden_size=16), seed=0)
    with torch.no_grad():
        next(model.parameters()).mul_(0).add_(50.0)
    state = start(task, model, TrainSettings(batch_size=8, seq_len=10, lr=1e-3))
    assert state.weight_limit >= 100 * 50.0
    assert len(train_steps(state, 3)) == 3 and not state.diverged


@pytest.mark.parametrize("lr", [1e300, 1e39, math.inf, -math.inf, math.nan, 0.0, 1e-9, MAX_LR * 1.01, -3e-3])
def test_a_learning_rate_outside_the_range_is_refused_with_the_range(lr):
    with pytest.raises(ValueError, match=f"learning rate must be a number from {MIN_LR:g} to {MAX_LR:g}"):
        TrainSettings(lr=lr)


@pytest.mark.parametrize("lr", [MIN_LR, 3e-3, MAX_LR])
def test_the_range_includes_its_ends(lr):
    assert TrainSettings(lr=lr).lr == lr


def test_a_diverged_run_goes_on_as_if_it_had_switched_settings_at_the_snapshot():
    diverged = adding_run(optimizer="sgd", lr=1e-2, clip=False)
    train_steps(diverged, 5)
    update_settings(diverged, lr=MAX_LR)
    train_steps(diverged, 20)
    assert diverged.diverged
    update_settings(diverged, lr=1e-2, clip=True)
    assert not diverged.diverged
    switched = adding_run(optimizer="sgd", lr=1e-2, clip=False)
    train_steps(switched, 5)
    update_settings(switched, lr=1e-2, clip=True)
    rows = train_steps(diverged, 5)
    assert [r["step"] for r in rows] == [6, 7, 8, 9, 10] and all(math.isfinite(r["loss"]) for r in rows)
    assert without_timing(rows) == without_timing(train_steps(switched, 5))


def test_nan_in_an_input_goes_back_to_the_chunk_start():
    state = adding_run(lr=1e-2)
    train_steps(state, 3)
    at_step_3 = weights(state.model)
    with_nan_input(state, at_call=3)  # step 6
    seen = []
    train_steps(state, 5, callback=lambda row: seen.append(row["step"]))
    assert seen == [4, 5]
    assert state.stopped_reason.startswith("Training diverged at step 6: the loss became NaN.")
    assert "weights of step 3" in state.stopped_reason
    assert same_weights(weights(state.model), at_step_3)
    assert_restored_and_clean(state, 3)


def test_the_divergence_sentence_is_worded_when_read_in_the_language_of_then():
    state = adding_run(lr=1e-2)
    train_steps(state, 3)
    with_nan_input(state, at_call=3)  # step 6
    with i18n.use("zh"):
        train_steps(state, 5)
    assert state.stopped_reason.startswith("Training diverged at step 6: the loss became NaN.")  # read in English
    with i18n.use("zh"):
        assert state.stopped_reason.startswith("训练在第 6 步发散") and "第 3 步" in state.stopped_reason


def test_a_bad_first_step_of_a_chunk_goes_back_to_the_snapshot_before():
    state = adding_run(lr=1e-2)
    train_steps(state, 3)
    at_step_3 = weights(state.model)
    train_steps(state, 2)
    with_nan_input(state, at_call=1)  # step 6: step 5's snapshot never trained, so it is not safe
    assert train_steps(state, 5) == []
    assert state.stopped_reason.startswith("Training diverged at step 6: the loss became NaN.")
    assert "weights of step 3" in state.stopped_reason
    assert same_weights(weights(state.model), at_step_3)
    assert_restored_and_clean(state, 3)


def test_an_update_that_overflowed_is_undone_and_the_run_repeats_exactly():
    state = count_run()
    train_steps(state, 3)
    at_step_3 = weights(state.model)

    def poison(row):  # as if step 5's update overflowed: its loss was finite, the weights are not
        if row["step"] == 5:
            with torch.no_grad():
                state.model.rnn.weight_hh_l0[0, 0] = math.inf

    assert train_steps(state, 5, callback=poison) == []
    assert state.stopped_reason.startswith("Training diverged at step 6:")
    assert "weights of step 3" in state.stopped_reason
    assert same_weights(weights(state.model), at_step_3)
    assert_restored_and_clean(state, 3)
    update_settings(state)  # same settings: it goes on from step 3 and repeats steps 4 and 5 exactly
    fresh = count_run()
    train_steps(fresh, 5)
    assert without_timing(train_steps(state, 2)) == without_timing(fresh.logs[3:])


# ---------------------------------------------------------------------------------------------- refusals


def one_sentence(message: str) -> bool:
    return message[0].isupper() and message.endswith(".") and message.count(". ") == 0


@pytest.mark.parametrize("changes, words", [
    (dict(lr=0), "learning rate"),
    (dict(lr=math.nan), "learning rate"),
    (dict(lr=math.inf), "learning rate"),
    (dict(lr=-1e-3), "learning rate"),
    (dict(batch_size=0), "batch size"),
    (dict(batch_size=1025), "batch size"),
    (dict(batch_size=2.5), "batch size"),
    (dict(clip_norm=0.0), "clipping norm"),
    (dict(optimizer="rmsprop"), "optimizer"),
    (dict(seed=-1), "seed"),
    (dict(clip="yes"), "clip"),
    (dict(carry_state=1), "carry_state"),
])
def test_bad_settings_raise_one_sentence(changes, words):
    with pytest.raises(ValueError, match=words) as error:
        TrainSettings(**changes)
    assert "got" in str(error.value)


def test_settings_outside_the_task_or_model_are_refused_with_a_sentence():
    task = tasks.get("count")
    model = build_model(config_for(task, hidden_size=8), task.vocab)
    with pytest.raises(ValueError, match="sequence length for the count task must be from 11 to 64") as error:
        start(task, model, TrainSettings(seq_len=65))
    assert one_sentence(str(error.value))
    with pytest.raises(ValueError, match="from 11 to 64"):
        start(task, model, TrainSettings(seq_len=10))
    with pytest.raises(ValueError, match="hidden_size must be a whole number from 1"):
        config_for(task, hidden_size=0)
    with pytest.raises(ValueError, match="input mode must be real"):
        config_for(tasks.get("adding"), input_mode="onehot")
    english = tasks.get("english")
    with pytest.raises(ValueError, match="input_size") as error:
        start(english, model, TrainSettings())
    assert one_sentence(str(error.value))
    state = start(task, model, TrainSettings(seq_len=11))
    with pytest.raises(ValueError, match="learning rate"):
        update_settings(state, lr=0)
    with pytest.raises(ValueError, match="seed"):
        update_settings(state, seed=5)
    with pytest.raises(ValueError, match="number of steps"):
        train_steps(state, -1)
    assert state.settings.lr == 3e-3 and state.step == 0


def test_config_for_fills_sizes_from_the_task():
    onehot = config_for(tasks.get("count"), input_mode="onehot", hidden_size=8)
    assert (onehot.input_size, onehot.output_size, onehot.head, onehot.output_kind) == (11, 11, "per_step", "classes")
    real = config_for(tasks.get("adding"), cell="gru")
    assert ((real.input_mode, real.input_size, real.output_size, real.head, real.output_kind)
            == ("real", 2, 1, "last_step", "real"))
    assert config_for(tasks.get("sentiment")).input_mode == "embedding"


def test_switching_the_optimizer_keeps_training():
    state = count_run()
    train_steps(state, 3)
    update_settings(state, optimizer="sgd", lr=0.5)
    assert isinstance(state.optimizer, torch.optim.SGD)
    rows = train_steps(state, 3)
    assert [r["lr"] for r in rows] == [0.5] * 3 and all(math.isfinite(r["loss"]) for r in rows)


# ---------------------------------------------------------------------------------------------- copies and evaluation


def test_clone_for_training_leaves_the_original_untouched():
    task = tasks.get("count")
    original = build_model(config_for(task, hidden_size=8), task.vocab, seed=0)
    original.meta = {"task": "count", "metrics": {"accuracy": 0.5}}
    original.eval().requires_grad_(False)  # as a cached pretrained model is
    kept = weights(original)
    clone = clone_for_training(original)
    assert clone.training and all(p.requires_grad for p in clone.parameters())
    assert clone.config == original.config and clone.vocab == original.vocab and clone.meta == original.meta
    assert clone.meta is not original.meta
    train_steps(start(task, clone, TrainSettings(seq_len=11)), 5)
    assert same_weights(weights(original), kept)
    assert not same_weights(weights(clone), kept)
    assert not original.training and not any(p.requires_grad for p in original.parameters())


def test_evaluate_is_fixed_and_does_not_disturb_training():
    a, b = count_run(), count_run()
    train_steps(a, 3), train_steps(b, 3)
    first = evaluate(a)
    assert evaluate(a) == first and evaluate(a.model, a.task, batch_size=16, seq_len=11) == first
    assert evaluate(a, seed=1) != first
    assert a.model.training
    assert without_timing(train_steps(a, 3)) == without_timing(train_steps(b, 3))
    with pytest.raises(ValueError, match="needs the task"):
        evaluate(a.model)


def test_reading_in_order_equals_each_stream_read_whole_by_a_plain_loop():
    """evaluate_in_order cuts the split into streams and chunks; the figure must be what reading each stream
    in one piece gives, the state carried over every chunk boundary."""
    english = tasks.get("english")
    model = build_model(config_for(english, cell="lstm", hidden_size=16), english.vocab, seed=3)
    ids = english.split_ids("val")[:4001]  # 4 streams of 1000
    with torch.no_grad():
        nats = sum(float(torch.nn.functional.cross_entropy(model(ids[i * 1000:(i + 1) * 1000][None])[0][0],
                                                           ids[i * 1000 + 1:(i + 1) * 1000 + 1], reduction="sum"))
                   for i in range(4))
    bits = evaluate_in_order(model, ids, streams=4, chunk=64)
    assert bits == pytest.approx(nats / 4000 / math.log(2), rel=1e-5)
    assert evaluate_in_order(model, ids, streams=4, chunk=64) != evaluate_in_order(model, ids, streams=40, chunk=64)


def test_reading_in_order_refuses_a_split_too_short_for_its_streams():
    english = tasks.get("english")
    model = build_model(config_for(english, cell="lstm", hidden_size=8), english.vocab, seed=0)
    with pytest.raises(ValueError, match="at least 65"):
        evaluate_in_order(model, english.split_ids("val")[:10])


# ---------------------------------------------------------------------------------------------- carrying the state


def english_carrying_run(seed=0, **settings):
    """A tiny LSTM reading English in 4 streams of 16 characters, the state carried from step to step."""
    english = tasks.get("english")
    model = build_model(config_for(english, cell="lstm", hidden_size=8), english.vocab, seed=seed)
    base = dict(lr=1e-2, batch_size=4, seq_len=16, seed=seed, carry_state=True)
    return start(english, model, TrainSettings(**{**base, **settings}))


def test_a_carrying_run_equals_a_plain_loop_that_carries_the_state():
    """carry_state is truncated BPTT as char-rnn does it: each step reads the next characters of the same
    streams and starts from the state the last step ended in, detached. A loop written out with torch's own
    Adam and clip_grad_norm_ must give the same losses; the same loop from a zero state every step must not."""
    run = english_carrying_run()
    rows = train_steps(run, 4)

    def plain(carry: bool) -> list[float]:
        english = run.task
        model = build_model(config_for(english, cell="lstm", hidden_size=8), english.vocab, seed=0)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        streams = english.streams("train", 4, 16, torch.Generator().manual_seed(0))
        state, losses = None, []
        for _ in range(4):
            batch, fresh = streams.next()
            logits, after = model(batch.x, state if carry and not fresh else None)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch.y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            state = tuple(part.detach() for part in after)
            losses.append(float(loss.detach()))
        return losses

    assert [row["loss"] for row in rows] == pytest.approx(plain(carry=True), rel=1e-5)
    cold = plain(carry=False)
    assert rows[0]["loss"] == pytest.approx(cold[0], rel=1e-6) and rows[1]["loss"] != pytest.approx(cold[1], rel=1e-4)


def test_a_carrying_run_resumes_exactly_in_chunks_and_copies():
    one, two = english_carrying_run(), english_carrying_run()
    rows = train_steps(one, 6)
    assert without_timing(train_steps(two, 3) + train_steps(two, 3)) == without_timing(rows)
    twin = copy.deepcopy(one)
    assert twin.streams.ids is one.streams.ids  # the text is shared, not copied
    assert twin.streams.generator is twin.generator is not one.generator
    assert without_timing(train_steps(twin, 3)) == without_timing(train_steps(one, 3))
    update_settings(one, seq_len=32)  # streams of another shape: new ones, from a zero state
    assert one.streams is None and one.carried is None
    train_steps(one, 1)
    assert one.streams.seq_len == 32 and one.streams.position == 1


def test_carrying_the_state_is_refused_where_sequences_are_drawn_one_by_one():
    task = tasks.get("count")
    model = build_model(config_for(task, hidden_size=8), task.vocab)
    with pytest.raises(ValueError, match="Only a text can be read with the state carried") as error:
        start(task, model, TrainSettings(seq_len=11, carry_state=True))
    assert one_sentence(str(error.value).split("; ")[0] + ".")

