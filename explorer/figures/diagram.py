"""The unrolled network, drawn from a ModelConfig: one box per value and step, one arrow per path.

    from explorer.figures import diagram
    fig = diagram.unrolled(model.config, steps=4, tokens="(()")

Rows, bottom to top: the input x_t, its encoding (one-hot, embedding or real values), every layer
(two rows, forward → and backward ←, when bidirectional), the concatenation [h→; h←] the head reads
(bidirectional only), and the head's output y. Columns are time steps. Arrows: the input path, the
recurrence (h_{t-1} → h_t for Elman, GRU and LSTM; the backward chain runs right to left), a Jordan
net's feedback (y_{t-1} → h_t, no h → h arrow), layer to layer, and into the head (at every step,
or once from the last step for a many-to-one head).

A minGRU or minLSTM layer takes two rows: its gates and candidate, which read x_t (or the layer below)
and nothing else, then h_t, which mixes them with h_{t-1} unit by unit. So the only arrow along time
is h_{t-1} → h_t, drawn thin (no weight matrix on it), and none runs from h_{t-1} into the gates.

A bidirectional net's two rows of a layer are staggered within each column (→ left of the step's
centre, ← right of it), so that every arrow from one layer to the next passes beside the boxes it
skips instead of through them; the two arrows into a many-to-one head's concatenation turn a corner
(drawn as a line, then an arrow) so that they run where no box is.

`layout(config, steps)` gives the boxes and arrows as plain data (what the tests count);
`unrolled` draws them. Pages draw DIAGRAM_STEPS columns unless they have a reason to differ.
The hover text names the weights in either notation (explorer.engine.cells.NOTATIONS): the course's
U, W, b, V, c or PyTorch's W_ih, W_hh, b_ih, b_hh, W_ho, b_ho; the caller passes the session's choice.
Pure: nothing here imports streamlit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import plotly.graph_objects as go

from explorer.engine.cells import in_notation
from explorer.engine.models import MIN_CELLS, ModelConfig
from explorer.figures.house import BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, VERMILLION
from explorer.figures.labels import char_label
from explorer.i18n import N_, _, ngettext

BOX_W, BOX_H = 0.62, 0.5  # box size in data units (a column is 1 wide, a row 1 high)
STAGGER, STAGGERED_W = 0.3, 0.5  # a bidirectional layer's boxes: ∓ this off the step's centre, this wide
GAP = 0.02  # arrows stop this short of a box's edge
INPUT_W = 0.8  # an input box names its value too ("x_3 “0.43”"); nothing runs beside it
MAX_STEPS = 8  # more columns than this no longer fit a page beside the traces
DIAGRAM_STEPS = 5  # what a page draws: enough to show the recurrence, narrow enough to read
NODE_COLORS = {  # fills: pale, so the black labels stay readable (Okabe-Ito hues)
    "input": "#E8E8E8", "encoding": "#FFF3C4", "forward": "#CFE6F5", "backward": "#FAD9C2",
    "concat": "#EBD4E5", "output": "#CDEBDD", "gates": "#FCE3C0",
}
EDGE_STYLES = {  # kind -> (colour, dash: a thinner arrow where not solid, legend text: translate where drawn)
    "input": ("#7F7F7F", "solid", N_("input path")),
    "layer": ("#7F7F7F", "solid", N_("layer to layer")),
    "recurrent": (BLUE, "solid", N_("recurrence h_{t-1} → h_t")),
    "backward": (VERMILLION, "solid", N_("backward chain h_{t+1} → h_t")),
    "feedback": (REDDISH_PURPLE, "dash", N_("Jordan feedback y_{t-1} → h_t")),
    "concat": ("#8E44AD", "dot", N_("concatenation [h→; h←]")),
    "head": (BLUISH_GREEN, "solid", N_("into the head")),
    "gates": (ORANGE, "solid", N_("gates and candidate into h_t")),
    "mix": (BLUE, "dash", N_("h_{t-1} → h_t unit by unit, no weight matrix")),
}
MIN_GATES = {"mingru": ("z", "h̃"), "minlstm": ("f", "i", "h̃")}  # the step function's rows of weight_ih, in order
MIN_MIX = {"mingru": "h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t",
           "minlstm": "h_t = f′_t ⊙ h_{t-1} + i′_t ⊙ h̃_t, f′_t = f_t / (f_t + i_t), i′_t = i_t / (f_t + i_t)"}


@dataclass(frozen=True)
class Node:
    key: str  # unique, e.g. "h l0 d1 t2"
    kind: str  # input, encoding, gates (minGRU, minLSTM), forward, backward, concat, output
    label: str  # drawn in the box (plotly's <sub>/<sup> markup)
    x: float
    y: float
    hover: str
    width: float = BOX_W


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # one of EDGE_STYLES


def plain(latex: str, notation: str = "pytorch") -> str:
    """PyTorch-named LaTeX (as explorer.engine.cells writes it) as plain text in `notation`, for hover text and
    legends, which cannot set LaTeX: W_{ih} x_t + b_{ih} becomes W_ih x_t + b_ih, or U x_t + b."""
    text = in_notation(latex, notation).replace(r"\phi", "φ")
    text = re.sub(r"\\,\s*", " ", text)
    return re.sub(r"([UWVb])_\{(\w+)\}", r"\1_\2", text)


def _encoding(config: ModelConfig, notation: str) -> tuple[str, str]:
    """The input stage's label and what it does (hover)."""
    if config.input_mode == "onehot":
        return (_("one-hot<br>{n}").format(n=config.input_size),
                _("one-hot vector of length {n}: {W} x_t picks column x_t of {W}").format(
                    n=config.input_size, W=plain("W_{ih}", notation)))
    if config.input_mode == "embedding":
        return (_("embed<br>{n}").format(n=config.embedding_size),
                _("embedding.weight row x_t: a learned vector of {n} numbers per character").format(
                    n=config.embedding_size))
    return (_("real<br>{n}").format(n=config.input_size),
            _("{n} real value(s) read as they are").format(n=config.input_size))


