"""Train live: one to three recurrent nets trained side by side, with their internals on screen.

Widgets -> explorer.playground (build, apply_settings, tick) -> explorer.figures_train. Training
advances one chunk per tick of an st.fragment(run_every=...) while playing; everything lives in
this session's st.session_state (keys start with "train_"), so two people never share a model.
Each chunk takes a turn on the server (explorer.training.turns.TRAINING), so a few chunks run at once across
all sessions and someone typing on another page always finds a free core.
"""
import dataclasses
import os
import random
import re
import time

import pandas as pd
import streamlit as st
import torch

from explorer.training import playground as play
from explorer import tasks, zoo
from explorer.figures import panels
from explorer.training import turns
from explorer.app import catalog, draw, frame, urlstate
from explorer.figures.train import dashboard, prediction_scatter, probe_quantities, scrub_figures
from explorer.training.train import OPTIMIZERS

frame.require_frame(__file__)

PG, PLAYING, STEP, RESET = "train_playground", "train_playing", "train_step_requested", "train_reset_requested"
DOWNLOADS, USER_MODELS = "train_downloads", catalog.USER_MODELS
WAITING = "train_waiting_since"  # when this session joined the server's line for a turn: kept, it keeps its place
TICK_SECONDS = 0.3  # between the end of one chunk and the start of the next: the page stays responsive
PROGRESS_SECONDS = 0.5  # a chunk's progress bar: first shown, then redrawn, after this long (each redraw costs every
# tab a re-render of the page: drawn every 10% of a half-second chunk, it was a third of a playing tab's browser CPU)
RUNNING_INDICATOR = '[data-testid="stStatusWidget"]'  # Streamlit's "Running…" widget, hidden while playing
NOTE_SECONDS = 2.0  # the waiting sentence is rewritten when the line moves, at most this often (every message costs
# each tab a re-render of the page: eight waiting tabs rewriting it as the line moved kept Chromium busy)
GIVE_WAY_SECONDS = 1.0  # at most this long per training step, and before a redraw, while other pages run
CHART_SECONDS = 3.0  # while playing, the charts' own timer: this long per other session training here (1 s alone).
# A dashboard costs each tab 0.6-1.1 s of browser CPU; at 2 s, eight playing tabs took about half of Chromium's time
# in the eight-session load (p95 3.10 and 4.74 s in two runs); at 3 s, 2.82 and 2.11 s, with more redraws timed
CHART_EVERY = "train_chart_seconds"  # the charts' timer as the last full run set it
CHART_SPREAD = "train_chart_spread"  # this session's factor on that timer while others train (0.8-1.2, drawn
# once): sessions that pressed Play together would otherwise redraw their charts together, every time, and the
# server and browsers took all eight dashboards at once (a burst of slow redraws for someone typing meanwhile)
NEW = "new models (the cells below)"
# torch threads, as app.py sets them. Set again here because a fragment rerun does not run app.py,
# and the first visit to a fresh server through a link to this page runs the page without app.py
# (Streamlit's pages/ folder fallback); with the default two threads, training on two busy cores
# stalled 10-40x (measured here).
THREADS = int(os.environ.get("RNN_EXPLORER_THREADS", "1"))
DEFAULTS = play.PlaygroundSettings()

torch.set_num_threads(THREADS)
st.title("Train live")
st.caption("Train recurrent nets side by side on the same data and watch them learn: loss, gradients through "
           "clipping, gates saturating, and every hidden state on a fixed probe input. Pick settings, press "
           "Play, and pause at any time. Everything stays in your own session.")

for key, value in ((PLAYING, False), (STEP, False), (RESET, False), (DOWNLOADS, {}),
                   (CHART_SPREAD, random.uniform(0.8, 1.2))):
    st.session_state.setdefault(key, value)

# ------------------------------------------------------------------------------------------------
# settings


