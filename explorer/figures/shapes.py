"""Pure Plotly builders for the many-to-one, one-to-many and time-series views.

Arrays in, `go.Figure` out, nothing else: the colours and scales are house.py's and the label
helpers labels.py's, so a probability here looks like one on Inspect. Hidden-state and gate
heatmaps are states.state_heatmap itself; `relabel_steps` only renames its x axis for what a
step reads. Nothing here calls streamlit.
"""
from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go

from explorer.analysis.highlights import number_runs
from explorer.figures.house import BLACK, BLUISH_GREEN, MODEL_COLORS, REDDISH_PURPLE, SEQUENTIAL
from explorer.figures.labels import char_label, escape_all
from explorer.i18n import _, ngettext
from explorer.tasks.base import split_name
from explorer.tasks.series import BASELINE_NAMES

MODEL, TRUTH, NAIVE, WINDOW = MODEL_COLORS[1], BLACK, "#999999", MODEL_COLORS[0]
BASELINE_COLORS = {"naive": NAIVE, "seasonal": REDDISH_PURPLE, "seasonal_growth": BLUISH_GREEN}
SPLIT_SHADES = {"train": "rgba(0,114,178,0.06)", "val": "rgba(230,159,0,0.10)", "test": "rgba(0,158,115,0.10)"}
NO_BOX = "<extra></extra>"  # ends a hover template: no second box naming the trace


def class_name(label) -> str:
    """A class label as shown: the tasks mark their word labels ("end", "positive") for the catalogue;
    digits and depths come back as they are."""
    return _(str(label))


def relabel_steps(fig: go.Figure, title: str) -> go.Figure:
    """A state_heatmap whose steps read something other than characters (a value, a blank)."""
    fig.update_xaxes(title_text=title)
    return fig


LEGEND_ROWS = 2  # a legend of four entries wraps to two rows on a narrow page


def title_and_legend(*, title: str, height: int, bottom: int = 45) -> dict:
    """Layout keys for a figure with a legend: the title at the very top, the legend between it and
    the plot (room for LEGEND_ROWS rows), so the two never overlap however narrow the page is."""
    return dict(title=dict(text=title, yref="container", y=1, yanchor="top", pad=dict(t=10)), height=height,
                margin=dict(l=60, r=20, t=40 + 22 * LEGEND_ROWS, b=bottom),
                legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"))


def floor_to(value: float, digits: int = 3) -> float:
    """`value` rounded down, so that “at least” followed by it stays true."""
    return math.floor(value * 10 ** digits) / 10 ** digits


# ---------------------------------------------------------------------------------------------
# many-to-one


def running_prediction_figure(*, sentence: str, p_positive: np.ndarray, word_ends: list[tuple[str, int]],
                              title: str, height: int = 340) -> go.Figure:
    """p(positive) from the head after every character (faint) and after every word (markers,
    the words as x labels), with 0.5 dashed: where the line crosses it the verdict flips."""
    p = np.asarray(p_positive, dtype=np.float64)
    steps = np.arange(p.shape[0])
    chars = [char_label(c) for c in sentence]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=steps, y=p, mode="lines", name=_("after every character"), customdata=chars,
        line=dict(color=NAIVE, width=1), opacity=0.6,
        hovertemplate=_("after character %{x} “%{customdata}”<br>p(positive) = %{y:.3f}") + NO_BOX))
    ends = [end for _word, end in word_ends]
    words = [html.escape(w) for w, _end in word_ends]
    fig.add_trace(go.Scatter(
        x=ends, y=p[ends], mode="lines+markers", name=_("after every word"), customdata=words,
        line=dict(color=MODEL, width=3), marker=dict(size=9),
        hovertemplate=_("after the word “%{customdata}” (character %{x})<br>p(positive) = %{y:.3f}") + NO_BOX))
    fig.add_hline(y=0.5, line=dict(color="black", dash="dash"), annotation_text=_("0.5: the verdict flips"),
                  annotation_position="top left")
    fig.update_layout(title=dict(text=title), height=height, margin=dict(l=60, r=20, t=50, b=60), showlegend=False,
                      xaxis=dict(title=_("word read (thick line; the faint line: after every character)"),
                                 tickmode="array", tickvals=ends, ticktext=words, tickangle=-30),
                      yaxis=dict(title=_("p(positive)"), range=[-0.03, 1.03]))
    return fig


