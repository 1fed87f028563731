"""What the many-to-one, one-to-many and time-series views compute (no Streamlit here).

- Sentiment (many-to-one): the head applied after every character of a sentence, read the way
  the model was trained (left-padded, so the sentence ends on the last step the head reads).
- One-to-many: one input token, then blanks; the model unrolls its sequence until it says "end".
- Time series: a window of past values in, the next `horizon` values out; one-step and
  multi-step forecasts along a stretch of the series, scored against the last-value and seasonal baselines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from explorer import tasks
from explorer.engine.models import RNNModel
from explorer.engine.trace import GATE_NAMES, Trace, trace
from explorer.i18n import N_, _
from explorer.tasks import sentiment as sentiment_task
from explorer.tasks.base import split_name
from explorer.tasks.count import BLANK, countdown
from explorer.tasks.series import SeriesTask


def models_of_task(names: list[str], info, task: str) -> list[str]:
    """The names whose metadata (`info(name)`) says they were trained on `task`, one direction only:
    a bidirectional net has read the whole input at every step, so it has no running prediction
    and no unrolling of its own. A model whose metadata cannot be read is left out."""
    found = []
    for name in names:
        try:
            meta = info(name)
            if meta.get("task") == task and not meta.get("config", {}).get("bidirectional"):
                found.append(name)
        except ValueError:
            continue
    return found


def quantities(model: RNNModel) -> list[str]:
    """What a heatmap can show for this model: hidden, cell (LSTM), then the gates in torch's order."""
    cell = model.config.cell
    gates = GATE_NAMES.get(cell) or GATE_NAMES[f"rnn_{model.config.nonlinearity}"]
    return ["hidden"] + (["cell"] if cell == "lstm" else []) + list(gates)


def last_layer(tr: Trace, quantity: str) -> np.ndarray:
    """[T, H]: one quantity of the last layer's forward direction (what the head reads)."""
    values = {"hidden": tr.hidden, "cell": tr.cell}.get(quantity)
    return (tr.gates[quantity] if values is None else values)[-1, 0]


# ---------------------------------------------------------------------------------------------
# many-to-one: sentiment

POSITIVE_CLASS = 1  # SentimentTask.output_labels = ("negative", "positive")
GRAMMAR_WORDS = sentiment_task.WORDS
# The grammar's words by the part they play in a clause, in clause order (English: translated where shown).
WORD_GROUPS = ((N_("subjects"), sentiment_task.SUBJECTS), (N_("verbs"), sentiment_task.VERBS),
               (N_("negations"), sentiment_task.NEGATIONS), (N_("intensifiers"), sentiment_task.INTENSIFIERS),
               (N_("positive adjectives"), sentiment_task.POSITIVE),
               (N_("negative adjectives"), sentiment_task.NEGATIVE),
               (N_("joining words"), sentiment_task.JOINERS))
EXAMPLE_SEED = 0


def _code(words, sep: str = ", ") -> str:
    return sep.join(f"`{w}`" for w in words)


def grammar_forms() -> list[str]:
    """The task's sentence forms with A and B for their clauses; B is the one that decides when there are two."""
    return [form.format(decisive="B" if "{other}" in form else "A", other="A") for form in sentiment_task.FORMS]


def grammar_example() -> tuple[str, int]:
    """A sentence of the grammar that shows off most of it ("but" and a negation), with its label:
    the first such one the task's own generator makes from a fixed seed."""
    pairs = sentiment_task.generate(200, torch.Generator().manual_seed(EXAMPLE_SEED))
    return next((s, y) for s, y in pairs
                if ", but " in s and any(w in sentiment_task.NEGATIONS for w in s.split()))


def grammar_statement(name: str) -> str:
    """What a sentiment model knows, in one paragraph of Markdown: only the training grammar, its shapes,
    what a clause is and one example. The words themselves are `grammar_word_list()`."""
    example, label = grammar_example()
    return _("**{name} knows only a small made-up grammar, not English.** It was trained on sentences made of the "
             "{words} words listed below, in {count} shapes: {forms} (with two clauses, B decides). Each clause is a "
             "subject, {verbs}, maybe {negations}, maybe an intensifier, and one adjective; for example “{example}” "
             "({label}). On other words or phrasings its verdict means little.").format(
        name=name, words=len(sentiment_task.WORDS), count=len(sentiment_task.FORMS),
        forms=_code(grammar_forms(), " · "), verbs=_code(sentiment_task.VERBS, " / "),
        negations=_code(sentiment_task.NEGATIONS, " / "), example=example,
        label=_(sentiment_task.SentimentTask.output_labels[label]))