def _pretrained_for(task_name: str) -> list[str]:
    names = []
    for name in catalog.available():
        try:
            if catalog.model_info(name).get("task") == task_name:
                names.append(name)
        except (ValueError, KeyError, OSError):
            continue  # damaged metadata: leave it out
    return names


def _seq_key(task_name: str) -> str:
    return f"train_seq_len_{task_name}"  # one remembered length per task: their ranges differ


def _remember(settings: play.PlaygroundSettings) -> None:
    """Give every settings widget its value unless it has one: the defaults on the first visit, the
    running playground's settings after a visit to another page (Streamlit forgets the widgets of
    a page that was not drawn; the playground itself stays in session_state)."""
    values = {
        "train_task": settings.task, "train_cells": list(settings.cells), "train_hidden": settings.hidden_size,
        "train_layers": settings.num_layers, "train_seed": settings.seed, "train_snapshot_every": settings.snapshot_every,
        "train_optimizer": settings.optimizer, "train_lr": settings.lr, "train_batch": settings.batch_size,
        "train_clip": settings.clip, "train_clip_norm": settings.clip_norm, "train_steps_per_tick": settings.steps_per_tick,
        _seq_key(settings.task): settings.seq_len,
    }
    if settings.input_mode is not None:
        values["train_input_mode"] = settings.input_mode
    for key, value in values.items():
        if key not in st.session_state and value is not None:
            st.session_state[key] = value


_running = st.session_state.get(PG)
_remember(_running.settings if _running is not None else DEFAULTS)

with st.expander("Settings", expanded=True):
    top = st.columns([2, 2, 3])
    task_name = top[0].selectbox("Task", tasks.available(), key="train_task",
                                 format_func=lambda n: f"{n}: {play.get_task(n).title}",
                                 help="Every task of explorer.tasks; its baseline is drawn on the metric curve.")
    task = play.get_task(task_name)
    pretrained_names = [NEW] + _pretrained_for(task_name)
    urlstate.keep_in_range("train_start_from", pretrained_names, NEW)
    start_from = top[1].selectbox("Start from", pretrained_names, key="train_start_from",
                                  help="A pretrained model is copied before training: the shared one never changes.")
    fresh = start_from == NEW
    cells = top[2].multiselect("Cells, side by side", list(play.CELL_TITLES), key="train_cells",
                               format_func=play.CELL_TITLES.get, max_selections=play.MAX_MODELS, disabled=not fresh,
                               help="One to three cell types, same initialisation seed, same batches.")
    model_cols = st.columns(5)
    hidden = model_cols[0].number_input("Hidden size", step=8, key="train_hidden", disabled=not fresh)
    layers = model_cols[1].number_input("Layers", step=1, key="train_layers", disabled=not fresh)
    modes = ["real"] if task.input_kind == "real" else ["embedding", "onehot"]
    urlstate.keep_in_range("train_input_mode", modes, modes[0])
    input_mode = model_cols[2].selectbox("Input", modes, key="train_input_mode", disabled=not fresh or len(modes) == 1,
                                         help="Token tasks: a learned embedding, or one-hot vectors (every input weight readable).")
    seed = model_cols[3].number_input("Seed", step=1, key="train_seed",
                                      help="Initial weights and the data stream, the same for every model.")
    snapshot_every = model_cols[4].number_input("Snapshot every (steps)", step=5, key="train_snapshot_every")
    train_cols = st.columns(7)
    optimizer = train_cols[0].selectbox("Optimizer", list(OPTIMIZERS), key="train_optimizer")
    lr = train_cols[1].number_input("Learning rate", step=1e-3, format="%g", key="train_lr")
    batch_size = train_cols[2].number_input("Batch size", step=8, key="train_batch")
    st.session_state.setdefault(_seq_key(task_name), DEFAULTS.seq_len if task_name == DEFAULTS.task else task.default_seq_len)
    seq_len = train_cols[3].number_input(f"Sequence length ({task.min_seq_len}–{task.max_seq_len})", step=10,
                                         key=_seq_key(task_name))
    clip = train_cols[4].toggle("Clip gradients", key="train_clip")
    clip_norm = train_cols[5].number_input("Clip at norm", step=0.5, format="%g", key="train_clip_norm", disabled=not clip)
    steps_per_tick = train_cols[6].number_input("Steps per tick", step=5, key="train_steps_per_tick")
    st.caption("The learning rate, optimizer, batch size, length, clipping and steps per tick apply at once; "
               "the task, cells, sizes, seed and start apply on Reset (at once while nothing is trained).")

