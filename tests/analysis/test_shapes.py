"""explorer/shapes.py: the numbers behind the Sentiment, One-to-many and Time-series views.

The real pretrained models (sentiment-gru, count-lstm, series-lstm, airline-lstm) load in well under a second;
the tests about their behaviour use them, the ones about arithmetic use hand-made inputs."""
import random
import re

import numpy as np
import pytest
import torch

from explorer import figures, zoo
from explorer.analysis import shapes
from explorer.tasks import sentiment as sentiment_task

BUT_FLIP = "the acting was great, but the ending was dull"


@pytest.fixture(scope="module")
def sentiment():
    return zoo.load("sentiment-gru")


@pytest.fixture(scope="module")
def count():
    return zoo.load("count-lstm")


@pytest.fixture(scope="module")
def forecaster():
    return zoo.load("series-lstm")


@pytest.fixture(scope="module")
def airline():
    return zoo.load("airline-lstm")


# ---------------------------------------------------------------------------------------------
# many-to-one


def test_running_prediction_ends_on_the_models_own_output(sentiment):
    run = shapes.running_sentiment(sentiment, BUT_FLIP)
    padded = BUT_FLIP.rjust(shapes.training_length(sentiment), "_")
    with torch.no_grad():
        logits, _ = sentiment(sentiment.vocab.encode(padded).ids)  # (2,): the many-to-one output
    own = float(torch.softmax(logits.double(), -1)[1])
    assert run.final == pytest.approx(own, abs=1e-6)
    assert run.p_positive[-1] == pytest.approx(own, abs=1e-6)
    assert run.offset == len(padded) - len(BUT_FLIP) and len(run.p_positive) == len(BUT_FLIP)
    assert run.states("hidden").shape == (len(BUT_FLIP), 64) and run.states("z").shape == (len(BUT_FLIP), 64)


@pytest.mark.parametrize("sentence, positive", [
    ("the film is good", True), ("the film is not good", False), ("this film is good", True),
    ("the movie was not bad", True), ("the film was never funny", False), ("The Music Was Wonderful", True)])
def test_real_model_gets_negation_right(sentiment, sentence, positive):
    assert (shapes.running_sentiment(sentiment, sentence).final > 0.5) == positive


@pytest.mark.parametrize("sentence", [BUT_FLIP, "the movie was bad, but the acting was great"])
def test_but_flips_the_running_prediction_after_but(sentiment, sentence):
    run = shapes.running_sentiment(sentiment, sentence)
    (_, first_end, p_first), (second, _, p_last) = shapes.clause_verdicts(run)
    assert second.startswith("but ") and first_end < sentence.index(" but ")
    assert (p_first > 0.5) != (p_last > 0.5), "the verdict after 'but' is the opposite of the first clause's"
    assert (p_last > 0.5) == bool(sentiment_task.label_of(sentence))


def test_every_but_sentence_of_the_grammar_flips_at_the_clause(sentiment):
    rng = random.Random(7)
    for _ in range(40):
        label = rng.random() < 0.5
        first, second = sentiment_task._clause(rng, not label), sentiment_task._clause(rng, label)
        run = shapes.running_sentiment(sentiment, f"{first}, but {second}")
        (_, _, p_first), (_, _, p_last) = shapes.clause_verdicts(run)
        assert (p_first > 0.5) == (not label) and (p_last > 0.5) == label, run.sentence


def test_reading_a_clause_without_its_negation_turns_the_verdict_around(sentiment):
    assert shapes.without_negation("the film is not good, but the plot was never dull") == \
        "the film is good, but the plot was dull"
    assert shapes.without_negation("the film is good") is None
    assert shapes.without_negation("nothing was notable, not") is None  # whole words followed by another only
    rng, tried = random.Random(3), 0
    while tried < 20:
        clause = sentiment_task._clause(rng, rng.random() < 0.5)
        plain = shapes.without_negation(clause)
        if plain is None:
            continue
        tried += 1
        negated, = shapes.clause_verdicts(shapes.running_sentiment(sentiment, clause))
        unnegated, = shapes.clause_verdicts(shapes.running_sentiment(sentiment, plain))
        assert (negated[2] > 0.5) != (unnegated[2] > 0.5), clause


