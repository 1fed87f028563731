"""The pretrained poetry-lstm: it beats the unigram and the n-gram baselines on the held-out Tang poems,
as its sidecar says and as measured again here on a fixed slice of the test split."""
import math

import torch

from explorer import zoo
from explorer.engine.generate import sample
from explorer.tasks.char_corpus import corpus_text, encode_fast, ngram_model, split_bounds

NAME = "poetry-lstm"
SLICE_CHARS = 6500  # a hundred whole poems from the start of the test split


def test_the_sidecar_says_it_beats_every_baseline():
    test = zoo.info(NAME)["metrics"]["test"]
    assert test["metric"] == "bits/char"
    names = [row["name"] for row in test["baselines"]]
    assert names == ["3-gram (Kneser-Ney)", "5-gram (Kneser-Ney)"]
    best_ngram = min(row["value"] for row in test["baselines"])
    assert test["value"] < best_ngram < test["baseline"]["value"]  # the unigram stays where it was


def test_it_beats_the_ngram_on_a_fixed_slice_of_the_test_split():
    model = zoo.load(NAME)
    text = corpus_text("poetry")
    start = text.index("\n", split_bounds(len(text))["test"][0]) + 1  # the first whole poem of the split
    ids = encode_fast(model.vocab, text[start:start + SLICE_CHARS])  # (N,)
    with torch.no_grad():
        logits, _ = model(ids[:-1])  # (N-1, V): one pass, the state carried through every poem
    rnn_bits = float(torch.nn.functional.cross_entropy(logits, ids[1:])) / math.log(2)
    order = 5
    ngram = ngram_model("poetry", order)
    tokens = ids.tolist()
    ngram_bits = -sum(math.log2(ngram.prob(tokens[max(0, i - order + 1):i], tokens[i]))
                      for i in range(1, len(tokens))) / (len(tokens) - 1)
    assert rnn_bits < ngram_bits - 0.2, (rnn_bits, ngram_bits)


def test_it_writes_poem_lines():
    out = sample(zoo.load(NAME), "床前明月光，", length=120, temperature=0.8, seed=0)
    assert not out.unknown and len(out.generated) == 120
    assert out.generated.count("，") + out.generated.count("。") >= 8  # about one mark every eight characters
