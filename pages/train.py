"""Train live: one to three recurrent nets trained side by side, with their internals on screen.

The first screen is the lesson: Play, the sentence saying what to watch, and the loss and metric
curves against the task's baseline; the settings fold away in an expander under the buttons.
Widgets -> explorer.training.playground (build, apply_settings) -> explorer.app.train_live, whose
one fragment, while playing, trains in chunks (each in a turn on the server,
explorer.training.schedule) and then redraws the charts (explorer.app.train_charts). Everything
lives in this session's st.session_state (keys start with "train_"), so two people never share a model.
"""
import dataclasses
import re
import uuid

import streamlit as st

from explorer import tasks, zoo
from explorer.app import catalog, course, frame, sessions, train_live, urlstate
from explorer.app.train_charts import draw_charts, listed
from explorer.i18n import N_, _, ngettext, pgettext
from explorer.training import playground as play
from explorer.training.settings import MAX_LR, MIN_LR, OPTIMIZERS

frame.require_frame(__file__)

PG, RESET = "train_playground", "train_reset_requested"
# this session's name in the server's budget ledger (explorer.training.budget): a Reset replaces what it holds
OWNER = "train_budget_owner"
DOWNLOADS, USER_MODELS = "train_downloads", catalog.USER_MODELS
NEW = N_("new models (the cells below)")  # the option's value stays this English text; format_func translates it
DEFAULTS = play.PlaygroundSettings()

train_live.start_state()
st.title(_("Train live"))
controls = st.container()  # the buttons, filled in once the settings below have built the models

for key, value in ((RESET, False), (DOWNLOADS, {})):
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


def _input_label(mode: str) -> str:
    words = {"real": pgettext("input mode", "real"), "embedding": pgettext("input mode", "embedding"),
             "onehot": pgettext("input mode", "onehot")}
    return words.get(mode, mode)


def _task_label(task_name: str) -> str:
    return _("{name}: {title}").format(name=task_name, title=_(tasks.title(task_name)))


def _seq_key(task_name: str) -> str:
    return f"train_seq_len_{task_name}"  # one remembered length per task: their ranges differ


def _remember(settings: play.PlaygroundSettings) -> None:
    """Give every settings widget its value unless it has one: the defaults on the first visit, the
    running playground's settings after a visit to another page (Streamlit forgets the widgets of
    a page that was not drawn; the playground itself stays in session_state)."""
    values = {
        "train_task": settings.task, "train_cells": list(settings.cells), "train_hidden": settings.hidden_size,
        "train_layers": settings.num_layers, "train_seed": settings.seed,
        "train_snapshot_every": settings.snapshot_every,
        "train_optimizer": settings.optimizer, "train_lr": settings.lr, "train_batch": settings.batch_size,
        "train_clip": settings.clip, "train_clip_norm": settings.clip_norm,
        "train_steps_per_tick": settings.steps_per_tick,
        _seq_key(settings.task): settings.seq_len,
    }
    if settings.input_mode is not None:
        values["train_input_mode"] = settings.input_mode
    for key, value in values.items():
        if key not in st.session_state and value is not None:
            st.session_state[key] = value


_running = st.session_state.get(PG)
_remember(_running.settings if _running is not None else DEFAULTS)

with st.expander(_("Settings: the task, the cells, their size, the learning rate, clipping"), expanded=False,
                 icon=":material/tune:", key="train_settings_box"):
    top = st.columns([2, 2, 3])
    task_name = top[0].selectbox(_("Task"), tasks.available(), key="train_task", format_func=_task_label,
                                 help=_("Every task of explorer.tasks; its baseline is drawn on the metric curve."))
    task = play.get_task(task_name)
    pretrained_names = [NEW] + _pretrained_for(task_name)
    urlstate.keep_in_range("train_start_from", pretrained_names, NEW)
    start_from = top[1].selectbox(_("Start from"), pretrained_names, key="train_start_from",
                                  format_func=lambda name: _(NEW) if name == NEW else name,
                                  help=_("A pretrained model is copied before training: the shared one never "
                                         "changes."))
    fresh = start_from == NEW
    cells = top[2].multiselect(_("Cells, side by side"), list(play.CELL_TITLES), key="train_cells",
                               format_func=play.CELL_TITLES.get, max_selections=play.MAX_MODELS, disabled=not fresh,
                               help=_("One to three cell types, same initialisation seed, same batches."))
    model_cols = st.columns(5)
    hidden = model_cols[0].number_input(_("Hidden size"), step=8, key="train_hidden", disabled=not fresh)
    layers = model_cols[1].number_input(_("Layers"), step=1, key="train_layers", disabled=not fresh)
    modes = ["real"] if task.input_kind == "real" else ["embedding", "onehot"]
    urlstate.keep_in_range("train_input_mode", modes, modes[0])
    input_mode = model_cols[2].selectbox(_("Input"), modes, key="train_input_mode", format_func=_input_label,
                                         disabled=not fresh or len(modes) == 1,
                                         help=_("Token tasks: a learned embedding, or one-hot vectors "
                                                "(every input weight readable)."))
    seed = model_cols[3].number_input(_("Seed"), step=1, key="train_seed",
                                      help=_("Initial weights and the data stream, the same for every model."))
    snapshot_every = model_cols[4].number_input(_("Snapshot every (steps)"), step=5, key="train_snapshot_every")
    train_cols = st.columns(7)
    optimizer = train_cols[0].selectbox(_("Optimizer"), list(OPTIMIZERS), key="train_optimizer")
    lr = train_cols[1].number_input(  # checked by TrainSettings, which says the range in its sentence
        _("Learning rate"), step=1e-3, format="%g", key="train_lr",
        help=_("From {low} to {high}. The box reads a number too large for it, such as 1e309, as 0.").format(
            low=f"{MIN_LR:g}", high=f"{MAX_LR:g}"))
    batch_size = train_cols[2].number_input(_("Batch size"), step=8, key="train_batch")
    st.session_state.setdefault(_seq_key(task_name),
                                DEFAULTS.seq_len if task_name == DEFAULTS.task else task.default_seq_len)
    seq_len = train_cols[3].number_input(_("Sequence length ({low}–{high})").format(low=task.min_seq_len,
                                                                                    high=task.max_seq_len),
                                         step=10, key=_seq_key(task_name))
    clip = train_cols[4].toggle(_("Clip gradients"), key="train_clip")
    clip_norm = train_cols[5].number_input(_("Clip at norm"), step=0.5, format="%g", key="train_clip_norm",
                                           disabled=not clip)
    steps_per_tick = train_cols[6].number_input(_("Steps per tick"), step=5, key="train_steps_per_tick")
    st.caption(_("The learning rate, optimizer, batch size, length, clipping and steps per tick apply at once; "
                 "the task, cells, sizes, seed and start apply on Reset (at once while nothing is trained)."))

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
        owner = st.session_state.setdefault(OWNER, uuid.uuid4().hex)
        st.session_state[PG] = play.build(settings, pretrained=pretrained, owner=owner)
    except ValueError as err:
        st.error(_("These settings cannot be used: {reason}").format(reason=err))
        return False
    train_live.pause()
    return True