def verdict_name(p_positive: float) -> str:
    return _("positive") if p_positive > 0.5 else _("negative")


def running_verdict_sentence(*, clauses: list[tuple[str, int, float]], final: float) -> str:
    """Markdown: what to look at in the running prediction, read off the numbers it draws."""
    if len(clauses) > 1:
        turned = (clauses[0][2] > 0.5) != (clauses[-1][2] > 0.5)
        said = (_("Follow the thick line from clause to clause: {clauses}; the last clause turns the verdict around.")
                if turned else
                _("Follow the thick line from clause to clause: {clauses}; the verdict holds to the end."))
        return said.format(clauses=verdict_line(clauses))
    return _("The thick line is the verdict after each word; it ends **{verdict}** (p(positive) = {p}) on the last "
             "character, the only step the model was trained to answer on.").format(verdict=verdict_name(final),
                                                                                     p=f"{final:.2f}")


def verdict_line(clauses: list[tuple[str, int, float]]) -> str:
    """Markdown: the verdict after each clause, “A”: positive (0.98) → “but B”: negative (0.01).
    The clauses are the user's text, so every character that Markdown or HTML would act on is
    written as an entity."""
    return " → ".join(_("after “{clause}”: **{verdict}** ({p})").format(clause=escape_all(c), verdict=verdict_name(p),
                                                                        p=f"{p:.2f}")
                      for c, _end, p in clauses)


# ---------------------------------------------------------------------------------------------
# one-to-many


def output_distribution_figure(*, probs: np.ndarray, labels, emitted: list[str], title: str) -> go.Figure:
    """The output distribution at every generated step (classes top to bottom, probability on the
    gates' [0, 1] scale), the emitted class written in its cell; steps after "end" are greyed in
    the x labels. `probs` [T, C]; `emitted` the greedy choices up to and including the end."""
    probs = np.asarray(probs, dtype=np.float32)
    steps, classes = probs.shape
    chosen = probs.argmax(-1)
    names = [class_name(label) for label in labels]
    categories = [(_("step {t} → {label}") if t < len(emitted) else _("step {t} → {label} (after end)"))
                  .format(t=t, label=names[c]) for t, c in enumerate(chosen)]
    text = np.full((classes, steps), "", dtype=object)
    for t, c in enumerate(chosen):
        text[c, t] = f"{probs[t, c]:.2f}"
    fig = go.Figure(go.Heatmap(
        z=probs.T, x=categories, y=names, text=text, texttemplate="%{text}",
        colorscale=SEQUENTIAL, zmin=0, zmax=1, colorbar=dict(title=dict(text="p")),
        hovertemplate="%{x}<br>" + _("class “%{y}”: p = %{z:.4f}") + NO_BOX))
    if len(emitted) < steps:
        fig.add_vline(x=len(emitted) - 0.5, line=dict(color="black", width=2, dash="dash"))
    # short ticks, the step over the class it emitted, level: long rotated ones ran into the axis title
    shown = range(0, steps, max(1, math.ceil(steps / 16)))
    fig.update_layout(title=dict(text=title), height=130 + 24 * classes, margin=dict(l=60, r=20, t=50, b=20),
                      xaxis=dict(title=dict(text=_("step t (top), the class emitted there (below)"), standoff=8),
                                 type="category", tickmode="array", tickangle=0, automargin=True,
                                 tickvals=[categories[t] for t in shown],
                                 ticktext=[f"{t}<br>{names[chosen[t]]}" for t in shown]),
                      yaxis=dict(title=_("class"), type="category", autorange="reversed"))
    return fig


