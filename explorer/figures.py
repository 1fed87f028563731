"""Pure Plotly builders for the app: numpy arrays and Traces in, `go.Figure` (or an HTML string) out.

Conventions, the same on every page (DESIGN.md, "Figures"):
- time runs left to right (x = step, ticks labelled with the character read), units top to bottom;
- sigmoid gates (i f o r z) share one sequential scale fixed to [0, 1]; tanh-range values
  (hidden, g, n) and unbounded ones (cell, pre) share one diverging scale centred at 0, symmetric,
  at least [-1, 1] and wider only when the data are;
- every figure has a title, axis titles and hover text naming character, step, unit and value;
- wide heatmaps are binned (mean over neighbouring steps) down to what a browser can show, so
  their JSON stays well under 2 MB; the caller offers a window at full resolution.

Nothing here calls streamlit. The numbers the figures show (unit ordering, gate saturation,
the values inside a step's equations, exports) come from explorer/analysis.py.
"""
from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale


from .analysis import gate_saturation
from .house import FAINT, FONT, GRID, INK  # the house colours (explorer/house.py)
from .trace import SIGMOID_GATES

SEQUENTIAL = "Viridis"  # sigmoid gates, probabilities: perceptually uniform, colour-blind safe
DIVERGING = "RdBu_r"  # signed values: blue negative, red positive, white at 0; colour-blind safe
MAX_CELLS = 128_000  # float32 heatmap cells per figure: ~0.7 MB of JSON, drawn in well under a second
MAX_COLUMNS = 1000  # no screen shows more steps than this side by side
QUANTITY_NAMES = {
    "hidden": "hidden state h", "cell": "cell state c", "i": "input gate i", "f": "forget gate f",
    "g": "candidate g", "o": "output gate o", "r": "reset gate r", "z": "update gate z", "n": "candidate n",
    "pre": "pre-activation a",
}
LN2 = math.log(2.0)
UNIT_TICKS = 16  # at most this many unit labels down a heatmap (each costs the browser time; the hover names every unit)


def full_resolution_steps(hidden_size: int) -> int:
    """How many steps of a [T, hidden_size] heatmap fit on screen at full resolution."""
    return min(MAX_COLUMNS, MAX_CELLS // max(1, hidden_size))


# ---------------------------------------------------------------------------------------------
# scales and labels


def color_scale(quantity: str, values: np.ndarray | None = None) -> dict:
    """The colour scale for a quantity: {'colorscale', 'zmin', 'zmax'}, the same on every page."""
    if quantity in SIGMOID_GATES:
        return {"colorscale": SEQUENTIAL, "zmin": 0.0, "zmax": 1.0}
    bound = 1.0
    if values is not None and np.size(values):
        finite = np.abs(np.asarray(values, dtype=np.float64))
        finite = finite[np.isfinite(finite)]
        if finite.size:
            bound = max(bound, float(finite.max()))
    return {"colorscale": DIVERGING, "zmin": -bound, "zmax": bound}


def char_label(ch: str) -> str:
    """A character as a tick or hover label: whitespace made visible, markup characters escaped."""
    visible = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}.get(ch, ch)
    return html.escape(visible, quote=False)


def quantity_name(quantity: str) -> str:
    return QUANTITY_NAMES.get(quantity, quantity)


def strings(values) -> np.ndarray:
    """Labels for a figure as a numpy object array: plotly checks a Python list item by item, a numpy
    array at once (for 2,000 labels, ~0.1 s against ~1 ms)."""
    return np.array(list(values), dtype=object)


def step_labels(tokens, start: int, steps: int) -> list[str]:
    chars = list(tokens[start:start + steps]) if tokens is not None else ["?"] * steps
    return [char_label(c) for c in chars]


# ---------------------------------------------------------------------------------------------
# numbers the figures show