settings = play.PlaygroundSettings(
    task=task_name, cells=tuple(cells), hidden_size=int(hidden), num_layers=int(layers),
    input_mode=input_mode, optimizer=optimizer, lr=float(lr), batch_size=int(batch_size), seq_len=int(seq_len),
    clip=bool(clip), clip_norm=float(clip_norm), seed=int(seed), steps_per_tick=int(steps_per_tick),
    snapshot_every=int(snapshot_every))
pretrained_name = None if start_from == NEW else start_from


def _build() -> bool:
    """A new playground from the widgets; on bad settings, one sentence and the old one kept."""
    try:
        pretrained = catalog.get_model(pretrained_name) if pretrained_name else None
        st.session_state[PG] = play.build(settings, pretrained=pretrained)
    except ValueError as err:
        st.error(f"These settings cannot be used: {err}")
        return False
    st.session_state[PLAYING] = False
    return True


def _refused() -> bool:
    """Say, in one sentence, why the settings cannot work (without building anything)."""
    try:
        play.check_settings(settings, catalog.get_model(pretrained_name) if pretrained_name else None)
    except ValueError as err:
        st.error(f"These settings cannot be used: {err}")
        return True
    return False


pg = st.session_state.get(PG)
reset = st.session_state[RESET]
st.session_state[RESET] = False
if pg is None or reset or settings.needs_rebuild(pg.settings) or pretrained_name != pg.pretrained:
    if pg is None or reset or all(run.step == 0 for run in pg.runs):  # nothing trained would be lost
        _build()
    elif _refused():
        pass
    else:
        st.info("The task, cells, sizes, seed or starting model changed: press **Reset** to build new models "
                "with them (the current ones go on training until then).")
if pg is not None and st.session_state.get(PG) is pg:  # not rebuilt: hand over what can change while it runs
    live_settings = dataclasses.replace(settings, **{f: getattr(pg.settings, f) for f in play.MODEL_FIELDS})
    try:
        play.apply_settings(pg, live_settings, resume=st.session_state[PLAYING] or st.session_state[STEP])
    except ValueError as err:
        st.error(f"These settings cannot be used: {err} Training goes on with the previous ones.")
pg = st.session_state.get(PG)
if pg is None:
    st.stop()  # the first settings were refused; the sentence above says why


# ------------------------------------------------------------------------------------------------
# controls


def _play():
    st.session_state[PLAYING] = True


def _pause():
    st.session_state[PLAYING] = False


def _step():
    st.session_state[PLAYING] = False
    st.session_state[STEP] = True


def _reset():
    st.session_state[PLAYING] = False
    st.session_state[RESET] = True


controls = st.columns([1, 1, 1, 1, 3])
controls[0].button("Play", key="train_play", on_click=_play, icon=":material/play_arrow:", type="primary",
                   disabled=st.session_state[PLAYING], width="stretch")
controls[1].button("Pause", key="train_pause", on_click=_pause, icon=":material/pause:",
                   disabled=not st.session_state[PLAYING], width="stretch")
controls[2].button("Step", key="train_step", on_click=_step, icon=":material/skip_next:", width="stretch",
                   help=f"One chunk: {pg.settings.steps_per_tick} steps for every model.")
controls[3].button("Reset", key="train_reset", on_click=_reset, icon=":material/restart_alt:", width="stretch",
                   help="New models from the settings above, at step 0.")