def countdown_sentence(*, start: str, emitted: list[str], after_end: list[str], stopped: bool, steps: int,
                       correct: bool, expected: list[str], p_lowest: float) -> str:
    """Markdown: what the output distribution shows, read off the greedy unroll it draws.
    `after_end`: the classes emitted at the steps run after the end token."""
    def spoken(labels):
        return " ".join(class_name(label) for label in labels)

    if not stopped:
        ending = ngettext("and did not say “end” within {steps} step", "and did not say “end” within {steps} steps",
                          steps).format(steps=steps)
    elif not after_end:
        ending = _("said “end” at step {step}").format(step=len(emitted) - 1)
    elif set(after_end) == {emitted[-1]}:
        ending = _("said “end” at step {step} and kept saying it").format(step=len(emitted) - 1)
    else:
        ending = _("said “end” at step {step} and then {after}").format(step=len(emitted) - 1, after=spoken(after_end))
    verdict = (_(": the count is right.") if correct else
               _(", where the task wants {expected}.").format(expected=spoken(expected)))
    # the opening, then one whole clause for how it ended and one for the verdict
    return _("From the one input **{start}** the model wrote **{written}**, the bright cells from left to right "
             "(each p ≥ {p}), {ending}{verdict}").format(start=start, written=spoken(emitted),
                                                        p=f"{floor_to(p_lowest):.3f}", ending=ending, verdict=verdict)


# ---------------------------------------------------------------------------------------------
# time series


def series_figure(*, values: np.ndarray, time_labels: list[str], bounds: dict, window: tuple[int, int],
                  forecast_steps: np.ndarray, forecast: np.ndarray, unit: str, title: str,
                  height: int = 340) -> go.Figure:
    """The whole series with its train/val/test stretches shaded, the window the model reads
    highlighted, and its forecast drawn after it. `unit` is the English unit name the analysis
    gives (marked for the catalogue there)."""
    values = np.asarray(values, dtype=np.float64)
    steps = np.arange(values.shape[0])
    fig = go.Figure()
    for split, (lo, hi) in bounds.items():
        fig.add_vrect(x0=lo - 0.5, x1=hi - 0.5, fillcolor=SPLIT_SHADES.get(split, "rgba(0,0,0,0.05)"),
                      line_width=0, annotation_text=split_name(split), annotation_position="top left")
    start, stop = window
    fig.add_vrect(x0=start - 0.5, x1=stop - 0.5, fillcolor="rgba(0,114,178,0.25)", line_width=0)
    fig.add_trace(go.Scatter(
        x=steps, y=values, mode="lines", name=_("the series"), line=dict(color=TRUTH, width=1),
        customdata=time_labels, hovertemplate=_("step %{x} (%{customdata})<br>value = %{y:.3f}") + NO_BOX))
    fig.add_trace(go.Scatter(
        x=steps[start:stop], y=values[start:stop], mode="lines", name=_("the window the model reads"),
        line=dict(color=WINDOW, width=3), customdata=time_labels[start:stop],
        hovertemplate=_("read at step %{x} (%{customdata})<br>value = %{y:.3f}") + NO_BOX))
    fig.add_trace(go.Scatter(
        x=forecast_steps, y=forecast, mode="lines+markers", name=_("forecast"), line=dict(color=MODEL, width=2),
        marker=dict(size=5), hovertemplate=_("forecast for step %{x}<br>value = %{y:.3f}") + NO_BOX))
    fig.update_layout(**title_and_legend(title=title, height=height), xaxis=dict(title=_("time step")),
                      yaxis=dict(title=_(unit)), hovermode="closest")
    return fig