def _cell_equation(config: ModelConfig, reverse: bool, notation: str) -> str:
    prev = "h_{t+1}" if reverse else "h_{t-1}"
    if config.cell == "jordan":
        equation = plain(r"h_t = tanh(W_{ih} x_t + b_{ih} + W_{hh}\,\phi(y_{t-1}) + b_{hh})", notation)
        return _("{equation}: reads the previous output, not h").format(equation=equation)
    if config.cell == "rnn":
        # written with h_{t-1}, the form the notation's rules know, then pointed the chain's way
        latex = rf"h_t = {config.nonlinearity}(W_{{ih}} x_t + b_{{ih}} + W_{{hh}} h_{{t-1}} + b_{{hh}})"
        return plain(latex, notation).replace("h_{t-1}", prev)
    if config.cell in MIN_CELLS:
        return _("{equation}: h_{{t-1}} enters only here, unit by unit").format(equation=MIN_MIX[config.cell])
    if config.cell == "gru":
        return _("GRU: gates r, z and candidate n from x_t and {previous}").format(previous=prev)
    return _("LSTM: gates i, f, g, o from x_t and {previous}; cell state c_t carried alongside h_t").format(
        previous=prev)


def _min_gates(cell: str, notation: str, source: str = "x_t") -> str:
    """A min cell's gates and candidate, each an affine map of `source` alone (x_t, or the layer below), in
    `notation`: PyTorch's rows of weight_ih (W_iz x_t + b_iz) or the course's U and b (U_z x_t + b_z)."""
    def affine(gate):
        return f"U_{gate} {source} + b_{gate}" if notation == "course" else f"W_i{gate} {source} + b_i{gate}"

    parts = [f"{gate}_t = σ({affine(gate)})" for gate in MIN_GATES[cell][:-1]]
    parts.append(f"h̃_t = g({affine('h̃')})")
    return ", ".join(parts)


def _at_step(text: str, t: int) -> str:
    """y_t = V h_t + c at step 2: y_2 = V h_2 + c."""
    return re.sub(r"_t\b", f"_{t}", text)


