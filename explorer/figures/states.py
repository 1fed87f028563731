"""What a model's internals look like over a text: Plotly builders for hidden states, cell states
and gates, and the views beside them (the text coloured by one unit, the top-k guesses, the
surprise strip, the cell-state flow, one step's equations with its numbers, gate saturation).

Numpy arrays and Trace fields in, a `go.Figure` (or an HTML or LaTeX string) out; nothing here
calls streamlit. Conventions, the same on every page (docs/architecture.md, "Figures"):
- time runs left to right (x = step, ticks labelled with the character read), units top to bottom;
- colours come from the palette in house.py: sigmoid gates (i f o r z) on one sequential scale
  fixed to [0, 1]; tanh-range values (hidden, g, n) and unbounded ones (cell, pre) on one diverging
  scale centred at 0 (`color_scale`);
- every figure has a title, axis titles and hover text naming character, step, unit and value;
- wide heatmaps are binned (labels.bin_columns) down to what a browser can show, so their JSON
  stays small; the caller offers a window at full resolution.
The numbers shown (unit ordering, gate saturation, a step's equation values) come from
explorer/analysis.
"""
from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from explorer.analysis.internals import gate_saturation
from explorer.engine.cells import in_notation
from explorer.figures.house import (
    FAINT,
    FONT,
    GATE_COLORS,
    GRID,
    INK,
    MODEL_COLORS,
    SEQUENTIAL,
    color_scale,
)
from explorer.figures.labels import (
    LN2,
    MAX_CELLS,
    MAX_COLUMNS,
    UNIT_TICKS,
    bin_columns,
    category_axis,
    char_label,
    entity,
    escape_all,
    quantity_name,
    quantity_symbol,
    step_axis_title,
    step_categories,
    step_labels,
    strings,
    token_level,
)
from explorer.figures.panels import stack
from explorer.i18n import _, ngettext

# ---------------------------------------------------------------------------------------------
# units × steps


