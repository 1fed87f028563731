"""Pure Plotly builders for the family pages (Jordan vs Elman, stacked & bidirectional, one-hot vs
embedding): arrays in, go.Figure out, in the palette of house.py and the labels of labels.py.
Nothing here calls streamlit."""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from explorer.analysis.family import CHAR_CLASSES
from explorer.figures.house import (
    BLUE,
    BLUISH_GREEN,
    MODEL_COLORS,
    ORANGE,
    REDDISH_PURPLE,
    VERMILLION,
)
from explorer.figures.labels import category_ticks, char_label, step_labels

CLASS_COLORS = dict(zip(CHAR_CLASSES, [VERMILLION, BLUE, REDDISH_PURPLE, BLUISH_GREEN, "#7F7F7F", ORANGE]))
DIRECTION_COLORS = {"forward": BLUE, "backward": VERMILLION}  # as in the diagram: blue →, vermillion ←


def embedding_scatter(*, coords: np.ndarray, chars: list[str], classes: list[str], explained: np.ndarray,
                      title: str, highlight: str | None = None, height: int = 460) -> go.Figure:
    """Characters as points in the plane of their vectors' first two principal components, each
    written at its point and coloured by its class; the hover names character, class and both
    coordinates. `highlight` rings one character (the one whose neighbours are listed)."""
    fig = go.Figure()
    for name in CHAR_CLASSES:
        idx = [i for i, c in enumerate(classes) if c == name]
        if not idx:
            continue
        labels = [char_label(chars[i]) for i in idx]
        fig.add_trace(go.Scatter(
            x=coords[idx, 0], y=coords[idx, 1], mode="markers+text", name=name, text=labels,
            textposition="top center", textfont=dict(size=13, color=CLASS_COLORS[name]),
            marker=dict(color=CLASS_COLORS[name], size=7, opacity=0.8), customdata=labels,
            hovertemplate=f"“%{{customdata}}” ({name})<br>PC1 = %{{x:.3f}}<br>PC2 = %{{y:.3f}}<extra></extra>"))
    if highlight is not None and highlight in chars:
        i = chars.index(highlight)
        fig.add_trace(go.Scatter(x=[coords[i, 0]], y=[coords[i, 1]], mode="markers", name=f"“{char_label(highlight)}”",
                                 marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(color="black", width=2)),
                                 hoverinfo="skip"))
    fig.update_layout(title=dict(text=title),
                      xaxis=dict(title=f"principal component 1 ({explained[0]:.0%} of the variance)", zeroline=False),
                      yaxis=dict(title=f"principal component 2 ({explained[1]:.0%})", zeroline=False),
                      height=height, margin=dict(l=60, r=20, t=50, b=50), legend=dict(orientation="h", y=-0.18))
    return fig


def predictions_figure(*, tokens, targets, predictions: dict[str, np.ndarray], title: str,
                       y_title: str = "depth") -> go.Figure:
    """Each model's predicted class at every step against the true one (a step line per model);
    the hover names model, step, character and value."""
    steps = len(targets)
    labels = step_labels(tokens, 0, steps)
    categories = [f"step {t} “{labels[t]}”" for t in range(steps)]
    fig = go.Figure(go.Scatter(x=categories, y=list(targets), mode="lines", name="true",
                               line=dict(color="black", width=5, shape="hv"), opacity=0.25,
                               hovertemplate="after %{x}<br>true " + y_title + " %{y}<extra></extra>"))
    for k, (name, predicted) in enumerate(predictions.items()):
        fig.add_trace(go.Scatter(
            x=categories, y=np.asarray(predicted).tolist(), mode="lines+markers", name=name,
            line=dict(color=MODEL_COLORS[k % len(MODEL_COLORS)], shape="hv", dash=["solid", "dash"][k % 2], width=2),
            marker=dict(size=5),
            hovertemplate=f"{html.escape(name)}<br>after %{{x}}<br>predicted {y_title} %{{y}}<extra></extra>"))
    fig.update_layout(title=dict(text=title), yaxis=dict(title=y_title, rangemode="tozero"), height=320,
                      margin=dict(l=60, r=20, t=50, b=40), legend=dict(orientation="h", y=-0.25), hovermode="closest")
    category_ticks(fig, categories, labels)
    return fig


