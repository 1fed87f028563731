"""Pure Plotly builders for the family pages (Jordan vs Elman, stacked & bidirectional, one-hot vs
embedding): arrays in, go.Figure out, in the palette of house.py and the labels of labels.py.
Nothing here calls streamlit."""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from explorer.analysis.family import CHAR_CLASSES, class_name
from explorer.figures.house import (
    BLUE,
    BLUISH_GREEN,
    MODEL_COLORS,
    ORANGE,
    REDDISH_PURPLE,
    VERMILLION,
)
from explorer.figures.labels import category_ticks, char_label, step_labels
from explorer.i18n import _, ngettext, pgettext

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
        shown = class_name(name)
        fig.add_trace(go.Scatter(
            x=coords[idx, 0], y=coords[idx, 1], mode="markers+text", name=shown, text=labels,
            textposition="top center", textfont=dict(size=13, color=CLASS_COLORS[name]),
            marker=dict(color=CLASS_COLORS[name], size=7, opacity=0.8), customdata=labels,
            hovertemplate=f"“%{{customdata}}” ({html.escape(shown)})<br>PC1 = %{{x:.3f}}<br>PC2 = %{{y:.3f}}"
                          "<extra></extra>"))
    if highlight is not None and highlight in chars:
        i = chars.index(highlight)
        fig.add_trace(go.Scatter(x=[coords[i, 0]], y=[coords[i, 1]], mode="markers", name=f"“{char_label(highlight)}”",
                                 marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(color="black", width=2)),
                                 hoverinfo="skip"))
    fig.update_layout(title=dict(text=title),
                      xaxis=dict(title=_("principal component 1 ({share} of the variance)").format(
                                     share=f"{explained[0]:.0%}"), zeroline=False),
                      yaxis=dict(title=_("principal component 2 ({share})").format(share=f"{explained[1]:.0%}"),
                                 zeroline=False),
                      height=height, margin=dict(l=60, r=20, t=50, b=50), legend=dict(orientation="h", y=-0.18))
    return fig


def _categories(labels: list[str]) -> list[str]:
    """One x category per step, "step 3 “a”": unique even where a character repeats."""
    return [_("step {t} “{char}”").format(t=t, char=label) for t, label in enumerate(labels)]


