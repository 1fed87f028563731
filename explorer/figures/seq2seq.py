"""Pure builders for the Encoder-decoder page: arrays in, a go.Figure (or DOT text) out.

They reuse the palette's colour scales (house.py) and the units × steps heatmap and top-k chart
of states.py, and only change what differs for a decoder: its x axis is the character it wrote
at each step. Nothing here calls streamlit.
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.figures.house import color_scale
from explorer.figures.states import state_heatmap, topk_figure
from explorer.i18n import N_, _, ngettext
from explorer.seq2seq import END, START

WRITTEN_AXIS = N_("step (character written)")


def dataflow_dot(*, source: str, cell: str, hidden_size: int, answer: str, lstm: bool) -> str:
    """The data flow as Graphviz DOT: source -> encoder -> handed-over state, then down to the decoder
    -> head -> answer, back along a second row. Two short rows (the source only by its first words:
    the page shows it whole) keep a readable font on a narrow page, where a chart is scaled to fit."""
    def label(lines: list[str]) -> str:
        return "\\n".join(html.escape(line, quote=True).replace("\\", "\\\\") for line in lines)

    head = source if len(source) <= 16 else source[:15].rstrip() + "…"
    cell = cell.upper()
    state = [_("handed-over state"), f"{'h, c: 2 × ' if lstm else 'h: '}{hidden_size}"]
    length = ngettext("({n} character)", "({n} characters)", len(source)).format(n=len(source))
    return f"""digraph {{
  rankdir=TB; ranksep=0.3; nodesep=0.3; margin=0;
  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="Helvetica", fontsize=14, margin="0.1,0.04"];
  source [label="{label([head, length])}", shape=note, fillcolor="#ffffff"];
  encoder [label="{label([_('encoder {cell}').format(cell=cell), _('one character per step')])}"];
  state [label="{label(state)}", fillcolor="#fde0c5"];
  decoder [label="{label([_('decoder {cell}').format(cell=cell), _('starts from that state')])}"];
  head [label="{label([_('head + softmax')])}"];
  answer [label="{label([answer or ' '])}", shape=note, fillcolor="#ffffff"];
  {{ rank=same; source -> encoder -> state; }}
  {{ rank=same; answer -> head [dir=back]; head -> decoder [dir=back]; }}
  state -> decoder;
  head -> decoder [label="{label([_('fed back')])}", style=dashed, fontsize=12];
}}"""


def handover_figure(*, hidden: np.ndarray, cell: np.ndarray | None = None, title: str | None = None) -> go.Figure:
    """The state the encoder hands to the decoder as bars over its units: h (and, for an LSTM, c
    in a panel of its own, since c is unbounded and would flatten h on a shared axis). Bars are
    coloured on the diverging scale of signed values."""
    parts = [("h", _("hidden state h"), np.asarray(hidden, dtype=np.float64))]
    if cell is not None:
        parts.append(("c", _("cell state c"), np.asarray(cell, dtype=np.float64)))
    fig = make_subplots(rows=len(parts), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[ngettext("handed-over {name} ({n} number)", "handed-over {name} ({n} numbers)",
                                                 len(values)).format(name=name, n=len(values))
                                        for _short, name, values in parts])
    for row, (short, name, values) in enumerate(parts, start=1):
        scale = color_scale("hidden" if short == "h" else "cell", values)
        fig.add_trace(go.Bar(
            x=np.arange(len(values)), y=values, name=name, showlegend=False,
            marker=dict(color=values, colorscale=scale["colorscale"], cmin=scale["zmin"], cmax=scale["zmax"]),
            meta=short, hovertemplate=_("unit %{x}<br>handed-over %{meta} = %{y:.3f}") + "<extra></extra>"),
            row=row, col=1)
        fig.update_yaxes(title_text=short, row=row, col=1)
    fig.update_xaxes(title_text=_("unit"), row=len(parts), col=1)
    fig.update_layout(title=dict(text=title or _("The handed-over state: all the decoder knows of the source")),
                      height=200 + 170 * len(parts), bargap=0.1, margin=dict(l=60, r=20, t=70, b=50))
    return fig


def shown_tokens(chars) -> list[str]:
    """Characters as labels, with the start and end tokens spelled out (few fonts draw ␂ and ␃)."""
    names = {START: _("start"), END: _("end")}
    return [names.get(c, c) for c in chars]


def decoder_heatmap(*, values: np.ndarray, written, quantity: str, title: str | None = None,
                    height: int | None = None) -> go.Figure:
    """One decoder quantity [T, H] as units × steps, each column labelled with the character the
    decoder wrote at that step (states.state_heatmap, relabelled)."""
    fig = state_heatmap(values=values, tokens=shown_tokens(written), quantity=quantity, title=title, height=height)
    fig.update_xaxes(title=_(WRITTEN_AXIS))
    return fig


def decoder_topk_figure(*, written, topk_labels, topk_probs: np.ndarray, title: str | None = None) -> go.Figure:
    """The decoder's top-k characters at every step it wrote (states.topk_figure, relabelled)."""
    k = np.asarray(topk_probs).shape[1]
    fig = topk_figure(tokens=shown_tokens(written), topk_labels=[shown_tokens(row) for row in topk_labels],
                      topk_probs=topk_probs, title=title or _("Top-{k} guesses at each step of writing").format(k=k))
    fig.update_traces(hovertemplate=_("%{x} written<br>guess %{y}: “%{text}”<br>p = %{z:.3f}") + "<extra></extra>")
    fig.update_xaxes(title=_(WRITTEN_AXIS))
    return fig
