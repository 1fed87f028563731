"""The memory-length sweep: the shipped artefact loads, is checked, and its stored models score what it says;
a point re-trained with its seed lands in its band; a tiny sweep saves and loads back."""
import copy
import math

import numpy as np
import pytest
import torch

from explorer.training import sweep as memory_sweep
from explorer.training.sweep import (
    CELLS,
    TASKS,
    SweepSpec,
    check_sweep,
    get_task,
    gradient_profile,
    load_sweep,
    matched_hidden,
    parameter_count,
    rescore,
    run_sweep,
    save_sweep,
    standard_error,
    stored_model,
    success,
    train_point,
)

torch.set_num_threads(1)
BUDGET_SECONDS = 45 * 60  # the whole build on one thread, as the brief sets it


@pytest.fixture(scope="module")
def shipped():
    return load_sweep()


def test_the_shipped_sweep_covers_every_task_cell_length_and_seed_within_its_budget(shipped):
    spec = shipped.spec
    assert shipped.tasks == TASKS and spec.lengths == (10, 20, 50, 100, 200) and len(spec.seeds) >= 3
    for task in TASKS:
        assert shipped.cells(task) == CELLS
        for cell in CELLS:
            values = shipped.curve(task, cell)
            assert values.shape == (len(spec.lengths), len(spec.seeds))
            low = -math.inf if task == "adding" else 0.0  # 1 − MSE/baseline has no floor; accuracy has
            assert (values >= low).all() and (values <= 1.0).all()
            info = shipped.info(task, cell)  # about the same number of weights for every cell
            assert abs(info["parameters"] - spec.parameters) <= 0.1 * spec.parameters, (task, cell, info)
        profiles = shipped.gradients(task)
        assert set(profiles) == set(CELLS)
        assert all(len(p) == max(spec.lengths) and min(p) >= 0 and max(p) > 0 for p in profiles.values())
    assert 0 < shipped.data["cpu_seconds"] <= BUDGET_SECONDS and shipped.data["threads"] == 1
    assert shipped.data["build_seconds"] >= shipped.data["cpu_seconds"]  # one thread: the clock runs at least as long
    assert shipped.data["build_command"] == "python -m explorer.zoo sweep"


def test_a_broken_artefact_is_refused_in_one_sentence(shipped):
    data = copy.deepcopy(shipped.data)
    data["tasks"]["adding"]["cells"]["lstm"]["success"][0][0] = float("nan")
    with pytest.raises(ValueError, match="curve for lstm on adding"):
        check_sweep(data)
    data = copy.deepcopy(shipped.data)
    data["tasks"]["recall"]["gradients"]["gru"] = data["tasks"]["recall"]["gradients"]["gru"][:-1]
    with pytest.raises(ValueError, match="gradient profile for gru on recall"):
        check_sweep(data)
    with pytest.raises(ValueError, match="not in format"):
        check_sweep({**shipped.data, "format": 0})


@pytest.mark.parametrize("task", TASKS)
def test_seed_0s_stored_models_score_what_the_artefact_says_and_agree_on_a_fresh_slice(shipped, task):
    """Each curve's shortest point: the stored seed-0 model gives the artefact's own number on the artefact's
    held-out batches, and on a slice it was never scored on lands in the seed band, widened by three standard
    errors of one score (the band of three seeds can be narrower than a fresh slice's sampling error)."""
    length = shipped.spec.lengths[0]
    index = 0
    for cell in CELLS:
        row = shipped.curve(task, cell)[index]
        model = stored_model(shipped, task, cell, length)
        again, _metric = memory_sweep.score(model, get_task(task), length, shipped.spec)
        assert again == pytest.approx(row[0], abs=1e-4), (cell, again, row)
        fresh = rescore(shipped, task, cell, length)
        margin = 3 * standard_error(shipped, task, float(row.mean()))
        assert row.min() - margin <= fresh <= row.max() + margin, (cell, fresh, row, margin)


def test_the_gradient_view_is_bptt_on_the_stored_seed_0_models(shipped):
    longest = max(shipped.spec.lengths)
    for task in TASKS:
        for cell in CELLS:
            profile = gradient_profile(stored_model(shipped, task, cell, longest), get_task(task), longest,
                                       shipped.spec.gradient_sequences)
            # stored to 5 significant digits (up to 5e-5); minGRU and minLSTM now run the doubling scan, not the
            # log-space one the artefact was built with, whose float32 rounding differs by up to 6e-5 over 200 steps
            assert np.allclose(shipped.gradients(task)[cell], profile, rtol=2e-4, atol=0), (task, cell)


def test_a_point_trained_again_with_its_seed_lands_in_its_band(shipped):
    row = shipped.curve("recall", "rnn")[0]
    point = train_point("recall", "rnn", shipped.spec.lengths[0], shipped.spec.seeds[1], shipped.spec)
    margin = 3 * standard_error(shipped, "recall", float(row.mean()))
    assert row.min() - margin <= point.success <= row.max() + margin
    assert point.success == pytest.approx(row[1], abs=0.02)  # same seed, same batches: the same model up to rounding


def test_every_cell_is_matched_to_the_same_number_of_weights():
    for task in TASKS:
        for cell in CELLS:
            hidden = matched_hidden(get_task(task), cell, 2000)
            model = memory_sweep.build_point_model(get_task(task), cell, hidden, 0)
            assert abs(parameter_count(model) - 2000) <= 200, (task, cell, hidden, parameter_count(model))


def test_success_is_the_accuracy_or_the_share_of_the_baselines_error_removed():
    adding, recall = get_task("adding"), get_task("recall")
    assert success(adding, 1 / 6) == pytest.approx(0.0) and success(adding, 0.0) == 1.0
    assert success(adding, 1 / 3) == pytest.approx(-1.0)
    assert success(recall, 0.8) == 0.8
    with pytest.raises(ValueError, match="tasks are adding, recall"):
        get_task("english")


def test_a_tiny_sweep_saves_and_loads_back_and_its_gradients_are_bptts(tmp_path):
    spec = SweepSpec(cells=("rnn", "mingru"), lengths=(6, 9), steps=2, eval_batches=1, eval_batch_size=4,
                     gradient_sequences=2)
    lines = []
    artefact, weights = run_sweep(spec, log=lines.append)
    assert len(lines) == 2 * 2 * 2 * 3  # tasks, cells, lengths, seeds
    save_sweep(artefact, weights, tmp_path / "s.json", tmp_path / "s.safetensors")
    loaded = load_sweep(tmp_path / "s.json")
    assert loaded.spec == spec and loaded.curve("adding", "rnn").shape == (2, 3)
    for task in ("adding", "recall"):
        for cell in ("rnn", "mingru"):
            model = stored_model(loaded, task, cell, 9, tmp_path / "s.safetensors")
            profile = gradient_profile(model, get_task(task), 9, 2)
            assert np.allclose(loaded.gradients(task)[cell], profile, rtol=1e-4, atol=0)  # 5 significant digits
            value, _metric = memory_sweep.score(model, get_task(task), 9, spec)
            assert value == pytest.approx(loaded.curve(task, cell)[1][0], abs=1e-4)
    # adding's loss is at the end only: the last step's own output carries it, so the profile starts there
    assert loaded.gradients("adding")["rnn"][0] > 0