def grammar_word_list() -> str:
    """Every word of the grammar, one line per group (Markdown; each word or phrase in a code span)."""
    return "  \n".join(_("**{group}:** {words}").format(group=_(group), words=_code(words))
                        for group, words in WORD_GROUPS)


@dataclass
class SentimentRun:
    """The running verdict on one sentence. Arrays cover the sentence's characters only (the
    padding before it is read but not shown); `trace` holds the whole padded read."""

    sentence: str  # what the model read, lower-cased, without the padding
    offset: int  # padding characters read before the sentence
    trace: Trace
    p_positive: np.ndarray  # [n]: p(positive) from the head after each character of the sentence
    word_ends: list[tuple[str, int]]  # (word, index of its last character in the sentence)
    final: float  # p(positive) of the model's own many-to-one output (the last step)
    rule_label: int | None  # the grammar's label (1 positive), None when the grammar cannot parse it

    @property
    def word_p(self) -> np.ndarray:
        return self.p_positive[[end for _word, end in self.word_ends]]

    def states(self, quantity: str) -> np.ndarray:
        """[n, H] hidden state or gate of the last layer over the sentence's characters."""
        return last_layer(self.trace, quantity)[self.offset:]


def words_outside_grammar(sentence: str) -> list[str]:
    """The sentence's words the training grammar never uses, in order of appearance, once each."""
    seen: list[str] = []
    for word in sentence.lower().replace(",", " , ").split():
        if word != "," and word not in GRAMMAR_WORDS and word not in seen:
            seen.append(word)
    return seen


def word_ends(sentence: str) -> list[tuple[str, int]]:
    """(word, index of its last letter): where the running verdict is read off per word."""
    ends, start = [], None
    for i, ch in enumerate(sentence + " "):
        if ch.isspace() or ch == ",":
            if start is not None:
                ends.append((sentence[start:i], i - 1))
                start = None
        elif start is None:
            start = i
    return ends


def training_length(model: RNNModel) -> int:
    """The sequence length the model was trained on (its recipe's, or its task's default)."""
    meta = getattr(model, "meta", {}) or {}
    recipe = meta.get("recipe") or {}
    if recipe.get("seq_len"):
        return int(recipe["seq_len"])
    return tasks.get(meta.get("task", "sentiment"), **(meta.get("task_config") or {})).default_seq_len


def running_sentiment(model: RNNModel, sentence: str) -> SentimentRun:
    """Read `sentence` as in training (lower case, left-padded with "_" to the training length)
    and apply the head after every character: the running prediction of a many-to-one net."""
    text = sentence.strip().lower()
    if not text:
        raise ValueError(_("the sentence is empty: type a few words"))
    padded = text.rjust(training_length(model), sentiment_task.PAD)
    offset = len(padded) - len(text)
    tr = trace(model, padded)
    try:
        rule = sentiment_task.label_of(text)
    except ValueError:
        rule = None
    final = float(torch.softmax(torch.as_tensor(tr.final_output, dtype=torch.float64), -1)[POSITIVE_CLASS])
    return SentimentRun(sentence=text, offset=offset, trace=tr, p_positive=tr.probs[offset:, POSITIVE_CLASS],
                        word_ends=word_ends(text), final=final, rule_label=rule)


NEGATION = re.compile(r"\b(?:" + "|".join(sentiment_task.NEGATIONS) + r")\s+")  # "not ", "never "


def without_negation(sentence: str) -> str | None:
    """The sentence with its negations ("not", "never") taken out, or None when it has none:
    mid-clause the running verdict swings, so a negation shows best as the clause verdict
    it turns around when read both ways."""
    plain = NEGATION.sub("", sentence)
    return plain if plain != sentence else None