def layout(config: ModelConfig, steps: int = 4, tokens=None,
           notation: str = "pytorch") -> tuple[list[Node], list[Edge]]:
    """The boxes and arrows of `config` unrolled over `steps` steps (1 to MAX_STEPS).
    `tokens`, if given, labels the inputs with the characters read; `notation` names the weights in the hover."""
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(_("the diagram shows 1 to {max} steps; got {steps}").format(max=MAX_STEPS, steps=steps))
    directions, layers = config.directions, config.num_layers
    # a Jordan net computes y_t at every step to feed it back
    per_step = config.head == "per_step" or config.cell == "jordan"
    nodes: list[Node] = []
    edges: list[Edge] = []
    enc_label, enc_hover = _encoding(config, notation)
    width = config.hidden_size
    gated = config.cell in MIN_CELLS  # a row of gates under each layer's h
    span = 2 if gated else directions  # rows per layer
    hidden_row = {(layer, d): 2 + layer * span + d + gated for layer in range(layers) for d in range(directions)}
    top = 2 + layers * span  # first row above the layers
    concat_row = top if config.bidirectional else None
    out_row = top + (1 if config.bidirectional else 0)
    for t in range(steps):
        shown = f" “{char_label(tokens[t])}”" if tokens is not None and t < len(tokens) else ""
        nodes.append(Node(f"x t{t}", "input", f"x<sub>{t}</sub>{shown}", t, 0,
                          _("input at step {t}{shown}").format(t=t, shown=shown), INPUT_W))
        nodes.append(Node(f"e t{t}", "encoding", enc_label, t, 1, _("step {t}: {what}").format(t=t, what=enc_hover)))
        edges.append(Edge(f"x t{t}", f"e t{t}", "input"))
        for (layer, d), row in hidden_row.items():
            arrow = ("←" if d else "→") if config.bidirectional else ""
            layer_tag = f"<sup>({layer})</sup>" if layers > 1 else ""
            where = (_("layer {layer}, backward") if d else _("layer {layer}, forward") if config.bidirectional
                     else _("layer {layer}")).format(layer=layer)
            suffix = "_reverse" if d else ""
            x, box = (t + (STAGGER if d else -STAGGER), STAGGERED_W) if config.bidirectional else (t, BOX_W)
            weight = f"weight_hh_l{layer}{suffix}"
            nodes.append(Node(f"h l{layer} d{d} t{t}", "backward" if d else "forward",
                              f"h{layer_tag}<sub>{t}</sub>{arrow}", x, row,
                              _("h_{t}, {where}, step {t}: {units} units; {weight}<br>{equation}").format(
                                  t=t, where=where, units=width,
                                  weight=_("no {weight}").format(weight=weight) if gated else weight,
                                  equation=_cell_equation(config, bool(d), notation)), box))
            below = [f"e t{t}"] if layer == 0 else [f"h l{layer - 1} d{k} t{t}" for k in range(directions)]
            into = f"h l{layer} d{d} t{t}"
            if gated:  # the layer's input feeds its gates, and only the gates feed h_t
                into = f"g l{layer} t{t}"
                source = "x_t" if layer == 0 else f"h^({layer - 1})_t"
                nodes.append(Node(into, "gates", ", ".join(f"{g}<sub>{t}</sub>" for g in MIN_GATES[config.cell]),
                                  t, row - 1, _("gates, {where}, step {t}: from {source} alone ({weight}); "
                                                "g(v) = v + ½ for v ≥ 0, σ(v) below<br>{equation}").format(
                                      t=t, where=where, weight=f"weight_ih_l{layer}", source=source,
                                      equation=_at_step(_min_gates(config.cell, notation, source), t))))
                edges.append(Edge(into, f"h l{layer} d{d} t{t}", "gates"))
            edges += [Edge(src, into, "input" if layer == 0 else "layer") for src in below]
            if config.cell != "jordan":
                before = t + 1 if d else t - 1
                if 0 <= before < steps:
                    edges.append(Edge(f"h l{layer} d{d} t{before}", f"h l{layer} d{d} t{t}",
                                      "mix" if gated else "backward" if d else "recurrent"))
        last = layers - 1
        if per_step:
            if config.bidirectional:
                nodes.append(Node(f"c t{t}", "concat", f"[h→;h←]<sub>{t}</sub>", t, concat_row,
                                  _("step {t}: the {n} numbers the head reads, "
                                    "[h→_{t} (read x_0..x_{t}); h←_{t} (read x_{t}..x_T-1)]").format(t=t, n=2 * width),
                                  0.8))
                edges += [Edge(f"h l{last} d{d} t{t}", f"c t{t}", "concat") for d in range(2)]
            head_in = f"c t{t}" if config.bidirectional else f"h l{last} d0 t{t}"
            out_hover = (_("{equation} ({weight}), fed back at step {next}").format(
                             equation=_at_step(plain(r"y_t = W_{ho} h_t + b_{ho}", notation), t),
                             weight="weight_ho_l0", next=t + 1)
                         if config.cell == "jordan"
                         else _("y_{t} = head(…): {n} output(s) at step {t}").format(t=t, n=config.output_size))
            nodes.append(Node(f"y t{t}", "output", f"y<sub>{t}</sub>", t, out_row, out_hover))
            edges.append(Edge(head_in, f"y t{t}", "head"))
            if config.cell == "jordan" and t > 0:
                edges.append(Edge(f"y t{t - 1}", f"h l0 d0 t{t}", "feedback"))
    if not per_step:
        end = steps  # the head sits right of the last step
        if config.bidirectional:
            nodes.append(Node("c last", "concat", "[h→<sub>T-1</sub>;h←<sub>0</sub>]", end, concat_row,
                              _("what the many-to-one head reads: the forward state after the last step and the "
                                "backward state at step 0 (it has read the whole sequence backwards), "
                                "{n} numbers").format(n=2 * width), 0.95))
            edges += [Edge(f"h l{layers - 1} d0 t{steps - 1}", "c last", "concat"),
                      Edge(f"h l{layers - 1} d1 t0", "c last", "concat")]
        nodes.append(Node("y last", "output", "y", end, out_row,
                          _("y = head(…): {n} output(s), once, after the last step").format(n=config.output_size)))
        edges.append(Edge("c last" if config.bidirectional else f"h l{layers - 1} d0 t{steps - 1}", "y last", "head"))
    return nodes, edges


