"""The Train page's charts in Streamlit: the key picture (the loss and metric curves against the
task's baseline), then gradients, saturation, sample output, probe heatmaps and the checkpoint
scrubber of a playground, as explorer.app.train_live redraws them.

The figures are explorer.figures.train's, built from plain data (explorer.training.chart_data,
a snapshot's Trace); this module reads the playground and keeps the scrubber's figures on its run.
Each figure is drawn once: where the metric is the loss (the adding problem's MSE), its one curve
sits beside the predictions against the targets instead of a second copy of itself.
"""
from __future__ import annotations

import math
import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from explorer import i18n
from explorer.app import draw, urlstate
from explorer.figures import panels
from explorer.figures.train import dashboard, metric_label, prediction_scatter, probe_quantities, scrub_figures
from explorer.i18n import N_, _, pgettext
from explorer.training import playground as play
from explorer.training.chart_data import RECENT_STEPS, ChartData, recent_metric
from explorer.training.runs import Playground, Run

QUANTITY_ORDER = ["hidden", "cell", "i", "f", "g", "o", "r", "z", "n", "cand", "pre"]
# While playing, the charts below the key picture are rebuilt at most this often, and sent unchanged
# in between. A chart whose figure changed is a new element to Streamlit, which the tab draws from
# scratch (blank meanwhile); an unchanged one it leaves alone. These are off the first screen.
BELOW_SECONDS = 5.0
BELOW = "train_charts_below"  # session_state: what the charts below the key picture were last built from
SCRUB_STEPS = "train_scrub_steps"  # session_state: (model, the snapshot steps the scrubber's slider offers)
KEY_HEIGHT = 300  # the loss and metric curves, with the buttons, the status row and the sentence, fit 1280x800
LESSON = N_("Press Play: within about 30 s the LSTM's loss falls below the baseline (dashed) while the SimpleRNN's "
            "stays flat on it: the SimpleRNN cannot carry the first marked number across the 50 steps.")
OTHER = N_("Press Play and watch each model's curve against the task's baseline (dashed), what a guess without "
           "memory scores: a model that learns the task leaves it.")


def quantity_label(quantity: str) -> str:
    """A probe quantity as a radio option; the options themselves stay the language-free keys."""
    if quantity == "hidden":
        return _("hidden state")
    if quantity == "cell":
        return _("cell state")
    if quantity == "pre":
        return _("pre-activation")
    if quantity == "cand":  # minGRU's and minLSTM's candidate h̃ is no gate
        return _("candidate h̃")
    return _("gate {gate}").format(gate=quantity)


def listed(names) -> str:
    """Names as a list in a sentence ("SimpleRNN, LSTM"; Chinese lists take 、)."""
    return pgettext("list separator", ", ").join(names)


def draw_charts(pg: Playground, every: float | None) -> None:
    """Everything below the status row; `every`: the page's timer while playing (None when paused)."""
    for run in pg.diverged:
        st.error(_("**{model}**: {reason} Press Play or Step to go on from step {step} with the settings above.")
                 .format(model=run.label, reason=run.state.stopped_reason, step=run.step))
    options = sorted({q for run in pg.runs if run.probe is not None for q in probe_quantities(run.probe)},
                     key=QUANTITY_ORDER.index)
    urlstate.keep_in_range("train_probe_quantity", options, "hidden")
    layers = max(run.probe.num_layers for run in pg.runs if run.probe is not None)
    layer = min(int(st.session_state.get("train_probe_layer", 0)), layers - 1)
    quantity = st.session_state.get("train_probe_quantity", "hidden")
    data = play.chart_data(pg)
    figures = dashboard(data, quantity=quantity, layer=layer, height=KEY_HEIGHT)
    out = play.sample_output(pg)
    beside = _key_picture(pg, data, figures, out)
    if every and every > 1:
        st.caption(_("The charts show step {step}. While other sessions train on this server too, they are redrawn "
                     "every {seconds} s; pause to see the newest at once.").format(step=pg.step,
                                                                                  seconds=f"{every:.0f}"))
    # the language is part of the view: the figures below carry their words
    refresh, (figures, out) = _below(pg, every, (quantity, layer, i18n.current()), (figures, out))
    if every:
        st.caption(_("While playing, the charts below catch up every {seconds} s or so; they show step {step}.")
                   .format(seconds=f"{BELOW_SECONDS:.0f}", step=st.session_state[BELOW]["step"]))
    left, right = st.columns(2)
    if beside != "grad":
        draw.plot(figures["grad"], key="train_fig_grad", where=left)
    draw.plot(figures["groups"], key="train_fig_groups", where=right if beside != "grad" else left)
    left, right = st.columns(2)
    with left:
        draw.plot(figures["saturation"], key="train_fig_saturation")
    with right:
        _sample(out, scatter=beside != "scatter")
    _probe(pg, figures, options, layers)
    _scrubber(pg, refresh)