def test_words_outside_the_grammar_and_word_ends():
    assert shapes.words_outside_grammar("This film, is GOOD and lovely and nice") == ["this", "and", "lovely", "nice"]
    assert shapes.words_outside_grammar(BUT_FLIP) == []
    assert shapes.word_ends("the film, but no") == [("the", 2), ("film", 7), ("but", 12), ("no", 15)]


def test_the_grammar_as_listed_is_the_tasks_own():
    listed = [phrase for _group, phrases in shapes.WORD_GROUPS for phrase in phrases]
    assert len(listed) == len(set(listed)), "a word or phrase listed under two groups"
    assert {word for phrase in listed for word in phrase.split()} == sentiment_task.WORDS
    assert set(re.findall(r"`([^`]+)`", shapes.grammar_word_list())) == set(listed)
    assert shapes.grammar_forms() == ["A", "A, but B", "although A, B", "B, although A"]
    for shown in shapes.grammar_forms()[1:]:  # B, the clause the page says decides, is the one the rules read
        sentence = shown.replace("A", "the plot was bad").replace("B", "the cast was great")
        assert sentiment_task.label_of(sentence) == 1, sentence


def test_the_example_is_a_sentence_of_the_grammar_with_its_label():
    example, label = shapes.grammar_example()
    assert set(example.replace(",", " ").split()) <= sentiment_task.WORDS
    assert ", but " in example and ("not" in example.split() or "never" in example.split())
    assert sentiment_task.label_of(example) == label
    statement = shapes.grammar_statement("sentiment-gru")
    assert statement.startswith("**sentiment-gru knows only a small made-up grammar, not English.**")
    assert f"“{example}” ({'positive' if label else 'negative'})" in statement
    assert f"the {len(sentiment_task.WORDS)} words listed below, in 4 shapes: `A` · `A, but B`" in statement


# Reviews as people write them, by hand, none from the grammar: 8 positive, 7 negative.
PLAIN_REVIEWS = [
    ("I loved every minute of this film.", 1), ("The cast is great and the ending is wonderful.", 1),
    ("A waste of two hours.", 0), ("I would happily watch it again.", 1),
    ("The jokes fell flat and I nearly fell asleep.", 0), ("What a beautiful, moving story.", 1),
    ("I hated it.", 0), ("One of the best films I have seen this year.", 1),
    ("The plot makes no sense and the acting is wooden.", 0), ("My kids laughed all the way through.", 1),
    ("Do not bother with this one.", 0), ("A masterpiece from start to finish.", 1),
    ("I walked out after half an hour.", 0), ("Great fun for the whole family.", 1),
    ("The worst movie I have seen in years.", 0),
]


def test_the_model_knows_its_grammar_and_not_plain_reviews(sentiment):
    """What the page says: right on the grammar, no better than a coin on plain reviews, each of which
    the page warns about (it names the words the grammar never uses)."""
    task = sentiment_task.SentimentTask()
    batch = task.batch("test", 1000, shapes.training_length(sentiment), torch.Generator().manual_seed(2024))
    with torch.no_grad():
        logits, _ = sentiment(batch.x)  # (1000, 2)
    assert (logits.argmax(-1) == batch.y).float().mean() >= 0.99
    right = 0
    for review, label in PLAIN_REVIEWS:
        assert shapes.words_outside_grammar(review), review
        right += (shapes.running_sentiment(sentiment, review).final > 0.5) == bool(label)
    assert right <= 9, f"{right} of {len(PLAIN_REVIEWS)} plain reviews right: the page's statement is out of date"


def test_models_of_task_leaves_out_bidirectional_and_unreadable_ones():
    metas = {"a": {"task": "sentiment", "config": {"bidirectional": True}}, "b": {"task": "count", "config": {}},
             "c": {"task": "sentiment", "config": {"bidirectional": False}}}

    def info(name):
        if name not in metas:
            raise ValueError("damaged")
        return metas[name]

    assert shapes.models_of_task(["a", "broken", "b", "c"], info, "sentiment") == ["c"]


def test_empty_sentence_is_refused(sentiment):
    with pytest.raises(ValueError, match="the sentence is empty"):
        shapes.running_sentiment(sentiment, "   ")


# ---------------------------------------------------------------------------------------------
# one-to-many


