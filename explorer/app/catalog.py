"""Which models a page can show: the pretrained zoo on disk, then this session's own.

A model is named the same way everywhere (pickers, links, caches): a pretrained model by its zoo
name, one the user trained or uploaded in this session by YOURS + its name. `model_info` and
`get_model` are the one way to reach either kind.

Pretrained models are cached with st.cache_resource: they are read-only (eval mode, no
gradients, never trained or changed), so every session can share them. This session's own
models live in its st.session_state and never go into a cache shared between sessions.

RNN_EXPLORER_ZOO_DIR points the app at another folder of pretrained models (the tests use a
folder of tiny random ones); by default it reads pretrained/.
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from explorer import zoo
from explorer.app import draw
from explorer.engine.models import MIN_CELLS
from explorer.i18n import N_, _
from explorer.training.settings import CELL_TITLES

ZOO_ENV = "RNN_EXPLORER_ZOO_DIR"
TEXT_TASKS = ("english", "python", "python-code", "poetry")  # the tasks whose models read any typed text
# The zoo's task and metric names, as the sidecar files store them, in words for the pages
TASK_NAMES = {"english": N_("English prose"), "python": N_("Python source"), "python-code": N_("Python code"),
              "poetry": N_("Chinese poetry"),
              "adding": N_("adding problem"), "brackets": N_("bracket depth"), "sentiment": N_("sentiment"),
              "count": N_("counting down"), "series": N_("time series"), "dates": N_("dates in words")}
METRIC_NAMES = {"bits/char": N_("bits/char"), "accuracy": N_("accuracy"), "exact match": N_("exact match"),
                "MSE": "MSE"}


def task_name(task) -> str:
    return _(TASK_NAMES[task]) if task in TASK_NAMES else str(task)


def metric_name(metric) -> str:
    return _(METRIC_NAMES[metric]) if metric in METRIC_NAMES else str(metric)


def cell_name(cell) -> str:
    """A cell as pickers and tables name it: RNN, GRU, LSTM, JORDAN, and minGRU, minLSTM as Feng et al. (2024)
    write them (in capitals they would read as another cell)."""
    return CELL_TITLES[cell] if cell in MIN_CELLS else str(cell).upper()


USER_MODELS = "user_models"  # session_state: {name: model in eval mode}, from the Train and Your model pages
YOURS = "yours: "  # prefix of a user model's name in the pickers (and in links)


def zoo_dir() -> Path | None:
    value = os.environ.get(ZOO_ENV)
    return Path(value) if value else None


def zoo_key() -> str:
    """The zoo folder as a cache key: tests and deployments may point the app at another one."""
    return str(zoo_dir() or zoo.ZOO_DIR)


def available() -> list[str]:
    """The pretrained models on disk, in zoo order."""
    try:
        return zoo.available(zoo_dir())
    except OSError:
        return []


def summary_rows() -> list[dict]:
    try:
        return zoo.summary_rows(zoo_dir())
    except (ValueError, KeyError, OSError):
        return []


@st.cache_data(show_spinner=False, max_entries=64, ttl=60)
def _pretrained_info(name: str, directory: str) -> dict:
    return zoo.info(name, Path(directory))


def load_pretrained(name: str, directory: str):
    """A pretrained model from `directory`, shared by every session: eval mode, gradients off."""
    with st.spinner(_("Loading the model…"), show_time=False):
        return _load_pretrained(name, directory)


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_pretrained(name: str, directory: str):
    return zoo.load(name, Path(directory))


def is_user_model(name: str) -> bool:
    return name.startswith(YOURS)


def user_models() -> dict:
    """This session's trained or uploaded models that read characters, keyed by their picker name."""
    kept = st.session_state.get(USER_MODELS) or {}
    return {YOURS + name: model for name, model in kept.items() if getattr(model, "vocab", None) is not None}


def _text_models() -> list[str]:
    """Pretrained character language models (English or Python), in zoo order."""
    names = []
    for name in available():
        try:
            if model_info(name).get("task") in TEXT_TASKS:
                names.append(name)
        except ValueError:
            continue  # a damaged metadata file: leave it out of the picker
    return names


def picker_models() -> list[str]:
    """What the model pickers offer: the pretrained text models, then this session's own ("yours: ...")."""
    return _text_models() + list(user_models())


def get_model(name: str):
    """A pretrained model (cached, shared, read-only) or one of this session's own."""
    if not is_user_model(name):
        return load_pretrained(name, zoo_key())
    model = user_models().get(name)
    if model is None:
        raise ValueError(_("{name} is no longer among the models you trained or uploaded in this session")
                         .format(name=repr(name[len(YOURS):])))
    return model


def model_info(name: str) -> dict:
    """Metadata of a pretrained or user model (task, cell, config, parameters, metrics)."""
    if not is_user_model(name):
        return _pretrained_info(name, zoo_key())
    model = get_model(name)
    meta = dict(getattr(model, "meta", {}) or {})
    meta.setdefault("cell", model.config.cell)
    meta.setdefault("config", model.config.to_dict())
    meta.setdefault("parameters", model.num_parameters())
    return meta


def describe_model(name: str) -> str:
    """A picker label: name, cell and size; user models say they are yours."""
    try:
        meta = model_info(name)
    except ValueError:
        return name
    hidden = meta.get("config", {}).get("hidden_size", "?")
    cell = cell_name(meta.get("cell", "?"))
    if is_user_model(name):
        return _("{name} (yours, {cell}, {hidden} units)").format(name=name[len(YOURS):], cell=cell, hidden=hidden)
    return _("{name} ({cell}, {hidden} units)").format(name=name, cell=cell, hidden=hidden)


def headless(names) -> list[str]:
    """The uploaded models among `names` that came without a head (explorer.zoo.your_model): they make
    no next-character guesses, so a page shows their states, gates and gradients only."""
    return [n for n in names if is_user_model(n) and not model_info(n).get("has_head", True)]


def note_headless(names, consequence: str) -> None:
    """One sentence naming the headless models among `names` and what this page does about them."""
    bare = headless(names)
    if bare:
        shown = draw.plain(", ".join(n[len(YOURS):] for n in bare))  # names the user chose
        st.info(_("{models} came without a head (no output layer was uploaded), so {consequence}")
                .format(models=shown, consequence=consequence))
