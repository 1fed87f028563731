"""The house look, and each figure as the browser gets it.

Every figure the app draws, and every PNG or HTML file it exports, is in one look close to
Streamlit's light theme (HOUSE). `house_spec` writes that look into a figure as a plain dict,
in the form that lets plotly.js draw a chart once and skip an unchanged one; `ui.plot` sends it.
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


INK = "#31333F"  # Streamlit's text colour; the app pins its light theme (.streamlit/config.toml)
FAINT = "#808495"
GRID = "#E6EAF1"
FONT = '"Source Sans", "Source Sans Pro", -apple-system, "Segoe UI", Roboto, sans-serif'
AXIS = dict(gridcolor=GRID, linecolor=GRID, tickcolor=GRID, tickfont=dict(color=FAINT),
            title=dict(font=dict(size=13, color=INK)),
            # plotly.js's default overflow rule ("hide past div") measures every tick label again after placing
            # each one, a fifth of a line chart's redraw in the browser (Train's four curves: 0.52 -> 0.34 s of
            # CPU per redraw); the labels stay inside the chart's margins anyway (every page looks the same)
            ticklabeloverflow="allow")
HOUSE = go.layout.Template(layout=dict(
    font=dict(family=FONT, size=12, color=INK),
    title=dict(font=dict(size=16, color=INK, weight="bold"), x=0, xanchor="left", pad=dict(l=4)),
    paper_bgcolor="white", plot_bgcolor="white",
    colorway=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"],
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
    Each chart is then drawn once instead of twice (Inspect's step-by-step figure: ~0.1 s less)."""
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