@pytest.mark.parametrize("digit", list("123456789"))
def test_count_lstm_counts_down_and_stops(count, digit):
    unrolled = shapes.unroll(count, digit)
    assert unrolled.stopped and unrolled.correct
    assert unrolled.emitted == [str(k) for k in range(int(digit), -1, -1)] + ["end"]
    assert unrolled.p_emitted.min() > 0.9


def test_unroll_probabilities_equal_the_models_outputs(count):
    unrolled = shapes.unroll(count, "4", steps=20)
    with torch.no_grad():
        logits, _ = count(count.vocab.encode("4" + "_" * 19).ids)  # (20, 11)
    probs = torch.softmax(logits.double(), -1).numpy()
    kept = probs[: len(unrolled.emitted)]
    np.testing.assert_allclose(unrolled.p_emitted, kept.max(-1), atol=1e-6)
    assert unrolled.greedy_all[len(unrolled.emitted):] == ["end"] * (20 - len(unrolled.emitted))


def test_too_few_steps_never_reach_end(count):
    unrolled = shapes.unroll(count, "9", steps=5)
    assert not unrolled.stopped and not unrolled.correct and unrolled.emitted == ["9", "8", "7", "6", "5"]


def test_unknown_start_is_refused(count):
    with pytest.raises(ValueError, match="not an input this model knows"):
        shapes.unroll(count, "0")


# ---------------------------------------------------------------------------------------------
# time series


def test_forecast_equals_the_model_on_the_window_then_iterates(forecaster):
    series = shapes.load_series(forecaster, "synthetic")
    raw = torch.as_tensor(series.values[100:124])  # (24,)
    x = ((raw - series.task.mean) / series.task.std).float()  # normalised with the training years' statistics
    with torch.no_grad():
        direct, _ = forecaster(x[:, None])  # (6,)
        again, _ = forecaster(torch.cat([x, direct])[-24:, None])  # (6,): the window slid over the forecasts
    out = shapes.forecast(forecaster, series, [100], 24, 12)[0]  # in the series' units
    np.testing.assert_allclose(out[:6], direct.double().numpy() * series.std + series.task.mean, atol=1e-5)
    np.testing.assert_allclose(out[6:], again.double().numpy() * series.std + series.task.mean, atol=1e-5)
    single = shapes.window_forecast(forecaster, series, 100, 24, 6)
    np.testing.assert_allclose(single.forecast, out[:6], atol=1e-12)
    assert single.naive == series.values[123] and list(single.steps) == list(range(124, 130))


def test_relative_forecast_rereads_each_window_against_its_last_value(airline):
    series = shapes.load_series(airline, "airline")
    assert series.task.relative and series.task.source == "airline"
    raw = torch.as_tensor(series.values[100:112])  # (12,) thousand passengers
    step = series.task.log_step
    with torch.no_grad():
        first, _ = airline(((raw.log() - raw[-1].log()) / step).float()[:, None])  # (1,)
        one = raw[-1] * torch.exp(first.double() * step)  # the 13th month in passengers
        slid = torch.cat([raw, one])[-12:]
        second, _ = airline(((slid.log() - slid[-1].log()) / step).float()[:, None])
    out = shapes.forecast(airline, series, [100], 12, 2)[0]
    np.testing.assert_allclose(out, [float(one), float(one * torch.exp(second.double() * step))], rtol=1e-6)
    tr = shapes.trace_window(airline, series, 100, 12)
    np.testing.assert_allclose(tr.inputs[:, 0], ((raw.log() - raw[-1].log()) / step).numpy(), atol=1e-6)
    assert tr.inputs[-1, 0] == 0  # the last month read is the reference


@pytest.mark.parametrize("horizon, model_mse, naive_mse", [(1, 0.100, 0.524), (6, 0.081, 1.946)])
def test_airline_lstm_beats_the_naive_forecast_on_the_test_years(airline, horizon, model_mse, naive_mse):
    stretch = shapes.evaluate_stretch(airline, shapes.load_series(airline, "airline"), "test", 12, horizon)
    assert stretch.scores["model_mse"] == pytest.approx(model_mse, abs=5e-4)
    assert stretch.scores["naive_mse"] == pytest.approx(naive_mse, abs=5e-4)
    assert stretch.scores["model_mse"] < 0.25 * stretch.scores["naive_mse"]
    assert stretch.scores["model_mae"] < 0.5 * stretch.scores["naive_mae"]  # 6 ahead: 17.6 against 85.0 thousand
    assert stretch.scores["model_mae"] < 0.5 * stretch.scores["seasonal_mae"]  # and the same month a year before
    ratios = stretch.mse_ratios()  # what the page's sentence reports
    assert ratios["naive"] == pytest.approx(model_mse / naive_mse, rel=1e-2) and ratios["seasonal"] < 0.25