def _below(pg: Playground, every: float | None, view: tuple, fresh: tuple) -> tuple[bool, tuple]:
    """(whether they are new, (figures, sample output)) for the charts below the key picture: `fresh`
    when paused, for a new playground or another probe view, or BELOW_SECONDS after the last; else
    those of the last time, so the tab leaves them as they are."""
    kept = st.session_state.get(BELOW)
    now = time.monotonic()
    if (every is None or kept is None or kept["pg"] is not pg or kept["view"] != view
            or now - kept["at"] >= BELOW_SECONDS):
        st.session_state[BELOW] = {"pg": pg, "view": view, "at": now, "step": pg.step, "built": fresh}
        return True, fresh
    return False, kept["built"]


def _key_picture(pg: Playground, data: ChartData, figures: dict[str, go.Figure], out: dict) -> str:
    """The loss and the metric side by side, or the loss (which is the metric) beside the
    predictions (real outputs) or the gradient norms; returns what went beside the loss."""
    with draw.key_figure():
        draw.look_at(_(LESSON if pg.settings.is_lesson() and pg.pretrained is None else OTHER))
        left, right = st.columns(2)
        draw.plot(figures["loss"], key="train_fig_loss", where=left)
        if "metric" in figures:
            beside = "metric"
            draw.plot(figures["metric"], key="train_fig_metric", where=right)
        elif "scatter" in out:
            beside = "scatter"
            draw.plot(prediction_scatter(points=out["scatter"], height=KEY_HEIGHT), key="train_fig_scatter",
                      where=right)
        else:
            beside = "grad"
            draw.plot(figures["grad"], key="train_fig_grad", where=right)
        st.caption(standing(pg, data))
    return beside


def standing(pg: Playground, data: ChartData) -> str:
    """Where each model's metric is now, against the baseline, in one sentence (computed)."""
    if pg.step == 0:
        return _("Step 0: nothing is trained yet, so every curve is still empty.")
    name, baseline = metric_label(data.metric_name), data.baseline
    lower = not pg.task.higher_is_better
    parts = []
    for label, value in recent_metric(data).items():
        if not math.isfinite(value):
            parts.append(_("{model} has no finite {metric}").format(model=label, metric=name))
        elif lower and math.isfinite(baseline) and baseline > 0:
            parts.append(_("{model} {value} ({share} of the baseline)").format(
                model=label, value=f"{value:.3g}", share=_percent(value / baseline)))
        else:
            parts.append(f"{label} {value:.3g}")
    if math.isfinite(baseline):
        sentence = _("At step {step}, the mean {metric} of the last {n} steps: {values}; the baseline is {baseline}.")
    else:
        sentence = _("At step {step}, the mean {metric} of the last {n} steps: {values}.")
    return sentence.format(step=pg.step, metric=name, n=RECENT_STEPS, values=listed(parts), baseline=f"{baseline:.3g}")


def _percent(fraction: float) -> str:
    return f"{fraction:.0%}" if fraction >= 0.1 else f"{fraction * 100:.2g}%"  # 0.35%, not 0%


def _sample(out: dict, scatter: bool) -> None:
    if out["kind"] == "text":
        st.markdown(_("**Sample output** (prompt from the probe text, temperature {temperature}, seed 0):").format(
            temperature=play.SAMPLE_TEMPERATURE))
        for label, text in out["samples"].items():
            st.text(f"{label}: {out['prompt']}▌{text}")
        return
    st.markdown(_("**Sample output**: the models on probe sequences they never trained on"))
    columns = {"example": pgettext("sample table", "example"), "input": pgettext("sample table", "input"),
               "target": pgettext("sample table", "target")}
    table = pd.DataFrame(out["rows"]).rename(columns=columns).set_index(columns["example"])
    st.dataframe(table, key="train_sample_table")
    if scatter and "scatter" in out:
        draw.plot(prediction_scatter(points=out["scatter"]), key="train_fig_scatter")