def bin_columns(values: np.ndarray, max_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean over runs of neighbouring steps so at most `max_columns` remain.
    `values` [T, ...] -> (binned [B, ...], first step of each bin [B+1] as edges)."""
    steps = values.shape[0]
    width = max(1, math.ceil(steps / max_columns))
    edges = np.arange(0, steps, width)
    edges = np.append(edges, steps)
    counts = np.diff(edges).reshape((-1,) + (1,) * (values.ndim - 1))  # steps in each bin
    return np.add.reduceat(values, edges[:-1], axis=0) / counts, edges


def equation_latex(values: dict) -> list[str]:
    """The step equations with the numbers of `equation_values` filled in, one LaTeX line each."""
    def n(v):
        return f"{v:.3f}" if v >= 0 else f"({v:.3f})"

    p, g, kind = values["parts"], values["gates"], values["cell_type"]

    def affine(name, tag):
        fx, fh = p[name]
        return (rf"{tag} = \underbrace{{{n(fx)}}}_{{W_{{i{name}}}x_t + b_{{i{name}}}}} + "
                rf"\underbrace{{{n(fh)}}}_{{W_{{h{name}}}h_{{t-1}} + b_{{h{name}}}}} = {values['pre'][name]:.3f}")

    if kind == "lstm":
        lines = [affine(k, f"a^{k}_t") for k in "ifgo"]
        lines += [rf"i_t = \sigma(a^i_t) = {g['i']:.3f},\quad f_t = \sigma(a^f_t) = {g['f']:.3f},\quad "
                  rf"g_t = \tanh(a^g_t) = {g['g']:.3f},\quad o_t = \sigma(a^o_t) = {g['o']:.3f}",
                  rf"c_t = f_t \odot c_{{t-1}} + i_t \odot g_t = {n(g['f'])} \cdot {n(values['c_prev'])} + "
                  rf"{n(g['i'])} \cdot {n(g['g'])} = {values['c']:.3f}",
                  rf"h_t = o_t \odot \tanh(c_t) = {n(g['o'])} \cdot \tanh({values['c']:.3f}) = {values['h']:.3f}"]
        return lines
    if kind == "gru":
        fx, fh = p["n"]
        lines = [affine("r", "a^r_t"), affine("z", "a^z_t"),
                 rf"r_t = \sigma(a^r_t) = {g['r']:.3f},\quad z_t = \sigma(a^z_t) = {g['z']:.3f}",
                 rf"n_t = \tanh(W_{{in}}x_t + b_{{in}} + r_t \odot (W_{{hn}}h_{{t-1}} + b_{{hn}})) = "
                 rf"\tanh({n(fx)} + {n(g['r'])} \cdot {n(fh)}) = {g['n']:.3f}",
                 rf"h_t = (1 - z_t) \odot n_t + z_t \odot h_{{t-1}} = {n(1 - g['z'])} \cdot {n(g['n'])} + "
                 rf"{n(g['z'])} \cdot {n(values['h_prev'])} = {values['h']:.3f}"]
        return lines
    act = r"\tanh" if kind == "rnn_tanh" else r"\mathrm{relu}"
    return [affine("pre", "a_t").replace("W_{ipre}", "W_{ih}").replace("b_{ipre}", "b_{ih}")
            .replace("W_{hpre}", "W_{hh}").replace("b_{hpre}", "b_{hh}"),
            rf"h_t = {act}(a_t) = {act}({values['pre']['pre']:.3f}) = {values['h']:.3f}"]


# ---------------------------------------------------------------------------------------------
# figures


def state_heatmap(*, values: np.ndarray, tokens, quantity: str, title: str | None = None,
                  unit_order: np.ndarray | None = None, start: int = 0, boundary: int | None = None,
                  max_cells: int = MAX_CELLS, max_columns: int = MAX_COLUMNS, height: int | None = None,
                  boundary_label: str = "generated →") -> go.Figure:
    """Heatmap of one quantity [T, H]: steps along x, units top to bottom in `unit_order`.

    `start` is the step of values[0] (for windows into longer text). Wider than the browser can
    use (more than `max_columns` steps or `max_cells` cells), steps are binned by their mean and
    the hover names the range. `boundary` draws a vertical line before that step (e.g. the end
    of a prompt), labelled `boundary_label`."""
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
        excerpts = ["".join(labels[a:min(b, a + 12)]) + ("…" if b - a > 12 else "") for a, b in zip(edges, edges[1:])]
        categories = [f"steps {a + start}–{b - 1 + start} “{text}”" for a, b, text in zip(edges, edges[1:], excerpts)]
        tick_labels = [labels[a] for a in edges[:-1]]
    else:
        z = ordered.T.astype(np.float32)  # [H, T]
        categories = [f"step {start + t} “{labels[t]}”" for t in range(steps)]
        tick_labels = labels
    name = quantity_name(quantity)
    mean = " (mean)" if width > 1 else ""
    # x and y are categories ("step 12 “a”", "unit 37"): the hover names character, step and
    # unit from one label per column and per row, not from a per-cell text array (megabytes).
    note = f" (mean over {width} steps per column)" if width > 1 else ""
    fig = go.Figure(  # built in one go: each later update_layout would check the whole layout again
        data=[dict(type="heatmap", z=z, x=strings(categories), y=strings(f"unit {u}" for u in order),
                   colorbar=dict(title=dict(text=quantity)),
                   hovertemplate="%{x}<br>%{y}<br>" + name + mean + " = %{z:.3f}<extra></extra>", **scale)],
        layout=dict(title=dict(text=(title or f"{name}, units × steps") + note),
                    xaxis=category_axis(categories, tick_labels),
                    yaxis=dict(title=dict(text="unit"), autorange="reversed", type="category", nticks=UNIT_TICKS),
                    height=height or max(220, min(900, 14 * size + 120)), margin=dict(l=60, r=20, t=50, b=50)))
    if boundary is not None and start <= boundary <= start + steps:
        position = (boundary - start) / width - 0.5  # category i spans [i - 0.5, i + 0.5]
        fig.add_vline(x=position, line=dict(color="black", width=2, dash="dash"))
        fig.add_annotation(x=position, y=1.0, yref="paper", text=boundary_label, showarrow=False,
                           xanchor="left", yanchor="bottom")
    return fig


def category_axis(categories: list[str], tick_labels: list[str], title: str = "step (character read)") -> dict:
    """An axis over steps whose categories are `categories` ("step 12 “a”"); at most about 80 of
    them are labelled, each with its entry of `tick_labels` (the character)."""
    idx = range(0, len(categories), max(1, math.ceil(len(categories) / 80)))
    return dict(type="category", tickmode="array", tickvals=strings(categories[i] for i in idx),
                ticktext=strings(tick_labels[i] for i in idx), tickangle=0, title=dict(text=title))


def category_ticks(fig: go.Figure, categories: list[str], tick_labels: list[str], axis: str = "xaxis",
                    title: str = "step (character read)"):
    """Set the figure's `axis` to `category_axis(categories, tick_labels, title)`, in place."""
    fig.update_layout({axis: category_axis(categories, tick_labels, title)})


def entity(ch: str) -> str:
    """A character safe both as HTML and inside st.markdown: letters, digits and spaces as they
    are, everything else as a numeric entity (so <, &, *, _, $, \\ are never markup)."""
    return ch if ch.isalnum() or ch == " " else f"&#{ord(ch)};"


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
    for t, value in enumerate(values):
        ch = tokens[start + t]
        fraction = 0.0 if high == low else (value - low) / (high - low)
        r, g, b = palette[int(np.clip(round(fraction * 63), 0, 63))] if np.isfinite(value) else (0.5, 0.5, 0.5)
        r, g, b = (float(c) / 255 if c > 1 else float(c) for c in (r, g, b))
        ink = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#fff"
        shown = "↵<br>" if ch == "\n" else entity(ch)  # a plain space: lines may wrap there
        tip = "".join(entity(c) for c in f"step {start + t} '{ch}': unit {unit} {quantity} = {value:.3f}")
        spans.append(f'<span title="{tip}" style="background:rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f});'
                     f'color:{ink}">{shown}</span>')
    return ('<div style="font-family:monospace;font-size:1.05rem;line-height:1.9;white-space:pre-wrap;'
            'overflow-wrap:anywhere">' + "".join(spans) + "</div>")


def topk_figure(*, tokens, topk_labels, topk_probs: np.ndarray, start: int = 0, title: str | None = None,
                boundary: int | None = None) -> go.Figure:
    """The top-k next-character guesses at every step: steps along x, rank along y, the guessed
    character written in the cell, its probability as colour (sequential scale, [0, 1])."""
    probs = np.asarray(topk_probs, dtype=np.float32)  # [T, k]
    steps, k = probs.shape
    labels = step_labels(tokens, start, steps)
    categories = [f"step {start + t} “{labels[t]}”" for t in range(steps)]
    guesses = np.array([[char_label(c) for c in row] for row in topk_labels], dtype=object).T  # [k, T]
    show_text = steps <= 120
    cells = dict(type="heatmap", z=probs.T, x=strings(categories), y=[f"#{r + 1}" for r in range(k)], text=guesses,
                 colorscale=SEQUENTIAL, zmin=0, zmax=1, colorbar=dict(title=dict(text="p")),
                 hovertemplate="after %{x}<br>guess %{y}: “%{text}”<br>p = %{z:.3f}<extra></extra>")
    if show_text:
        cells["texttemplate"] = "%{text}"
    fig = go.Figure(data=[cells], layout=dict(
        title=dict(text=title or f"Top-{k} guesses for the next character"), xaxis=category_axis(categories, labels),
        yaxis=dict(title=dict(text="rank"), autorange="reversed"), height=90 + 28 * k,
        margin=dict(l=60, r=20, t=50, b=40)))
    if boundary is not None and start <= boundary <= start + steps:
        fig.add_vline(x=boundary - start - 0.5, line=dict(color="black", width=2, dash="dash"))
    return fig


def loss_strip(*, tokens, loss: np.ndarray, start: int = 0, title: str | None = None,
               max_bits: float | None = None) -> go.Figure:
    """Per-character surprise: -log2 p(next character) at each step, in bits, as a filled step
    line (one SVG path however long the text; a thousand bars took seconds to draw).
    `loss` is in nats (Trace.loss); NaN (the last step, nothing to predict) is left blank.
    `max_bits` fixes the y range, so strips of several models share one scale."""
    bits = np.asarray(loss, dtype=np.float64) / LN2
    steps = bits.shape[0]
    labels = step_labels(tokens, start, steps)
    nxt = [char_label(tokens[start + t + 1]) if start + t + 1 < len(tokens) else "" for t in range(steps)]
    categories = [f"step {start + t} “{labels[t]}”" for t in range(steps)]
    top = max_bits if max_bits is not None else max(1.0, float(np.nanmax(bits)) * 1.05 if np.isfinite(bits).any() else 8.0)
    return go.Figure(
        data=[dict(type="scatter", x=strings(categories), y=np.where(np.isfinite(bits), bits, np.nan),
                   customdata=strings(nxt), mode="lines", line=dict(shape="hvh", width=1.5, color="#440154"),
                   fill="tozeroy", fillcolor="rgba(68, 1, 84, 0.35)", connectgaps=False,
                   hovertemplate="after %{x}, the next character “%{customdata}” cost %{y:.2f} bits"
                                 "<extra></extra>")],
        layout=dict(title=dict(text=title or "Surprise: bits spent on each next character"),
                    xaxis=category_axis(categories, labels),
                    yaxis=dict(title=dict(text="bits (−log₂ p)"), range=[0, top]),
                    height=220, margin=dict(l=60, r=20, t=50, b=40), showlegend=False))


def cell_flow_figure(*, flow: dict[str, np.ndarray], units, tokens, start: int = 0, layer: int = 0,
                     direction: int = 0) -> go.Figure:
    """c_t of chosen units split into kept (f⊙c_{t-1}) and written (i⊙g), with what the output
    gate lets out (o⊙tanh c_t = h_t). `flow` as from Trace.cell_flow, each [T, H]."""
    steps = flow["cell"].shape[0]
    labels = step_labels(tokens, start, steps)
    categories = [f"step {start + t} “{labels[t]}”" for t in range(steps)]
    styles = {"cell": dict(width=3), "kept": dict(dash="dot"), "written": dict(dash="dash"),
              "emitted": dict(dash="dashdot")}
    names = {"cell": "c_t", "kept": "kept f⊙c_{t-1}", "written": "written i⊙g", "emitted": "emitted o⊙tanh c_t"}
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]  # Okabe-Ito
    x = strings(categories)
    lines = [dict(type="scatter", x=x, y=flow[part][:, unit], mode="lines", name=f"unit {unit}: {names[part]}",
                  legendgroup=f"unit {unit}", line=dict(color=palette[k % len(palette)], **styles[part]),
                  hovertemplate=f"%{{x}}<br>unit {unit} {names[part]} = %{{y:.3f}}<extra></extra>")
             for k, unit in enumerate(units) for part in ("cell", "kept", "written", "emitted")]
    return go.Figure(data=lines, layout=dict(
        title=dict(text=f"Cell-state flow, layer {layer}{' backward' if direction else ''}: c_t = kept + written"),
        xaxis=category_axis(categories, labels), yaxis=dict(title=dict(text="value")), height=360,
        margin=dict(l=60, r=20, t=50, b=40), hovermode="closest"))