controls[4].caption(f"Models: {', '.join(run.label for run in pg.runs)} on **{pg.task.name}** "
                    f"(sequence length {pg.runs[0].state.settings.seq_len}). "
                    f"Each tick trains {pg.settings.steps_per_tick} steps per model.")


# ------------------------------------------------------------------------------------------------
# the live part: one chunk per tick while playing


def _status(pg, waiting: bool = False):
    steps = {run.label: run.step for run in pg.runs}
    cols = st.columns(4)
    step_text = str(pg.step) if len(set(steps.values())) == 1 else " / ".join(f"{s}" for s in steps.values())
    cols[0].metric("Step", step_text, help="Optimizer steps applied per model.")
    cols[1].metric("Steps per second", f"{pg.steps_per_second:.1f}",
                   help="Per model, over the last chunk: training, snapshots and probe traces; "
                        "not the time it gave way to other users' pages.")
    cols[2].metric("Training time", f"{pg.elapsed:.1f} s",
                   help="Time spent training in chunks; pauses, and waits while other users' pages run, do not count.")
    state = "waiting" if waiting else "diverged" if pg.diverged else ("playing" if st.session_state[PLAYING] else "paused")
    cols[3].metric("Status", state)


def _divergence_messages(pg):
    for run in pg.diverged:
        st.error(f"**{run.label}**: {run.state.stopped_reason} Press Play or Step to go on from step {run.step} "
                 "with the settings above.")


def chart_seconds(others: int, spread: float = 1.0) -> float:
    """The charts' timer while playing: 1 s alone, CHART_SECONDS for each other session training on
    this server, times this session's `spread`. Every element a tick sends costs each browser tab a
    re-render, and a changed chart ~0.1-0.2 s more; eight tabs redrawing all of it after every chunk
    took both cores (measured)."""
    return max(1.0, CHART_SECONDS * others * spread)


def _curves(figures):
    left, right = st.columns(2)
    draw.plot(figures["loss"], key="train_fig_loss", where=left)
    draw.plot(figures["metric"], key="train_fig_metric", where=right)
    left, right = st.columns(2)
    draw.plot(figures["grad"], key="train_fig_grad", where=left)
    draw.plot(figures["groups"], key="train_fig_groups", where=right)


def _sample(pg):
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


def _probe(pg, figures):
    st.subheader("Inside the models, on a fixed probe input")
    st.caption("The same validation sequence, traced with explorer.trace after every chunk: one panel per model, "
               "on the same steps and the same colour scale.")
    probes = [figures[f"probe:{run.label}"] for run in pg.runs if f"probe:{run.label}" in figures]
    if probes:  # one figure, a panel per model on the same steps: each chart costs the browser a fixed ~0.1 s
        draw.plot(panels.stack(probes), key="train_fig_probes")


def _scrubber(pg):
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
    quantity = st.radio("Show", options, key="train_scrub_quantity", horizontal=True,
                        format_func=lambda q: {"hidden": "hidden state", "cell": "cell state"}.get(q, f"gate {q}"))
    heat, saturation = scrub_figures(pg, run, index, quantity)
    left, right = st.columns([3, 2])
    draw.plot(heat, key="train_fig_scrub", where=left)
    if saturation is not None:
        draw.plot(saturation, key="train_fig_scrub_saturation", where=right)
    else:
        right.caption(f"A {run.label} has no sigmoid gates; its pre-activation is on the heatmap's menu.")


def _waiting_sentence(ahead: int, busy: int) -> str:
    return (f"Waiting for a turn: {ahead} training chunk{'' if ahead == 1 else 's'} ahead of yours "
            f"({busy} sessions are training on this server, {turns.TRAINING.slots} at a time).")