def contributions_figure(*, forward: np.ndarray, backward: np.ndarray, tokens, read: tuple[int, int] | None,
                         score_name: str, total: float | None = None) -> go.Figure:
    """Where a bidirectional net's directions meet: each direction's share of the head's score at
    every step (the head reads [h→; h←], so the score is the forward share plus the backward share
    plus the bias). For a many-to-one head the two points it actually reads, the forward state at
    the last step and the backward state at step 0, are ringed."""
    steps = forward.shape[0]
    labels = step_labels(tokens, 0, steps)
    categories = [f"step {t} “{labels[t]}”" for t in range(steps)]
    fig = go.Figure()
    for name, values, read_at in (("forward h→_t (read x_0…x_t)", forward, read[0] if read else None),
                                  ("backward h←_t (read x_t…x_T-1)", backward, read[1] if read else None)):
        color = DIRECTION_COLORS["backward" if name.startswith("backward") else "forward"]
        fig.add_trace(go.Scatter(x=categories, y=values, mode="lines", name=name, line=dict(color=color, width=2),
                                 hovertemplate=f"{name}<br>%{{x}}<br>share of the {html.escape(score_name)} = "
                                               "%{y:.3f}<extra></extra>"))
        if read_at is not None:
            fig.add_trace(go.Scatter(
                x=[categories[read_at]], y=[float(values[read_at])], mode="markers", showlegend=False,
                marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color=color, width=3)),
                hovertemplate=f"the head reads this one<br>%{{x}}<br>{html.escape(score_name)} share = "
                              "%{y:.3f}<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="grey", width=1))
    total_note = f" (together {total:+.2f})" if total is not None else ""
    fig.update_layout(title=dict(text=f"Where the directions meet: each one's share{total_note}"),
                      yaxis=dict(title=score_name), height=340, margin=dict(l=60, r=20, t=50, b=40),
                      legend=dict(orientation="h", y=-0.25), hovermode="closest")
    category_ticks(fig, categories, labels)
    return fig


def depth_sentence(*, tokens, targets, predictions: dict[str, np.ndarray], fed_back: dict[str, str]) -> str:
    """Markdown: what to look at in the predictions figure, counted from what it draws: how many
    steps each net gets right, where the first miss is, and what each one reads back."""
    targets = np.asarray(targets)
    steps = len(targets)
    said = []
    for name, predicted in predictions.items():
        wrong = np.flatnonzero(np.asarray(predicted) != targets)
        miss = (f", first off at step {wrong[0]} (“{html.escape(char_label(tokens[wrong[0]]))}”)"
                if wrong.size else "")
        said.append(f"**{name}**, reading back {fed_back[name]}, is right at {steps - wrong.size} of {steps} "
                    f"characters{miss}")
    together = all(np.array_equal(np.asarray(p), targets) for p in predictions.values())
    lead = ("Both lines lie on the grey true depth: " if together
            else "Where a line leaves the grey true depth, that net miscounts: ")
    return lead + "; ".join(said) + "."


def meeting_sentence(*, name: str, forward: np.ndarray, backward: np.ndarray, bias: float,
                     read: tuple[int, int] | None, score_name: str, verdict: tuple[str, float] | None = None) -> str:
    """Markdown: what contributions_figure shows, from the same numbers: what the two ringed points
    add up to and which direction carries the verdict (or, for a head that reads every step, each
    direction's mean share)."""
    if read is None:
        return (f"At every step the head reads both halves. Over your text the forward half's share of the "
                f"{score_name} averages {np.mean(forward):+.2f}, the backward half's {np.mean(backward):+.2f}.")
    ahead, behind = float(forward[read[0]]), float(backward[read[1]])
    total = ahead + behind + bias
    lead = "forward" if abs(ahead) >= abs(behind) else "backward"
    share = max(abs(ahead), abs(behind)) / max(abs(ahead) + abs(behind), 1e-12)
    body = (f"the head reads the two ringed points, h→ after the last character ({ahead:+.2f}) and h← at step 0 "
            f"({behind:+.2f}), which with the bias ({bias:+.2f}) make a {score_name} of **{total:+.2f}**, "
            f"{share:.0%} of the two directions' part (by size) from the {lead} one.")
    return f"**{name}** says **{verdict[0]}** (p = {verdict[1]:.3f}): {body}" if verdict else body[0].upper() + body[1:]


def one_way_sentence(*, name: str, layers: int, hidden: int, reads_last: bool, verdict: tuple[str, float] | None,
                     bidirectional: str) -> str:
    """Markdown: what the diagram of a forward-only net shows, and where to see two directions."""
    reads = "the state after the last character" if reads_last else "the state at every step"
    says = f", saying **{verdict[0]}** (p = {verdict[1]:.3f})" if verdict else ""
    return (f"**{name}** reads forward only ({layers} layer{'s' * (layers > 1)} of {hidden} units, one chain from left "
            f"to right) and its head reads {reads}{says}; pick {bidirectional} in the sidebar to see two directions "
            "meet.")