GATE_COLORS = {"i": "#0072B2", "f": "#D55E00", "o": "#009E73", "r": "#CC79A7", "z": "#E69F00"}


def saturation_figure(*, gates: dict[str, np.ndarray], title: str | None = None) -> go.Figure:
    """Each unit of each sigmoid gate as a point: fraction of steps left-saturated (< 0.1) on x,
    right-saturated (> 0.9) on y (Karpathy et al. 2015, fig. 3)."""
    fractions = gate_saturation(gates)
    points = [dict(type="scatter", x=low, y=high, mode="markers", name=quantity_name(name),
                   customdata=np.arange(low.shape[0]), marker=dict(color=GATE_COLORS.get(name), size=7, opacity=0.75),
                   hovertemplate=f"{quantity_name(name)}, unit %{{customdata}}<br>below 0.1: %{{x:.0%}} of steps"
                                 "<br>above 0.9: %{y:.0%} of steps<extra></extra>")
              for name, (low, high) in fractions.items()]
    return go.Figure(data=points, layout=dict(
        title=dict(text=title or "Gate saturation over this text"),
        shapes=[dict(type="line", x0=0, y0=1, x1=1, y1=0, line=dict(color="grey", dash="dot"))],
        xaxis=dict(title=dict(text="fraction of steps left-saturated (< 0.1)"), range=[-0.02, 1.02]),
        yaxis=dict(title=dict(text="fraction of steps right-saturated (> 0.9)"), range=[-0.02, 1.02]),
        height=420, margin=dict(l=60, r=20, t=50, b=50)))