def predictions_figure(*, tokens, targets, predictions: dict[str, np.ndarray], title: str,
                       y_title: str | None = None) -> go.Figure:
    """Each model's predicted class at every step against the true one (a step line per model);
    the hover names model, step, character and value. `y_title` defaults to "depth"."""
    y_title = y_title or _("depth")
    steps = len(targets)
    labels = step_labels(tokens, 0, steps)
    categories = _categories(labels)
    fig = go.Figure(go.Scatter(x=categories, y=list(targets), mode="lines", name=pgettext("the target", "true"),
                               line=dict(color="black", width=5, shape="hv"), opacity=0.25,
                               hovertemplate=_("after {step}<br>true {what} {value}").format(
                                   step="%{x}", what=y_title, value="%{y}") + "<extra></extra>"))
    for k, (name, predicted) in enumerate(predictions.items()):
        fig.add_trace(go.Scatter(
            x=categories, y=np.asarray(predicted).tolist(), mode="lines+markers", name=name,
            line=dict(color=MODEL_COLORS[k % len(MODEL_COLORS)], shape="hv", dash=["solid", "dash"][k % 2], width=2),
            marker=dict(size=5),
            hovertemplate=html.escape(name) + "<br>" + _("after {step}<br>predicted {what} {value}").format(
                step="%{x}", what=y_title, value="%{y}") + "<extra></extra>"))
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
    categories = _categories(labels)
    fig = go.Figure()
    score = html.escape(score_name)
    for direction, name, values, read_at in (
            ("forward", _("forward h→_t (read x_0…x_t)"), forward, read[0] if read else None),
            ("backward", _("backward h←_t (read x_t…x_T-1)"), backward, read[1] if read else None)):
        color = DIRECTION_COLORS[direction]
        fig.add_trace(go.Scatter(x=categories, y=values, mode="lines", name=name, line=dict(color=color, width=2),
                                 hovertemplate=_("{name}<br>{step}<br>share of the {score} = {value}").format(
                                     name=name, step="%{x}", score=score, value="%{y:.3f}") + "<extra></extra>"))
        if read_at is not None:
            fig.add_trace(go.Scatter(
                x=[categories[read_at]], y=[float(values[read_at])], mode="markers", showlegend=False,
                marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color=color, width=3)),
                hovertemplate=_("the head reads this one<br>{step}<br>{score} share = {value}").format(
                    step="%{x}", score=score, value="%{y:.3f}") + "<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="grey", width=1))
    title = (_("Where the directions meet: each one's share (together {total})").format(total=f"{total:+.2f}")
             if total is not None else _("Where the directions meet: each one's share"))
    fig.update_layout(title=dict(text=title),
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
        if wrong.size:
            clause = _("**{name}**, reading back {fed}, is right at {right} of {steps} characters, first off at step "
                       "{t} (“{char}”)").format(t=wrong[0], char=html.escape(char_label(tokens[wrong[0]])),
                                               name=name, fed=fed_back[name], right=steps - wrong.size, steps=steps)
        else:
            clause = _("**{name}**, reading back {fed}, is right at {right} of {steps} characters").format(
                name=name, fed=fed_back[name], right=steps - wrong.size, steps=steps)
        said.append(clause)
    together = all(np.array_equal(np.asarray(p), targets) for p in predictions.values())
    sentence = (_("Both lines lie on the grey true depth: {clauses}.") if together
                else _("Where a line leaves the grey true depth, that net miscounts: {clauses}."))
    return sentence.format(clauses=pgettext("between clauses", "; ").join(said))


def meeting_sentence(*, name: str, forward: np.ndarray, backward: np.ndarray, bias: float,
                     read: tuple[int, int] | None, score_name: str, verdict: tuple[str, float] | None = None) -> str:
    """Markdown: what contributions_figure shows, from the same numbers: what the two ringed points
    add up to and which direction carries the verdict (or, for a head that reads every step, each
    direction's mean share)."""
    if read is None:
        return _("At every step the head reads both halves. Over your text the forward half's share of the "
                 "{score} averages {forward}, the backward half's {backward}.").format(
            score=score_name, forward=f"{np.mean(forward):+.2f}", backward=f"{np.mean(backward):+.2f}")
    ahead, behind = float(forward[read[0]]), float(backward[read[1]])
    total = ahead + behind + bias
    share = max(abs(ahead), abs(behind)) / max(abs(ahead) + abs(behind), 1e-12)
    body = (_("the head reads the two ringed points, h→ after the last character ({ahead}) and h← at step 0 "
              "({behind}), which with the bias ({bias}) make a {score} of **{total}**, {share} of the two "
              "directions' part (by size) from the forward one.") if abs(ahead) >= abs(behind) else
            _("the head reads the two ringed points, h→ after the last character ({ahead}) and h← at step 0 "
              "({behind}), which with the bias ({bias}) make a {score} of **{total}**, {share} of the two "
              "directions' part (by size) from the backward one.")).format(
        ahead=f"{ahead:+.2f}", behind=f"{behind:+.2f}", bias=f"{bias:+.2f}", score=score_name, total=f"{total:+.2f}",
        share=f"{share:.0%}")
    if verdict:
        return _("**{name}** says **{verdict}** (p = {p}): {body}").format(name=name, verdict=verdict[0],
                                                                         p=f"{verdict[1]:.3f}", body=body)
    return body[0].upper() + body[1:]


def one_way_sentence(*, name: str, layers: int, hidden: int, reads_last: bool, verdict: tuple[str, float] | None,
                     bidirectional: str) -> str:
    """Markdown: what the diagram of a forward-only net shows, and where to see two directions."""
    reads = _("the state after the last character") if reads_last else _("the state at every step")
    structure = ngettext("{n} layer of {hidden} units", "{n} layers of {hidden} units", layers).format(
        n=layers, hidden=hidden)
    if verdict:
        sentence = _("**{name}** reads forward only ({structure}, one chain from left to right) and its head reads "
                     "{reads}, saying **{verdict}** (p = {p}); pick {bidirectional} in the sidebar to see two "
                     "directions meet.")
    else:
        sentence = _("**{name}** reads forward only ({structure}, one chain from left to right) and its head reads "
                     "{reads}; pick {bidirectional} in the sidebar to see two directions meet.")
    return sentence.format(name=name, structure=structure, reads=reads, verdict=verdict[0] if verdict else "",
                           p=f"{verdict[1]:.3f}" if verdict else "", bidirectional=bidirectional)