def window_forecast_figure(*, window_steps: np.ndarray, window_values: np.ndarray, forecast_steps: np.ndarray,
                           forecast: np.ndarray, truth: np.ndarray, naive: float, direct: int, unit: str,
                           title: str, seasonal: dict[str, np.ndarray] | None = None, height: int = 340) -> go.Figure:
    """Close up: the window read, then the forecast against the truth, the last-value baseline and the
    seasonal ones (BASELINE_NAMES' keys -> [h]). The first `direct` forecasts are the model's own outputs;
    later ones are iterated (open markers). `truth` may be shorter than the forecast where the series ends."""
    forecast = np.asarray(forecast, dtype=np.float64)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=window_steps, y=window_values, mode="lines+markers", name=_("window (read)"), marker=dict(size=4),
        line=dict(color=WINDOW, width=2), hovertemplate=_("read at step %{x}<br>value = %{y:.3f}") + NO_BOX))
    truth_steps = forecast_steps[:len(truth)]
    fig.add_trace(go.Scatter(
        x=truth_steps, y=truth, mode="lines+markers", name=_("truth"), line=dict(color=TRUTH, width=2),
        marker=dict(size=6), hovertemplate=_("step %{x}<br>true value = %{y:.3f}") + NO_BOX))
    symbols = ["circle" if k < direct else "circle-open" for k in range(forecast.shape[0])]
    ahead = np.arange(1, forecast.shape[0] + 1)
    fig.add_trace(go.Scatter(
        x=forecast_steps, y=forecast, mode="lines+markers", name=_("model forecast"), customdata=ahead,
        line=dict(color=MODEL, width=2), marker=dict(size=9, symbol=symbols),
        hovertemplate=_("step %{x}, %{customdata} ahead<br>forecast = %{y:.3f}") + NO_BOX))
    fig.add_trace(go.Scatter(
        x=forecast_steps, y=np.full(forecast.shape[0], naive), mode="lines", name=_(BASELINE_NAMES["naive"]),
        line=dict(color=NAIVE, dash="dash"), hovertemplate=_("step %{x}<br>last value = %{y:.3f}") + NO_BOX))
    for name, values in (seasonal or {}).items():  # markers too: a one-step forecast is a single point
        label = _(BASELINE_NAMES[name])
        fig.add_trace(go.Scatter(
            x=forecast_steps, y=values, mode="lines+markers", name=label, marker=dict(size=5, symbol="diamond"),
            line=dict(color=BASELINE_COLORS[name], dash="dot"),
            hovertemplate=html.escape(label) + "<br>" + _("step %{x}: %{y:.3f}") + NO_BOX))
    fig.add_vline(x=float(window_steps[-1]) + 0.5, line=dict(color="black", dash="dot"))
    fig.update_layout(**title_and_legend(title=title, height=height), xaxis=dict(title=_("time step")),
                      yaxis=dict(title=_(unit)), hovermode="closest")
    return fig


def stretch_figure(*, steps: np.ndarray, truth: np.ndarray, curves: list[tuple[str, np.ndarray, np.ndarray]],
                   unit: str, title: str) -> go.Figure:
    """Forecasts along a stretch against the truth. `curves`: (name, steps forecast, values), names
    as shown; each forecast is drawn at the step it forecasts, so the gap to the truth is the error."""
    fig = go.Figure(go.Scatter(x=steps, y=truth, mode="lines", name=_("truth"), line=dict(color=TRUTH, width=2),
                               hovertemplate=_("step %{x}<br>true value = %{y:.3f}") + NO_BOX))
    palette = [MODEL, MODEL_COLORS[2], NAIVE]
    dashes = ["solid", "solid", "dash"]
    for k, (name, at, values) in enumerate(curves):
        fig.add_trace(go.Scatter(
            x=at, y=values, mode="lines", name=name, line=dict(color=palette[k % 3], dash=dashes[k % 3]),
            hovertemplate=html.escape(name) + "<br>" + _("step %{x}: %{y:.3f}") + NO_BOX))
    fig.update_layout(**title_and_legend(title=title, height=360), xaxis=dict(title=_("time step forecast")),
                      yaxis=dict(title=_(unit)), hovermode="x unified")
    return fig


def error_by_horizon_figure(*, model_mse: np.ndarray, baseline_mse: dict[str, np.ndarray], direct: int,
                            title: str) -> go.Figure:
    """MSE by steps ahead, model against each baseline (BASELINE_NAMES' keys: naive, seasonal...) on the
    same windows; a dotted line where the model's direct outputs end and iterated forecasts begin."""
    ahead = np.arange(1, len(model_mse) + 1)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=ahead, y=model_mse, name=_("model"), marker_color=MODEL,
                         hovertemplate=_("%{x} steps ahead<br>model MSE = %{y:.4f}") + NO_BOX))
    for name, values in baseline_mse.items():
        label = _(BASELINE_NAMES[name])
        fig.add_trace(go.Bar(x=ahead, y=values, name=label, marker_color=BASELINE_COLORS[name],
                             hovertemplate=html.escape(label) + "<br>" + _("%{x} steps ahead: MSE = %{y:.4f}")
                             + NO_BOX))
    if direct < len(model_mse):
        fig.add_vline(x=direct + 0.5, line=dict(color="black", dash="dot"), annotation_text=_("iterated →"))
    fig.update_layout(**title_and_legend(title=title, height=320), barmode="group",
                      xaxis=dict(title=_("steps ahead")), yaxis=dict(title=_("MSE (normalised)")))
    return fig


