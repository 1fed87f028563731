"""The features a task model's units are ranked by (explorer/analysis/task_features.py): each one on a tiny
sequence written by hand, and the held-out draw they are computed over."""
import numpy as np
import pytest
import torch

from explorer import tasks
from explorer.analysis import task_features as tf

NAN = np.nan


def same(got, want):
    np.testing.assert_array_equal(got, np.asarray(want, dtype=np.float64))


def test_nesting_depth_is_the_bracket_tasks_target():
    same(tf.nesting_depth("(()a)("), [1, 2, 1, 1, 0, 1])


def test_steps_to_end_counts_down_to_the_end_step_then_is_undefined():
    same(tf.steps_to_end("2_____"), [3, 2, 1, 0, NAN, NAN])
    same(tf.steps_to_end("1__"), [2, 1, 0])
    with pytest.raises(ValueError, match="starts with its digit"):
        tf.steps_to_end("__")


def test_adding_features():
    values = np.array([[0.5, 0], [0.25, 1], [0.75, 0], [0.125, 1], [0.9, 0]], dtype=np.float32)  # (T, 2)
    same(tf.first_marked_held(values), [NAN, 0.25, 0.25, NAN, NAN])
    same(tf.marked_sum(values), [0, 0.25, 0.25, 0.375, 0.375])
    same(tf.marker_seen(values), [0, 1, 1, 1, 1])


def test_review_label_is_the_grammars_at_the_last_character_only():
    same(tf.review_label("__the plot was not good"), [NAN] * 22 + [0])
    same(tf.review_label("the plot was bad, but the cast was great"), [NAN] * 39 + [1])


def test_negated_clause_runs_from_the_negation_to_the_comma():
    same(tf.negated_clause("_not x, y"), [NAN, 0, 0, 1, 1, 1, 0, 0, 0])
    text = "a never b, c not d"
    want = np.zeros(len(text))
    want[text.index("never") + 4:text.index(",")] = 1
    want[text.index("not") + 2:] = 1
    same(tf.negated_clause(text), want)
    same(tf.negated_clause("nothing, nevermore"), np.zeros(18))  # whole words only


def test_series_features():
    window = np.array([[1.0], [3.0], [-1.0], [1.0]], dtype=np.float32)  # (T, 1)
    same(tf.value_read(window), [1, 3, -1, 1])
    same(tf.window_mean(window), [1, 2, 1, 1])


def test_every_feature_has_a_name_and_the_keys_are_unique():
    keys = [key for features in tf.FEATURES.values() for key in features]
    assert len(keys) == len(set(keys))
    assert all(isinstance(name, str) and name for features in tf.FEATURES.values() for name, _f in features.values())


def test_held_out_draws_the_test_split_with_its_seed():
    task = tasks.get("brackets")
    data = tf.held_out(task, seq_len=16, seed=3, steps=200)
    assert len(data.inputs) == tf.MIN_SEQUENCES  # 200 steps would be 13 sequences: a hundred at least
    batch = task.batch("test", tf.MIN_SEQUENCES, 16, torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(data.inputs, batch.x))
    same(data.features["depth"], batch.y.reshape(-1).numpy())  # the feature is the task's own target
    other = tf.held_out(task, seq_len=16, seed=4, steps=200)
    assert not all(torch.equal(a, b) for a, b in zip(data.inputs, other.inputs))


def test_held_out_of_real_valued_and_padded_tasks():
    adding = tf.held_out(tasks.get("adding"), seq_len=50, seed=0, steps=6000)
    assert len(adding.inputs) == 120 and adding.inputs[0].shape == (50, 2)
    assert set(adding.features) == {"held", "marked_sum", "marker"}
    assert all(values.shape == (6000,) for values in adding.features.values())
    series = tasks.get("series", window=24, horizon=6)
    windows = tf.held_out(series, seq_len=24, seed=0)
    assert len(windows.inputs) == len(series.all_windows("test", 24).x)  # every test window, no draw
    reviews = tf.held_out(tasks.get("sentiment"), seq_len=89, seed=0, steps=10)
    labels = reviews.features["label"]
    assert np.count_nonzero(~np.isnan(labels)) == tf.MIN_SEQUENCES and set(labels[~np.isnan(labels)]) == {0, 1}
    with pytest.raises(ValueError, match="no unit features"):
        tf.held_out(tasks.get("english"), seq_len=16, seed=0)