def _probe(pg: Playground, figures: dict[str, go.Figure], options: list[str], layers: int) -> None:
    st.subheader(_("Inside the models, on a fixed probe input"))
    st.caption(_("The same validation sequence, traced with explorer.trace after every chunk: one panel per model, "
                 "on the same steps and the same colour scale."))
    cols = st.columns([4, 1])
    cols[0].radio(_("Probe heatmaps show"), options, key="train_probe_quantity", horizontal=True,
                  format_func=quantity_label)
    if layers > 1:
        cols[1].number_input(_("Layer"), min_value=0, max_value=layers - 1, value=0, key="train_probe_layer")
    probes = [figures[f"probe:{run.label}"] for run in pg.runs if f"probe:{run.label}" in figures]
    if probes:  # one figure, a panel per model on the same steps: each chart costs the browser a fixed time
        draw.plot(panels.stack(probes), key="train_fig_probes")


def scrubber_figures(pg: Playground, run: Run, index: int, quantity: str) -> tuple[go.Figure, go.Figure | None]:
    """The scrubber's figures for snapshot `index` of `run`, kept on the run while the same snapshot,
    quantity and language stay selected, so a tick that took no new snapshot builds nothing."""
    snap = run.snapshots[index]
    view = (quantity, i18n.current())  # the figures' words are in the language they were built in
    cached = run.figure_cache
    if cached is not None and cached[0] is snap and cached[1] == view:  # the object: a step can be retrained
        return cached[2]
    figures = scrub_figures(trace=play.snapshot_trace(pg, run, index), quantity=quantity, labels=pg.probe_labels,
                            model=run.label, step=snap.step)
    run.figure_cache = (snap, view, figures)  # only the newest: figures are big
    return figures


def _scrubber(pg: Playground, refresh: bool) -> None:
    st.subheader(_("Checkpoint scrubber"))
    st.caption(_("A snapshot of the weights every {every} steps (at most {most} per model; older ones are thinned "
                 "to every other as the run grows). Slide back to see when a unit became a counter or a gate "
                 "saturated.").format(every=pg.settings.snapshot_every, most=pg.max_snapshots))
    labels = [run.label for run in pg.runs]
    urlstate.keep_in_range("train_scrub_model", labels, labels[-1])
    cols = st.columns([2, 2, 1])
    label = cols[0].selectbox(_("Model"), labels, key="train_scrub_model")
    run = pg.runs[labels.index(label)]
    kept = [snap.step for snap in run.snapshots]
    shown = st.session_state.get(SCRUB_STEPS)
    # between two redraws of the charts below, newer snapshots wait: the slider and heatmap stay as they are
    steps = shown[1] if not refresh and shown and shown[0] == label and set(shown[1]) <= set(kept) else kept
    st.session_state[SCRUB_STEPS] = (label, steps)
    follow = cols[2].toggle(_("Follow the newest"), value=True, key="train_scrub_follow")
    if follow or st.session_state.get("train_scrub_step") not in steps:
        st.session_state["train_scrub_step"] = steps[-1]
    if len(steps) > 1:
        chosen = cols[1].select_slider(_("Snapshot at step"), steps, key="train_scrub_step", disabled=follow)
    else:
        chosen = steps[0]
        cols[1].caption(_("One snapshot so far, at step {step}.").format(step=chosen))
    index = kept.index(chosen)
    options = probe_quantities(run.probe if run.probe is not None else play.snapshot_trace(pg, run, index))
    urlstate.keep_in_range("train_scrub_quantity", options, "f" if "f" in options else options[0])
    quantity = st.radio(_("Show"), options, key="train_scrub_quantity", horizontal=True, format_func=quantity_label)
    heat, saturation = scrubber_figures(pg, run, index, quantity)
    left, right = st.columns([3, 2])
    draw.plot(heat, key="train_fig_scrub", where=left)
    if saturation is not None:
        draw.plot(saturation, key="train_fig_scrub_saturation", where=right)
    else:
        right.caption(_("A {model} has no sigmoid gates; its pre-activation is on the heatmap's menu.").format(
            model=run.label))
