"""Several figures drawn as one: panels stacked on a shared time axis, or set side by side.

A page that shows six charts pays the browser's fixed cost of a chart six times (often more than
the chart itself costs to draw). One figure with six panels pays it once. Stacked panels also share
their x axis: step t sits at the same place in every panel, and zooming or panning one moves them all.

Each panel is an ordinary figure from the builders in explorer/figures/; it keeps its traces,
y axis, colour bar, legend, lines and notes, and its title is written above it. Pure functions:
figures in, a new figure out (the panels are not changed).
"""
from __future__ import annotations

import plotly.graph_objects as go

TITLE_SPACE = 34  # pixels above each panel for its title
LEGEND_ROW = 20  # more above a panel whose traces have a legend: pixels per row of entries
LEGEND_PER_ROW = 4  # entries in a row of a horizontal legend at the usual width
SIDE_MARGIN = dict(l=80, r=140, t=60, b=50)  # fixed: no automargin passes; colour bars sit in the right margin
PANEL_HEIGHT = 300  # a panel whose figure has no height of its own


def _axis_name(kind: str, index: int) -> str:
    return kind if index == 1 else f"{kind}{index}"


def _ref(kind: str, index: int) -> str:
    return kind[0] if index == 1 else f"{kind[0]}{index}"


def _plot_height(fig: go.Figure) -> float:
    margin = fig.layout.margin
    total = fig.layout.height or PANEL_HEIGHT + 100
    return max(60.0, total - (margin.t if margin.t is not None else 50) - (margin.b if margin.b is not None else 45))