def clause_verdicts(run: SentimentRun) -> list[tuple[str, int, float]]:
    """(clause, index of its last character, p(positive) there) for each comma-separated clause.
    Only the last step was trained, yet after "A," the verdict is A's: the clause after "but"
    then overturns it, which is what the view shows."""
    out, begin = [], 0
    for piece in run.sentence.split(","):
        stripped = piece.rstrip()
        end = begin + len(stripped) - 1
        if stripped.strip():
            out.append((stripped.strip(), end, float(run.p_positive[end])))
        begin += len(piece) + 1
    return out


# ---------------------------------------------------------------------------------------------
# one-to-many: count down


@dataclass
class Unrolled:
    """A greedy unroll: the input token at step 0, blanks after it; at each step the most likely class."""

    start: str  # the single input token
    trace: Trace  # over every step read, [layer, direction, t, unit]
    emitted: list[str]  # the label of the class chosen at each step, up to and including the end token
    p_emitted: np.ndarray  # [len(emitted)]: its probability
    stopped: bool  # whether the end token came within the steps read
    expected: list[str]  # what the task says the sequence should be
    labels: tuple[str, ...]  # class names

    @property
    def correct(self) -> bool:
        return self.emitted == self.expected

    @property
    def greedy_all(self) -> list[str]:
        """The most likely class at every step run, after the end token too (the x labels)."""
        return [self.labels[c] for c in self.trace.probs.argmax(-1)]

    @property
    def after_end(self) -> list[str]:
        """The most likely class at each step run after the end token (empty when it never came)."""
        return self.greedy_all[len(self.emitted):] if self.stopped else []


def start_tokens(model: RNNModel) -> list[str]:
    """The inputs a one-to-many model can start from: its vocabulary without the blank and unknown."""
    return [c for c in model.vocab.itos[1:] if c != BLANK]


def unroll(model: RNNModel, start: str, steps: int | None = None) -> Unrolled:
    """Feed `start` then blanks for `steps` steps (default: the training length) and take the most
    likely class at every step, stopping at the end token. The inputs after step 0 are blanks
    whatever was emitted, so the greedy choice never changes what the net reads: the sequence
    comes from its hidden state alone."""
    if start not in start_tokens(model):
        raise ValueError(_("{start} is not an input this model knows; choose one of {inputs}").format(
            start=repr(start), inputs=", ".join(start_tokens(model))))
    steps = steps or training_length(model)
    tr = trace(model, start + BLANK * (steps - 1))
    labels = tasks.get((model.meta or {}).get("task", "count")).output_labels
    end = len(labels) - 1
    chosen = tr.probs.argmax(-1)  # [T]
    stop = next((t for t, c in enumerate(chosen) if c == end), None)
    kept = chosen if stop is None else chosen[:stop + 1]
    expected = [labels[c] for c in countdown(int(start))] if start.isdigit() else []
    return Unrolled(start=start, trace=tr, emitted=[labels[c] for c in kept],
                    p_emitted=tr.probs[np.arange(len(kept)), kept], stopped=stop is not None,
                    expected=expected, labels=labels)


# ---------------------------------------------------------------------------------------------
# time series: sliding-window forecasts

SERIES_SOURCES = ("synthetic", "airline")
UNITS = {"airline": N_("thousand passengers"), "synthetic": N_("value")}  # English: figures translate them


@dataclass
class Series:
    """A series as a forecaster reads it: `task` turns raw windows into model inputs and outputs
    back into the series' units, the way the model was trained (normalised or relative windows)."""

    source: str
    values: np.ndarray  # [N] in the series' own units
    task: SeriesTask  # encode_window / decode_forecast of the model's own task settings
    std: float  # the train split's std: the scale of the normalised MSE the zoo reports
    time_labels: list[str]  # step index (synthetic) or month (airline)
    bounds: dict[str, tuple[int, int]]  # split -> [start, end) by time
    unit: str  # the values' unit, for axis titles: a key of the catalogue (UNITS), translated where shown


def training_window(model: RNNModel) -> int:
    """The window length the forecaster was trained on."""
    return int(((getattr(model, "meta", {}) or {}).get("task_config") or {}).get("window", 12))


def trained_source(meta: dict) -> str:
    """The series a forecaster was trained on, from its metadata (SeriesTask's default: synthetic)."""
    return (meta.get("task_config") or {}).get("source", "synthetic")


