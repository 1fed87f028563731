"""Pure Plotly builders for the Train live page: logs and traces in, `go.Figure` out.

The same conventions as explorer/figures/states.py (whose colour scales and heatmap this reuses):
steps run left to right; every figure has a title, axis titles and hover text that names the
model, the step and the value (and the unit and character read, on heatmaps). Models keep one
colour each on every figure (the house palette, colour-blind safe). Long runs are binned to at
most MAX_POINTS points per line (the mean of each bin; the hover names the range), so a figure
stays small after hours of play and building it costs a few milliseconds per tick.

Plain data in: a playground's charts come as `explorer.training.chart_data.ChartData`, its
scrubber as a Trace. Nothing here calls streamlit, reads a playground or fills its caches. The
words are in the current language (explorer.i18n); model labels, task metric keys and data stay as given.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from explorer.engine.trace import SIGMOID_GATES, Trace
from explorer.figures.house import GATE_COLORS, MODEL_COLORS, color_scale
from explorer.figures.labels import MAX_CELLS, MAX_COLUMNS, UNIT_TICKS, char_label, quantity_name, quantity_symbol
from explorer.figures.states import saturation_figure, state_heatmap
from explorer.i18n import N_, _, pgettext
from explorer.training.chart_data import ChartData

RUN_COLORS = MODEL_COLORS[:3]  # one per model: the page trains at most three side by side
GROUP_COLORS = {"input": "#E69F00", "recurrent": "#CC79A7", "bias": "#56B4E9", "head": "#000000"}
# the tasks' metric keys that are words (MSE stays as it is), marked for the catalogue: metric_label translates
METRIC_NAMES = {"accuracy": N_("accuracy"), "bits/char": N_("bits/char")}
QUANTITY_COLORS = {**GATE_COLORS, "|h|": "#555555"}  # each gate as in the saturation scatter
MAX_POINTS = 400  # per line: more than a 1000-pixel-wide plot can separate
SMOOTHING = 0.9  # exponential moving average weight of the past: 10 steps of memory, like TensorBoard's slider
MARGIN = dict(l=60, r=20, t=50, b=50)
HEIGHT = 420  # room for the plot and a legend of up to three rows below it
LEGEND_GAP = 80  # pixels from the plot area's bottom to the legend: the x tick labels and axis title fit between


def model_color(index: int) -> str:
    return RUN_COLORS[index % len(RUN_COLORS)]


def metric_label(metric: str) -> str:
    """A task's metric name (its key, "accuracy") as the reader's language says it."""
    return _(METRIC_NAMES[metric]) if metric in METRIC_NAMES else metric


def group_label(group: str) -> str:
    """A gradient-norm group (explorer.training.train.GROUPS) in words."""
    words = {"input": pgettext("parameter group", "input"), "recurrent": pgettext("parameter group", "recurrent"),
             "bias": pgettext("parameter group", "bias"), "head": pgettext("parameter group", "head")}
    return words.get(group, group)


def ema(values: np.ndarray, weight: float = SMOOTHING) -> np.ndarray:
    """Debiased exponential moving average (TensorBoard's smoothing), NaN-tolerant."""
    out = np.empty(len(values))
    mean, norm = 0.0, 0.0
    for k, v in enumerate(values):
        if math.isfinite(v):
            mean = weight * mean + (1 - weight) * v
            norm = weight * norm + (1 - weight)
        out[k] = mean / norm if norm else math.nan
    return out


def binned(steps: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS, how: str = "mean"):
    """(x, y, where): at most `max_points` points, each the mean (or max) of a run of steps, and
    `where`, an array naming each point's range for the hover (None when every step is a point)."""
    steps, values = np.asarray(steps), np.asarray(values, dtype=np.float64)
    n = len(steps)
    if n <= max_points:
        return steps, values, None
    width = math.ceil(n / max_points)
    edges = np.arange(0, n, width)
    reduce = np.fmax.reduceat if how == "max" else np.add.reduceat
    y = reduce(values, edges)
    if how != "max":
        y = y / np.diff(np.append(edges, n))
    last = np.append(edges[1:], n) - 1
    span = _("steps {first}–{last} (max)") if how == "max" else _("steps {first}–{last} (mean)")
    where = np.array([span.format(first=int(steps[a]), last=int(steps[b])) for a, b in zip(edges, last)],
                     dtype=object)
    return steps[last], y, where


def _at(label: str, where) -> dict:
    """The start of a hover text naming model and step (or binned range), and its customdata.
    Arrays, not lists: Plotly deep-copies lists element by element, arrays in one go."""
    if where is None:
        return {"hovertemplate": _at_step(label) + "<br>"}
    return {"hovertemplate": f"{label}, %{{customdata}}<br>", "customdata": where}


def _at_step(label: str) -> str:
    """A hover's first line, as in "LSTM, step 12": the step filled in by Plotly."""
    return _("{model}, step {step}").format(model=label, step="%{x}")


def _figure(data: list[dict], *, title: str, x_title: str, y_title: str, height: int, y_type: str = "linear",
            y_range=None, y_format: str | None = None, shapes: list[dict] | None = None,
            annotations: list[dict] | None = None, y_dtick=None) -> go.Figure:
    """One validation pass over plain dicts: much cheaper than add_trace + update_layout, which
    matters when every figure is rebuilt on every tick."""
    yaxis = dict(title=dict(text=y_title), type=y_type)
    if y_type == "log":
        # label 2 and 5 between decades (on a short range every digit would be labelled), or over many
        # decades only the powers of ten (`y_dtick` 1), where the 2s and 5s would crowd each other
        yaxis["dtick"] = y_dtick or "D2"
    if y_range is not None:
        yaxis["range"] = y_range
    if y_format:
        yaxis["tickformat"] = y_format
    # the legend below the plot (above it, two rows of entries would cover the title), clear of the x axis'
    # tick labels and title whatever the height: its position is a fraction of the plot area
    below = -LEGEND_GAP / max(height - MARGIN["t"] - 40, 100)
    layout = dict(title=dict(text=title), xaxis=dict(title=dict(text=x_title)), yaxis=yaxis, height=height,
                  margin=dict(MARGIN, b=40), hovermode="closest", shapes=shapes or [], annotations=annotations or [],
                  legend=dict(orientation="h", yanchor="top", y=below, xanchor="left", x=0.0))
    return go.Figure(data=data, layout=layout)


def _hline(y: float, text: str) -> tuple[dict, dict]:
    """A dashed horizontal line across the plot and its label (what add_hline makes, cheaply)."""
    shape = dict(type="line", xref="paper", x0=0, x1=1, yref="y", y0=y, y1=y,
                 line=dict(color="grey", dash="dash", width=1))
    label = dict(xref="paper", x=0, yref="y", y=y, text=text, showarrow=False, xanchor="left", yanchor="bottom",
                 font=dict(color="grey", size=11))
    return shape, label


def _log_y(y: float) -> float:
    return math.log10(y) if y > 0 else y  # annotations on a log axis take the exponent


def curve_figure(*, curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str, value_name: str,
                 baseline: float | None = None, baseline_text: str | None = None, log_y: bool = False,
                 height: int = HEIGHT) -> go.Figure:
    """One line per model (its smoothed value; the raw values faint behind it) against the
    training step, and the task's baseline as a dashed line. `curves[label] = (steps, values)`."""
    data = []
    for index, (label, (steps, values)) in enumerate(curves.items()):
        if len(steps) == 0:
            continue
        color = model_color(index)
        steps = np.asarray(steps)
        x, raw, where = binned(steps, values)
        if where is None:  # every step: the raw values faint, their moving average bold
            data.append(dict(type="scatter", x=x, y=raw, mode="lines", name=_("{model} (raw)").format(model=label),
                             opacity=0.3, line=dict(color=color, width=1), legendgroup=label, showlegend=False,
                             hovertemplate=f"{_at_step(label)}<br>{value_name} = %{{y:.4g}}<extra></extra>"))
            smooth, what = ema(raw), _("{value} (smoothed)").format(value=value_name)
        else:  # binned: each point is already the mean of many steps
            smooth, what = raw, _("{value} (mean)").format(value=value_name)
        hover = _at(label, where)
        hover["hovertemplate"] += f"{what} = %{{y:.4g}}<extra></extra>"
        data.append(dict(type="scatter", x=x, y=smooth, mode="lines", name=label, line=dict(color=color, width=2.5),
                         legendgroup=label, **hover))
    shapes, annotations = [], []
    if baseline is not None and math.isfinite(baseline):
        last = max((int(np.max(s)) for s, v in curves.values() if len(s)), default=1)
        # a line trace, not only a shape, so the baseline has hover text saying what it is
        said = _("baseline {value} = {number}").format(value=value_name, number=f"{baseline:.4g}")
        data.append(dict(type="scatter", x=[0, max(last, 1)], y=[baseline, baseline], mode="lines",
                         name=_("baseline"), line=dict(color="grey", dash="dash", width=1.5),
                         hovertemplate=f"{said}<br>{_wrap(baseline_text or '')}<extra></extra>"))
    return _figure(data, title=title, x_title=_("training step"), y_title=value_name, height=height,
                   y_type="log" if log_y else "linear", shapes=shapes, annotations=annotations,
                   y_dtick=1 if log_y and _decades(curves) > 2 else None)


def _decades(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> float:
    """How many powers of ten the curves' positive values span."""
    values = [np.asarray(v, dtype=np.float64) for s, v in curves.values() if len(v)]
    values = np.concatenate(values) if values else np.zeros(0)
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.log10(values.max() / values.min())) if values.size else 0.0


def _wrap(text: str, width: int = 60) -> str:
    # Chinese has no spaces between words: a run longer than a line breaks every width // 2 characters
    # (each about two Latin letters wide)
    words, lines, line = [], [], ""
    for word in text.split():
        words += [word[i:i + width // 2] for i in range(0, len(word), width // 2)] if len(word) > width else [word]
    for word in words:
        if len(line) + len(word) > width and line:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    return "<br>".join(lines + [line] if line else lines)


def grad_norm_figure(*, runs: dict[str, dict[str, np.ndarray]], clip_norm: float | None = None,
                     height: int = HEIGHT) -> go.Figure:
    """Total gradient norm per step before clipping (solid) and after (dotted), log scale, one
    colour per model; steps where clipping fired marked with a triangle; the clipping threshold
    as a dashed line. `runs[label]` holds arrays step, grad_norm_before, grad_norm_after, clipped."""
    data = []
    for index, (label, logs) in enumerate(runs.items()):
        steps = np.asarray(logs["step"])
        if len(steps) == 0:
            continue
        color = model_color(index)
        x, before, where = binned(steps, logs["grad_norm_before"], how="max")
        after = binned(steps, logs["grad_norm_after"], how="max")[1]
        for values, name, norm, line in (
                (before, _("{model}: before clipping"), _("gradient norm before clipping = {value}"),
                 dict(color=color, width=2)),
                (after, _("{model}: after clipping"), _("gradient norm after clipping = {value}"),
                 dict(color=color, width=1.5, dash="dot"))):
            hover = _at(label, where)
            hover["hovertemplate"] += norm.format(value="%{y:.4g}") + "<extra></extra>"
            data.append(dict(type="scatter", x=x, y=values, mode="lines", name=name.format(model=label),
                             line=line, legendgroup=label, **hover))
        clipped = np.asarray(logs["clipped"], dtype=bool)
        if clipped.any():
            cx, cy = steps[clipped], np.asarray(logs["grad_norm_before"])[clipped]
            if len(cx) > MAX_POINTS:  # evenly thinned: the marks show where clipping fired, not every time
                keep = np.linspace(0, len(cx) - 1, MAX_POINTS).round().astype(int)
                cx, cy = cx[keep], cy[keep]
            threshold = f"{clip_norm:g}" if clip_norm is not None else _("the threshold")
            scaled = _("clipped: the norm {norm} was scaled down to {threshold}").format(norm="%{y:.4g}",
                                                                                       threshold=threshold)
            data.append(dict(type="scatter", x=cx, y=cy, mode="markers", name=_("{model}: clipped").format(model=label),
                             legendgroup=label, marker=dict(color=color, symbol="triangle-down", size=7,
                                                            line=dict(color="white", width=0.5)),
                             hovertemplate=f"{_at_step(label)}<br>{scaled}<extra></extra>"))
    shapes, annotations = [], []
    if clip_norm is not None:
        shape, label = _hline(clip_norm, _("clipping threshold {norm}").format(norm=f"{clip_norm:g}"))
        label["y"] = _log_y(clip_norm)
        shapes, annotations = [shape], [label]
    return _figure(data, title=_("Gradient norm, before and after clipping (▼ = clipped)"),
                   x_title=_("training step"), y_title=_("total L2 norm of the gradient"), y_type="log", height=height,
                   shapes=shapes, annotations=annotations)


def group_norm_figure(*, runs: dict[str, dict[str, np.ndarray]], height: int = HEIGHT) -> go.Figure:
    """Gradient norm per parameter group (torch.nn names: input weight_ih, recurrent weight_hh,
    bias, head), before clipping, log scale: colour by group, line style by model."""
    dashes = ("solid", "dash", "dot")
    norm = _("{group} weights: gradient norm = {value}")
    data = []
    for index, (label, logs) in enumerate(runs.items()):
        steps = logs["step"]
        for group, color in GROUP_COLORS.items():
            key = f"group:{group}"
            if key not in logs or len(steps) == 0:
                continue
            x, y, where = binned(steps, logs[key])
            hover = _at(label, where)
            hover["hovertemplate"] += norm.format(group=group_label(group), value="%{y:.4g}") + "<extra></extra>"
            data.append(dict(type="scatter", x=x, y=y, mode="lines", name=f"{label}: {group_label(group)}",
                             line=dict(color=color, width=1.8, dash=dashes[index % 3]), **hover))
    return _figure(data, title=_("Gradient norm per parameter group (before clipping)"), x_title=_("training step"),
                   y_title=_("L2 norm of the group's gradient"), y_type="log", height=height)


def saturation_history_figure(*, histories: dict[str, list[dict]], height: int = HEIGHT) -> go.Figure:
    """How saturated each gate is on the probe input as training goes on: the fraction of gate
    values above 0.9 (solid) and below 0.1 (dotted), colour by gate, marker by model. For tanh
    cells, |h| > 0.9 and < 0.1 too. `histories[label]` = rows {step, quantity, low, high}."""
    symbols = ("circle", "square", "diamond")
    share = _("{quantity}: {share} of values {bound}")
    data = []
    for index, (label, rows) in enumerate(histories.items()):
        for quantity in dict.fromkeys(row["quantity"] for row in rows):
            picked = [row for row in rows if row["quantity"] == quantity]
            steps = np.array([row["step"] for row in picked])
            name = quantity_name(quantity) if quantity != "|h|" else _("|hidden state|")
            color = QUANTITY_COLORS.get(quantity, "#555555")
            for side, dash, words in (("high", "solid", "> 0.9"), ("low", "dot", "< 0.1")):
                data.append(dict(type="scatter", x=steps, y=np.array([row[side] for row in picked]),
                                 mode="lines+markers" if len(steps) < 60 else "lines",
                                 name=f"{label}: {quantity} {words}", line=dict(color=color, dash=dash, width=1.8),
                                 marker=dict(symbol=symbols[index % 3], size=5),
                                 hovertemplate=f"{_at_step(label)}<br>"
                                               + share.format(quantity=name, share="%{y:.1%}", bound=words)
                                               + "<extra></extra>"))
    return _figure(data, title=_("Gate saturation on the probe input over training"), x_title=_("training step"),
                   y_title=_("share of all values"), y_range=[-0.02, 1.02], y_format=".0%",
                   height=height)


def probe_heatmap(*, trace: Trace, quantity: str, labels: list[str], layer: int = 0, model: str = "",
                  step: int | None = None, height: int | None = None) -> go.Figure:
    """A hidden state, cell state or gate of the probe input [T, H], units top to bottom, with the
    app's shared colour scales (gates fixed to [0, 1], signed values centred at 0).

    Probes that fit the screen are drawn here in one pass (a few ms, every tick); longer ones go
    through explorer.figures.state_heatmap, which bins steps."""
    if quantity == "hidden":
        values = trace.hidden[layer, 0]
    elif quantity == "cell":
        values = trace.cell[layer, 0]
    else:
        values = trace.gates[quantity][layer, 0]
    title = _probe_title(model, quantity_name(quantity), layer if trace.num_layers > 1 else None, step)
    steps, size = values.shape
    if steps > MAX_COLUMNS or steps * size > MAX_CELLS:
        return state_heatmap(values=values, tokens=labels, quantity=quantity, title=title, height=height)
    shown = np.array([char_label(c) for c in labels[:steps]], dtype=object)
    at, unit = _("step {step} “{char}”"), _("unit {unit}")
    x = np.array([at.format(step=t, char=c) for t, c in enumerate(shown)], dtype=object)
    every = max(1, math.ceil(steps / 40))  # about 40 tick labels fit under a wide heatmap
    name = quantity_name(quantity)
    heat = dict(type="heatmap", z=values.T.astype(np.float32), x=x,
                y=np.array([unit.format(unit=u) for u in range(size)], dtype=object),
                colorbar=dict(title=dict(text=quantity_symbol(quantity))), **color_scale(quantity, values),
                hovertemplate="%{x}<br>%{y}<br>" + name + " = %{z:.3f}<extra></extra>")
    layout = dict(title=dict(text=title), height=height or max(220, min(600, 10 * size + 120)), margin=MARGIN,
                  xaxis=dict(title=dict(text=_("step of the probe input (what it read)")), type="category",
                             tickmode="array", tickvals=x[::every], ticktext=shown[::every],
                             automargin=True),  # numbers read (the adding problem's) stand up: room below them
                  yaxis=dict(title=dict(text=_("unit")), autorange="reversed", type="category", nticks=UNIT_TICKS))
    return go.Figure(data=[heat], layout=layout)


def _probe_title(model: str, quantity: str, layer: int | None, step: int | None) -> str:
    """A probe heatmap's title, as in "LSTM: forget gate f, layer 1 on the probe input at step 300": each of
    the four forms one sentence, so a language may order its parts its own way."""
    if layer is None:
        text = (_("{model}: {quantity} on the probe input") if step is None
                else _("{model}: {quantity} on the probe input at step {step}"))
    else:
        text = (_("{model}: {quantity}, layer {layer} on the probe input") if step is None
                else _("{model}: {quantity}, layer {layer} on the probe input at step {step}"))
    return text.format(model=model, quantity=quantity, layer=layer, step=step)


def prediction_scatter(*, points: dict[str, tuple[np.ndarray, np.ndarray]], value_name: str | None = None,
                       height: int = HEIGHT) -> go.Figure:
    """Each model's prediction against the target on the probe sequences; perfect predictions
    lie on the dashed diagonal. `value_name`: what the values are (default "value", translated)."""
    value_name = _("value") if value_name is None else value_name
    hover = _("{model}, probe value {index}<br>target {value} = {target}<br>predicted = {predicted}")
    data = []
    low, high = math.inf, -math.inf
    for index, (label, (target, predicted)) in enumerate(points.items()):
        target, predicted = np.asarray(target, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
        finite = np.concatenate([target, predicted])
        finite = finite[np.isfinite(finite)]
        if finite.size:
            low, high = min(low, finite.min()), max(high, finite.max())
        data.append(dict(type="scatter", x=target, y=predicted, mode="markers", name=label,
                         customdata=np.arange(len(target)), marker=dict(color=model_color(index), size=7, opacity=0.75),
                         hovertemplate=hover.format(model=label, index="%{customdata}", value=value_name,
                                                    target="%{x:.4g}", predicted="%{y:.4g}") + "<extra></extra>"))
    if math.isfinite(low):
        data.append(dict(type="scatter", x=[low, high], y=[low, high], mode="lines", name=_("prediction = target"),
                         line=dict(color="grey", dash="dash", width=1), hoverinfo="skip"))
    return _figure(data, title=_("Predictions against targets"),
                   x_title=_("target {value} (probe sequences)").format(value=value_name),
                   y_title=_("predicted {value}").format(value=value_name), height=height)


def dashboard(data: ChartData, *, quantity: str = "hidden", layer: int = 0,
              height: int = HEIGHT) -> dict[str, go.Figure]:
    """Every figure the page redraws on each tick: loss, metric, gradient norms, group norms,
    saturation over time, and one probe heatmap per model ("probe:LABEL"). One function, so the
    page and its benchmark build exactly the same figures. When the task's metric is its loss
    (data.metric_is_loss: MSE, or the cross-entropy in bits) there is no "metric" figure: the
    "loss" one draws that metric with the baseline, rather than the same curve twice.
    `height`: of the loss and metric figures (the page's key picture)."""
    logs = data.logs
    real = data.output_kind == "real"
    metric = metric_label(data.metric_name)
    if data.metric_is_loss:
        figures = {"loss": curve_figure(curves={k: (v["step"], v["metric"]) for k, v in logs.items()},
                                        title=_("Training loss ({metric}) vs baseline").format(metric=metric),
                                        value_name=metric, baseline=data.baseline,
                                        baseline_text=data.baseline_text, log_y=data.metric_name == "MSE",
                                        height=height)}
    else:
        figures = {
            "loss": curve_figure(curves={k: (v["step"], v["loss"]) for k, v in logs.items()},
                                 title=_("Training loss (MSE)") if real else _("Training loss (cross-entropy, nats)"),
                                 value_name=_("loss"), baseline=data.baseline if real else None,
                                 baseline_text=data.baseline_text, log_y=real, height=height),
            "metric": curve_figure(curves={k: (v["step"], v["metric"]) for k, v in logs.items()},
                                   title=_("Training {metric} vs baseline").format(metric=metric),
                                   value_name=metric, baseline=data.baseline,
                                   baseline_text=data.baseline_text, log_y=data.metric_name == "MSE",
                                   height=height),
        }
    figures.update({
        "grad": grad_norm_figure(runs=logs, clip_norm=data.clip_norm),
        "groups": group_norm_figure(runs=logs),
        "saturation": saturation_history_figure(histories=data.saturation),
    })
    for label, traced in data.probes.items():
        shown = quantity if quantity in probe_quantities(traced) else "hidden"
        figures[f"probe:{label}"] = probe_heatmap(trace=traced, quantity=shown, labels=data.probe_labels,
                                                  layer=min(layer, traced.num_layers - 1), model=label,
                                                  step=data.steps[label])
    return figures


def scrub_figures(*, trace: Trace, quantity: str, labels: list[str], model: str,
                  step: int) -> tuple[go.Figure, go.Figure | None]:
    """The scrubber's two figures for the probe traced at a snapshot (`step`): the heatmap of
    `quantity` (the hidden state when the cell has no such quantity) and the per-unit gate
    saturation (None for a cell without sigmoid gates)."""
    shown = quantity if quantity in probe_quantities(trace) else "hidden"
    heat = probe_heatmap(trace=trace, quantity=shown, labels=labels, model=model, step=step)
    gates = {name: values[0, 0] for name, values in trace.gates.items()}
    saturation = None
    if any(name in SIGMOID_GATES for name in gates):
        saturation = saturation_figure(gates=gates, title=_("{model}: gate saturation per unit at step {step}").format(
            model=model, step=step))
    return heat, saturation


def probe_quantities(trace: Trace) -> list[str]:
    """What a trace can show as a heatmap: hidden, cell (LSTM), then its gates in torch's order."""
    return ["hidden"] + (["cell"] if trace.cell is not None else []) + list(trace.gates)