def saturation_html(*, gates: dict[str, np.ndarray], title: str | None = None, height: int = 420) -> str:
    """saturation_figure as static HTML in the house look, for a page redrawn at every keystroke: the
    browser lays out these few hundred dots as plain elements in a few milliseconds, where a chart of
    them cost it about 0.1 s (Inspect). Each dot's hover title names gate, unit and both fractions;
    the interactive figure stays one download away. As wide as the column, up to 940 pixels."""
    def at(v):  # percent of the plotting area, the axes running from -0.02 to 1.02
        return (v + 0.02) / 1.04 * 100

    box = "position:absolute;"
    parts = [f'<div style="position:relative;width:100%;max-width:940px;height:{height}px;'
             f'font-family:{html.escape(FONT)};font-size:12px;color:{INK}">',
             f'<div style="{box}left:0;top:0;font-size:16px;font-weight:bold">'
             f'{escape_all(title or "Gate saturation over this text")}</div>',
             f'<div style="{box}left:0;top:{height // 2}px;transform:translate(-42%,-50%) rotate(-90deg);'
             'font-size:13px;white-space:nowrap">fraction of steps right-saturated (&gt; 0.9)</div>',
             f'<div style="{box}left:70px;right:190px;top:44px;bottom:56px">',
             f'<div style="{box}left:{at(0):.2f}%;top:{100 - at(1):.2f}%;right:{100 - at(1):.2f}%;'
             f'bottom:{at(0):.2f}%;background:linear-gradient(to top right,transparent calc(50% - 1px),#aaa 50%,'
             'transparent calc(50% + 1px))"></div>',
             f'<div style="{box}left:50%;top:calc(100% + 28px);transform:translateX(-50%);font-size:13px;'
             'white-space:nowrap">fraction of steps left-saturated (&lt; 0.1)</div>']
    for tick in np.linspace(0, 1, 6):
        parts.append(f'<div style="{box}left:0;right:0;top:{100 - at(tick):.2f}%;border-top:1px solid {GRID}"></div>'
                     f'<div style="{box}right:calc(100% + 8px);top:{100 - at(tick):.2f}%;transform:translateY(-50%);'
                     f'color:{FAINT}">{tick:g}</div>'
                     f'<div style="{box}left:{at(tick):.2f}%;top:calc(100% + 6px);transform:translateX(-50%);'
                     f'color:{FAINT}">{tick:g}</div>')
    legend = []
    for row, (name, (low, high)) in enumerate(gate_saturation(gates).items()):
        color, label = GATE_COLORS.get(name, INK), escape_all(quantity_name(name))
        dot = f"width:7px;height:7px;border-radius:50%;background:{color};opacity:0.75"
        for unit, (lo, hi) in enumerate(zip(low.tolist(), high.tolist())):
            parts.append(f'<span title="{label}, unit {unit}: below 0.1 on {lo:.0%} of steps, above 0.9 on {hi:.0%}" '
                         f'style="{box}left:{at(lo):.2f}%;top:{100 - at(hi):.2f}%;margin:-3.5px 0 0 -3.5px;{dot}">'
                         '</span>')
        legend.append(f'<div style="{box}left:24px;top:{20 * row}px;white-space:nowrap"><span style="{box}left:-14px;'
                      f'top:4px;{dot}"></span>{label}</div>')
    return "".join(parts) + '</div><div style="position:absolute;right:0;width:170px;top:44px">' + "".join(legend) \
        + "</div></div>"