def forecast_sentence(*, at: int, window: int, horizon: int, forecast: np.ndarray, truth: np.ndarray, naive: float,
                      unit: str, windows: int, mse_ratio: float,
                      seasonal_ratios: dict[str, float] | None = None) -> str:
    """Markdown: what the close-up shows, from the numbers it draws: this window's mean absolute error,
    the model's and the naive forecast's, and the MSE ratio over every window of the test stretch, then
    the same ratio against each seasonal baseline (BASELINE_NAMES' keys -> model MSE / its MSE)."""
    said = [_close_up_sentence(at=at, window=window, horizon=horizon, forecast=forecast, truth=truth, naive=naive,
                               unit=unit, windows=windows, mse_ratio=mse_ratio)]
    for name, ratio in (seasonal_ratios or {}).items():
        against = (_("Against {baseline} (dotted) its MSE is {ratio}× that one's: it beats it.") if ratio < 1 else
                   _("Against {baseline} (dotted) its MSE is {ratio}× that one's: it loses to it."))
        said.append(against.format(baseline=_(BASELINE_NAMES[name]), ratio=f"{ratio:.2f}"))
    return " ".join(said)


def step_ranges(steps) -> str:
    """1-based steps as runs: [1, 2, 3, 5] -> "1–3, 5"."""
    return number_runs(steps)


def steps_beaten_sentence(*, beaten: dict[str, np.ndarray]) -> str:
    """Markdown: per baseline (BASELINE_NAMES' keys -> [horizon] bool, model MSE below the baseline's),
    the steps ahead where the model beats it and where it loses."""
    said = []
    for name, wins in beaten.items():
        wins = np.asarray(wins, dtype=bool)
        if len(wins) == 1:
            sentence = (_("The model beats {baseline} one step ahead.") if wins[0] else
                        _("The model loses to {baseline} one step ahead."))
        elif wins.all():
            sentence = _("The model beats {baseline} at every step ahead ({won}).")
        elif not wins.any():
            sentence = _("The model loses to {baseline} at every step ahead ({lost}).")
        else:
            sentence = _("The model beats {baseline} at steps ahead {won} and loses at {lost}.")
        said.append(sentence.format(baseline=f"**{_(BASELINE_NAMES[name])}**",
                                    won=step_ranges(np.flatnonzero(wins) + 1),
                                    lost=step_ranges(np.flatnonzero(~wins) + 1)))
    return " ".join(said)


def _close_up_sentence(*, at: int, window: int, horizon: int, forecast: np.ndarray, truth: np.ndarray, naive: float,
                       unit: str, windows: int, mse_ratio: float) -> str:
    numbers = dict(window=window, first=at, last=at + window - 1, horizon=horizon, windows=windows,
                   ratio=f"{mse_ratio:.2f}")
    beats = mse_ratio < 1
    if not len(truth):
        said = (_("The model read {window} values (steps {first}–{last}, blue) and forecast the next {horizon} "
                  "(orange), whose truth lies past the series' end; over all {windows} test windows its MSE is "
                  "{ratio}× the naive one's: it beats repeating the last value.") if beats else
                _("The model read {window} values (steps {first}–{last}, blue) and forecast the next {horizon} "
                  "(orange), whose truth lies past the series' end; over all {windows} test windows its MSE is "
                  "{ratio}× the naive one's: it loses to repeating the last value."))
        return said.format(**numbers)
    model_error = float(np.abs(np.asarray(forecast)[:len(truth)] - truth).mean())
    naive_error = float(np.abs(naive - np.asarray(truth)).mean())
    units = "" if unit == "value" else f" {_(unit)}"  # a synthetic series has no unit to name
    said = (_("The model read {window} values (steps {first}–{last}, blue) and forecast the next {horizon} (orange), "
              "off by **{model_error}**{units} on average where the naive forecast (grey, the last value repeated) "
              "is off by **{naive_error}**; over all {windows} test windows its MSE is {ratio}× the naive one's: "
              "it beats repeating the last value.") if beats else
            _("The model read {window} values (steps {first}–{last}, blue) and forecast the next {horizon} (orange), "
              "off by **{model_error}**{units} on average where the naive forecast (grey, the last value repeated) "
              "is off by **{naive_error}**; over all {windows} test windows its MSE is {ratio}× the naive one's: "
              "it loses to repeating the last value."))
    return said.format(**numbers, model_error=f"{model_error:.3g}", naive_error=f"{naive_error:.3g}", units=units)