def test_airline_lstm_loses_to_seasonal_naive_with_growth_one_month_ahead(airline):
    """What the page says on airline: last year's month times the last year's growth is the better
    forecast one month ahead, in passengers (MAE 15.3 against 19.4 thousand) and in MSE."""
    series = shapes.load_series(airline, "airline")
    stretch = shapes.evaluate_stretch(airline, series, "test", 12, 1)
    origins = stretch.starts + 11
    np.testing.assert_allclose(stretch.seasonal["seasonal_growth"][:, 0],
                               series.values[origins - 11] * series.values[origins] / series.values[origins - 12])
    assert stretch.scores["seasonal_growth_mae"] == pytest.approx(15.31, abs=0.01)
    assert stretch.scores["model_mae"] == pytest.approx(19.38, abs=0.01)
    assert not shapes.beaten_steps(stretch, "seasonal_growth").any()


def test_a_window_at_the_end_forecasts_past_the_data(forecaster):
    series = shapes.load_series(forecaster, "synthetic")
    last = len(series.values) - 24
    ahead = shapes.window_forecast(forecaster, series, last - 2, 24, 6)
    assert len(ahead.forecast) == 6 and list(ahead.truth) == list(series.values[-2:])
    with pytest.raises(ValueError, match="runs past the series' end"):
        shapes.window_forecast(forecaster, series, last + 1, 24, 6)


def _tiny_series() -> shapes.Series:
    values = np.array([1, 3, 2, 5, 4, 6, 8, 7, 9, 10], dtype=np.float64)
    return shapes.Series(source="synthetic", values=values, task=None, std=2.0,  # task: never read here
                         time_labels=[str(t) for t in range(10)],
                         bounds={"train": (0, 4), "val": (4, 6), "test": (6, 10)}, unit="value")


def test_naive_baseline_by_hand():
    series = _tiny_series()
    starts = shapes.stretch_starts(series, "test", 3, 2)
    assert list(starts) == [3, 4, 5]  # every window whose two targets lie in steps 6..9
    truth = np.array([[6, 8], [8, 7], [7, 9]], dtype=np.float64)
    naive = np.array([[6, 6], [8, 8], [7, 7]], dtype=np.float64)
    seasonal = truth + 1  # any other named baseline is scored the same way
    perfect, per_step = shapes.score(truth, truth, {"naive": naive, "seasonal": seasonal}, series.std)
    assert perfect["model_mse"] == 0 and perfect["model_mae"] == 0
    assert perfect["naive_mae"] == pytest.approx(5 / 6)  # |0| + |2| + |0| + |1| + |0| + |2|, over 6
    assert perfect["naive_mse"] == pytest.approx((0 + 4 + 0 + 1 + 0 + 4) / 4 / 6)  # squared errors / std^2
    np.testing.assert_allclose(per_step["naive_mse"], [0, (4 + 1 + 4) / 4 / 3])
    assert perfect["seasonal_mae"] == 1 and perfect["seasonal_mse"] == pytest.approx(1 / 4)
    np.testing.assert_allclose(per_step["seasonal_mse"], [1 / 4, 1 / 4])


