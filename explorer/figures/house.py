"""The house look and palette, and each figure as the browser gets it.

- palette: the colours and colour scales every figure uses, stated once here and imported
  everywhere else (SEQUENTIAL, DIVERGING, GRADIENT, MODEL_COLORS, GATE_COLORS, LAYER_DASHES), and
  `color_scale`, the scale each quantity gets;
- look: every figure the app draws, and every PNG or HTML file it exports, is in one look close to
  Streamlit's light theme (HOUSE). `house_spec` writes that look into a figure as a plain dict, in
  the form that lets plotly.js draw a chart once and skip an unchanged one; the app sends it.

Pure functions; nothing here calls streamlit.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import re

import numpy as np
import plotly.graph_objects as go

from explorer.engine.trace import SIGMOID_GATES

# ---------------------------------------------------------------------------------------------
# palette (docs/architecture.md, "Figures": the same scales on every page, colour-blind safe)

# Okabe & Ito's eight colours: told apart under every common colour-vision deficiency.
BLUE, VERMILLION, BLUISH_GREEN, REDDISH_PURPLE = "#0072B2", "#D55E00", "#009E73", "#CC79A7"
ORANGE, SKY_BLUE, YELLOW, BLACK = "#E69F00", "#56B4E9", "#F0E442", "#000000"

SEQUENTIAL = "Viridis"  # sigmoid gates, probabilities in [0, 1]: perceptually uniform, colour-blind safe
DIVERGING = "RdBu_r"  # signed values: blue negative, red positive, white at 0, so the sign reads at a glance
# gradient magnitudes on a log scale: sequential and colour-blind safe, yet never mistaken for a gate's
# Viridis (not Inferno: plotly.js draws its first stop, #000004, as pink)
GRADIENT = "Plasma"
# one colour per model, in the order models are listed; yellow is left out (too faint as a line on
# white) and black too (it stands for the truth and for reference lines)
MODEL_COLORS = [BLUE, VERMILLION, BLUISH_GREEN, REDDISH_PURPLE, ORANGE, SKY_BLUE]
# one colour per sigmoid gate (LSTM i f o, GRU r z), each its own hue, so a gate looks the same in
# every scatter and curve
GATE_COLORS = {"i": BLUE, "f": VERMILLION, "o": BLUISH_GREEN, "r": REDDISH_PURPLE, "z": ORANGE}
# line styles for layers (and directions) of one model, whose colour is already taken by the model
LAYER_DASHES = ["solid", "dash", "dot", "dashdot"]


def color_scale(quantity: str, values: np.ndarray | None = None) -> dict:
    """The colour scale for a quantity: {'colorscale', 'zmin', 'zmax'}, the same on every page.
    Sigmoid gates are fixed at [0, 1]; everything else is diverging, centred at 0 and symmetric,
    at least [-1, 1] (the range of tanh) and wider only when the values are."""
    if quantity in SIGMOID_GATES:
        return {"colorscale": SEQUENTIAL, "zmin": 0.0, "zmax": 1.0}
    bound = 1.0
    if values is not None and np.size(values):
        finite = np.abs(np.asarray(values, dtype=np.float64))
        finite = finite[np.isfinite(finite)]
        if finite.size:
            bound = max(bound, float(finite.max()))
    return {"colorscale": DIVERGING, "zmin": -bound, "zmax": bound}


# ---------------------------------------------------------------------------------------------
# look

INK = "#31333F"  # Streamlit's text colour; the app pins its light theme (.streamlit/config.toml)
FAINT = "#808495"
GRID = "#E6EAF1"
FONT = '"Source Sans", "Source Sans Pro", -apple-system, "Segoe UI", Roboto, sans-serif'
AXIS = dict(gridcolor=GRID, linecolor=GRID, tickcolor=GRID, tickfont=dict(color=FAINT),
            title=dict(font=dict(size=13, color=INK)),
            # plotly.js's default overflow rule ("hide past div") measures every tick label again after
            # placing each one, a large share of a line chart's redraw; the labels stay inside the margins anyway
            ticklabeloverflow="allow")
HOUSE = go.layout.Template(layout=dict(
    font=dict(family=FONT, size=12, color=INK),
    title=dict(font=dict(size=16, color=INK, weight="bold"), x=0, xanchor="left", pad=dict(l=4)),
    paper_bgcolor="white", plot_bgcolor="white",
    colorway=[*MODEL_COLORS, YELLOW, BLACK],  # traces given no colour of their own: Okabe-Ito in order
    xaxis=dict(AXIS, showgrid=False, zeroline=False),
    yaxis=dict(AXIS, zerolinecolor=GRID),
    legend=dict(font=dict(color=INK), bgcolor="rgba(255,255,255,0)"),
    hoverlabel=dict(bgcolor="white", bordercolor=GRID, font=dict(family=FONT, size=12, color=INK)),
    coloraxis=dict(colorbar=dict(outlinewidth=0, thickness=14, tickfont=dict(color=FAINT))),
))
HOUSE.data.heatmap = [go.Heatmap(colorbar=dict(outlinewidth=0, thickness=14, tickfont=dict(color=FAINT)))]


HOUSE_LOOK = HOUSE.to_plotly_json()  # {"layout": {...}, "data": {"heatmap": [{...}]}}
_PER_SUBPLOT = re.compile(r"(xaxis|yaxis|legend|coloraxis)\d*")  # a template entry styles each of these
_NOT_CARTESIAN = frozenset({"pie", "table", "sankey", "parcoords", "parcats", "sunburst", "treemap", "icicle",
                            "funnelarea", "indicator", "scatterpolar", "barpolar", "scatterternary", "scattergeo",
                            "choropleth", "scatter3d", "surface", "mesh3d"})
_TYPED_KEPT = frozenset({"z"})  # a heatmap's grid stays base64: plotly.js compares it by datarevision


def _under(defaults: dict, own: dict) -> dict:
    """`own`, with `defaults` filled in wherever it says nothing (dicts merged at every depth)."""
    out = copy.deepcopy(defaults)
    for key, value in own.items():
        out[key] = _under(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _listed(value, key=None):
    """Base64 typed arrays (what plotly.py makes of numeric numpy arrays) back to JSON lists, gaps
    as None, except a heatmap's z; other numpy values (labels, scalars) as lists and numbers."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            if key in _TYPED_KEPT:
                return value
            numbers = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                numbers = numbers.reshape([int(n) for n in str(value["shape"]).split(",")])
            if numbers.dtype.kind == "f":
                return np.where(np.isfinite(numbers), numbers, None).tolist()
            return numbers.tolist()
        return {k: _listed(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_listed(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):  # what plotly.py leaves as it is: labels, scalars
        return value.tolist()
    return value


def _subplots(layout: dict, data: list) -> set[str]:
    """The layout keys of every axis, legend and colour axis the figure has or its traces use."""
    keys = {key for key in layout if _PER_SUBPLOT.fullmatch(key)} | {"legend"}  # styled whenever shown
    for trace in data:
        if trace.get("type", "scatter") not in _NOT_CARTESIAN:
            keys |= {"xaxis" + trace.get("xaxis", "x")[1:], "yaxis" + trace.get("yaxis", "y")[1:]}
        keys |= {trace[k] for k in ("legend", "coloraxis") if isinstance(trace.get(k), str)}
    return keys


def house_spec(fig: go.Figure) -> dict:
    """The figure as the browser should get it, a plain dict in the house look (HOUSE). Streamlit's
    chart hands plotly.js each new figure twice (once as it mounts, once as a copy), and plotly.js
    redraws the whole chart the second time if anything compares unequal by identity. So:
    - the look is written into the figure rather than sent as a template, which is compared by identity;
    - numbers go as JSON lists, not base64 typed arrays (a heatmap's z excepted, which is safe);
    - autosize is on, so the width Streamlit fills in once the chart is measured changes nothing;
    - layout.datarevision is a digest of all the rest, so an unchanged figure is not drawn again.
    Each chart is then drawn once instead of twice."""
    spec = _listed(fig.to_dict())
    layout, data = spec["layout"], spec["data"]
    layout.pop("template", None)
    look = HOUSE_LOOK["layout"]
    baked = _under({k: v for k, v in look.items() if not _PER_SUBPLOT.fullmatch(k)}, layout)
    for key in _subplots(layout, data):
        baked[key] = _under(look.get(_PER_SUBPLOT.fullmatch(key).group(1), {}), layout.get(key, {}))
    baked.setdefault("autosize", True)
    baked.pop("datarevision", None)
    traces = []
    for trace in data:
        defaults = HOUSE_LOOK["data"].get(trace.get("type", "scatter"))
        traces.append(_under({k: v for k, v in defaults[0].items() if k != "type"}, trace) if defaults else trace)
    spec = {"data": traces, "layout": baked}
    baked["datarevision"] = figure_digest(spec)
    return spec


def house_style(fig: go.Figure) -> go.Figure:
    """The figure in the house look (house_spec), as a new figure; the app's charts and the exported
    PNG and HTML files all look this way."""
    out = go.Figure(house_spec(fig), skip_invalid=False, _validate=False)  # checked when it was built
    out.layout.template = {}  # the look is written in; plotly.py would otherwise add its own template
    return out


def figure_digest(fig: go.Figure | dict) -> str:
    """A short digest of everything in the figure (a go.Figure, or house_spec's dict without its
    datarevision). Arrays go in as base64 or as lists, numpy scalars by value."""
    spec = fig if isinstance(fig, dict) else fig.to_dict()
    text = json.dumps(spec, sort_keys=True, default=lambda v: v.item() if isinstance(v, np.generic) else repr(v))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def can_export_png() -> bool:
    """Whether plotly can write PNGs here: it needs the kaleido package and a Chrome or Chromium
    on the machine (kaleido drives it; it never downloads one for us)."""
    import importlib.util
    import shutil
    browsers = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
    return importlib.util.find_spec("kaleido") is not None and any(shutil.which(b) for b in browsers)


def figure_png(fig: go.Figure) -> bytes:
    return house_style(fig).to_image(format="png", scale=2)


def figure_html(fig: go.Figure) -> bytes:
    """A standalone HTML file for a figure, plotly.js included, so it opens offline in class."""
    return house_style(fig).to_html(include_plotlyjs=True, full_html=True).encode("utf-8")  # offline
