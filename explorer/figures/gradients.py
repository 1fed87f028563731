"""Gradients through time: Plotly builders for how far a loss reaches back along a text.

Curves and heatmaps of ||dL/dh_t|| on log scales (a vanishing gradient falls by powers of ten),
the singular values of the recurrent matrices, the text coloured by input saliency, and the
clipping lab. Arrays in, a `go.Figure` (or an HTML string) out; the numbers come from
explorer/engine/grads.py and explorer/training/clipping.py. Magnitudes use the palette's
GRADIENT scale, so a gradient is never mistaken for a gate. Nothing here calls streamlit.
"""
from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from explorer.engine.cells import NOTATIONS
from explorer.figures.house import BLUE, GRADIENT, MODEL_COLORS, SKY_BLUE, VERMILLION
from explorer.figures.labels import (
    MAX_CELLS,
    MAX_COLUMNS,
    UNIT_TICKS,
    bin_columns,
    category_axis,
    char_label,
    entity,
    escape_all,
    step_categories,
    step_labels,
    strings,
)
from explorer.i18n import _, ngettext

SALIENCY_DECADES = 4  # the coloured text spans this many powers of ten below the largest value
# The recurrent matrices as the course writes them (explorer.engine.cells.NOTATIONS): W = W_hh, and a Jordan
# net's loop runs through its output layer, V = W_ho. Gate blocks keep their letters in both notations.
_COURSE_BLOCKS = {"W_hh": "W", "W_hh W_ho": "W V"}


def block_name(block: str, notation: str = "pytorch") -> str:
    """A recurrent matrix's name (a block of explorer.engine.grads.recurrent_spectrum) in plain text, in the
    course's notation or PyTorch's."""
    if notation not in NOTATIONS:
        raise ValueError(f"unknown notation {notation!r}; use one of {', '.join(NOTATIONS)}")
    return _COURSE_BLOCKS.get(block, block) if notation == "course" else block


def _positive_or_gap(values) -> list:
    """Values for a log axis: exact zeros (a gradient that underflowed, or nothing flowing) become gaps."""
    values = np.asarray(values, dtype=np.float64)
    return [float(v) if np.isfinite(v) and v > 0 else None for v in values]


def log_curves_figure(*, series: list[dict], tokens, start: int = 0, title: str, y_title: str,
                      value_name: str, height: int = 380) -> go.Figure:
    """Curves over steps on a log y axis, e.g. ||dL/dh_t|| for several models and layers.
    `series`: dicts with label, values [T'] (aligned with tokens[offset:]), and optional offset,
    color, dash. Zeros are left as gaps (a log axis cannot show them); the hover names model,
    step, character and value."""
    labels = [char_label(c) for c in tokens] if tokens is not None else []
    at_step = _("step {step} “{char}”").format(step="%{x}", char="%{customdata}")
    data = []
    for s in series:
        values = np.asarray(s["values"], dtype=np.float64)
        offset = s.get("offset", 0)
        steps = start + offset + np.arange(values.shape[0])
        chars = [labels[t] if t < len(labels) else "" for t in steps]
        # numpy in, typed arrays out: plotly validates and sends a Python list of floats one by one
        gaps = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        line = dict(dash=s.get("dash", "solid"), width=2)
        if s.get("color") is not None:
            line["color"] = s["color"]
        data.append(dict(
            type="scatter", x=steps, y=gaps, customdata=strings(chars), mode="lines", name=s["label"], line=line,
            connectgaps=False, hovertemplate=f"{html.escape(s['label'])}<br>{at_step}<br>"
                                             f"{value_name} = %{{y:.3e}}<extra></extra>"))
    return go.Figure(data=data, layout=dict(  # traces as dicts: go.Scatter objects would be checked twice
        title=dict(text=title), height=height, hovermode="closest",
        xaxis=dict(title=dict(text=_("step t (character read)"))),
        yaxis=dict(title=dict(text=y_title), type="log", exponentformat="power"),
        margin=dict(l=70, r=20, t=50, b=45), legend=dict(orientation="h", y=-0.2)))


