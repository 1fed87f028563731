"""The sidebar's choices of what to look at: one model, a set of models, which states and gates."""
from __future__ import annotations

import streamlit as st

from explorer import figures
from explorer.app import catalog
from explorer.app.urlstate import keep_across_pages, keep_in_range, param_default
from explorer.i18n import N_, _

DEFAULT_MODEL = "english-lstm"
# The best English writer: Generate opens on it. Inspect keeps DEFAULT_MODEL, the course's LSTM, which
# compares with the same-size and parameter-matched SimpleRNN and GRU and shows 128 units at a glance.
WRITER = "english-lstm-512"
# Find units opens on the models with quote and bracket units: first the one with both at |r| 0.8 or more on the
# page's sample, then the clearest bracket-depth unit, then the clearest string unit, then the model of the whole
# source.
UNIT_MODELS = ("python-code-lstm-stateful-long", "python-code-lstm-stateful", "python-code-lstm", "python-lstm")
MODEL_SETS = {
    "same": ("english-rnn", "english-gru", "english-lstm"),  # same hidden size (128), same training budget
    "matched": ("english-rnn-matched", "english-gru-matched", "english-lstm"),  # about the same parameter count
    "parallel": ("english-gru", "english-mingru", "english-minlstm"),  # the GRU and its two parallel cousins, matched
}
SET_LABELS = {"same": N_("same size (128 units)"), "matched": N_("parameter-matched"),
              "parallel": N_("GRU, minGRU, minLSTM"), "custom": N_("choose…")}
MAX_SET = 3


def writer(names: list[str]) -> str:
    """The model Generate opens on: WRITER when it is here, else DEFAULT_MODEL, else the first."""
    return next((n for n in (WRITER, DEFAULT_MODEL) if n in names), names[0] if names else DEFAULT_MODEL)


def units_model(names: list[str]) -> str | None:
    """The model Find units opens on: the first of UNIT_MODELS that is here (None: the picker's own default)."""
    return next((n for n in UNIT_MODELS if n in names), None)


def model_picker(names: list[str], *, key: str = "model", default: str | None = None) -> str:
    """The sidebar's model picker (shared by the pages that read text), bound to ?model=; `default` (one of
    `names`) when neither the address nor an earlier page chose one, else DEFAULT_MODEL."""
    default = default if default in names else DEFAULT_MODEL if DEFAULT_MODEL in names else names[0]
    keep_across_pages(key)  # a model that came from a link would otherwise be dropped by the next page's picker
    param_default(key, default, valid=lambda v: v in names, what=_("not a text model here"))
    keep_in_range(key, names, default)
    labels = {n: catalog.describe_model(n) for n in names}  # worked out now, while this session's models are at hand
    return st.sidebar.selectbox(_("Model"), names, key=key, persist_state="session",
                                format_func=lambda n: labels.get(n, n),
                                help=_("Pretrained character models (their metrics are on the Home page), then "
                                       "the ones you trained or uploaded in this session."))


def model_set_picker(*, key: str = "set", models_key: str = "models") -> tuple[str, list[str]]:
    """The sidebar's choice of two or three models to compare, bound to ?set= (same, matched,
    custom) and, for a custom set, ?models=a,b,c. Missing models (not built yet, still training)
    are left out with a note. Returns (set name, model names in picker order)."""
    offered = catalog.picker_models()
    param_default(key, "same", valid=lambda v: v in SET_LABELS, what=", ".join(SET_LABELS))
    keep_across_pages(key)  # Compare and Gradients share the choice
    choice = st.sidebar.radio(_("Models"), list(SET_LABELS), key=key, persist_state="session",
                              format_func=lambda s: _(SET_LABELS[s]),
                              help=_("same size: SimpleRNN, GRU and LSTM with 128 units each, trained for the same "
                                     "number of steps. parameter-matched: a wider SimpleRNN and GRU with about as "
                                     "many parameters as the LSTM. GRU, minGRU, minLSTM: the GRU beside the two "
                                     "parallel cells (gates read only the input), each with about its parameters."))
    if choice == "custom":
        fallback = [n for n in MODEL_SETS["same"] if n in offered] or offered[:MAX_SET]
        param_default(models_key, fallback, parse=lambda v: [n for n in v.split(",") if n],
                      valid=lambda v: 0 < len(v) <= MAX_SET and all(n in offered for n in v),
                      what=_("1 to {n} comma-separated model names from this app").format(n=MAX_SET))
        st.session_state[models_key] = [n for n in st.session_state[models_key] if n in offered] or fallback
        keep_across_pages(models_key)
        labels = {n: catalog.describe_model(n) for n in offered}
        chosen = st.sidebar.multiselect(_("Pick up to three"), offered, key=models_key, persist_state="session",
                                        max_selections=MAX_SET, format_func=lambda n: labels.get(n, n))
        return choice, list(chosen)
    wanted = MODEL_SETS[choice]
    missing = [n for n in wanted if n not in offered]
    if missing:
        st.info(_("Not built yet (or still training): {models}; showing the others. Build with `{command}`.")
                .format(models=", ".join(missing), command=f"python -m explorer.zoo build {missing[0]}"))
    return choice, [n for n in wanted if n in offered]


def quantity_choice(quantities: list[str], default: list[str], *, key: str = "heatmaps") -> list[str]:
    """Which states and gates to draw, from ?KEY=hidden,f or `default`, without any this model lacks
    (a choice remembered from another model). Call before the URL is written; draw with quantity_pills."""
    param_default(key, default, parse=lambda v: [q for q in v.split(",") if q],
                  valid=lambda v: all(q in quantities for q in v),
                  what=_("a comma-separated list of {names}").format(names=", ".join(quantities)))
    st.session_state[key] = [q for q in st.session_state[key] if q in quantities]
    return st.session_state[key]


def quantity_pills(quantities: list[str], *, key: str = "heatmaps", label: str | None = None) -> list[str]:
    """The pills that pick the states and gates drawn (bound to `key`, set up by quantity_choice)."""
    return st.pills(label or _("Heatmaps"), quantities, selection_mode="multi", key=key, persist_state="session",
                    format_func=figures.quantity_name)


def step_window(steps: int, hidden_size: int, *, key: str, label: str, help: str) -> tuple[int, int]:
    """The steps [start, stop) drawn at full resolution: all of them when they fit on screen,
    otherwise a slider bound to `key` (a remembered window that no longer fits is dropped)."""
    window = figures.full_resolution_steps(hidden_size)
    if steps <= window:
        return 0, steps
    remembered = st.session_state.get(key)
    if remembered is not None and not (0 <= remembered[0] < remembered[1] <= steps):
        del st.session_state[key]
    start, stop = st.slider(label, 0, steps, value=(0, window), key=key, help=help.format(window=window))
    if stop - start > window:
        st.warning(_("Showing {window} steps at a time; the window was cut to steps {start}–{stop}.")
                   .format(window=window, start=start, stop=start + window))
        stop = start + window
    if stop <= start:
        stop = min(steps, start + 1)
    return start, stop