def load_series(model: RNNModel, source: str) -> Series:
    """The model's own synthetic series (its task settings) or the airline passengers table, read
    the way the model's task reads it (train-split statistics only, so no future leaks in)."""
    if source not in SERIES_SOURCES:
        raise ValueError(_("unknown series source {source}; choose {first} or {second}").format(
            source=repr(source), first=SERIES_SOURCES[0], second=SERIES_SOURCES[1]))
    config = dict((getattr(model, "meta", {}) or {}).get("task_config") or {})
    if source == "synthetic":
        task = tasks.get("series", **{**config, "source": "synthetic"})
    else:  # window and horizon change neither the normalisation nor the relative scale; the smallest always fit
        task = tasks.get("series", source="airline", window=1, horizon=1, relative=bool(config.get("relative")))
    unit = UNITS[source]
    return Series(source=source, values=task.values.numpy(), task=task, std=task.std,
                  time_labels=list(task.time_labels), bounds=dict(task.bounds), unit=unit)


def check_window(series: Series, window: int, horizon: int) -> None:
    if window < 1 or horizon < 1:
        raise ValueError(_("window and horizon must be at least 1; got window {window}, horizon {horizon}").format(
            window=window, horizon=horizon))
    if window + horizon > len(series.values):
        raise ValueError(_("a window of {window} plus a horizon of {horizon} is longer than the series "
                           "({points} points)").format(window=window, horizon=horizon, points=len(series.values)))


@torch.no_grad()
def forecast(model: RNNModel, series: Series, starts, window: int, horizon: int) -> np.ndarray:
    """[B, horizon] forecasts in the series' own units from the windows series[s : s + window], s in `starts`.

    Up to the model's own output width the forecasts are its direct outputs; beyond it they are
    iterated: the forecasts are appended to the window and the model reads the last `window`
    values again, so later forecasts rest on earlier ones. The loop runs on raw values, so a
    relative model re-reads each new window against its own new last value."""
    check_window(series, window, horizon)
    starts = torch.as_tensor(np.asarray(starts), dtype=torch.long)  # (B,)
    raw = torch.as_tensor(series.values)[starts[:, None] + torch.arange(window)]  # (B, W) float64
    parts, have = [], 0
    while have < horizon:
        out, _state = model(series.task.encode_window(raw)[..., None])  # (B, O): the next O values at once
        predicted = series.task.decode_forecast(out, raw)  # (B, O) in the series' units
        parts.append(predicted)
        have += predicted.shape[-1]
        raw = torch.cat([raw, predicted], 1)[:, -window:]  # (B, W): slide over the forecasts
    return torch.cat(parts, 1)[:, :horizon].numpy()


def stretch_starts(series: Series, split: str, window: int, horizon: int) -> np.ndarray:
    """Every window whose `horizon` targets all lie in `split` (its inputs may reach back before it)."""
    check_window(series, window, horizon)
    low, high = series.bounds[split]
    starts = np.arange(max(0, low - window), high - window - horizon + 1)
    if starts.size == 0:
        raise ValueError(_("the {split} stretch ({points} points) is shorter than the horizon ({horizon})").format(
            split=split_name(split), points=high - low, horizon=horizon))
    return starts


@dataclass
class StretchForecast:
    """Forecasts for every window of a stretch, with the truth and the baselines: the naive last-value
    forecast and the seasonal ones. Arrays [B, horizon] in the series' own units; row b forecasts steps
    starts[b] + window + k."""

    starts: np.ndarray  # [B]
    window: int
    model: np.ndarray
    truth: np.ndarray
    naive: np.ndarray
    seasonal: dict[str, np.ndarray]  # "seasonal" and, for a positive series, "seasonal_growth": [B, horizon]
    missing: dict[str, str]  # a seasonal baseline the series' history is too short for, and why
    scores: dict  # {model, naive, seasonal...}_{mse, mae}: mse normalised (as the zoo reports it), mae in own units
    per_step: dict  # {model, naive, seasonal...}_mse: [horizon], by steps ahead

    @property
    def baselines(self) -> list[str]:
        """The baselines scored, in the order they are shown: naive first, then the seasonal ones."""
        return ["naive", *self.seasonal]

    def mse_ratios(self) -> dict[str, float]:
        """The model's MSE over each baseline's on the same windows (below 1: the model beats it; NaN where the
        baseline is exact)."""
        model = self.scores["model_mse"]
        return {b: model / self.scores[f"{b}_mse"] if self.scores[f"{b}_mse"] > 0 else float("nan")
                for b in self.baselines}


