"""The units a model is known for (explorer/analysis/known_units.py) and the sentences that point at a
step (explorer/analysis/highlights.py): the command writes only the sidecar's "units", with the r the
probes compute; each sentence names the step and the value its numbers give."""
import json

import numpy as np
import pytest
import torch

import explorer
from explorer import ModelConfig, RNNModel, Vocab, zoo
from explorer.analysis import highlights, known_units, probes

TEXT = "def f(x, y=(1, 2)):\n    return [x + 'a' for a in y]\n" * 4


def tiny_model(folder, name="tiny-python", cell="lstm", task="python"):
    torch.manual_seed(0)
    vocab = Vocab.from_text(TEXT + "abcdefghijklmnopqrstuvwxyz")
    model = RNNModel(ModelConfig(cell=cell, input_size=len(vocab), output_size=len(vocab), hidden_size=8), vocab)
    zoo.save(model, name, {"name": name, "task": task, "cell": cell}, folder)
    return model


def test_the_command_writes_the_strongest_units_and_nothing_else(tmp_path, capsys):
    tiny_model(tmp_path)
    tiny_model(tmp_path, "tiny-series", task="series")  # not a text model: --all leaves it alone
    weights = (tmp_path / "tiny-python.safetensors").read_bytes()
    before = json.loads((tmp_path / "tiny-python.json").read_text())
    assert known_units.main(["--all", "--dir", str(tmp_path), "--chars", "1500"]) == 0
    assert "[####################] 1/1" in capsys.readouterr().err  # the progress bar, finished
    after = json.loads((tmp_path / "tiny-python.json").read_text())
    assert (tmp_path / "tiny-python.safetensors").read_bytes() == weights
    assert {k: v for k, v in after.items() if k != "units"} == before
    assert "units" not in json.loads((tmp_path / "tiny-series.json").read_text())
    rows = after["units"]
    assert 1 <= len(rows) <= known_units.TOP
    assert [abs(r["r"]) for r in rows] == sorted((abs(r["r"]) for r in rows), reverse=True)
    sample = probes.corpus_sample("python", 1500)
    series = probes.unit_series(explorer.trace(zoo.load("tiny-python", tmp_path), sample, k=1))
    for row in rows:
        assert set(row) == {"feature", "quantity", "layer", "direction", "unit", "r"}
        assert row["feature"] in known_units.TASK_FEATURES["python"] and row["quantity"] in ("hidden", "cell")
        column = series.values[:, series.column(row["quantity"], row["layer"], row["direction"], row["unit"])]
        feature = probes.feature_values(row["feature"], sample)
        assert row["r"] == pytest.approx(np.corrcoef(column, feature)[0, 1], abs=2e-3)  # the probes' own r
        others = probes.rank_units(known_units.states_only(series), feature)  # and no state unit beats it
        assert abs(row["r"]) == pytest.approx(abs(others.r[others.order[0]]), abs=1e-3)
    assert zoo.load("tiny-python", tmp_path).meta["units"] == rows  # the loader takes the new key
    assert known_units.main(["--dir", str(tmp_path), "tiny-series"]) == 2  # one sentence, no traceback


def test_english_leaves_out_strings_and_indentation(tmp_path):
    model = tiny_model(tmp_path, "tiny-english", task="english")
    rows = known_units.strongest_units(model, "english", top=5, sample="And he said (unto them), go.\n" * 20)
    assert rows and {r["feature"] for r in rows} <= {"brackets", "word", "line"}
    with pytest.raises(ValueError, match="only the English, Python and Chinese poetry"):
        known_units.strongest_units(model, "series")


def test_listed_units_sentence_and_fallback():
    row = {"feature": "brackets", "quantity": "hidden", "layer": 0, "direction": 0, "unit": 231, "r": -0.71}
    assert known_units.listed_units({"units": [row, {"unit": 3}, "junk"]}) == [row]
    assert known_units.listed_units({"units": "nope"}) == [] and known_units.listed_units({}) == []
    assert known_units.unit_sentence(row) == ("unit 231 of layer 0 (hidden state) tracks bracket depth, "
                                              "r = -0.71 on held-out text")
    values = np.zeros((5, 3))
    values[:, 2] = [0, 1, 0, 1, 0]
    assert known_units.most_varying_unit(values) == 2


def test_the_shipped_text_models_list_their_units():
    shipped = [n for n in ("english-lstm", "english-gru", "english-rnn", "python-lstm") if n in zoo.available()]
    if not shipped:
        pytest.skip("the pretrained zoo is not built")
    for name in shipped:
        rows = known_units.listed_units(zoo.info(name))
        assert rows, f"{name}: run python -m explorer.analysis.known_units --all"
    if "python-lstm" in shipped:
        assert abs(known_units.listed_units(zoo.info("python-lstm"))[0]["r"]) > 0.5  # a real bracket unit


# -- the sentences --


def test_forget_sentence_names_the_lowest_step_after_the_first():
    forget = np.full((6, 4), 0.8)
    forget[0] = 0.1  # step 0 has nothing to keep: never the answer
    forget[4] = [0.2, 0.3, 0.4, 0.5]
    said = highlights.forget_sentence(forget, list("ab. cd"))
    assert "“␣”" not in said and "at “c” (step 4)" in said and "falls to 0.35" in said
    assert f"against {forget.mean():.2f} overall" in said
    window = highlights.forget_sentence(forget[4:], list("ab. cd"), start=4)  # a window's first step counts
    assert "at “c” (step 4)" in window
    said = highlights.gate_sentence("input gate i", forget, list("ab. cd"))
    assert said.startswith("Watch the input gate i shut most at “c” (step 4)")


def test_state_sentence_compares_columns_after_the_same_character():
    rng = np.random.default_rng(0)
    pattern = {c: rng.normal(size=16) for c in "ab "}
    tokens = list("ab ab ba ")
    states = np.stack([pattern[c] + 0.05 * rng.normal(size=16) for c in tokens])
    said = highlights.state_sentence(states, tokens)
    alike = highlights.same_char_likeness(states, tokens)
    assert alike["count"] == 3 and alike["same"] > 0.9 > alike["different"]
    assert "look alike: the 3 after “␣”" in said and f"r = {alike['same']:.2f}" in said
    assert "moves most" in highlights.state_sentence(states[:3], list("abc"))


def test_surprise_and_written_sentences():
    loss = np.array([0.1, 3.0, 0.5, np.nan])
    probs = np.array([[0.7, 0.1], [0.6, 0.2], [0.5, 0.3], [0.4, 0.4]])
    said = highlights.surprise_sentence(loss, list("Go i."), [["o", "a"], ["n", " "], ["x", "y"], ["z", "q"]], probs)
    assert "“␣” after “Go” (step 1)" in said and f"{np.exp(-3.0):.1%}" in said and "expected “n” (60%)" in said
    chosen = np.array([0.9, 0.05, 0.6])
    said = highlights.written_sentence(chosen, "abc", [["a"], ["x"], ["c"]])
    assert "“b” (character 2) only 5.0%" in said and "67% of what it wrote" in said
