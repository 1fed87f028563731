"""The encoder-decoder library: the date generator and its answers, the model against its own
trace, greedy decoding against the trace's argmax path, the pretrained model's held-out score,
and the zoo's handling of this second kind of checkpoint."""
import datetime as dt
import json

import numpy as np
import pytest
import torch
from safetensors.torch import save as save_safetensors

from explorer import seq2seq, zoo
from explorer.seq2seq import END, START
from explorer.tasks import dates
from explorer.tasks.base import SPLITS

PRETRAINED = "dates-lstm"
torch.set_num_threads(1)  # batch-1 work: a second thread only fights the other test processes for the cores


# -- the task ---------------------------------------------------------------------------------


@pytest.mark.parametrize("day, words", [
    (dt.date(2026, 11, 23), "the twenty-third of november, two thousand and twenty-six"),
    (dt.date(1900, 1, 1), "the first of january, nineteen hundred"),
    (dt.date(1905, 5, 12), "the twelfth of may, nineteen oh five"),
    (dt.date(1984, 2, 29), "the twenty-ninth of february, nineteen eighty-four"),
    (dt.date(2000, 3, 30), "the thirtieth of march, two thousand"),
    (dt.date(2011, 8, 20), "the twentieth of august, two thousand and eleven"),
    (dt.date(2099, 12, 31), "the thirty-first of december, two thousand and ninety-nine"),
    (dt.date(1913, 10, 18), "the eighteenth of october, nineteen thirteen"),
])
def test_dates_in_words_hand_checked(day, words):
    assert dates.date_words(day) == words
    assert dates.parse_date(words) == (day.isoformat(), "")


def test_every_date_parses_back_to_itself():
    first, last = dates.FIRST_DATE.toordinal(), dates.LAST_DATE.toordinal()
    sources = set()
    for ordinal in range(first, last + 1):
        day = dt.date.fromordinal(ordinal)
        words = dates.date_words(day)
        assert dates.parse_date(words)[0] == day.isoformat(), words
        sources.add(words)
    assert len(sources) == last - first + 1  # no two dates read the same


@pytest.mark.parametrize("text, why", [
    ("the thirty-first of february, nineteen eighty", "february 1980 has no thirty-first day"),
    ("the twenty-ninth of february, nineteen hundred", "february 1900 has no twenty-ninth day"),
    ("the first of smarch, nineteen eighty", "“smarch” is not a month"),
    ("the thirty-second of may, nineteen eighty", "“thirty-second” is not a day"),
    ("the first of may, eighteen eighty", "“eighteen eighty” is not a year"),
    ("hello world", "not of the form"),
])
def test_sources_outside_the_task_say_why(text, why):
    answer, reason = dates.parse_date(text)
    assert answer is None and why in reason


def test_sampling_is_seeded_and_targets_are_right():
    first = dates.sample_pairs("train", 64, torch.Generator().manual_seed(3))
    again = dates.sample_pairs("train", 64, torch.Generator().manual_seed(3))
    other = dates.sample_pairs("train", 64, torch.Generator().manual_seed(4))
    assert first == again and first != other
    assert len({len(source) for source, _ in first}) == 1  # one source length per batch
    train_days = set(dates.split_days("train").tolist())
    for source, target in first:
        assert dates.date_words(dt.date.fromisoformat(target)) == source
        assert dt.date.fromisoformat(target).toordinal() in train_days


def test_held_out_dates_are_never_trained_on():
    splits = {name: set(dates.split_days(name).tolist()) for name in SPLITS}
    assert not splits["train"] & splits["test"] and not splits["train"] & splits["val"]
    total = dates.LAST_DATE.toordinal() - dates.FIRST_DATE.toordinal() + 1
    assert sum(map(len, splits.values())) == total
    assert 0.09 < len(splits["test"]) / total < 0.11


# -- the model and its trace ------------------------------------------------------------------


def tiny(cell, seed=0):
    return seq2seq.new_model(cell, hidden_size=8, embedding_size=6, seed=seed).eval()


CELLS = ["gru", "lstm"]
SOURCE = "the twenty-third of november, two thousand and twenty-six"


@pytest.mark.parametrize("cell", CELLS)
def test_trace_equals_the_models_own_forward(cell):
    model = tiny(cell)
    truth = "2026-11-23"
    tr = seq2seq.trace_seq2seq(model, SOURCE, target=truth)
    ids, lengths = seq2seq.encode_sources(model, [SOURCE])
    inputs, _ = seq2seq.decoder_inputs(model, [truth])
    with torch.no_grad():
        out, _ = model.encoder(model.source_embedding(ids))  # (1, S, H)
        logits = model(ids, lengths, inputs)[0]  # (T, C)
        handed = model.encode(ids, lengths)
    np.testing.assert_allclose(tr.encoder.hidden[0, 0], out[0].numpy(), atol=1e-5)
    handed_h = handed[0] if cell == "lstm" else handed
    np.testing.assert_allclose(tr.handed_hidden, handed_h[:, 0].numpy(), atol=1e-5)
    if cell == "lstm":
        np.testing.assert_allclose(tr.handed_cell, handed[1][:, 0].numpy(), atol=1e-5)
    np.testing.assert_allclose(tr.probs, torch.softmax(logits.double(), -1).numpy(), atol=1e-5)
    assert tr.read == tuple(START + truth) and len(tr.written) == len(truth) + 1
    assert set(tr.decoder.gates) == ({"i", "f", "g", "o"} if cell == "lstm" else {"r", "z", "n"})