def _train_in_turn(pg, note, status_box, in_line: bool, patience: float) -> bool:
    """One chunk in this session's turn on the server (explorer.training.turns.TRAINING); False when no turn
    came within `patience` seconds (the place in the line is kept for the next tick). `in_line`:
    the status row already says "waiting"."""
    shown = []  # what the note above the status row shows: nothing, the waiting sentence or the progress bar
    note_due = turns.Throttle(NOTE_SECONDS)  # the sentence is rewritten as the line moves, at most this often

    def waiting(ahead, busy=None):
        st.session_state.get(PLAYING)  # reading session state lets Pause, Step and Reset interrupt the wait here
        sentence = _waiting_sentence(ahead, turns.TRAINING.busy if busy is None else busy)
        if shown != [sentence] and note_due():
            note.info(sentence)
            if not shown and not in_line:
                with status_box.container():
                    _status(pg, waiting=True)
            shown[:] = [sentence]

    since = st.session_state.setdefault(WAITING, time.monotonic())
    try:
        # a chunk is background work even inside the run that Play started: training elsewhere goes on meanwhile
        with turns.FOREGROUND.aside(), \
                turns.TRAINING.turn(on_wait=waiting, since=since, patience=patience) as turn:
            steps = turns.slice_steps(pg.settings.steps_per_tick, pg.steps_per_second, contended=turn.contended)
            share = "" if steps == pg.settings.steps_per_tick else " (a shorter chunk: other sessions are waiting)"
            if shown:  # the turn came: the waiting sentence goes
                note.empty()
                shown.clear()
            progress_due = turns.Throttle(PROGRESS_SECONDS, wait_first=True)

            def on_step(done, total):
                turns.FOREGROUND.give_way(limit=GIVE_WAY_SECONDS)  # a page another user waits for goes first
                if done < total and progress_due():
                    note.progress(done / total, text=f"Training: {done} of {total} steps in this chunk{share}")
                    shown[:] = ["progress"]

            report = play.tick(pg, steps=steps, on_step=on_step)
    except turns.NoTurn as no_turn:
        waiting(no_turn.ahead, no_turn.busy)
        return False
    st.session_state.pop(WAITING, None)  # trained: the next chunk queues behind those waiting now
    if shown:
        note.empty()
    if report.diverged and st.session_state[PLAYING]:
        st.session_state[PLAYING] = False
        st.rerun(scope="app")  # stop the timer; the page then says what happened
    return True


# The fragment reruns itself while playing, and while a step waits for its turn.
TIMED = st.session_state[PLAYING] or WAITING in st.session_state
if TIMED:
    # Streamlit's running indicator (top right) would be on nearly all the time, and its animation redraws the
    # tab many times a second: eight playing tabs spent a fifth of Chromium's CPU on it (measured). The Status
    # metric below says what is going on instead. The style goes when the page stops playing or is left.
    st.html(f"<style>{RUNNING_INDICATOR} {{display: none}}</style>")


@st.fragment(run_every=TICK_SECONDS if TIMED else None)
def live():
    torch.set_num_threads(THREADS)  # see THREADS
    pg = st.session_state[PG]
    note, status_box = st.empty(), st.empty()
    in_line = WAITING in st.session_state
    with status_box.container():  # as it stands, so the row stays in place during the chunk; redrawn after it
        _status(pg, waiting=in_line)
    wants = st.session_state[PLAYING] or st.session_state[STEP]
    if wants and len(pg.diverged) < len(pg.runs):
        # In a run of the whole page, everything below waits for this call, greyed out as stale: it takes only
        # a turn that is free now, and the fragment's own timer does the waiting (up to turns.PATIENCE_SECONDS).
        patience = 0.0 if PAGE_RUN else turns.PATIENCE_SECONDS
        if not _train_in_turn(pg, note, status_box, in_line, patience):
            if not TIMED:
                st.rerun(scope="app")  # start the timer that goes on waiting
            return
        st.session_state[STEP] = False
        if TIMED and not st.session_state[PLAYING]:
            st.rerun(scope="app")  # a step that waited is done: stop the timer (and draw the charts)
        if st.session_state[PLAYING] and _retime() == "now":
            st.rerun(scope="app")  # other sessions stopped: set the charts' shorter timer at once
    else:
        st.session_state[STEP] = False
        st.session_state.pop(WAITING, None)  # out of the line: a later Play queues behind those waiting then
        if st.session_state[PLAYING]:  # every model diverged: nothing left to train until Play resumes them
            st.session_state[PLAYING] = False
            st.rerun(scope="app")
    with status_box.container():
        _status(pg)