def state_heatmap(*, values: np.ndarray, tokens, quantity: str, title: str | None = None,
                  unit_order: np.ndarray | None = None, start: int = 0, boundary: int | None = None,
                  max_cells: int = MAX_CELLS, max_columns: int = MAX_COLUMNS, height: int | None = None,
                  boundary_label: str | None = None) -> go.Figure:
    """Heatmap of one quantity [T, H]: steps along x, units top to bottom in `unit_order`.

    `start` is the step of values[0] (for windows into longer text). Wider than the browser can
    use (more than `max_columns` steps or `max_cells` cells), steps are binned by their mean and
    the hover names the range. `boundary` draws a vertical line before that step (e.g. the end
    of a prompt), labelled `boundary_label` ("generated →" unless given)."""
    values = np.asarray(values)
    steps, size = values.shape
    order = np.arange(size) if unit_order is None else np.asarray(unit_order)
    scale = color_scale(quantity, values)
    columns = min(max_columns, max(1, max_cells // max(size, 1)))
    labels = step_labels(tokens, start, steps)
    ordered = values[:, order]  # [T, H] in display order
    width = max(1, math.ceil(steps / columns))  # steps per column
    if width > 1:
        binned, edges = bin_columns(ordered.astype(np.float64), columns)
        z = binned.T.astype(np.float32)  # [H, B]
        categories, tick_labels = step_categories(labels, start, edges)
    else:
        z = ordered.T.astype(np.float32)  # [H, T]
        categories, tick_labels = step_categories(labels, start)
    name = quantity_name(quantity)
    shown = name if width == 1 else _("{quantity} (mean)").format(quantity=name)
    title = title or _("{quantity}, units × steps").format(quantity=name)
    if width > 1:
        title = ngettext("{title} (mean over {width} step per column)", "{title} (mean over {width} steps per column)",
                         width).format(title=title, width=width)
    # x and y are categories ("step 12 “a”", "unit 37"): the hover names character, step and
    # unit from one label per column and per row, not from a per-cell text array (megabytes).
    unit_label = _("unit {unit}")
    fig = go.Figure(  # built in one go: each later update_layout would check the whole layout again
        data=[dict(type="heatmap", z=z, x=strings(categories), y=strings(unit_label.format(unit=u) for u in order),
                   colorbar=dict(title=dict(text=quantity_symbol(quantity))),
                   hovertemplate="%{x}<br>%{y}<br>" + shown + " = %{z:.3f}<extra></extra>", **scale)],
        layout=dict(title=dict(text=title),
                    xaxis=category_axis(categories, tick_labels, step_axis_title(tokens)),
                    yaxis=dict(title=dict(text=_("unit")), autorange="reversed", type="category",
                               nticks=UNIT_TICKS),
                    height=height or max(220, min(900, 14 * size + 120)), margin=dict(l=60, r=20, t=50, b=50)))
    if boundary is not None and start <= boundary <= start + steps:
        position = (boundary - start) / width - 0.5  # category i spans [i - 0.5, i + 0.5]
        fig.add_vline(x=position, line=dict(color="black", width=2, dash="dash"))
        fig.add_annotation(x=position, y=1.0, yref="paper", text=_("generated →") if boundary_label is None
                           else boundary_label, showarrow=False,
                           xanchor="left", yanchor="bottom")
    return fig


def states_stacked(*, panels: list[dict], tokens, quantity: str = "hidden", start: int = 0,
                   panel_height: int = 180, unit_ticks: int = 4, gap: int = 20) -> go.Figure:
    """Several models' values of one quantity over the same text, a short state_heatmap each, stacked on
    one time axis (panels.stack) so step t sits in one column for all of them: the first-screen view of
    models side by side. `panels`: dicts with values [T, H], title and an optional unit_order. A short
    panel has room for a few unit labels only (`unit_ticks`); the hover still names every unit."""
    figs = []
    for panel in panels:
        fig = state_heatmap(values=panel["values"], tokens=tokens, quantity=quantity, start=start,
                            unit_order=panel.get("unit_order"), title=panel["title"], height=panel_height)
        fig.update_yaxes(nticks=unit_ticks)
        fig.update_traces(colorbar_nticks=3)  # a short colour bar: its ends and its middle
        figs.append(fig)
    return stack(figs, gap=gap)


def colored_text_html(*, tokens, values: np.ndarray, quantity: str, unit: int, start: int = 0,
                      scale_values: np.ndarray | None = None) -> str:
    """The text as HTML spans, each character's background coloured by one unit's value
    (the quantity's standard scale); every character HTML-escaped, hover title names step,
    character, unit and value. `values` [T] lines up with tokens[start:]."""
    values = np.asarray(values, dtype=np.float64)
    scale = color_scale(quantity, values if scale_values is None else scale_values)
    low, high = scale["zmin"], scale["zmax"]
    palette = sample_colorscale(scale["colorscale"], list(np.linspace(0, 1, 64)), colortype="tuple")
    spans = []
    hover, symbol = _("step {step} '{char}': unit {unit} {quantity} = {value:.3f}"), quantity_symbol(quantity)
    gap = " " if token_level(tokens) else ""  # a token model's words are read without the spaces between them
    for t, value in enumerate(values):
        ch = tokens[start + t]
        fraction = 0.0 if high == low else (value - low) / (high - low)
        r, g, b = palette[int(np.clip(round(fraction * 63), 0, 63))] if np.isfinite(value) else (0.5, 0.5, 0.5)
        r, g, b = (float(c) / 255 if c > 1 else float(c) for c in (r, g, b))
        ink = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#fff"
        shown = "↵<br>" if ch == "\n" else escape_all(ch) + gap if gap else entity(ch)  # lines may wrap at a space
        tip = escape_all(hover.format(step=start + t, char=ch, unit=unit, quantity=symbol, value=value))
        spans.append(f'<span title="{tip}" style="background:rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f});'
                     f'color:{ink}">{shown}</span>')
    return ('<div style="font-family:monospace;font-size:1.05rem;line-height:1.9;white-space:pre-wrap;'
            'overflow-wrap:anywhere">' + "".join(spans) + "</div>")


# ---------------------------------------------------------------------------------------------
# what the model predicts


def topk_figure(*, tokens, topk_labels, topk_probs: np.ndarray, start: int = 0, title: str | None = None,
                boundary: int | None = None) -> go.Figure:
    """The top-k next-character guesses at every step: steps along x, rank along y, the guessed
    character written in the cell, its probability as colour (sequential scale, [0, 1])."""
    probs = np.asarray(topk_probs, dtype=np.float32)  # [T, k]
    steps, k = probs.shape
    labels = step_labels(tokens, start, steps)
    categories = step_categories(labels, start)[0]
    guesses = np.array([[char_label(c) for c in row] for row in topk_labels], dtype=object).T  # [k, T]
    show_text = steps <= 120
    cells = dict(type="heatmap", z=probs.T, x=strings(categories), y=[f"#{r + 1}" for r in range(k)], text=guesses,
                 colorscale=SEQUENTIAL, zmin=0, zmax=1, colorbar=dict(title=dict(text="p")),
                 hovertemplate=_("after %{x}<br>guess %{y}: “%{text}”<br>p = %{z:.3f}") + "<extra></extra>")
    if show_text:
        cells["texttemplate"] = "%{text}"
    fig = go.Figure(data=[cells], layout=dict(
        title=dict(text=title or (_("Top-{k} guesses for the next token") if token_level(tokens) else
                                  _("Top-{k} guesses for the next character")).format(k=k)),
        xaxis=category_axis(categories, labels, step_axis_title(tokens)),
        yaxis=dict(title=dict(text=_("rank")), autorange="reversed"), height=90 + 28 * k,
        margin=dict(l=60, r=20, t=50, b=40)))
    if boundary is not None and start <= boundary <= start + steps:
        fig.add_vline(x=boundary - start - 0.5, line=dict(color="black", width=2, dash="dash"))
    return fig


def loss_strip(*, tokens, loss: np.ndarray, start: int = 0, title: str | None = None,
               max_bits: float | None = None) -> go.Figure:
    """Per-character surprise: -log2 p(next character) at each step, in bits, as a filled step
    line (one SVG path however long the text, where a bar per character is slow to draw).
    `loss` is in nats (Trace.loss); NaN (the last step, nothing to predict) is left blank.
    `max_bits` fixes the y range, so strips of several models share one scale."""
    bits = np.asarray(loss, dtype=np.float64) / LN2
    steps = bits.shape[0]
    labels = step_labels(tokens, start, steps)
    nxt = [char_label(tokens[start + t + 1]) if start + t + 1 < len(tokens) else "" for t in range(steps)]
    categories = step_categories(labels, start)[0]
    top = (max_bits if max_bits is not None
           else max(1.0, float(np.nanmax(bits)) * 1.05 if np.isfinite(bits).any() else 8.0))
    return go.Figure(  # in SEQUENTIAL's darkest colour, #440154: the cost of an unlikely character
        data=[dict(type="scatter", x=strings(categories), y=np.where(np.isfinite(bits), bits, np.nan),
                   customdata=strings(nxt), mode="lines", line=dict(shape="hvh", width=1.5, color="#440154"),
                   fill="tozeroy", fillcolor="rgba(68, 1, 84, 0.35)", connectgaps=False,
                   hovertemplate=(_("after %{x}, the next token “%{customdata}” cost %{y:.2f} bits")
                                  if token_level(tokens) else
                                  _("after %{x}, the next character “%{customdata}” cost %{y:.2f} bits"))
                   + "<extra></extra>")],
        layout=dict(title=dict(text=title or (_("Surprise: bits spent on each next token") if token_level(tokens)
                                              else _("Surprise: bits spent on each next character"))),
                    xaxis=category_axis(categories, labels, step_axis_title(tokens)),
                    yaxis=dict(title=dict(text=_("bits (−log₂ p)")), range=[0, top]),
                    height=220, margin=dict(l=60, r=20, t=50, b=40), showlegend=False))


# ---------------------------------------------------------------------------------------------
# inside a step


def cell_flow_figure(*, flow: dict[str, np.ndarray], units, tokens, start: int = 0, layer: int = 0,
                     direction: int = 0) -> go.Figure:
    """c_t of chosen units split into kept (f⊙c_{t-1}) and written (i⊙g), with what the output
    gate lets out (o⊙tanh c_t = h_t). `flow` as from Trace.cell_flow, each [T, H]."""
    steps = flow["cell"].shape[0]
    labels = step_labels(tokens, start, steps)
    categories = step_categories(labels, start)[0]
    styles = {"cell": dict(width=3), "kept": dict(dash="dot"), "written": dict(dash="dash"),
              "emitted": dict(dash="dashdot")}
    names = {"cell": "c_t", "kept": _("kept f⊙c_{t-1}"), "written": _("written i⊙g"),
             "emitted": _("emitted o⊙tanh c_t")}
    palette = MODEL_COLORS  # one colour per unit, its four parts told apart by line style
    x = strings(categories)
    legend, hover = _("unit {unit}: {part}"), _("unit {unit} {part}")
    lines = [dict(type="scatter", x=x, y=flow[part][:, unit], mode="lines",
                  name=legend.format(unit=unit, part=names[part]), legendgroup=f"unit {unit}",
                  line=dict(color=palette[k % len(palette)], **styles[part]),
                  hovertemplate="%{x}<br>" + hover.format(unit=unit, part=names[part]) + " = %{y:.3f}<extra></extra>")
             for k, unit in enumerate(units) for part in ("cell", "kept", "written", "emitted")]
    title = (_("Cell-state flow, layer {layer} backward: c_t = kept + written") if direction else
             _("Cell-state flow, layer {layer}: c_t = kept + written")).format(layer=layer)
    return go.Figure(data=lines, layout=dict(
        title=dict(text=title), xaxis=category_axis(categories, labels), yaxis=dict(title=dict(text=_("value"))),
        height=360,
        margin=dict(l=60, r=20, t=50, b=40), hovermode="closest"))


def equation_latex(values: dict, notation: str = "pytorch") -> list[str]:
    """The step equations with the numbers of `equation_values` filled in, one LaTeX line each, with the
    weights named in `notation` (explorer.engine.cells.NOTATIONS). PyTorch's splits each pre-activation into
    its input part and its recurrent part, each with its own bias; the course's into U x_t, W h_{t-1} and
    one bias b = b_ih + b_hh. Every value the lines arrive at (pre-activations, gates, c_t, h_t) is the
    same in both."""
    def n(v):
        return f"{v:.3f}" if v >= 0 else f"({v:.3f})"

    g, kind = values["gates"], values["cell_type"]

    def affine(name, tag):
        sub = "h" if name == "pre" else name  # the Elman net's one pre-activation: W_ih, W_hh, b_ih, b_hh
        terms = in_notation(rf"W_{{i{sub}}} x_t + b_{{i{sub}}} + W_{{h{sub}}} h_{{t-1}} + b_{{h{sub}}}",
                            notation).split(" + ")
        if notation == "pytorch":  # W x_t + b and W h_{t-1} + b, as torch.nn adds them
            labels, numbers = [f"{terms[0]} + {terms[1]}", f"{terms[2]} + {terms[3]}"], values["parts"][name]
        else:  # U x_t, W h_{t-1}, b: the two biases are one number per unit
            labels, numbers = terms, values["terms"][name]
        braces = " + ".join(rf"\underbrace{{{n(v)}}}_{{{label}}}" for v, label in zip(numbers, labels))
        return rf"{tag} = {braces} = {values['pre'][name]:.3f}"

    if kind == "lstm":
        lines = [affine(k, f"a^{k}_t") for k in "ifgo"]
        lines += [rf"i_t = \sigma(a^i_t) = {g['i']:.3f},\quad f_t = \sigma(a^f_t) = {g['f']:.3f},\quad "
                  rf"g_t = \tanh(a^g_t) = {g['g']:.3f},\quad o_t = \sigma(a^o_t) = {g['o']:.3f}",
                  rf"c_t = f_t \odot c_{{t-1}} + i_t \odot g_t = {n(g['f'])} \cdot {n(values['c_prev'])} + "
                  rf"{n(g['i'])} \cdot {n(g['g'])} = {values['c']:.3f}",
                  rf"h_t = o_t \odot \tanh(c_t) = {n(g['o'])} \cdot \tanh({values['c']:.3f}) = {values['h']:.3f}"]
        return lines
    if kind == "gru":
        fx, fh = values["parts"]["n"]  # r_t multiplies the recurrent part with its bias: both biases stay apart
        candidate = in_notation(r"n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))", notation)
        lines = [affine("r", "a^r_t"), affine("z", "a^z_t"),
                 rf"r_t = \sigma(a^r_t) = {g['r']:.3f},\quad z_t = \sigma(a^z_t) = {g['z']:.3f}",
                 rf"{candidate} = \tanh({n(fx)} + {n(g['r'])} \cdot {n(fh)}) = {g['n']:.3f}",
                 rf"h_t = (1 - z_t) \odot n_t + z_t \odot h_{{t-1}} = {n(1 - g['z'])} \cdot {n(g['n'])} + "
                 rf"{n(g['z'])} \cdot {n(values['h_prev'])} = {values['h']:.3f}"]
        return lines
    act = r"\tanh" if values["nonlinearity"] == "tanh" else r"\mathrm{relu}"
    return [affine("pre", "a_t"), rf"h_t = {act}(a_t) = {act}({values['pre']['pre']:.3f}) = {values['h']:.3f}"]


# ---------------------------------------------------------------------------------------------
# gate saturation


def saturation_figure(*, gates: dict[str, np.ndarray], title: str | None = None) -> go.Figure:
    """Each unit of each sigmoid gate as a point: fraction of steps left-saturated (< 0.1) on x,
    right-saturated (> 0.9) on y (Karpathy et al. 2015, fig. 3)."""
    fractions = gate_saturation(gates)
    hover = _("{gate}, unit {unit}<br>below 0.1: {low} of steps<br>above 0.9: {high} of steps")
    points = [dict(type="scatter", x=low, y=high, mode="markers", name=quantity_name(name),
                   customdata=np.arange(low.shape[0]), marker=dict(color=GATE_COLORS.get(name), size=7, opacity=0.75),
                   hovertemplate=hover.format(gate=quantity_name(name), unit="%{customdata}", low="%{x:.0%}",
                                              high="%{y:.0%}") + "<extra></extra>")
              for name, (low, high) in fractions.items()]
    return go.Figure(data=points, layout=dict(
        title=dict(text=title or _("Gate saturation over this text")),
        shapes=[dict(type="line", x0=0, y0=1, x1=1, y1=0, line=dict(color="grey", dash="dot"))],
        xaxis=dict(title=dict(text=_("fraction of steps left-saturated (< 0.1)")), range=[-0.02, 1.02]),
        yaxis=dict(title=dict(text=_("fraction of steps right-saturated (> 0.9)")), range=[-0.02, 1.02]),
        height=420, margin=dict(l=60, r=20, t=50, b=50)))


def saturation_html(*, gates: dict[str, np.ndarray], title: str | None = None, height: int = 420) -> str:
    """saturation_figure as static HTML in the house look, for a page redrawn at every keystroke: the
    browser lays out these few hundred dots as plain elements far faster than it draws a chart of
    them. Each dot's hover title names gate, unit and both fractions; the interactive figure stays
    one download away. As wide as the column, up to 940 pixels."""
    def at(v):  # percent of the plotting area, the axes running from -0.02 to 1.02
        return (v + 0.02) / 1.04 * 100

    box = "position:absolute;"
    parts = [f'<div style="position:relative;width:100%;max-width:940px;height:{height}px;'
             f'font-family:{html.escape(FONT)};font-size:12px;color:{INK}">',
             f'<div style="{box}left:0;top:0;font-size:16px;font-weight:bold">'
             f'{escape_all(title or _("Gate saturation over this text"))}</div>',
             f'<div style="{box}left:0;top:{height // 2}px;transform:translate(-42%,-50%) rotate(-90deg);'
             f'font-size:13px;white-space:nowrap">{html.escape(_("fraction of steps right-saturated (> 0.9)"))}</div>',
             f'<div style="{box}left:70px;right:190px;top:44px;bottom:56px">',
             f'<div style="{box}left:{at(0):.2f}%;top:{100 - at(1):.2f}%;right:{100 - at(1):.2f}%;'
             f'bottom:{at(0):.2f}%;background:linear-gradient(to top right,transparent calc(50% - 1px),#aaa 50%,'
             'transparent calc(50% + 1px))"></div>',
             f'<div style="{box}left:50%;top:calc(100% + 28px);transform:translateX(-50%);font-size:13px;'
             f'white-space:nowrap">{html.escape(_("fraction of steps left-saturated (< 0.1)"))}</div>']
    for tick in np.linspace(0, 1, 6):
        parts.append(f'<div style="{box}left:0;right:0;top:{100 - at(tick):.2f}%;border-top:1px solid {GRID}"></div>'
                     f'<div style="{box}right:calc(100% + 8px);top:{100 - at(tick):.2f}%;transform:translateY(-50%);'
                     f'color:{FAINT}">{tick:g}</div>'
                     f'<div style="{box}left:{at(tick):.2f}%;top:calc(100% + 6px);transform:translateX(-50%);'
                     f'color:{FAINT}">{tick:g}</div>')
    legend = []
    tip = _("{gate}, unit {unit}: below 0.1 on {low:.0%} of steps, above 0.9 on {high:.0%}")
    for row, (name, (low, high)) in enumerate(gate_saturation(gates).items()):
        gate = quantity_name(name)
        color, label = GATE_COLORS.get(name, INK), escape_all(gate)
        dot = f"width:7px;height:7px;border-radius:50%;background:{color};opacity:0.75"
        for unit, (lo, hi) in enumerate(zip(low.tolist(), high.tolist())):
            said = html.escape(tip.format(gate=gate, unit=unit, low=lo, high=hi))
            parts.append(f'<span title="{said}" '
                         f'style="{box}left:{at(lo):.2f}%;top:{100 - at(hi):.2f}%;margin:-3.5px 0 0 -3.5px;{dot}">'
                         '</span>')
        legend.append(f'<div style="{box}left:24px;top:{20 * row}px;white-space:nowrap"><span style="{box}left:-14px;'
                      f'top:4px;{dot}"></span>{label}</div>')
    return "".join(parts) + '</div><div style="position:absolute;right:0;width:170px;top:44px">' + "".join(legend) \
        + "</div></div>"