@pytest.mark.parametrize("cell", CELLS)
def test_padding_never_reaches_the_state(cell):
    model = tiny(cell)
    sources = [SOURCE, "the first of may, nineteen hundred"]
    targets = ["2026-11-23", "1900-05-01"]
    ids, lengths = seq2seq.encode_sources(model, sources)
    inputs, _ = seq2seq.decoder_inputs(model, targets)
    with torch.no_grad():
        batched = model(ids, lengths, inputs)
        alone = model(ids[1:, :int(lengths[1])], lengths[1:], inputs[1:])
    torch.testing.assert_close(batched[1:], alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_greedy_decoding_is_the_traces_argmax_path(cell):
    for seed in range(3):
        model = tiny(cell, seed)
        tr = seq2seq.trace_seq2seq(model, SOURCE)
        assert not tr.teacher_forced
        assert tr.read[0] == START and tr.read[1:] == tr.written[:-1]  # each step read the one before
        assert tr.written[-1] == END or len(tr.written) == seq2seq.MAX_ANSWER
        assert tr.answer == seq2seq.greedy_decode(model, [SOURCE])[0]
        np.testing.assert_array_equal(np.array(tr.written), np.array(tr.topk_labels)[:, 0])


def test_training_is_deterministic_and_learns():
    runs = []
    for _ in range(2):
        model = seq2seq.new_model("lstm", hidden_size=16, embedding_size=8, seed=1)
        losses = seq2seq.train(model, steps=60, lr=2e-2, batch_size=16, seed=5)
        runs.append((losses, model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for key, value in runs[0][1].items():
        assert torch.equal(value, runs[1][1][key]), key
    assert np.mean(runs[0][0][-5:]) < 0.65 * np.mean(runs[0][0][:5])  # 2.6 nats (uniform) down to about 1.5


def test_empty_source_and_unwritable_target_are_refused():
    model = tiny("gru")
    with pytest.raises(ValueError, match="the source is empty"):
        seq2seq.trace_seq2seq(model, "")
    with pytest.raises(ValueError, match="cannot write"):
        seq2seq.trace_seq2seq(model, SOURCE, target="2026/11/23")


# -- the pretrained model and the zoo ---------------------------------------------------------

needs_pretrained = pytest.mark.skipif(PRETRAINED not in zoo.available(),
                                      reason=f"build it with: python -m explorer.zoo build {PRETRAINED}")


@needs_pretrained
def test_pretrained_model_is_listed_loads_and_scores_on_held_out_dates():
    meta = zoo.info(PRETRAINED)
    assert meta["kind"] == seq2seq.KIND and meta["task"] == "dates"
    assert meta["metrics"]["test"]["value"] > 0.9 and meta["metrics"]["test"]["examples"] > 7000
    model = zoo.load(PRETRAINED)
    assert isinstance(model, seq2seq.Seq2Seq)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    again = seq2seq.score(model, "test", limit=1500)
    assert again["value"] > 0.9
    assert abs(again["value"] - meta["metrics"]["test"]["value"]) < 0.05
    assert seq2seq.greedy_decode(model, [SOURCE]) == ["2026-11-23"]
    row = next(r for r in zoo.summary_rows() if r["name"] == PRETRAINED)
    assert row["metric"] == "exact match" and row["test"] > 0.9


def saved_tiny(tmp_path, name="dates-tiny"):
    model = tiny("gru")
    seq2seq.save(model, name, {"name": name, "task": "dates", "cell": "gru", "parameters": model.num_parameters(),
                               "metrics": {}}, tmp_path)
    return model


def test_zoo_lists_and_loads_a_saved_encoder_decoder(tmp_path):
    model = saved_tiny(tmp_path)
    assert zoo.available(tmp_path) == ["dates-tiny"]
    assert zoo.info("dates-tiny", tmp_path)["kind"] == seq2seq.KIND
    again = zoo.load("dates-tiny", tmp_path)
    assert isinstance(again, seq2seq.Seq2Seq)
    for key, value in model.state_dict().items():
        assert torch.equal(value, again.state_dict()[key])
    assert PRETRAINED in zoo.recipe_names()


def test_damaged_encoder_decoder_files_are_refused_clearly(tmp_path):
    model = saved_tiny(tmp_path)
    weights_path, meta_path = tmp_path / "dates-tiny.safetensors", tmp_path / "dates-tiny.json"
    weights, meta = weights_path.read_bytes(), meta_path.read_bytes()
    weights_path.write_bytes(weights[: len(weights) // 2])
    with pytest.raises(ValueError, match="damaged or truncated"):
        zoo.load("dates-tiny", tmp_path)
    wrong = json.loads(meta)
    wrong["config"]["hidden_size"] = 9
    with pytest.raises(ValueError, match="shape"):
        seq2seq.load_checkpoint(weights, json.dumps(wrong).encode())
    wrong["config"]["cell"] = "transformer"
    with pytest.raises(ValueError, match="cell must be gru or lstm"):
        seq2seq.load_checkpoint(weights, json.dumps(wrong).encode())
    nan_state = {k: v.clone() for k, v in model.state_dict().items()}
    nan_state["decoder.weight_hh_l0"][0, 0] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        seq2seq.load_checkpoint(save_safetensors(nan_state), meta)
    extra = dict(model.state_dict(), surprise=torch.zeros(2))
    with pytest.raises(ValueError, match="unexpected surprise"):
        seq2seq.load_checkpoint(save_safetensors(extra), meta)
    with pytest.raises(ValueError, match="the limit is 64 MB"):  # the zoo's own gate, shared
        seq2seq.load_checkpoint(b"\0" * (zoo.MAX_CHECKPOINT_BYTES + 1), meta)
    with pytest.raises(ValueError, match="not valid JSON"):
        seq2seq.load_checkpoint(weights, b"{not json")
    plain = dict(json.loads(meta), kind=None)
    with pytest.raises(ValueError, match="not describe an encoder-decoder"):
        seq2seq.load_checkpoint(weights, json.dumps(plain).encode())
