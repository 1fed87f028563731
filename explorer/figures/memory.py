"""How long can it remember?: success against sequence length, one line per cell with its seed band, and the
gradient that reaches each step of the longest sequences. Pure functions; nothing here calls streamlit."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures.house import BLACK, FAINT, MODEL_COLORS
from explorer.i18n import _, ngettext

HIGH = 0.9  # success that reads as "remembers": on both tasks, well clear of the baseline and of chance


def _fill(color: str, alpha: float = 0.15) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def sweep_figure(*, lengths, curves: dict[str, np.ndarray], names: dict[str, str], baseline: float,
                 live: list[dict] = (), title: str = "", y_title: str = "") -> go.Figure:
    """One line per cell: the mean success over seeds at each length, and a band from the worst seed to the
    best. `curves[cell]` is (lengths, seeds); `live` adds points trained on the page ({cell, length, success,
    seed}) as crosses in their cell's colour. The baseline is a dotted black line."""
    fig = go.Figure()
    x = [int(v) for v in lengths]
    for i, (cell, values) in enumerate(curves.items()):
        color = MODEL_COLORS[i % len(MODEL_COLORS)]
        values = np.asarray(values, dtype=float)  # (L, S)
        low, mean, high = values.min(axis=1), values.mean(axis=1), values.max(axis=1)
        fig.add_trace(go.Scatter(x=x + x[::-1], y=[*high, *low[::-1]], mode="lines", fill="toself",
                                 fillcolor=_fill(color), line=dict(width=0), hoverinfo="skip", showlegend=False,
                                 legendgroup=cell))
        hover = [_("{cell}, length {length}: mean {mean:.2f} over {seeds} seeds (worst {low:.2f}, best {high:.2f})")
                 .format(cell=names[cell], length=length, mean=m, seeds=values.shape[1], low=lo, high=hi)
                 for length, m, lo, hi in zip(x, mean, low, high)]
        fig.add_trace(go.Scatter(x=x, y=mean, mode="lines+markers", name=names[cell], legendgroup=cell,
                                 line=dict(color=color, width=2), marker=dict(size=6),
                                 hovertext=hover, hoverinfo="text"))
    colors = {cell: MODEL_COLORS[i % len(MODEL_COLORS)] for i, cell in enumerate(curves)}
    for point in live:
        fig.add_trace(go.Scatter(
            x=[point["length"]], y=[point["success"]], mode="markers", showlegend=False,
            marker=dict(symbol="x", size=12, color=colors.get(point["cell"], BLACK), line=dict(width=1)),
            hovertext=[_("{cell}, length {length}: {success:.2f}, trained on this page (seed {seed})").format(
                cell=names.get(point["cell"], point["cell"]), length=point["length"], success=point["success"],
                seed=point["seed"])], hoverinfo="text"))
    fig.add_hline(y=baseline, line=dict(color=BLACK, dash="dot", width=1),
                  annotation_text=_("baseline"), annotation_position="bottom right",
                  annotation_font=dict(color=FAINT))
    fig.update_layout(title=title, height=440, margin=dict(l=60, r=20, t=50, b=50), hovermode="closest",
                      legend=dict(orientation="h", y=-0.2))
    fig.update_xaxes(type="log", title=_("sequence length T (steps, log scale)"), tickvals=x,
                     ticktext=[str(v) for v in x])
    fig.update_yaxes(title=y_title)
    return fig


def gradient_figure(*, profiles: dict[str, list[float]], names: dict[str, str], title: str = "") -> go.Figure:
    """‖dL/dh_t‖ against the distance from the last step, one line per cell, on a log axis: a straight falling
    line is a gradient that shrinks by the same factor every step back."""
    fig = go.Figure()
    for i, (cell, profile) in enumerate(profiles.items()):
        norms = np.asarray(profile, dtype=float)
        shown = np.where(norms > 0, norms, np.nan)  # a zero (underflowed in float32) has no place on a log axis
        distance = np.arange(len(norms))
        hover = [_("{cell}: {distance} steps before the end, ‖dL/dhₜ‖ = {norm:.2e}").format(
            cell=names[cell], distance=d, norm=v) for d, v in zip(distance, norms)]
        fig.add_trace(go.Scatter(x=distance, y=shown, mode="lines", name=names[cell], hovertext=hover,
                                 hoverinfo="text", line=dict(color=MODEL_COLORS[i % len(MODEL_COLORS)])))
    fig.update_layout(title=title, height=440, margin=dict(l=60, r=20, t=50, b=50),
                      legend=dict(orientation="h", y=-0.2))
    fig.update_xaxes(title=_("steps before the end (distance)"), autorange="reversed")
    fig.update_yaxes(type="log", exponentformat="power", title=_("‖dL/dhₜ‖ (mean over held-out sequences, log scale)"))
    return fig


def look_sentence(*, lengths, curves: dict[str, np.ndarray], names: dict[str, str], baseline: float) -> str:
    """What to look at, read off the curves: which cells still succeed at the longest length (mean ≥ HIGH),
    and otherwise which cell does best there and how far each line gets."""
    longest = int(lengths[-1])
    means = {cell: float(np.mean(values[-1])) for cell, values in curves.items()}
    above = [names[cell] for cell, mean in means.items() if mean >= HIGH]
    if above and len(above) == len(means):
        return _("Every cell still scores above {high} at length {length}: at this budget the task does not "
                 "separate them.").format(high=HIGH, length=longest)
    if above:
        return ngettext("At length {length}, only {cells} still scores above {high}: follow each line to where it "
                        "drops towards the baseline.",
                        "At length {length}, only {cells} still score above {high}: follow each line to where it "
                        "drops towards the baseline.", len(above)).format(length=longest, cells=", ".join(above),
                                                                          high=HIGH)
    best = max(means, key=means.get)
    reach = []
    for cell, values in curves.items():
        good = [int(length) for length, row in zip(lengths, values) if float(np.mean(row)) >= HIGH]
        if good:
            reach.append(_("{cell} up to {length}").format(cell=names[cell], length=max(good)))
    if not reach:
        return _("No cell reaches {high} at any length here; at length {length} the best is {cell} with {mean:.2f} "
                 "(baseline {baseline:.2f}).").format(high=HIGH, length=longest, cell=names[best], mean=means[best],
                                                      baseline=baseline)
    return _("No cell stays above {high} at length {length} (best: {cell}, {mean:.2f}); lines stay above it for "
             "{reach}.").format(high=HIGH, length=longest, cell=names[best], mean=means[best], reach="; ".join(reach))