def log_heatmap(*, values: np.ndarray, tokens, title: str, value_name: str, start: int = 0,
                max_cells: int = MAX_CELLS, max_columns: int = MAX_COLUMNS, floor: float | None = None,
                top: float | None = None, height: int | None = None) -> go.Figure:
    """|values| [T, H] as a units × steps heatmap on a log colour scale (log10, bar labelled in powers
    of ten). Zeros are drawn at `floor` (default: 1e-6 of the largest value). `floor` and `top` given
    (shared_log_range), several heatmaps share one scale. Wide inputs are binned by the mean magnitude
    over neighbouring steps, like state_heatmap."""
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    steps, size = magnitude.shape
    columns = min(max_columns, max(1, max_cells // max(size, 1)))
    labels = step_labels(tokens, start, steps)
    width = max(1, math.ceil(steps / columns))
    if width > 1:
        binned, edges = bin_columns(magnitude, columns)
        categories, tick_labels = step_categories(labels, start, edges)
    else:
        binned = magnitude
        categories, tick_labels = step_categories(labels, start)
    if top is None:
        finite = binned[np.isfinite(binned) & (binned > 0)]
        top = float(finite.max()) if finite.size else 1.0
    floor = floor if floor is not None else top * 1e-6
    logs = np.log10(np.clip(np.where(np.isfinite(binned), binned, floor), floor, None)).T.astype(np.float32)  # [H, B]
    low = math.floor(math.log10(floor))
    high = math.ceil(math.log10(top)) if top > floor else low + 1
    ticks = list(range(low, high + 1, max(1, (high - low) // 6)))
    shown = _("{quantity} (mean)").format(quantity=value_name) if width > 1 else value_name
    if width > 1:
        title = ngettext("{title} (mean over {width} step per column)", "{title} (mean over {width} steps per column)",
                         width).format(title=title, width=width)
    unit = _("unit {unit}")
    return go.Figure(
        data=[dict(type="heatmap", z=logs, x=strings(categories), y=strings(unit.format(unit=u) for u in range(size)),
                   colorscale=GRADIENT, zmin=low, zmax=high,
                   colorbar=dict(title=dict(text=_("|value|")), tickvals=ticks, ticktext=[f"1e{k}" for k in ticks]),
                   hovertemplate="%{x}<br>%{y}<br>log₁₀ " + shown + " = %{z:.2f}<extra></extra>")],
        layout=dict(title=dict(text=title), xaxis=category_axis(categories, tick_labels),
                    yaxis=dict(title=dict(text=_("unit")), autorange="reversed", type="category", nticks=UNIT_TICKS),
                    height=height or max(220, min(700, 4 * size + 140)), margin=dict(l=70, r=20, t=50, b=45)))


def shared_log_range(*, arrays, decades: int = 12) -> tuple[float, float]:
    """(floor, top) of one log colour scale for several |values| arrays (log_heatmap's floor and top):
    top the largest magnitude of all, floor the smallest nonzero one, but at most `decades` powers of
    ten below top, so a gradient that vanishes in one model shows as it does on a log-axis line chart."""
    magnitudes = [np.abs(np.asarray(a, dtype=np.float64)) for a in arrays]
    positive = np.concatenate([m[np.isfinite(m) & (m > 0)] for m in magnitudes] or [np.zeros(0)])
    if not positive.size:
        return 1e-6, 1.0
    top = float(positive.max())
    return max(float(positive.min()), top * 10.0 ** -decades), top


def spectrum_figure(*, rows: list[dict], title: str, height: int = 320, notation: str = "pytorch") -> go.Figure:
    """Singular values of recurrent matrices (rows from explorer.engine.grads.recurrent_spectrum), descending,
    one curve per (layer, direction, block), the matrices named in `notation` (explorer.engine.cells.NOTATIONS);
    the Pascanu et al. (2013) vanishing bound as a dashed line where it applies (Elman and Jordan nets)."""
    fig = go.Figure()
    bounds = set()
    for k, row in enumerate(rows):
        values = np.asarray(row["singular_values"], dtype=np.float64)
        said = _("{block}, layer {layer} backward") if row["direction"] else _("{block}, layer {layer}")
        name = said.format(block=block_name(row["block"], notation), layer=row["layer"])
        fig.add_trace(go.Scatter(
            x=np.arange(1, values.shape[0] + 1), y=values, mode="lines+markers", name=name,
            marker=dict(size=4), line=dict(color=MODEL_COLORS[k % len(MODEL_COLORS)]),
            hovertemplate=f"{html.escape(name)}<br>σ_%{{x}} = %{{y:.3f}}<extra></extra>"))
        if row.get("vanishing_bound") is not None:
            bounds.add(float(row["vanishing_bound"]))
    for bound in sorted(bounds):
        fig.add_hline(y=bound, line=dict(color="black", dash="dash"),
                      annotation_text=f"1/γ = {bound:g}", annotation_font=dict(size=11),
                      annotation_position="top right")  # below it: gradients must vanish
    fig.update_layout(title=dict(text=title), height=height, xaxis=dict(title=_("index k (largest first)")),
                      yaxis=dict(title=_("singular value σ_k"), rangemode="tozero"),
                      margin=dict(l=60, r=20, t=50, b=45), legend=dict(orientation="h", y=-0.25))
    return fig


def saliency_html(*, tokens, saliency: np.ndarray, step: int, label: str = "", start: int = 0) -> str:
    """The text coloured by ||dloss/dx_t|| for the prediction made at `step` (Distill's "connectivity"
    view): each character's background on a log scale over SALIENCY_DECADES powers of ten below the
    largest value (gradients fall off exponentially; a linear scale shows only the last few); the
    character at `step` is outlined; characters after it cannot matter (their gradient is 0). Every
    character HTML-escaped; the hover names step, character and value. `saliency` [T'] lines up with
    tokens[start:] (a window of a long text); `step` is a position in the whole text."""
    values = np.asarray(saliency, dtype=np.float64)
    top = float(np.nanmax(values)) if values.size and np.isfinite(values).any() else 0.0
    palette = sample_colorscale(GRADIENT, list(np.linspace(0, 1, 64)), colortype="tuple")
    said = _("step {step} '{char}': ||dloss/dx|| = {value} ({share} of the largest)")
    spans = []
    for t, value in enumerate(values, start=start):
        ch = tokens[t]
        share = value / top if top > 0 and np.isfinite(value) else 0.0
        fraction = 1 + math.log10(share) / SALIENCY_DECADES if share > 0 else 0.0
        r, g, b = palette[int(np.clip(round(fraction * 63), 0, 63))]
        r, g, b = (float(c) / 255 if c > 1 else float(c) for c in (r, g, b))
        ink = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#fff"
        shown = "↵<br>" if ch == "\n" else entity(ch)
        outline = f"outline:3px solid {SKY_BLUE};" if t == step else ""
        tip = "".join(entity(c) for c in said.format(step=t, char=ch, value=f"{value:.3e}", share=f"{share:.1%}"))
        spans.append(f'<span title="{tip}" style="background:rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f});'
                     f'color:{ink};{outline}">{shown}</span>')
    head = f'<div style="font-size:0.85rem;margin-bottom:2px"><b>{escape_all(label)}</b></div>' if label else ""
    return (head + '<div style="font-family:monospace;font-size:1.05rem;line-height:1.9;white-space:pre-wrap;'
            'overflow-wrap:anywhere">' + "".join(spans) + "</div>")


def clipping_figure(*, result: dict) -> go.Figure:
    """The clipping lab (explorer.training.clipping.clipping_lab): the gradient norm before clipping at every
    training step, with and without clipping (log y; clip events marked, threshold dashed); their
    distribution; and the loss."""
    threshold = float(result["threshold"])
    fig = make_subplots(rows=1, cols=3, column_widths=[0.45, 0.2, 0.35], horizontal_spacing=0.08,
                        subplot_titles=(_("gradient norm at each step (before clipping)"), _("distribution"),
                                        _("training loss")))
    runs = [("unclipped", _("without clipping"), VERMILLION),
            ("clipped", _("clipped at {threshold}").format(threshold=f"{threshold:g}"), BLUE)]
    at_step = _("{run}<br>step {step}: {value}").format  # the run, the step, then a quantity and its value
    for key, label, color in runs:
        rows = result[key]["rows"]
        steps = [r["step"] for r in rows]
        norms = [r["grad_norm_before"] for r in rows]
        fig.add_trace(go.Scatter(x=steps, y=_positive_or_gap(norms), mode="lines+markers", name=label,
                                 legendgroup=key, line=dict(color=color), marker=dict(size=5),
                                 hovertemplate=at_step(run=label, step="%{x}", value="||g|| = %{y:.3e}")
                                 + "<extra></extra>"),
                      row=1, col=1)
        clipped = [(r["step"], r["grad_norm_before"], r["grad_norm_after"]) for r in rows if r.get("clipped")]
        if clipped:
            fig.add_trace(go.Scatter(
                x=[c[0] for c in clipped], y=[c[1] for c in clipped], mode="markers",
                name=_("{run}: clipped").format(run=label), legendgroup=key, marker=dict(symbol="x", size=10,
                                                                                        color="black"),
                customdata=[c[2] for c in clipped],
                hovertemplate=_("step {step}: ||g|| = {before} rescaled to {after}").format(
                    step="%{x}", before="%{y:.3e}", after="%{customdata:.3g}")
                + "<extra>" + _("clip event") + "</extra>"),
                row=1, col=1)
        fig.add_trace(go.Box(y=_positive_or_gap(norms), name=label, legendgroup=key, marker=dict(color=color),
                             boxpoints="all", jitter=0.4, showlegend=False,
                             hovertemplate=f"{label}<br>||g|| = %{{y:.3e}}<extra></extra>"), row=1, col=2)
        losses = [r["loss"] for r in rows]
        fig.add_trace(go.Scatter(x=steps, y=_positive_or_gap(losses), mode="lines+markers", name=label,
                                 legendgroup=key, showlegend=False, line=dict(color=color), marker=dict(size=5),
                                 hovertemplate=at_step(run=label, step="%{x}", value=_("loss = {value}").format(
                                     value="%{y:.3e}")) + "<extra></extra>"),
                      row=1, col=3)
    fig.add_hline(y=threshold, line=dict(color="black", dash="dash"), row=1, col=1,
                  annotation_text=_("threshold {threshold}").format(threshold=f"{threshold:g}"),
                  annotation_position="bottom right")
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text=_("||∇θ L|| (L2, all parameters)"), row=1, col=1)
    fig.update_yaxes(title_text=_("MSE loss"), row=1, col=3)
    fig.update_xaxes(title_text=_("training step"), row=1, col=1)
    fig.update_xaxes(title_text=_("training step"), row=1, col=3)
    fig.update_layout(title=dict(text=_("Clipping lab: {cell} on the adding problem, T = {steps}").format(
                          cell=result["cell"].upper(), steps=result["seq_len"])), height=420,
                      margin=dict(l=70, r=20, t=70, b=45), legend=dict(orientation="h", y=-0.2))
    return fig
