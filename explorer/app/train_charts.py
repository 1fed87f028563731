"""The Train page's charts in Streamlit: curves, saturation, sample output, probe heatmaps and the
checkpoint scrubber of a playground, as explorer.app.train_live redraws them.

The figures are explorer.figures.train's, built from plain data (explorer.training.chart_data,
a snapshot's Trace); this module reads the playground and keeps the scrubber's figures on its run.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from explorer.app import draw, urlstate
from explorer.figures import panels
from explorer.figures.train import dashboard, prediction_scatter, probe_quantities, scrub_figures
from explorer.training import playground as play
from explorer.training.runs import Playground, Run

QUANTITY_ORDER = ["hidden", "cell", "i", "f", "g", "o", "r", "z", "n", "pre"]


def quantity_label(quantity: str) -> str:
    return {"hidden": "hidden state", "cell": "cell state"}.get(quantity, f"gate {quantity}")


def draw_charts(pg: Playground, every: float | None) -> None:
    """Everything below the status row; `every`: the charts' timer while playing (None when paused)."""
    for run in pg.diverged:
        st.error(f"**{run.label}**: {run.state.stopped_reason} Press Play or Step to go on from step {run.step} "
                 "with the settings above.")
    options = sorted({q for run in pg.runs if run.probe is not None for q in probe_quantities(run.probe)},
                     key=QUANTITY_ORDER.index)
    urlstate.keep_in_range("train_probe_quantity", options, "hidden")
    quantity = st.radio("Probe heatmaps show", options, key="train_probe_quantity", horizontal=True,
                        format_func=quantity_label)
    layer = 0
    if max(run.probe.num_layers for run in pg.runs if run.probe is not None) > 1:
        layer = st.number_input("Layer", min_value=0, max_value=pg.settings.num_layers - 1, value=0,
                                key="train_probe_layer")
    figures = dashboard(play.chart_data(pg), quantity=quantity, layer=int(layer))
    if every and every > 1:
        st.caption(f"The charts show step {pg.step}. While other sessions train on this server too, they are redrawn "
                   f"every {every:.0f} s (the step count above is live); pause to see the newest at once.")
    _curves(figures)
    left, right = st.columns(2)
    with left:
        draw.plot(figures["saturation"], key="train_fig_saturation")
    with right:
        _sample(pg)
    _probe(pg, figures)
    _scrubber(pg)


def _curves(figures: dict[str, go.Figure]) -> None:
    left, right = st.columns(2)
    draw.plot(figures["loss"], key="train_fig_loss", where=left)
    draw.plot(figures["metric"], key="train_fig_metric", where=right)
    left, right = st.columns(2)
    draw.plot(figures["grad"], key="train_fig_grad", where=left)
    draw.plot(figures["groups"], key="train_fig_groups", where=right)


def _sample(pg: Playground) -> None:
    out = play.sample_output(pg)
    if out["kind"] == "text":
        st.markdown(f"**Sample output** (prompt from the probe text, temperature {play.SAMPLE_TEMPERATURE}, seed 0):")
        for label, text in out["samples"].items():
            st.text(f"{label}: {out['prompt']}▌{text}")
        return
    st.markdown("**Sample output**: the models on probe sequences they never trained on")
    st.dataframe(pd.DataFrame(out["rows"]).set_index("example"), key="train_sample_table")
    if "scatter" in out:
        draw.plot(prediction_scatter(points=out["scatter"]), key="train_fig_scatter")


def _probe(pg: Playground, figures: dict[str, go.Figure]) -> None:
    st.subheader("Inside the models, on a fixed probe input")
    st.caption("The same validation sequence, traced with explorer.trace after every chunk: one panel per model, "
               "on the same steps and the same colour scale.")
    probes = [figures[f"probe:{run.label}"] for run in pg.runs if f"probe:{run.label}" in figures]
    if probes:  # one figure, a panel per model on the same steps: each chart costs the browser a fixed time
        draw.plot(panels.stack(probes), key="train_fig_probes")


def scrubber_figures(pg: Playground, run: Run, index: int, quantity: str) -> tuple[go.Figure, go.Figure | None]:
    """The scrubber's figures for snapshot `index` of `run`, kept on the run while the same snapshot
    and quantity stay selected, so a tick that took no new snapshot builds nothing."""
    snap = run.snapshots[index]
    cached = run.figure_cache
    if cached is not None and cached[0] is snap and cached[1] == quantity:  # the object: a step can be retrained
        return cached[2]
    figures = scrub_figures(trace=play.snapshot_trace(pg, run, index), quantity=quantity, labels=pg.probe_labels,
                            model=run.label, step=snap.step)
    run.figure_cache = (snap, quantity, figures)  # only the newest: figures are big
    return figures


def _scrubber(pg: Playground) -> None:
    st.subheader("Checkpoint scrubber")
    st.caption(f"A snapshot of the weights every {pg.settings.snapshot_every} steps (at most {pg.max_snapshots} per "
               "model; older ones are thinned to every other as the run grows). Slide back to see when a unit "
               "became a counter or a gate saturated.")
    labels = [run.label for run in pg.runs]
    urlstate.keep_in_range("train_scrub_model", labels, labels[-1])
    cols = st.columns([2, 2, 1])
    label = cols[0].selectbox("Model", labels, key="train_scrub_model")
    run = pg.runs[labels.index(label)]
    steps = [snap.step for snap in run.snapshots]
    follow = cols[2].toggle("Follow the newest", value=True, key="train_scrub_follow")
    if follow or st.session_state.get("train_scrub_step") not in steps:
        st.session_state["train_scrub_step"] = steps[-1]
    if len(steps) > 1:
        chosen = cols[1].select_slider("Snapshot at step", steps, key="train_scrub_step", disabled=follow)
    else:
        chosen = steps[0]
        cols[1].caption(f"One snapshot so far, at step {chosen}.")
    index = steps.index(chosen)
    options = probe_quantities(run.probe if run.probe is not None else play.snapshot_trace(pg, run, index))
    urlstate.keep_in_range("train_scrub_quantity", options, "f" if "f" in options else options[0])
    quantity = st.radio("Show", options, key="train_scrub_quantity", horizontal=True, format_func=quantity_label)
    heat, saturation = scrubber_figures(pg, run, index, quantity)
    left, right = st.columns([3, 2])
    draw.plot(heat, key="train_fig_scrub", where=left)
    if saturation is not None:
        draw.plot(saturation, key="train_fig_scrub_saturation", where=right)
    else:
        right.caption(f"A {run.label} has no sigmoid gates; its pre-activation is on the heatmap's menu.")