def _exit(node: Node, dx: float, dy: float) -> float:
    """The fraction of (dx, dy) after which a segment from the node's centre leaves its box."""
    limits = [v for v in ((node.width / 2 + GAP) / abs(dx) if dx else None,
                          (BOX_H / 2 + GAP) / abs(dy) if dy else None) if v is not None]
    return min(limits)


def _route(a: Node, b: Node) -> list[tuple[float, float]]:
    """The points an arrow from box a to box b passes through, from a's edge to b's edge. Most go
    straight, centre to centre. Into a many-to-one head's concatenation (right of the last step, two
    rows above the top layer) a straight line would cross the top layer's boxes, so the arrow turns:
    from the last step's h→ right, then up; from step 0's h← up to the concatenation's row, then right."""
    if b.kind == "concat" and a.y != b.y and abs(a.x - b.x) > 0.5:
        corner = (b.x, a.y) if a.kind == "forward" else (a.x, b.y)
        first = (corner[0] - a.x, corner[1] - a.y)
        last = (b.x - corner[0], b.y - corner[1])
        s, e = _exit(a, *first), _exit(b, *last)
        return [(a.x + s * first[0], a.y + s * first[1]), corner, (b.x - e * last[0], b.y - e * last[1])]
    dx, dy = b.x - a.x, b.y - a.y
    s, e = _exit(a, dx, dy), _exit(b, dx, dy)
    return [(a.x + s * dx, a.y + s * dy), (b.x - e * dx, b.y - e * dy)]