# ---------------------------------------------------------------------------------------------
# Compare and Gradients through time

GRADIENT = "Plasma"  # gradient magnitudes (log scale): sequential, colour-blind safe, distinct from the gates
# (not Inferno: plotly.js draws its first stop, #000004, as pink)
SALIENCY_DECADES = 4  # the coloured text spans this many powers of ten below the largest value
MODEL_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]  # Okabe-Ito, one per model
LAYER_DASHES = ["solid", "dash", "dot", "dashdot"]


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
    data = []
    for s in series:
        values = np.asarray(s["values"], dtype=np.float64)
        offset = s.get("offset", 0)
        steps = start + offset + np.arange(values.shape[0])
        chars = [labels[t] if t < len(labels) else "" for t in steps]
        # numpy in, typed arrays out: validating and sending Python lists of 2,000 floats cost ~0.1 s per curve
        gaps = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        line = dict(dash=s.get("dash", "solid"), width=2)
        if s.get("color") is not None:
            line["color"] = s["color"]
        data.append(dict(
            type="scatter", x=steps, y=gaps, customdata=strings(chars), mode="lines", name=s["label"], line=line,
            connectgaps=False, hovertemplate=f"{html.escape(s['label'])}<br>step %{{x}} “%{{customdata}}”<br>"
                                             f"{value_name} = %{{y:.3e}}<extra></extra>"))
    return go.Figure(data=data, layout=dict(  # traces as dicts: go.Scatter objects would be checked twice
        title=dict(text=title), height=height, hovermode="closest",
        xaxis=dict(title=dict(text="step t (character read)")),
        yaxis=dict(title=dict(text=y_title), type="log", exponentformat="power"),
        margin=dict(l=70, r=20, t=50, b=45), legend=dict(orientation="h", y=-0.2)))


