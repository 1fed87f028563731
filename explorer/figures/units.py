"""Pure Plotly builders for Find units: arrays in, `go.Figure` (or an HTML string) out.

The colours come from the palette (house.py), character labels and escaping from labels.py;
nothing here calls streamlit.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures.house import DIVERGING, MODEL_COLORS, ORANGE, SEQUENTIAL
from explorer.figures.labels import char_label, entity, quantity_name
from explorer.i18n import _

HIGHLIGHT = ORANGE  # a selected or matched stretch


FEATURE_GREY = "#999999"


def probe_figure(*, tokens, unit_values: np.ndarray, feature: np.ndarray, unit_name: str, feature_name: str,
                 r: float, title: str | None = None, shown_steps: int | None = None, height: int = 320) -> go.Figure:
    """One unit's activation and the feature over the same steps, on two y axes (the unit left,
    the feature right), so a unit that tracks the feature visibly moves with it. Each axis title
    names its line in the line's colour, in place of a legend (which would crowd the title on a
    narrow screen). `shown_steps` opens the view on the first steps of a long sample, with a range
    slider to move along the rest."""
    steps = np.arange(len(unit_values))
    chars = [char_label(c) for c in tokens[:len(unit_values)]]
    # plotly's own %{...} fields go in through format's placeholders, so the sentence around them translates whole
    hover = _("step {step} “{char}”<br>{name} = {value}<extra></extra>")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=steps, y=np.asarray(feature, dtype=np.float32), customdata=chars, name=feature_name, yaxis="y2",
        mode="lines", line=dict(color=FEATURE_GREY, width=1.5, shape="hv"), fill="tozeroy",
        fillcolor="rgba(153,153,153,0.25)",
        hovertemplate=hover.format(step="%{x}", char="%{customdata}", name=feature_name, value="%{y:.3g}")))
    fig.add_trace(go.Scatter(
        x=steps, y=np.asarray(unit_values, dtype=np.float32), customdata=chars, name=unit_name, mode="lines",
        line=dict(color=MODEL_COLORS[0], width=1.5),
        hovertemplate=hover.format(step="%{x}", char="%{customdata}", name=unit_name, value="%{y:.3f}")))
    slider = len(steps) > 400
    xaxis = dict(title=_("step t (character read)"), rangeslider=dict(visible=slider, thickness=0.08))
    if shown_steps is not None and shown_steps < len(steps):
        xaxis["range"] = [-0.5, shown_steps - 0.5]
    fig.update_layout(
        title=dict(text=title or _("{unit} against “{feature}” (r = {r})").format(unit=unit_name, feature=feature_name,
                                                                                 r=f"{r:+.2f}")),
        height=height, xaxis=xaxis, showlegend=False,
        yaxis=dict(title=dict(text=_("{unit} (line)").format(unit=unit_name), font=dict(color=MODEL_COLORS[0]))),
        yaxis2=dict(title=dict(text=_("{feature} (grey area)").format(feature=feature_name),
                               font=dict(color="#666666")), overlaying="y",
                    side="right", tickmode="auto", showgrid=False, rangemode="tozero"),
        margin=dict(l=60, r=60, t=50, b=40), hovermode="x unified")
    return fig


def ranking_figure(*, r: np.ndarray, labels: list[str], top: int, feature_name: str) -> go.Figure:
    """The sorted |r| of every unit (a curve falling from the best one), the top ones marked, so the
    user sees whether a few units stand out or many share the work."""
    magnitude = np.sort(np.abs(np.asarray(r)))[::-1]
    ranks = np.arange(1, len(magnitude) + 1)
    fig = go.Figure(go.Scatter(
        x=ranks, y=magnitude, mode="lines", line=dict(color=MODEL_COLORS[0]), name=_("all units"),
        hovertemplate=_("rank {rank}: |r| = {r}<extra></extra>").format(rank="%{x}", r="%{y:.3f}")))
    fig.add_trace(go.Scatter(
        x=ranks[:top], y=magnitude[:top], mode="markers", customdata=labels[:top],
        marker=dict(color=MODEL_COLORS[1], size=8), name=_("top {n}").format(n=top),
        hovertemplate=_("rank {rank}: {unit}<br>|r| = {r}<extra></extra>").format(rank="%{x}", unit="%{customdata}",
                                                                                  r="%{y:.3f}")))
    fig.update_layout(title=dict(text=_("Every unit's |r| with “{feature}”, best first").format(feature=feature_name)),
                      height=280, xaxis=dict(title=_("rank (of every unit of every quantity and layer)"), type="log"),
                      yaxis=dict(title=_("|Pearson r|"), range=[0, 1.02]), margin=dict(l=60, r=20, t=50, b=45),
                      legend=dict(x=0.99, y=0.98, xanchor="right", yanchor="top"))  # inside: the curve falls away
    return fig


def stretch_html(*, tokens, start: int, stop: int, context: int = 0, label: str = "") -> str:
    """tokens[start - context : stop + context] as monospace HTML with [start, stop) highlighted;
    every character escaped, the hover names its step."""
    first, last = max(0, start - context), min(len(tokens), stop + context)
    step = _("step {t}")
    spans = []
    for t in range(first, last):
        ch = tokens[t]
        shown = "↵<br>" if ch == "\n" else entity(ch)
        style = f' style="background:{HIGHLIGHT};color:#000"' if start <= t < stop else ""
        spans.append(f'<span title="{step.format(t=t)}"{style}>{shown}</span>')
    head = f'<div style="font-size:0.85rem"><b>{"".join(entity(c) for c in label)}</b></div>' if label else ""
    return (head + '<div style="font-family:monospace;font-size:1.0rem;line-height:1.8;white-space:pre-wrap;'
            'overflow-wrap:anywhere;margin-bottom:0.6rem">' + ("…" if first else "") + "".join(spans)
            + ("…" if last < len(tokens) else "") + "</div>")


def cluster_figure(*, matrix: np.ndarray, cluster_labels: list[str], chars: list[str], quantity: str) -> go.Figure:
    """Clusters (rows) × characters (columns): the mean standardized activation of each cluster's
    units where that character was read (diverging scale centred at 0, in standard deviations)."""
    values = np.asarray(matrix, dtype=np.float32)
    bound = max(1.0, float(np.nanmax(np.abs(values)))) if values.size else 1.0
    columns = [f"“{char_label(c)}”" for c in chars]
    fig = go.Figure(go.Heatmap(
        z=values, x=columns, y=cluster_labels, colorscale=DIVERGING, zmin=-bound, zmax=bound,
        colorbar=dict(title=dict(text="z")),
        hovertemplate=_("{cluster}<br>reading {char}<br>mean standardized {quantity} = {z}<extra></extra>").format(
            cluster="%{y}", char="%{x}", quantity=quantity_name(quantity), z="%{z:.2f}")))
    fig.update_layout(title=dict(text=_("What each cluster of {quantity} units responds to")
                                 .format(quantity=quantity_name(quantity))),
                      xaxis=dict(title=_("character read (the most frequent in the sample)"), type="category",
                                 tickangle=0),
                      yaxis=dict(title=_("cluster"), autorange="reversed", type="category"),
                      height=max(260, 36 * len(cluster_labels) + 140), margin=dict(l=90, r=20, t=50, b=50))
    return fig


def trajectory_figure(*, coords: np.ndarray, ratio: np.ndarray, tokens, title: str) -> go.Figure:
    """States projected on their first 2 or 3 principal components, joined in reading order, each
    point labelled with its character and coloured by step (early dark, late light)."""
    steps = np.arange(coords.shape[0])
    chars = [char_label(c) for c in tokens[:coords.shape[0]]]
    axes = [_("PC{k} ({share} of variance)").format(k=k + 1, share=f"{ratio[k]:.0%}") for k in range(coords.shape[1])]
    marker = dict(color=steps, colorscale=SEQUENTIAL, size=6, colorbar=dict(title=dict(text=_("step"))))
    hover = _("step {step} “{char}”<br>PC1 {x}, PC2 {y}").format(step="%{customdata[0]}", char="%{customdata[1]}",
                                                                 x="%{x:.2f}", y="%{y:.2f}")
    custom = np.stack([steps.astype(str), np.array(chars, dtype=object)], axis=1)
    mode = "lines+markers+text" if len(steps) <= 150 else "lines+markers"
    line = dict(color="rgba(120,120,120,0.5)", width=1)
    if coords.shape[1] >= 3:
        trace = go.Scatter3d(x=coords[:, 0], y=coords[:, 1], z=coords[:, 2], text=chars, customdata=custom,
                             mode=mode, marker={**marker, "size": 4}, line=line,
                             hovertemplate=hover + ", PC3 %{z:.2f}<extra></extra>")
        layout = dict(scene=dict(xaxis_title=axes[0], yaxis_title=axes[1], zaxis_title=axes[2]), height=600)
    else:
        trace = go.Scatter(x=coords[:, 0], y=coords[:, 1], text=chars, customdata=custom, mode=mode, marker=marker,
                           line=line, textposition="top center", hovertemplate=hover + "<extra></extra>")
        layout = dict(xaxis=dict(title=axes[0]), yaxis=dict(title=axes[1]), height=520)
    fig = go.Figure(trace)
    fig.update_layout(title=dict(text=title), margin=dict(l=60, r=20, t=50, b=50), **layout)
    return fig