def test_evaluate_stretch_uses_the_same_windows_for_model_and_baseline(forecaster):
    series = shapes.load_series(forecaster, "synthetic")
    stretch = shapes.evaluate_stretch(forecaster, series, "test", 24, 6)
    ahead = stretch.starts[:, None] + 24 + np.arange(6)
    np.testing.assert_array_equal(stretch.truth, series.values[ahead])
    np.testing.assert_array_equal(stretch.naive[:, 0], series.values[stretch.starts + 23])
    np.testing.assert_array_equal(stretch.seasonal["seasonal"], series.values[ahead - 12])  # 6 ahead: one season
    assert list(stretch.seasonal) == ["seasonal"] and not stretch.missing  # the synthetic series dips below 0
    assert stretch.baselines == ["naive", "seasonal"]
    np.testing.assert_array_equal(shapes.beaten_steps(stretch, "seasonal"),
                                  stretch.per_step["model_mse"] < stretch.per_step["seasonal_mse"])
    assert ahead.min() >= series.bounds["test"][0] and ahead.max() < series.bounds["test"][1]
    # the real model: well under half the naive forecast's error on the synthetic test stretch
    assert stretch.scores["model_mse"] < 0.5 * stretch.scores["naive_mse"]
    assert stretch.scores["model_mae"] < stretch.scores["naive_mae"]


def test_airline_is_normalised_with_its_own_training_years(forecaster):
    series = shapes.load_series(forecaster, "airline")
    train = series.values[slice(*series.bounds["train"])]
    assert series.task.mean == pytest.approx(train.mean()) and series.std == pytest.approx(train.std(ddof=1))
    assert series.unit == "thousand passengers" and not series.task.relative  # series-lstm reads normalised values
    assert len(series.values) == 144 and series.time_labels[0] == "1949-01"


def test_bad_series_settings_say_what_is_wrong(forecaster):
    series = _tiny_series()
    with pytest.raises(ValueError, match="longer than the series"):
        shapes.stretch_starts(series, "test", 8, 4)
    with pytest.raises(ValueError, match="shorter than the horizon"):
        shapes.stretch_starts(series, "test", 2, 5)
    with pytest.raises(ValueError, match="runs past the series' end"):
        shapes.trace_window(forecaster, series, 8, 3)
    with pytest.raises(ValueError, match="unknown series source"):
        shapes.load_series(forecaster, "stocks")


def test_trace_window_reads_the_window(forecaster):
    series = shapes.load_series(forecaster, "synthetic")
    tr = shapes.trace_window(forecaster, series, 50, 24)
    x = torch.as_tensor((series.values[50:74] - series.task.mean) / series.task.std, dtype=torch.float32)
    np.testing.assert_allclose(tr.inputs[:, 0], x.numpy(), atol=1e-6)
    with torch.no_grad():
        out, _ = forecaster(x[:, None])
    np.testing.assert_allclose(tr.final_output, out.numpy(), atol=1e-6)
    assert shapes.quantities(forecaster) == ["hidden", "cell", "i", "f", "g", "o"]
    assert set(shapes.quantities(forecaster)[2:]) == set(tr.gates)


# ---------------------------------------------------------------------------------------------
# figures


def test_running_prediction_figure_names_words_and_values():
    fig = figures.shapes.running_prediction_figure(sentence="not <b>", p_positive=np.array([.1] * 3 + [.9] * 4),
                                                   word_ends=shapes.word_ends("not <b>"), title="t")
    assert list(fig.layout.xaxis.ticktext) == ["not", "&lt;b&gt;"]  # markup in a word is shown, not run
    assert "p(positive)" in fig.data[1].hovertemplate and "word" in fig.data[1].hovertemplate
    assert fig.layout.yaxis.title.text == "p(positive)" and fig.layout.title.text == "t"


def test_verdict_line_shows_markup_as_text():
    line = figures.shapes.verdict_line([("<b>*a*</b>", 8, 0.9), ("but $b$", 16, 0.1)])
    assert line == ("after “&#60;b&#62;&#42;a&#42;&#60;&#47;b&#62;”: **positive** (0.90) → "
                    "after “but &#36;b&#36;”: **negative** (0.10)")


def test_output_distribution_marks_the_emitted_class_and_the_end():
    probs = np.array([[0.1, 0.8, 0.1], [0.2, 0.1, 0.7], [0.1, 0.1, 0.8]])
    fig = figures.shapes.output_distribution_figure(probs=probs, labels=("0", "1", "end"), emitted=["1", "end"],
                                                    title="t")
    assert list(fig.data[0].x) == ["step 0 → 1", "step 1 → end", "step 2 → end (after end)"]
    assert fig.data[0].text[1][0] == "0.80" and fig.data[0].text[0][0] == ""
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == 1 and len(fig.layout.shapes) == 1