def log_heatmap(*, values: np.ndarray, tokens, title: str, value_name: str, start: int = 0,
                max_cells: int = MAX_CELLS, max_columns: int = MAX_COLUMNS, floor: float | None = None,
                height: int | None = None) -> go.Figure:
    """|values| [T, H] as a units × steps heatmap on a log colour scale (log10, bar labelled in powers
    of ten). Zeros are drawn at `floor` (default: 1e-6 of the largest value). Wide inputs are binned
    by the mean magnitude over neighbouring steps, like state_heatmap."""
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    steps, size = magnitude.shape
    columns = min(max_columns, max(1, max_cells // max(size, 1)))
    labels = step_labels(tokens, start, steps)
    width = max(1, math.ceil(steps / columns))
    if width > 1:
        binned, edges = bin_columns(magnitude, columns)
        excerpts = ["".join(labels[a:min(b, a + 12)]) + ("…" if b - a > 12 else "") for a, b in zip(edges, edges[1:])]
        categories = [f"steps {a + start}–{b - 1 + start} “{text}”" for a, b, text in zip(edges, edges[1:], excerpts)]
        tick_labels = [labels[a] for a in edges[:-1]]
    else:
        binned = magnitude
        categories = [f"step {start + t} “{labels[t]}”" for t in range(steps)]
        tick_labels = labels
    finite = binned[np.isfinite(binned) & (binned > 0)]
    top = float(finite.max()) if finite.size else 1.0
    floor = floor if floor is not None else top * 1e-6
    logs = np.log10(np.clip(np.where(np.isfinite(binned), binned, floor), floor, None)).T.astype(np.float32)  # [H, B]
    low = math.floor(math.log10(floor))
    high = math.ceil(math.log10(top)) if top > floor else low + 1
    ticks = list(range(low, high + 1, max(1, (high - low) // 6)))
    mean = " (mean)" if width > 1 else ""
    note = f" (mean over {width} steps per column)" if width > 1 else ""
    return go.Figure(
        data=[dict(type="heatmap", z=logs, x=strings(categories), y=strings(f"unit {u}" for u in range(size)),
                   colorscale=GRADIENT, zmin=low, zmax=high,
                   colorbar=dict(title=dict(text="|value|"), tickvals=ticks, ticktext=[f"1e{k}" for k in ticks]),
                   hovertemplate="%{x}<br>%{y}<br>log₁₀ " + value_name + mean + " = %{z:.2f}<extra></extra>")],
        layout=dict(title=dict(text=title + note), xaxis=category_axis(categories, tick_labels),
                    yaxis=dict(title=dict(text="unit"), autorange="reversed", type="category", nticks=UNIT_TICKS),
                    height=height or max(220, min(700, 4 * size + 140)), margin=dict(l=70, r=20, t=50, b=45)))


def spectrum_figure(*, rows: list[dict], title: str, height: int = 320) -> go.Figure:
    """Singular values of recurrent matrices (rows from explorer.grads.recurrent_spectrum), descending,
    one curve per (layer, direction, block); the Pascanu et al. (2013) vanishing bound as a dashed line
    where it applies (Elman and Jordan nets)."""
    fig = go.Figure()
    bounds = set()
    for k, row in enumerate(rows):
        values = np.asarray(row["singular_values"], dtype=np.float64)
        where = f"layer {row['layer']}{' backward' if row['direction'] else ''}"
        name = f"{row['block']}, {where}"
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
    fig.update_layout(title=dict(text=title), height=height, xaxis=dict(title="index k (largest first)"),
                      yaxis=dict(title="singular value σ_k", rangemode="tozero"),
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
    spans = []
    for t, value in enumerate(values, start=start):
        ch = tokens[t]
        share = value / top if top > 0 and np.isfinite(value) else 0.0
        fraction = 1 + math.log10(share) / SALIENCY_DECADES if share > 0 else 0.0
        r, g, b = palette[int(np.clip(round(fraction * 63), 0, 63))]
        r, g, b = (float(c) / 255 if c > 1 else float(c) for c in (r, g, b))
        ink = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#fff"
        shown = "↵<br>" if ch == "\n" else entity(ch)
        outline = "outline:3px solid #56B4E9;" if t == step else ""
        tip = "".join(entity(c) for c in f"step {t} '{ch}': ||dloss/dx|| = {value:.3e} ({share:.1%} of the largest)")
        spans.append(f'<span title="{tip}" style="background:rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f});'
                     f'color:{ink};{outline}">{shown}</span>')
    head = f'<div style="font-size:0.85rem;margin-bottom:2px"><b>{escape_all(label)}</b></div>' if label else ""
    return (head + '<div style="font-family:monospace;font-size:1.05rem;line-height:1.9;white-space:pre-wrap;'
            'overflow-wrap:anywhere">' + "".join(spans) + "</div>")


def escape_all(text: str) -> str:
    return "".join(entity(c) for c in text)


def clipping_figure(*, result: dict) -> go.Figure:
    """The clipping lab (explorer.clipping.clipping_lab): the gradient norm before clipping at every
    training step, with and without clipping (log y; clip events marked, threshold dashed); their
    distribution; and the loss."""
    from plotly.subplots import make_subplots

    threshold = float(result["threshold"])
    fig = make_subplots(rows=1, cols=3, column_widths=[0.45, 0.2, 0.35], horizontal_spacing=0.08,
                        subplot_titles=("gradient norm at each step (before clipping)", "distribution",
                                        "training loss"))
    runs = [("unclipped", "without clipping", "#D55E00"), ("clipped", f"clipped at {threshold:g}", "#0072B2")]
    for key, label, color in runs:
        rows = result[key]["rows"]
        steps = [r["step"] for r in rows]
        norms = [r["grad_norm_before"] for r in rows]
        fig.add_trace(go.Scatter(x=steps, y=_positive_or_gap(norms), mode="lines+markers", name=label,
                                 legendgroup=key, line=dict(color=color), marker=dict(size=5),
                                 hovertemplate=f"{label}<br>step %{{x}}: ||g|| = %{{y:.3e}}<extra></extra>"),
                      row=1, col=1)
        clipped = [(r["step"], r["grad_norm_before"], r["grad_norm_after"]) for r in rows if r.get("clipped")]
        if clipped:
            fig.add_trace(go.Scatter(
                x=[c[0] for c in clipped], y=[c[1] for c in clipped], mode="markers", name=f"{label}: clipped",
                legendgroup=key, marker=dict(symbol="x", size=10, color="black"),
                customdata=[c[2] for c in clipped],
                hovertemplate="step %{x}: ||g|| = %{y:.3e} rescaled to %{customdata:.3g}<extra>clip event</extra>"),
                row=1, col=1)
        fig.add_trace(go.Box(y=_positive_or_gap(norms), name=label, legendgroup=key, marker=dict(color=color),
                             boxpoints="all", jitter=0.4, showlegend=False,
                             hovertemplate=f"{label}<br>||g|| = %{{y:.3e}}<extra></extra>"), row=1, col=2)
        losses = [r["loss"] for r in rows]
        fig.add_trace(go.Scatter(x=steps, y=_positive_or_gap(losses), mode="lines+markers", name=label,
                                 legendgroup=key, showlegend=False, line=dict(color=color), marker=dict(size=5),
                                 hovertemplate=f"{label}<br>step %{{x}}: loss = %{{y:.3e}}<extra></extra>"),
                      row=1, col=3)
    fig.add_hline(y=threshold, line=dict(color="black", dash="dash"), row=1, col=1,
                  annotation_text=f"threshold {threshold:g}", annotation_position="bottom right")
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text="||∇θ L|| (L2, all parameters)", row=1, col=1)
    fig.update_yaxes(title_text="MSE loss", row=1, col=3)
    fig.update_xaxes(title_text="training step", row=1, col=1)
    fig.update_xaxes(title_text="training step", row=1, col=3)
    fig.update_layout(title=dict(text=f"Clipping lab: {result['cell'].upper()} on the adding problem, "
                                      f"T = {result['seq_len']}"), height=420,
                      margin=dict(l=70, r=20, t=70, b=45), legend=dict(orientation="h", y=-0.2))
    return fig