def score(forecasts: np.ndarray, truth: np.ndarray, baselines: dict[str, np.ndarray], std: float) -> tuple[dict, dict]:
    """MSE on the normalised scale and MAE in the series' units, for the model and each named baseline,
    over the same windows: in total and by steps ahead. Inputs [B, h] in the series' own units."""
    def mse(a):  # normalised: the scale the zoo's held-out metric uses
        return ((a - truth) / std) ** 2

    scores, per_step = {}, {}
    for name, values in {"model": forecasts, **baselines}.items():
        scores[f"{name}_mse"] = float(mse(values).mean())
        scores[f"{name}_mae"] = float(np.abs(values - truth).mean())
        per_step[f"{name}_mse"] = mse(values).mean(0)
    return scores, per_step


def evaluate_stretch(model: RNNModel, series: Series, split: str, window: int, horizon: int) -> StretchForecast:
    """The model against the naive and seasonal baselines on every window of a stretch (default view: test).
    The seasonal ones read the series before the window where they need to: a window shorter than a
    season hides the season from the model, not from the baseline."""
    starts = stretch_starts(series, split, window, horizon)
    ahead = starts[:, None] + window + np.arange(horizon)  # [B, h] the steps forecast
    predicted = forecast(model, series, starts, window, horizon)
    truth = series.values[ahead]
    naive = np.repeat(series.values[starts + window - 1][:, None], horizon, 1)
    made, missing = series.task.seasonal_forecasts(starts + window - 1, horizon)
    seasonal = {name: values.numpy() for name, values in made.items()}
    scores, per_step = score(predicted, truth, {"naive": naive, **seasonal}, series.std)
    return StretchForecast(starts=starts, window=window, model=predicted, truth=truth, naive=naive,
                           seasonal=seasonal, missing=missing, scores=scores, per_step=per_step)


def beaten_steps(stretch: StretchForecast, baseline: str) -> np.ndarray:
    """[horizon] bool: where the model's MSE is below the baseline's, by steps ahead."""
    return stretch.per_step["model_mse"] < stretch.per_step[f"{baseline}_mse"]


def trace_window(model: RNNModel, series: Series, start: int, window: int) -> Trace:
    """Every hidden state and gate while the model reads one window."""
    if window < 1 or not 0 <= start <= len(series.values) - window:
        raise ValueError(_("a window of {window} starting at {start} runs past the series' end").format(
            window=window, start=start))
    raw = torch.as_tensor(series.values[start:start + window])  # (W,) in the series' units
    return trace(model, series.task.encode_window(raw)[:, None])  # (W, 1): what the model reads


@dataclass
class WindowForecast:
    """One window and what comes after it, in the series' own units."""

    window_steps: np.ndarray  # [W]
    window_values: np.ndarray  # [W]
    steps: np.ndarray  # [h]: the steps forecast
    forecast: np.ndarray  # [h]
    truth: np.ndarray  # [<= h]: shorter where the series ends
    naive: float  # the last value read
    seasonal: dict[str, np.ndarray]  # [h] each: the seasonal baselines the series' history allows (as StretchForecast)


def window_forecast(model: RNNModel, series: Series, start: int, window: int, horizon: int) -> WindowForecast:
    """The forecast from the window series[start : start + window] (it may run past the series' end)."""
    if not 0 <= start <= len(series.values) - window:
        raise ValueError(_("a window of {window} starting at {start} runs past the series' end").format(
            window=window, start=start))
    predicted = forecast(model, series, [start], window, horizon)[0]
    steps = start + window + np.arange(horizon)
    made, _missing = series.task.seasonal_forecasts([start + window - 1], horizon)
    return WindowForecast(window_steps=np.arange(start, start + window),
                          window_values=series.values[start:start + window], steps=steps, forecast=predicted,
                          truth=series.values[steps[steps < len(series.values)]],
                          naive=float(series.values[start + window - 1]),
                          seasonal={name: values[0].numpy() for name, values in made.items()})
