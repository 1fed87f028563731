"""The large text models: english-lstm-512, the showpiece, must beat the 7-gram counted on its own training text
on the test split and write words at the Generate page's default temperature; python-lstm-512 must read Python
under 1.90 bits/char; python-code-lstm must beat its 7-gram and show quote and bracket units, and
python-code-lstm-stateful, trained with its state carried, a clearer bracket unit, and read on for longer, both
units at 0.8 on Find units' sample."""
import re

import pytest
import torch

import explorer
from explorer import zoo
from explorer.analysis import probes
from explorer.engine.generate import sample
from explorer.tasks.char_corpus import corpus_text, split_bounds
from explorer.training.train import evaluate, evaluate_in_order

NAME = "english-lstm-512"
FLOOR = 1.70  # bits per character: clearly under the 7-gram's 1.775, not a tie with it
WORDS = 0.96  # share of real words at T 0.8: english-lstm writes 0.91, english-gru-matched 0.95, this one 0.975

pytestmark = pytest.mark.skipif(NAME not in zoo.available(), reason=f"{NAME} is not built")


def reread_in_order(name: str):
    """The model, its recipe, its test split re-read in order (checked against the stored figure) and its 7-gram."""
    model, recipe = zoo.load(name), zoo.RECIPES[name]
    test = model.meta["metrics"]["test"]
    seven = {row["name"]: row["value"] for row in test["baselines"]}["7-gram (Kneser-Ney)"]
    again = evaluate_in_order(model, zoo.make_task(recipe).split_ids("test"))
    assert again == pytest.approx(test["in_order"]["value"], abs=1e-4)
    return model, recipe, again, seven


def test_beats_the_seven_gram_reading_the_test_split_as_the_seven_gram_does():
    """Every character of the test split in order, the state carried along: the n-grams' own protocol."""
    model, recipe = zoo.load(NAME), zoo.RECIPES[NAME]
    task = zoo.make_task(recipe)
    test = model.meta["metrics"]["test"]
    seven = {row["name"]: row["value"] for row in test["baselines"]}["7-gram (Kneser-Ney)"]
    again = evaluate_in_order(model, task.split_ids("test"))
    assert again == pytest.approx(test["in_order"]["value"], abs=1e-4)
    assert again < FLOOR < seven, (again, seven)


def test_beats_the_seven_gram_even_on_cold_windows_of_a_fresh_slice():
    """Random 128-character windows, each from a zero state, a handicap the n-gram does not carry."""
    model, recipe = zoo.load(NAME), zoo.RECIPES[NAME]
    test = model.meta["metrics"]["test"]
    seven = {row["name"]: row["value"] for row in test["baselines"]}["7-gram (Kneser-Ney)"]
    again = evaluate(model, zoo.make_task(recipe), split="test", batches=8, batch_size=32, seq_len=test["seq_len"],
                     seed=4321)["metric"]
    assert again < seven, (again, seven)


def test_writes_words_at_temperature_point_eight():
    """Most of what it writes are words of the Bible's own English: a model that only learned letter
    frequencies writes mostly non-words."""
    text = corpus_text("english")
    start, stop = split_bounds(len(text))["train"]
    known = set(re.findall(r"[a-z]+", text[start:stop].lower()))
    written = "".join(sample(zoo.load(NAME), "And it came to pass, ", length=600, temperature=0.8, seed=seed).generated
                      for seed in range(3))
    words = re.findall(r"[a-z]+", written.lower())
    real = sum(word in known for word in words) / len(words)
    assert len(words) > 200 and real >= WORDS, (real, written[:300])


@pytest.mark.skipif("python-lstm-512" not in zoo.available(), reason="python-lstm-512 is not built")
def test_the_large_python_model_reads_source_under_one_point_nine_bits_in_order():
    model, recipe, again, seven = reread_in_order("python-lstm-512")
    assert again < 1.90 < seven, (again, seven)  # python-lstm (256 units) reads 2.018


def best_code_units(model, size: int = 3000) -> dict:
    """The strongest string and bracket-depth units Find units ranks on its held-out sample of `size` characters."""
    sample = probes.corpus_sample("python-code", size)
    series = probes.unit_series(explorer.trace(model, sample, k=1))
    return {name: probes.rank_units(series, probes.feature_values(name, sample, code=True)).rows(series, 1)[0]
            for name in ("quotes", "brackets")}


@pytest.mark.skipif("python-code-lstm" not in zoo.available(), reason="python-code-lstm is not built")
def test_the_code_model_beats_its_seven_gram_and_has_cleaner_quote_and_bracket_units():
    """Trained on the library's code without docstrings, where a string is a literal on one line: on Find units'
    default sample its quote unit reaches |r| 0.82 (python-lstm's best reaches 0.40 on its own sample), its
    bracket-depth unit 0.78 (windows of 128 characters instead of 256: 0.80 and 0.65)."""
    torch.set_num_threads(1)
    model, recipe, again, seven = reread_in_order("python-code-lstm")
    assert again < 1.70 < seven, (again, seven)
    best = best_code_units(model)
    assert abs(best["quotes"]["r"]) > 0.8 and abs(best["brackets"]["r"]) > 0.75, best


@pytest.mark.skipif("python-code-lstm-stateful" not in zoo.available(), reason="python-code-lstm-stateful is not built")
def test_the_stateful_code_model_has_the_clearest_bracket_unit_and_pays_for_it_from_a_zero_state():
    """python-code-lstm's recipe read in streams with the state carried: its bracket-depth unit reaches |r| 0.92
    on Find units' default sample and 0.90 on the 6,000-character one (python-code-lstm 0.78 and 0.80), its
    string unit 0.78 (0.82). It seldom starts from a zero state in training, so cold windows read worse than
    python-code-lstm's (1.790 against 1.603 bits/char); the whole split read in order beats the 7-gram."""
    torch.set_num_threads(1)
    model, recipe, again, seven = reread_in_order("python-code-lstm-stateful")
    assert recipe.carry_state
    assert again < 1.70 < seven, (again, seven)
    for size in (3000, 6000):
        best = best_code_units(model, size)
        assert abs(best["brackets"]["r"]) > 0.85 and abs(best["quotes"]["r"]) > 0.7, (size, best)



@pytest.mark.skipif("python-code-lstm-stateful-long" not in zoo.available(),
                    reason="python-code-lstm-stateful-long is not built")
def test_the_longer_stateful_code_model_has_both_units_at_point_eight_on_find_units_sample():
    """python-code-lstm-stateful read on for 3,000 steps at its lower rate: on Find units' default sample of 3,000
    characters its string unit reaches |r| 0.80 (0.78 before) and its bracket-depth unit 0.93 (0.92), the one Python
    model with both at 0.8 there. On the 6,000-character sample the string unit stays under it (0.75); read in
    order it still beats the 7-gram."""
    torch.set_num_threads(1)
    model, recipe, again, seven = reread_in_order("python-code-lstm-stateful-long")
    assert recipe.carry_state and recipe.init_from == "python-code-lstm-stateful"
    assert again < 1.70 < seven, (again, seven)
    best = best_code_units(model)
    assert abs(best["quotes"]["r"]) >= 0.8 and abs(best["brackets"]["r"]) >= 0.9, best
    best = best_code_units(model, 6000)
    assert abs(best["quotes"]["r"]) > 0.7 and abs(best["brackets"]["r"]) > 0.85, best