def _legend_rows(fig: go.Figure, per_row: int = LEGEND_PER_ROW) -> int:
    """Rows of the panel's horizontal legend (0 for a panel without one). Plotly lays out a grouped
    legend one group per column, so its rows are the largest group's entries."""
    shown = [t for t in fig.data if t.showlegend is not False]
    visible = bool(fig.layout.showlegend) if fig.layout.showlegend is not None else len(shown) > 1
    if not (visible and shown):
        return 0
    groups: dict = {}
    for t in shown:
        groups[t.legendgroup] = groups.get(t.legendgroup, 0) + 1
    return max(groups.values()) if None not in groups else -(-len(shown) // per_row)


def _legend_space(fig: go.Figure) -> int:
    """Pixels the panel's legend needs above it: 0 for a panel without one."""
    rows = _legend_rows(fig)
    return LEGEND_ROW * rows + 10 if rows else 0


def _remap_refs(item: dict, index: int) -> dict:
    """A shape's or annotation's axis references, moved from panel axes (x, y, paper) to panel `index`."""
    for key, kind in (("xref", "xaxis"), ("yref", "yaxis")):
        ref = item.get(key, "x" if key == "xref" else "y")
        if ref == "paper":
            ref = f"{_ref(kind, index)} domain"
        elif ref.startswith(kind[0]):
            ref = ref.replace(kind[0], _ref(kind, index), 1) if not ref[1:2].isdigit() else ref
        item[key] = ref
    return item


def _moved(panel: go.Figure, index: int, legend: str | None) -> tuple[list[dict], list[dict], list[dict]]:
    """The panel's traces, shapes and annotations, moved onto the axes of panel `index`; its traces
    shown in `legend`, or in no legend when it is None."""
    traces = []
    for trace in panel.data:
        copy = trace.to_plotly_json()
        copy.update(xaxis=_ref("xaxis", index), yaxis=_ref("yaxis", index))
        if legend:
            copy["legend"] = legend
        else:
            copy["showlegend"] = False
        traces.append(copy)
    shapes = [_remap_refs(shape.to_plotly_json(), index) for shape in panel.layout.shapes]
    notes = [_remap_refs(note.to_plotly_json(), index) for note in panel.layout.annotations]
    return traces, shapes, notes


def _title_note(text: str, *, x: float, y: float, yshift: float) -> dict:
    """A panel's title, written above it (found again by `panel_titles`)."""
    return dict(text=text, x=x, xref="paper", xanchor="left", y=y, yref="paper", yanchor="bottom", yshift=yshift,
                showarrow=False, font=dict(size=14, weight="bold"), name="panel title")


def stack(panels: list[go.Figure], *, title: str | None = None, gap: int = 28) -> go.Figure:
    """`panels` one above the other, sharing one x axis (their x values must be the same kind: the
    same category labels, or numbers). Heights follow each panel's own height; the x tick labels
    are drawn under the first and the last panel. ValueError if empty."""
    if not panels:
        raise ValueError("Nothing to stack.")
    heights = [_plot_height(p) for p in panels]
    legends = [_legend_space(p) for p in panels]
    above = [TITLE_SPACE + space for space in legends]
    margin = dict(SIDE_MARGIN, t=SIDE_MARGIN["t"] if title else 20)
    total = sum(heights) + sum(above) + gap * (len(panels) - 1) + margin["t"] + margin["b"]
    area = total - margin["t"] - margin["b"]

    data: list[dict] = []
    layout: dict = {"shapes": [], "annotations": []}
    top = area  # pixels from the bottom of the plotting area
    any_legend = False
    for i, (panel, height, space, legend_space) in enumerate(zip(panels, heights, above, legends), start=1):
        top -= space
        domain = [(top - height) / area, top / area]
        top -= height + gap
        xname, yname = _axis_name("xaxis", i), _axis_name("yaxis", i)
        xaxis = panel.layout.xaxis.to_plotly_json()
        yaxis = panel.layout.yaxis.to_plotly_json()
        if i < len(panels):
            xaxis.pop("title", None)  # the bottom panel names the axis
        # characters under the top and the bottom panel only: tick labels are a large part of the
        # browser's drawing time, and the hover names every cell's character
        xaxis.update(anchor=_ref("yaxis", i), automargin=False, showticklabels=i in (1, len(panels)))
        if i > 1:
            xaxis["matches"] = "x"
        yaxis.update(domain=domain, anchor=_ref("xaxis", i), automargin=False)
        layout[xname], layout[yname] = xaxis, yaxis

        legend = legend_space > 0
        any_legend |= legend
        legend_name = _axis_name("legend", i)
        if legend:
            layout[legend_name] = dict(orientation="h", x=0, xanchor="left", y=domain[1], yanchor="bottom",
                                       yref="paper", font=dict(size=11))
        traces, shapes, notes = _moved(panel, i, legend_name if legend else None)
        for copy in traces:  # (ungrouped entries stay ungrouped: they share rows, as _legend_rows counts them)
            if copy.get("type") == "heatmap" and copy.get("showscale", True) is not False:
                colorbar = dict(copy.get("colorbar") or {})
                colorbar.update(x=1.01, xanchor="left", thickness=14, y=(domain[0] + domain[1]) / 2,
                                yanchor="middle", len=max(0.05, domain[1] - domain[0]), lenmode="fraction")
                copy["colorbar"] = colorbar
        data += traces
        layout["shapes"] += shapes
        layout["annotations"] += notes
        if panel.layout.title.text:
            layout["annotations"].append(_title_note(panel.layout.title.text, x=0, y=domain[1],
                                                     yshift=legend_space + 2))

    layout.update(height=round(total), margin=margin, hovermode="closest", showlegend=any_legend)
    if title:
        layout["title"] = dict(text=title)
    return _assembled(data, layout)


def side_by_side(panels: list[go.Figure], *, gap: float = 0.07) -> go.Figure:
    """`panels` in a row, each with its own axes (nothing shared), its title above it and its legend
    inside its top right corner (empty in the figures set side by side here: falling spectra, the
    saturation scatter); as tall as the tallest. ValueError if empty."""
    if not panels:
        raise ValueError("Nothing to set side by side.")
    width = (1 - gap * (len(panels) - 1)) / len(panels)
    margin = dict(SIDE_MARGIN, r=20, t=TITLE_SPACE + 10)
    height = max(_plot_height(p) for p in panels) + margin["t"] + margin["b"]
    data: list[dict] = []
    layout: dict = {"shapes": [], "annotations": []}
    for i, panel in enumerate(panels, start=1):
        domain = [(i - 1) * (width + gap), (i - 1) * (width + gap) + width]
        xaxis = panel.layout.xaxis.to_plotly_json()
        yaxis = panel.layout.yaxis.to_plotly_json()
        xaxis.update(domain=domain, anchor=_ref("yaxis", i), automargin=False)
        yaxis.update(anchor=_ref("xaxis", i), automargin=False)
        layout[_axis_name("xaxis", i)], layout[_axis_name("yaxis", i)] = xaxis, yaxis
        legend = _legend_rows(panel) > 0
        legend_name = _axis_name("legend", i)
        if legend:
            layout[legend_name] = dict(x=domain[1], xanchor="right", y=1, yanchor="top", font=dict(size=11),
                                       bgcolor="rgba(255,255,255,0.8)")
        traces, shapes, notes = _moved(panel, i, legend_name if legend else None)
        data += traces
        layout["shapes"] += shapes
        layout["annotations"] += notes
        if panel.layout.title.text:
            layout["annotations"].append(_title_note(panel.layout.title.text, x=domain[0], y=1, yshift=8))
    layout.update(height=round(height), margin=margin, hovermode="closest",
                  showlegend=any(_legend_rows(p) for p in panels))
    return _assembled(data, layout)


def _assembled(data: list[dict], layout: dict) -> go.Figure:
    """The figure made of the panels' parts, in one go (adding panel by panel checks everything again).
    plotly checked every part when its panel was built, so they are not checked a second time.
    Empty lists are left out, as plotly's checks would."""
    layout = {key: value for key, value in layout.items() if not (isinstance(value, list) and not value)}
    return go.Figure(data=data, layout=layout, _validate=False)


def panel_titles(fig: go.Figure) -> list[str]:
    """The titles written above the panels of a stacked figure, top to bottom."""
    return [a.text for a in fig.layout.annotations if a.name == "panel title"]