def _refused() -> bool:
    """Say, in one sentence, why the settings cannot work (without building anything)."""
    try:
        play.check_settings(settings, catalog.get_model(pretrained_name) if pretrained_name else None)
    except ValueError as err:
        st.error(_("These settings cannot be used: {reason}").format(reason=err))
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
        st.info(_("The task, cells, sizes, seed or starting model changed: press **Reset** to build new models "
                  "with them (the current ones go on training until then)."))
if pg is not None and st.session_state.get(PG) is pg:  # not rebuilt: hand over what can change while it runs
    live_settings = dataclasses.replace(settings, **{f: getattr(pg.settings, f) for f in play.MODEL_FIELDS})
    try:
        play.apply_settings(pg, live_settings, resume=train_live.wants_training())
    except ValueError as err:
        st.error(_("These settings cannot be used: {reason} Training goes on with the previous ones.").format(
            reason=err))
pg = st.session_state.get(PG)
if pg is None:
    st.stop()  # the first settings were refused; the sentence above says why


def _describe(values: dict) -> dict:
    held = values.get(PG)
    return {"models": len(held.runs), "steps": held.step} if held is not None else {}


sessions.hold((PG, OWNER, DOWNLOADS, USER_MODELS), _describe)  # a reload of this tab takes them over


# ------------------------------------------------------------------------------------------------
# controls


def _reset():
    train_live.pause()
    st.session_state[RESET] = True


# a row that wraps: on a narrow screen the caption goes under the buttons rather than squeezing their labels
row = controls.container(horizontal=True, vertical_alignment="center")
ticked = pg.settings.steps_per_tick
row.button(_("Play"), key="train_play", on_click=train_live.play, icon=":material/play_arrow:", type="primary",
           disabled=train_live.playing())
row.button(_("Pause"), key="train_pause", on_click=train_live.pause, icon=":material/pause:",
           disabled=not train_live.playing())
row.button(pgettext("button: train one chunk", "Step"), key="train_step", on_click=train_live.step,
           icon=":material/skip_next:",
           help=ngettext("One chunk: {n} step for every model.", "One chunk: {n} steps for every model.",
                         ticked).format(n=ticked))
row.button(_("Reset"), key="train_reset", on_click=_reset, icon=":material/restart_alt:",
           help=_("New models from the settings, at step 0."))
row.caption(ngettext("Models: {models} on **{task}** (sequence length {seq_len}). Each tick trains {n} step per model.",
                     "Models: {models} on **{task}** (sequence length {seq_len}). Each tick trains {n} steps per "
                     "model.", ticked).format(models=listed(run.label for run in pg.runs), task=pg.task.name,
                                              seq_len=pg.runs[0].state.settings.seq_len, n=ticked), width=360)

train_live.show(PG, draw_charts)  # the status row, training while playing, the charts

# ------------------------------------------------------------------------------------------------
# keeping the result


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


st.subheader(_("Keep the result"))
st.caption(_("Keep copies of the models as they are now: they open in Inspect, Compare and Gradients during this "
             "session, and download as weights (safetensors) plus metadata (JSON) that "
             "`explorer.zoo.load_checkpoint(weights, meta)` loads back."))
if st.button(_("Keep the trained models"), key="train_keep", icon=":material/bookmark_add:"):
    kept = st.session_state.setdefault(USER_MODELS, {})
    for run in pg.runs:
        name, model = play.finished_model(pg, run)
        kept[name] = model
        st.session_state[DOWNLOADS][name] = zoo.to_bytes(model)
    st.success(_("Kept {models} at step {step}.").format(models=listed(run.label for run in pg.runs), step=pg.step))
for name, (weights, meta) in st.session_state[DOWNLOADS].items():
    cols = st.columns([3, 2, 2])
    cols[0].markdown(f"**{name}**")
    cols[1].download_button(_("Weights (.safetensors)"), weights, file_name=f"{_slug(name)}.safetensors",
                            mime="application/octet-stream", key=f"train_dl_weights_{_slug(name)}",
                            icon=":material/download:", on_click="ignore")
    cols[2].download_button(_("Metadata (.json)"), meta, file_name=f"{_slug(name)}.json", mime="application/json",
                            key=f"train_dl_meta_{_slug(name)}", icon=":material/download:", on_click="ignore")

course.lesson_links(__file__)