# The charts have a timer of their own while playing (chart_seconds): a training tick sends only the
# status row above. Paused, they are drawn by every run of the page.
def _wanted_chart_seconds() -> float:
    """The charts' timer for the sessions training on the server now, times this session's spread."""
    return chart_seconds(turns.TRAINING.busy, st.session_state[CHART_SPREAD])


st.session_state[CHART_EVERY] = _wanted_chart_seconds() if st.session_state[PLAYING] else None


def _retime() -> str | None:
    """Whether the charts' timer should be set again, and when: see explorer.turns.retime."""
    return turns.retime(_wanted_chart_seconds(), st.session_state.get(CHART_EVERY))


@st.fragment(run_every=st.session_state[CHART_EVERY])
def charts_part():
    if st.session_state[PLAYING] and _retime() == "at the next redraw":
        st.rerun(scope="app")  # more sessions train now: this redraw is a full run, which sets the longer timer
    _dashboard(st.session_state[PG])


def _dashboard(pg):
    turns.FOREGROUND.give_way(limit=GIVE_WAY_SECONDS)  # the charts below cost the server and the browser
    _divergence_messages(pg)
    options = sorted({q for run in pg.runs if run.probe is not None for q in probe_quantities(run.probe)},
                     key=["hidden", "cell", "i", "f", "g", "o", "r", "z", "n", "pre"].index)
    urlstate.keep_in_range("train_probe_quantity", options, "hidden")
    quantity = st.radio("Probe heatmaps show", options, key="train_probe_quantity", horizontal=True,
                        format_func=lambda q: {"hidden": "hidden state", "cell": "cell state"}.get(q, f"gate {q}"))
    layer = 0
    if max(run.probe.num_layers for run in pg.runs if run.probe is not None) > 1:
        layer = st.number_input("Layer", min_value=0, max_value=pg.settings.num_layers - 1, value=0,
                                key="train_probe_layer")
    figures = dashboard(pg, quantity=quantity, layer=int(layer))
    every = st.session_state[CHART_EVERY]
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


PAGE_RUN = True  # live() is called inline by this run of the page; its timer's reruns see False
try:
    live()
finally:
    PAGE_RUN = False
charts_part()

# ------------------------------------------------------------------------------------------------
# keeping the result


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


st.subheader("Keep the result")
st.caption("Keep copies of the models as they are now: they open in Inspect, Compare and Gradients during this "
           "session, and download as weights (safetensors) plus metadata (JSON) that "
           "`explorer.zoo.load_checkpoint(weights, meta)` loads back.")
if st.button("Keep the trained models", key="train_keep", icon=":material/bookmark_add:"):
    kept = st.session_state.setdefault(USER_MODELS, {})
    for run in pg.runs:
        name, model = play.finished_model(pg, run)
        kept[name] = model
        st.session_state[DOWNLOADS][name] = zoo.to_bytes(model)
    st.success(f"Kept {', '.join(run.label for run in pg.runs)} at step {pg.step}.")
for name, (weights, meta) in st.session_state[DOWNLOADS].items():
    cols = st.columns([3, 2, 2])
    cols[0].markdown(f"**{name}**")
    cols[1].download_button("Weights (.safetensors)", weights, file_name=f"{_slug(name)}.safetensors",
                            mime="application/octet-stream", key=f"train_dl_weights_{_slug(name)}",
                            icon=":material/download:", on_click="ignore")
    cols[2].download_button("Metadata (.json)", meta, file_name=f"{_slug(name)}.json", mime="application/json",
                            key=f"train_dl_meta_{_slug(name)}", icon=":material/download:", on_click="ignore")
