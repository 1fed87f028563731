"""Pure Plotly builders for the Intervene page: the unchanged and the changed run side by side.

The conventions of every figure (states.py): steps run left to right with the character read
as tick label; the original run is always blue and the changed run vermillion (Okabe-Ito,
colour-blind safe); the hidden-state difference uses the diverging scale centred at 0 of every
signed heatmap; every hover names the step, the character and the value. Nothing here calls
streamlit.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.figures.house import LAYER_DASHES, MODEL_COLORS
from explorer.figures.labels import LN2, category_ticks, char_label
from explorer.figures.states import state_heatmap
from explorer.i18n import _

ORIGINAL, CHANGED = MODEL_COLORS[0], MODEL_COLORS[1]  # blue, vermillion
HEIGHT = 320
MARGIN = dict(l=70, r=20, t=50, b=45)


def _categories(tokens, changed_tokens) -> tuple[list[str], list[str]]:
    """One x category per step, "step 12 “a”" ("step 12 “a→b”" where an edit changed the character),
    and the tick label of each."""
    labels = [char_label(a) if a == b else f"{char_label(a)}→{char_label(b)}" for a, b in zip(tokens, changed_tokens)]
    category = _("step {step} “{char}”")
    return [category.format(step=t, char=label) for t, label in enumerate(labels)], labels


def _mark_from(fig: go.Figure, first_step: int | None, steps: int) -> None:
    """Shade the steps from the first changed one on: everything left of it is identical."""
    if first_step is not None and 0 <= first_step < steps:
        fig.add_vrect(x0=first_step - 0.5, x1=steps - 0.5, fillcolor="rgba(213, 94, 0, 0.07)", line_width=0,
                      annotation_text=_("changed from here"), annotation_position="top left")


def loss_comparison_figure(*, tokens, changed_tokens, loss_original: np.ndarray, loss_changed: np.ndarray,
                           first_step: int | None = None, title: str | None = None) -> go.Figure:
    """Surprise per step, -log2 p(next character), for both runs: one line each, in bits.
    Losses are in nats (Trace.loss); NaN (the last step) is left blank."""
    categories, labels = _categories(tokens, changed_tokens)
    steps = len(categories)
    fig = go.Figure()
    hover = _("{run}: after {step}, the next character “{char}” cost {bits} bits<extra></extra>")
    for name, loss, chars, color, dash in ((_("original"), loss_original, tokens, ORIGINAL, "solid"),
                                           (_("changed"), loss_changed, changed_tokens, CHANGED, "dot")):
        bits = np.asarray(loss, dtype=np.float64) / LN2
        nxt = [char_label(chars[t + 1]) if t + 1 < len(chars) else "" for t in range(steps)]
        fig.add_trace(go.Scatter(
            x=categories, y=[float(b) if np.isfinite(b) else None for b in bits], customdata=nxt, name=name,
            mode="lines", line=dict(shape="hvh", width=2, color=color, dash=dash), connectgaps=False,
            hovertemplate=hover.format(run=name, step="%{x}", char="%{customdata}", bits="%{y:.2f}")))
    _mark_from(fig, first_step, steps)
    fig.update_layout(title=dict(text=title or _("Surprise per character: original vs changed")),
                      yaxis=dict(title=_("bits (−log₂ p)"), rangemode="tozero"), height=HEIGHT, margin=MARGIN,
                      hovermode="x unified", legend=dict(orientation="h", y=1.02, x=1, xanchor="right",
                                                         yanchor="bottom"))
    category_ticks(fig, categories, labels)
    return fig


def change_norm_figure(*, norms: np.ndarray, tokens, changed_tokens, first_step: int | None = None,
                       title: str | None = None) -> go.Figure:
    """||h_t(changed) - h_t(original)|| per step, one line per layer (norms [L, T], as from
    Comparison.hidden_change_norm): where the change enters and how far downstream it travels."""
    norms = np.asarray(norms, dtype=np.float64)
    categories, labels = _categories(tokens, changed_tokens)
    fig = go.Figure()
    hover = _("layer {layer}, {step}<br>‖Δh‖ = {norm}<extra></extra>")
    for layer, values in enumerate(norms):
        fig.add_trace(go.Scatter(
            x=categories, y=values, name=_("layer {layer}").format(layer=layer), mode="lines",
            line=dict(color=CHANGED, width=2, dash=LAYER_DASHES[layer % len(LAYER_DASHES)]),
            hovertemplate=hover.format(layer=layer, step="%{x}", norm="%{y:.3f}")))
    _mark_from(fig, first_step, len(categories))
    fig.update_layout(title=dict(text=title or _("How far the hidden state moved: ‖h(changed) − h(original)‖ "
                                                 "per step")),
                      yaxis=dict(title=_("‖Δh_t‖ (L2 over units)"), rangemode="tozero"), height=HEIGHT, margin=MARGIN,
                      showlegend=norms.shape[0] > 1)
    category_ticks(fig, categories, labels)
    return fig


def change_heatmap(*, difference: np.ndarray, changed_tokens, layer: int, direction: int = 0) -> go.Figure:
    """h(changed) - h(original) [T, H] of one layer: units top to bottom, the diverging scale of
    every signed heatmap (states.state_heatmap, binned when wide); steps labelled with the
    characters the changed run read."""
    title = (_("Change in the hidden state, layer {layer} backward: h(changed) − h(original)") if direction else
             _("Change in the hidden state, layer {layer}: h(changed) − h(original)"))
    return state_heatmap(values=difference, tokens=changed_tokens, quantity="Δh", title=title.format(layer=layer))


def guesses_figure(*, chars, original: np.ndarray, changed: np.ndarray, step: int, char_read: str,
                   next_chars: tuple) -> go.Figure:
    """The next-character guesses after one step, both runs side by side: each character either
    run ranks in its top k (as from Comparison.guesses), with its probability under both."""
    shown = [char_label(c) for c in chars]
    fig = go.Figure()
    hover = _("{run}: p(next = “{char}”) = {p}<extra>step {step}</extra>")
    for name, probs, color in ((_("original"), original, ORIGINAL), (_("changed"), changed, CHANGED)):
        fig.add_trace(go.Bar(
            x=shown, y=np.asarray(probs, dtype=np.float64), name=name, marker=dict(color=color),
            hovertemplate=hover.format(run=name, char="%{x}", p="%{y:.3f}", step=step)))
    if next_chars[0] is None:
        title = _("Next-character guesses after step {step} “{char}”").format(step=step, char=char_label(char_read))
    else:
        actual = next_chars[0] if next_chars[0] == next_chars[1] else f"{next_chars[0]}→{next_chars[1]}"
        title = _("Next-character guesses after step {step} “{char}”; the text goes on with “{next}”").format(
            step=step, char=char_label(char_read), next=char_label(actual))
    fig.update_layout(title=dict(text=title),
                      barmode="group", xaxis=dict(title=_("next character"), type="category"),
                      yaxis=dict(title=_("probability"), range=[0, 1]), height=HEIGHT + 30, margin={**MARGIN, "b": 80},
                      # under the axis: the title names the step and the next character, and fills the top
                      legend=dict(orientation="h", y=-0.22, x=0.5, xanchor="center", yanchor="top"))
    return fig