def unrolled(config: ModelConfig, steps: int = 4, *, tokens=None, title: str | None = None,
             notation: str = "pytorch") -> go.Figure:
    """The unrolled network of `config` over `steps` steps as a figure: boxes are shapes named
    "node:<kind>", arrows are annotations named "edge:<kind>", hover names step, layer, direction,
    size and the step equation, its weights in `notation` (a key of explorer.engine.cells.NOTATIONS)."""
    nodes, edges = layout(config, steps, tokens, notation)
    by_key = {n.key: n for n in nodes}
    shapes = [dict(type="rect", x0=n.x - n.width / 2, x1=n.x + n.width / 2, y0=n.y - BOX_H / 2, y1=n.y + BOX_H / 2,
                   name=f"node:{n.kind}", fillcolor=NODE_COLORS[n.kind], line=dict(color="#555", width=1),
                   layer="below") for n in nodes]
    annotations = [dict(x=n.x, y=n.y, text=n.label, showarrow=False, name=f"label:{n.kind}",
                        font=dict(size=12, color="black")) for n in nodes]
    for e in edges:
        points = _route(by_key[e.source], by_key[e.target])
        color, dash, _legend = EDGE_STYLES[e.kind]
        width = 2 if dash == "solid" else 1.6
        if len(points) > 2:  # the bend: a line up to the last leg, which carries the arrowhead
            path = "M " + " L ".join(f"{x:.4f},{y:.4f}" for x, y in points[:-1])
            shapes.append(dict(type="path", path=path, name=f"bend:{e.kind}", line=dict(color=color, width=width)))
        (x0, y0), (x1, y1) = points[-2:]
        annotations.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                                showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=width,
                                arrowcolor=color, name=f"edge:{e.kind}", standoff=0, startstandoff=0))
    fig = go.Figure(layout=dict(shapes=shapes, annotations=annotations))  # one validation pass, not one per item
    fig.add_trace(go.Scatter(  # invisible markers on the boxes carry the hover text
        x=[n.x for n in nodes], y=[n.y for n in nodes], mode="markers", showlegend=False,
        marker=dict(size=28, color="rgba(0,0,0,0)", symbol="square"), hovertext=[n.hover for n in nodes],
        hoverinfo="text"))
    for kind in dict.fromkeys(e.kind for e in edges):  # a legend entry per kind of arrow drawn
        color, dash, text = EDGE_STYLES[kind]  # solid, as the arrows are (plotly cannot dash an arrow)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=_(text),
                                 line=dict(color=color, width=2 if dash == "solid" else 1.6)))
    rows = max(n.y for n in nodes) + 1
    columns = max(n.x for n in nodes) + 1
    row_names = _row_names(config)
    fig.update_layout(
        title=dict(text=title or ngettext("The network unrolled over {steps} step: {description}",
                                          "The network unrolled over {steps} steps: {description}",
                                          steps).format(steps=steps, description=describe(config))),
        xaxis=dict(title=_("step t"), range=[-0.6, columns - 0.4], tickmode="array", tickvals=list(range(steps)),
                   ticktext=[f"t = {t}" for t in range(steps)], showgrid=False, zeroline=False),
        yaxis=dict(title="", range=[-0.6, rows - 0.4], tickmode="array", tickvals=list(range(len(row_names))),
                   ticktext=row_names, showgrid=False, zeroline=False, automargin=True),
        height=150 + 62 * rows, margin=dict(l=20, r=20, t=50, b=90), plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="top", y=-0.1 - 0.6 / rows), hovermode="closest")
    return fig


def _row_names(config: ModelConfig) -> list[str]:
    names = [_("input x"), _("encoding")]
    for layer in range(config.num_layers):
        if config.cell in MIN_CELLS:
            names += [_("layer {layer} gates").format(layer=layer), _("layer {layer}").format(layer=layer)]
        elif config.bidirectional:
            names += [_("layer {layer} →").format(layer=layer), _("layer {layer} ←").format(layer=layer)]
        else:
            names.append(_("layer {layer}").format(layer=layer))
    if config.bidirectional:
        names.append(_("concat"))
    names.append(_("output y") if config.head == "per_step" else _("output (last)"))
    return names


def describe(config: ModelConfig) -> str:
    """One line: cell, layers, directions, input encoding, head."""
    cell = {"rnn": "Elman RNN", "jordan": "Jordan RNN", "gru": "GRU", "lstm": "LSTM", "mingru": "minGRU",
            "minlstm": "minLSTM"}[config.cell]
    inputs = {"onehot": _("one-hot input"), "embedding": _("embedding input"), "real": _("real-valued input")}
    return _("{cell}, {layers}, {directions}, {input}, {head}").format(
        cell=cell, layers=ngettext("{n} layer", "{n} layers", config.num_layers).format(n=config.num_layers),
        directions=_("bidirectional") if config.bidirectional else _("forward only"),
        input=inputs[config.input_mode],
        head=_("output at every step") if config.head == "per_step" else _("one output after the last step"))
