"""The numbers behind the Gradients and Compare pages' sentences (explorer/analysis/internals.py)."""
import numpy as np
import pytest

from explorer.analysis import internals


def test_most_different_step_is_the_largest_spread():
    losses = {"a": np.array([1.0, 2.0, 0.5, 3.0, np.nan]),
              "b": np.array([1.5, 2.1, 4.0, 3.0, np.nan]),
              "c": np.array([1.0, 0.0, 1.0, 2.9, np.nan])}
    assert internals.most_different_step(losses) == 2  # spread 3.5 beats 2.1 at step 1; NaN steps never win


def test_most_different_step_needs_two_models_and_a_shared_step():
    assert internals.most_different_step({"a": np.array([1.0, 5.0])}) is None
    assert internals.most_different_step({}) is None
    assert internals.most_different_step({"a": np.array([np.nan, 1.0]), "b": np.array([2.0, np.nan])}) is None
    assert internals.most_different_step({"a": np.array([np.nan, 1.0]), "b": np.array([2.0, 4.0])}) == 1


def test_gradient_reach_and_its_sentence():
    rnn = internals.gradient_reach(np.array([7e-12, 1e-6, 1e-2, 2.0, 0.0]))
    assert rnn == {"first": pytest.approx(7e-12), "peak": 2.0, "underflow": 0}
    lstm = internals.gradient_reach(np.array([1.4e-5, 1e-3, 1.9, 0.0]))
    gone = internals.gradient_reach(np.array([0.0, 0.0, 1e-40, 1.0, 0.0]))
    assert gone["underflow"] == 2
    flat = internals.gradient_reach(np.array([3.5, 3.0, 3.6, 0.0]))
    sentence = internals.reach_sentence({"SimpleRNN": rnn, "LSTM": lstm}, start_from="the last prediction")
    assert sentence == "Followed back from the last prediction to step 0, the SimpleRNN's gradient falls to 7e-12 " \
                       "and the LSTM's to 1e-5."
    mixed = internals.reach_sentence({"SimpleRNN": gone, "GRU": flat, "LSTM": lstm}, start_from="the end of the text",
                                     note="why")
    assert mixed == ("Followed back from the end of the text to step 0, the SimpleRNN's gradient underflows to "
                     "exactly 0 before step 2, the GRU's stays at 3.5 and the LSTM's falls to 1e-5: why.")


def test_short_numbers():
    assert [internals.short_number(v) for v in (7.2e-12, 1.49e-5, 0.031, 2.43, 0.0, 31234.0)] == \
        ["7e-12", "1e-5", "0.031", "2.4", "0", "3e4"]


def test_saturated_share_and_its_sentence():
    hidden = np.array([[0.95, -0.99, 0.1, 0.0], [0.5, -0.91, 0.9, 1.0]])
    assert internals.saturated_share(hidden) == pytest.approx(4 / 8)  # |h| > 0.9, strictly
    sentence = internals.saturation_sentence({"SimpleRNN": 0.75, "LSTM": 0.22})
    assert sentence == "Deep red and blue are units pinned near ±1: |h| > 0.9 for 75% of the SimpleRNN's values " \
                       "and 22% of the LSTM's here."


def test_sentence_names_use_the_cell_unless_two_share_it():
    assert internals.sentence_names({"english-rnn": "rnn", "english-gru": "gru", "english-lstm": "lstm"}) == \
        {"english-rnn": "SimpleRNN", "english-gru": "GRU", "english-lstm": "LSTM"}
    assert internals.sentence_names({"english-lstm": "lstm", "yours: mine": "lstm", "english-rnn": "rnn"}) == \
        {"english-lstm": "english-lstm", "yours: mine": "yours: mine", "english-rnn": "SimpleRNN"}


def test_spectrum_notes():
    elman = [{"layer": 0, "direction": 0, "block": "W_hh", "largest": 6.2931, "vanishing_bound": 1.0,
              "must_vanish": False}]
    assert internals.spectrum_notes(elman) == ["Layer 0: σ_max = 6.293 against 1/γ = 1, above it: the bound does "
                                               "not force vanishing (tanh' < 1 on saturated units still shrinks it)."]
    gru = [{"layer": 0, "direction": 0, "block": b, "largest": v} for b, v in (("r", 6.85), ("z", 13.12), ("n", 9.9))]
    assert internals.spectrum_notes(gru) == ["Gated cell: σ_max per gate block (layer 0) r 6.85, z 13.12, n 9.90."]
