"""What the pages share: the zoo and its caches, the model picker, the view in the URL.

The only module of explorer/ that imports streamlit. Pretrained models are cached with
st.cache_resource (read-only: eval mode, no gradients, never trained or changed); traces and
samples with st.cache_data (each caller gets its own copy).

RNN_EXPLORER_ZOO_DIR points the app at another folder of pretrained models (the tests use a
folder of tiny random ones); by default it reads pretrained/.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
import torch
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from . import analysis, figures, house, intervene, panels, zoo
from .generate import Generated, sample
from .grads import bptt, recurrent_spectrum
from .trace import Trace, trace

ZOO_ENV = "RNN_EXPLORER_ZOO_DIR"
TEXT_TASKS = ("english", "python")
DEFAULT_MODEL = "english-lstm"
MAX_TEXT = 5000  # characters traced; the rest of what was typed stays in the box
MAX_URL_TEXT = 2000  # characters carried in a link; longer text is left out of the URL
WRITTEN = "_url_written"  # session_state: the query parameters this app last wrote
NO_MODELS = "No pretrained models found; build them with `python -m explorer.zoo build --all`."
DEFAULT_TEXT = {
    "english": "And he said unto them, Behold (the everlasting covenant) is with Mahershalalhashbaz; fear not.",
    "python": 'def scale(values, factor=2):\n    label = "scaled"\n    return [factor * (v + 1) for v in values]',
}
DEFAULT_PROMPT = {"english": "And he said, ", "python": "def "}


def zoo_dir() -> Path | None:
    value = os.environ.get(ZOO_ENV)
    return Path(value) if value else None


def _directory_key() -> str:
    return str(zoo_dir() or zoo.ZOO_DIR)


def available() -> list[str]:
    try:
        return zoo.available(zoo_dir())
    except OSError:
        return []


def info(name: str) -> dict:
    return _info(name, _directory_key())


@st.cache_data(show_spinner=False, max_entries=64, ttl=60)
def _info(name: str, directory: str) -> dict:
    return zoo.info(name, Path(directory))


def text_models() -> list[str]:
    """Pretrained character language models (English or Python), in zoo order."""
    names = []
    for name in available():
        try:
            if info(name).get("task") in TEXT_TASKS:
                names.append(name)
        except ValueError:
            continue  # a damaged metadata file: leave it out of the picker
    return names


def summary_rows() -> list[dict]:
    try:
        return zoo.summary_rows(zoo_dir())
    except (ValueError, KeyError, OSError):
        return []


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _load(name: str, directory: str):
    return zoo.load(name, Path(directory))  # eval mode, gradients off: safe to share


def load_model(name: str):
    return _load(name, _directory_key())


def default_text(name: str) -> str:
    return DEFAULT_TEXT.get(model_info(name).get("task"), DEFAULT_TEXT["english"])


def model_text(names: list[str], name: str, *, label: str, height: int = 100, key: str = "text") -> str:
    """A page's text box, bound to ?text=; a model's default sentence follows the model while it is untouched."""
    defaults = {default_text(n) for n in names}
    param_default(key, default_text(name))
    if st.session_state[key] in defaults:
        st.session_state[key] = default_text(name)
    return st.text_area(label, key=key, persist_state="session", height=height)


def default_prompt(name: str) -> str:
    return DEFAULT_PROMPT.get(model_info(name).get("task"), DEFAULT_PROMPT["english"])


@st.cache_data(show_spinner=False, max_entries=16)
def _trace(name: str, directory: str, text: str, k: int) -> Trace:
    return trace(_load(name, directory), text, k=k)


def trace_text(name: str, text: str, k: int = 5) -> Trace:
    """explorer.trace of a pretrained model on text, cached per (model, text)."""
    return _trace(name, _directory_key(), text, k)


@st.cache_data(show_spinner=False, max_entries=16)
def _sample(name: str, directory: str, prompt: str, length: int, temperature: float, seed: int) -> Generated:
    return sample(_load(name, directory), prompt, length=length, temperature=temperature, seed=seed)


def generate_text(name: str, prompt: str, *, length: int, temperature: float, seed: int) -> Generated:
    return _sample(name, _directory_key(), prompt, length, temperature, seed)


# ---------------------------------------------------------------------------------------------
# the view in the URL: read once per session into session_state, written back every run


def param_default(key: str, default, *, parse=str, valid=None, what: str = "") -> None:
    """Initialise st.session_state[key] from ?key=... in the URL, or `default`: once per
    session, and again whenever the URL carries a value this app did not write there (a link
    from another page, an edited address). A value that does not parse or is not `valid` falls
    back to the default (or the current value) with a warning."""
    raw = st.query_params.get(key)
    if key in st.session_state:
        if raw is None or raw == st.session_state.get(WRITTEN, {}).get(key):
            return
        default = st.session_state[key]  # a bad value in a new link keeps the current view
    value = default
    if raw is not None:
        try:
            parsed = parse(raw)
            ok = valid(parsed) if valid is not None else True
        except (TypeError, ValueError):
            ok = False
        if ok:
            value = parsed
        else:
            shown = raw if len(raw) <= 40 else raw[:40] + "…"
            st.warning(f"The link's {key}={shown!r} is not valid{' (' + what + ')' if what else ''}; "
                       f"showing {default!r} instead.")
    st.session_state[key] = value


def keep_in_range(key: str, options, default) -> None:
    """Reset a remembered choice that the current model does not offer (before its widget is drawn)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def set_url(**values) -> None:
    """The view as query parameters, so a copied link reproduces it (None leaves a key out)."""
    params = {k: str(v) for k, v in values.items() if v is not None}
    st.session_state[WRITTEN] = {**st.session_state.get(WRITTEN, {}), **params}
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def model_picker(names: list[str], *, key: str = "model") -> str:
    """The sidebar's model picker (shared by the pages that read text), bound to ?model=."""
    default = DEFAULT_MODEL if DEFAULT_MODEL in names else names[0]
    keep_across_pages(key)  # a model that came from a link would otherwise be dropped by the next page's picker
    param_default(key, default, valid=lambda v: v in names, what="not a text model here")
    keep_in_range(key, names, default)
    labels = {n: describe_model(n) for n in names}  # worked out now, while this session's models are at hand
    return st.sidebar.selectbox("Model", names, key=key, persist_state="session",
                                format_func=lambda n: labels.get(n, n),
                                help="Pretrained character models (their metrics are on the Home page), then "
                                     "the ones you trained or uploaded in this session.")


def limited_text(text: str, limit: int = MAX_TEXT) -> str:
    """The part of `text` that is traced; says so when the rest is left out."""
    if len(text) > limit:
        st.warning(f"The text has {len(text):,} characters; only the first {limit:,} are traced "
                   "(your full text stays in the box).")
        return text[:limit]
    return text


def warn_unknown(unknown) -> None:
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:12]) + (" …" if len(unknown) > 12 else "")
        st.warning(f"The model's vocabulary lacks {shown}; "
                   f"{'it is' if len(unknown) == 1 else 'they are'} read as the unknown token.")


# ---------------------------------------------------------------------------------------------
# models the user trained on the Train page: listed after the pretrained ones, labelled "yours"

USER_MODELS = "user_models"  # session_state: {display name: RNNModel in eval mode}, from the Train and Your model pages
YOURS = "yours: "  # prefix of a user model's name in the pickers (and in links)


def is_user_model(name: str) -> bool:
    return name.startswith(YOURS)


def user_models() -> dict:
    """This session's trained or uploaded models that read characters, keyed by their picker name."""
    kept = st.session_state.get(USER_MODELS) or {}
    return {YOURS + name: model for name, model in kept.items() if getattr(model, "vocab", None) is not None}


def picker_models() -> list[str]:
    """What the model pickers offer: the pretrained text models, then this session's own ("yours: ...")."""
    return text_models() + list(user_models())


def _user_model(name: str):
    model = user_models().get(name)
    if model is None:
        raise ValueError(f"{name[len(YOURS):]!r} is no longer among the models you trained or uploaded in this session")
    return model


def model_info(name: str) -> dict:
    """Metadata of a pretrained or user model (task, cell, config, parameters, metrics)."""
    if is_user_model(name):
        model = _user_model(name)
        meta = dict(getattr(model, "meta", {}) or {})
        meta.setdefault("cell", model.config.cell)
        meta.setdefault("config", model.config.to_dict())
        meta.setdefault("parameters", model.num_parameters())
        return meta
    return info(name)


def describe_model(name: str) -> str:
    """A picker label: name, cell and size; user models say they are yours."""
    try:
        meta = model_info(name)
    except ValueError:
        return name
    hidden = meta.get("config", {}).get("hidden_size", "?")
    shown = f"{name[len(YOURS):]} (yours" if is_user_model(name) else f"{name} ("
    sep = ", " if is_user_model(name) else ""
    return f"{shown}{sep}{str(meta.get('cell', '?')).upper()}, {hidden} units)"


def get_model(name: str):
    """A pretrained model (cached, shared, read-only) or one of this session's own."""
    return _user_model(name) if is_user_model(name) else load_model(name)


def trace_any(name: str, text: str, k: int = 5) -> Trace:
    """trace_text for pretrained models (cached); this session's own models are traced directly
    (they are this session's, so they never go into a cache shared between sessions)."""
    if is_user_model(name):
        return trace(_user_model(name), text, k=k)
    return trace_text(name, text, k)


def generate_any(name: str, prompt: str, *, length: int, temperature: float, seed: int) -> Generated:
    """generate_text for pretrained models (cached); this session's own are sampled directly."""
    if is_user_model(name):
        return sample(_user_model(name), prompt, length=length, temperature=temperature, seed=seed)
    return generate_text(name, prompt, length=length, temperature=temperature, seed=seed)


def headless(names) -> list[str]:
    """The uploaded models among `names` that came without a head (explorer.byom): they make
    no next-character guesses, so a page shows their states, gates and gradients only."""
    return [n for n in names if is_user_model(n) and not model_info(n).get("has_head", True)]


def note_headless(names, consequence: str) -> None:
    """One sentence naming the headless models among `names` and what this page does about them."""
    bare = headless(names)
    if bare:
        shown = ", ".join(n[len(YOURS):] for n in bare)
        st.info(f"{shown} came without a head (no output layer was uploaded), so {consequence}")


# ---------------------------------------------------------------------------------------------
# a set of models side by side (Compare, Gradients)

MODEL_SETS = {
    "same": ("english-rnn", "english-gru", "english-lstm"),  # same hidden size (128), same training budget
    "matched": ("english-rnn-matched", "english-gru-matched", "english-lstm"),  # about the same parameter count
}
SET_LABELS = {"same": "same size (128 units)", "matched": "parameter-matched", "custom": "choose…"}
MAX_SET = 3


def model_set_picker(*, key: str = "set", models_key: str = "models") -> tuple[str, list[str]]:
    """The sidebar's choice of two or three models to compare, bound to ?set= (same, matched,
    custom) and, for a custom set, ?models=a,b,c. Missing models (not built yet, still training)
    are left out with a note. Returns (set name, model names in picker order)."""
    offered = picker_models()
    param_default(key, "same", valid=lambda v: v in SET_LABELS, what=", ".join(SET_LABELS))
    keep_across_pages(key)  # Compare and Gradients share the choice
    choice = st.sidebar.radio("Models", list(SET_LABELS), key=key, persist_state="session",
                              format_func=SET_LABELS.get,
                              help="same size: SimpleRNN, GRU and LSTM with 128 units each, trained for the same "
                                   "number of steps. parameter-matched: a wider SimpleRNN and GRU with about as "
                                   "many parameters as the LSTM.")
    if choice == "custom":
        fallback = [n for n in MODEL_SETS["same"] if n in offered] or offered[:MAX_SET]
        param_default(models_key, fallback, parse=lambda v: [n for n in v.split(",") if n],
                      valid=lambda v: 0 < len(v) <= MAX_SET and all(n in offered for n in v),
                      what=f"1 to {MAX_SET} comma-separated model names from this app")
        st.session_state[models_key] = [n for n in st.session_state[models_key] if n in offered] or fallback
        keep_across_pages(models_key)
        labels = {n: describe_model(n) for n in offered}
        chosen = st.sidebar.multiselect("Pick up to three", offered, key=models_key, persist_state="session",
                                        max_selections=MAX_SET, format_func=lambda n: labels.get(n, n))
        return choice, list(chosen)
    wanted = MODEL_SETS[choice]
    missing = [n for n in wanted if n not in offered]
    if missing:
        st.info(f"Not built yet (or still training): {', '.join(missing)}; showing the others. "
                f"Build with `python -m explorer.zoo build {missing[0]}`.")
    return choice, [n for n in wanted if n in offered]


def model_parameters(name: str) -> int | None:
    try:
        return int(get_model(name).num_parameters())
    except (ValueError, OSError):
        return None


@st.cache_data(show_spinner=False, max_entries=16)
def _gradients(name: str, directory: str, text: str, loss):
    return bptt(_load(name, directory), text, loss=loss)


def gradients(name: str, text: str, *, loss="last"):
    """explorer.bptt of a model on text, cached for pretrained models."""
    if is_user_model(name):
        return bptt(_user_model(name), text, loss=loss)
    return _gradients(name, _directory_key(), text, loss)


@st.cache_data(show_spinner=False, max_entries=16)
def _jacobian(name: str, directory: str, text: str, jacobian_chars: int) -> dict:
    return analysis.jacobian_through_time(_load(name, directory), text, jacobian_chars=jacobian_chars)


def jacobian(name: str, text: str, *, jacobian_chars: int = analysis.JACOBIAN_CHARS) -> dict:
    """analysis.jacobian_through_time (||dh_T/dh_t||_F over the last steps), cached for pretrained models.
    Apart from `gradients`, so a page can draw the gradients while the Jacobian (H backward passes) runs."""
    if is_user_model(name):
        return analysis.jacobian_through_time(_user_model(name), text, jacobian_chars=jacobian_chars)
    return _jacobian(name, _directory_key(), text, jacobian_chars)


@st.cache_data(show_spinner=False, max_entries=32)
def _saliency(name: str, directory: str, text: str, step: int):
    return bptt(_load(name, directory), text, loss=step).saliency


def saliency(name: str, text: str, step: int):
    """||dloss_step/dx_t|| for every t: explorer.bptt(model, text, loss=step).saliency."""
    if is_user_model(name):
        return bptt(_user_model(name), text, loss=step).saliency
    return _saliency(name, _directory_key(), text, step)


def each_model(work, names, *, expected=(ValueError, OSError)) -> dict:
    """{name: work(name)} for several models at once, one thread each: torch lets go of the
    interpreter between operations, so three models' gradients take about the slowest one's time
    on two cores, not the sum. A model whose work raises one of `expected` maps to that error
    (the page says so and goes on with the others); anything else is raised here, on the page's
    own thread, Streamlit's stop and rerun signals included."""
    context, threads = get_script_run_ctx(), torch.get_num_threads()
    outcome = {}

    def run(name):
        torch.set_num_threads(threads)  # a new thread would start from torch's default (every core)
        try:
            outcome[name] = work(name)
        except expected as err:
            outcome[name] = err
        except BaseException as err:  # noqa: BLE001 - carried to the caller's thread and raised there
            outcome[name] = _Failed(err)

    workers = [threading.Thread(target=run, args=(name,), daemon=True) for name in names]
    for worker in workers:
        add_script_run_ctx(worker, context)  # the caches and session state of this run
        worker.start()
    for worker in workers:
        worker.join()
    for value in outcome.values():
        if isinstance(value, _Failed):
            raise value.error
    return {name: outcome[name] for name in names}


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


@st.cache_data(show_spinner=False, max_entries=16)
def _spectrum(name: str, directory: str) -> list[dict]:
    return recurrent_spectrum(_load(name, directory).rnn)


def spectrum(name: str) -> list[dict]:
    """explorer.grads.recurrent_spectrum of a model's recurrent weights, cached for pretrained models
    (their weights never change; a model trained in this session is measured each time)."""
    if is_user_model(name):
        return recurrent_spectrum(_user_model(name).rnn)
    return _spectrum(name, _directory_key())


@st.cache_data(show_spinner=False, max_entries=16)
def _spectra_figure(names: tuple, titles: tuple, directory: str) -> dict:
    return panels.side_by_side([figures.spectrum_figure(rows=_spectrum(name, directory), title=title)
                                for name, title in zip(names, titles)]).to_dict()


def spectra_figure(names: list[str], titles: list[str]) -> go.Figure:
    """The models' spectra side by side, a panel each titled `titles`. It does not depend on the text,
    so for pretrained models it is built once and kept as a dict (a figure rebuilt from its dict
    takes a fifth of the time of building it)."""
    if any(is_user_model(name) for name in names):
        return panels.side_by_side([figures.spectrum_figure(rows=spectrum(name), title=title)
                                    for name, title in zip(names, titles)])
    return go.Figure(_spectra_figure(tuple(names), tuple(titles), _directory_key()))


def keep_across_pages(key: str) -> None:
    """Carry a value typed on another page into this page's widget with the same key (a widget on
    another page is another widget; writing the value back makes this one adopt it)."""
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]


# ---------------------------------------------------------------------------------------------
# direct links on a fresh server

FRAMED = "_framed_by_app"  # session_state: app.py has run around this session's pages
RESUME = "_resume_page"  # session_state: (page, query params) to go back to once app.py has run


def mark_framed() -> None:
    """Called by app.py on every run, before it runs the page."""
    st.session_state[FRAMED] = True


def require_frame(page: str) -> None:
    """Make sure app.py frames this page (layout, one torch thread, shared sidebar).

    Until some session on a server has called st.navigation, Streamlit routes a direct link
    such as /inspect?text=... to pages/inspect.py through its legacy pages/ directory rule,
    skipping app.py. Then this page hands its address to app.py, which runs st.navigation
    (switching the whole server to it) and sends the user straight back, parameters intact."""
    if st.session_state.get(FRAMED):
        return
    params = st.query_params.to_dict()
    st.session_state[RESUME] = (page, params)
    st.switch_page("app.py", query_params=params)


def resume_page() -> None:
    """In app.py, after st.navigation: finish a redirect that require_frame started."""
    resume = st.session_state.pop(RESUME, None)
    if resume is not None:
        page, params = resume
        st.switch_page(page, query_params=params)


def text_to_read(text: str, limit: int = MAX_TEXT, *, url: dict, what: str) -> str:
    """The part of a page's text that is read: an empty box stops the page with a request to type
    (the view still goes into the URL), whitespace and over-long text get their notes."""
    if not text:
        set_url(**url)
        st.info(f"Type some text above to see {what}.")
        st.stop()
    note_whitespace(text)
    return limited_text(text, limit)


def note_whitespace(text: str) -> None:
    """Only spaces and line breaks: the model reads them, but the user probably meant to type."""
    if text and not text.strip():
        st.info("The text is only spaces, tabs or line breaks. The model reads those too (tabs as the unknown "
                "token), but type some words to see something interesting.")


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
        st.warning(f"Showing {window} steps at a time; the window was cut to steps {start}–{start + window}.")
        stop = start + window
    if stop <= start:
        stop = min(steps, start + 1)
    return start, stop


def quantity_choice(quantities: list[str], default: list[str], *, key: str = "heatmaps") -> list[str]:
    """Which states and gates to draw, from ?KEY=hidden,f or `default`, without any this model lacks
    (a choice remembered from another model). Call before the URL is written; draw with quantity_pills."""
    param_default(key, default, parse=lambda v: [q for q in v.split(",") if q],
                  valid=lambda v: all(q in quantities for q in v),
                  what="a comma-separated list of " + ", ".join(quantities))
    st.session_state[key] = [q for q in st.session_state[key] if q in quantities]
    return st.session_state[key]


def quantity_pills(quantities: list[str], *, key: str = "heatmaps", label: str = "Heatmaps") -> list[str]:
    """The pills that pick the states and gates drawn (bound to `key`, set up by quantity_choice)."""
    return st.pills(label, quantities, selection_mode="multi", key=key, persist_state="session",
                    format_func=figures.quantity_name)


@st.cache_data(show_spinner=False, max_entries=8)  # a 2,000-step comparison pickles to about 20 MB
def _compare(name: str, directory: str, text: str, changes: tuple) -> intervene.Comparison:
    return intervene.compare(_load(name, directory), text, changes)


def intervene_compare(name: str, text: str, changes) -> intervene.Comparison:
    """intervene.compare, cached per (pretrained model, text, changes): the changes are frozen
    dataclasses, so they key the cache. This session's own models are run directly (never cached)."""
    if is_user_model(name):
        return intervene.compare(_user_model(name), text, changes)
    return _compare(name, _directory_key(), text, tuple(changes))


def markup(text: str, where=None) -> None:
    """Markup made by the figure builders (coloured text: spans with inline styles and hover titles;
    static charts: positioned elements), put into the page as it is. st.markdown would first parse it as Markdown
    with HTML, which for a 200-character text cost the browser more than the spans themselves."""
    (where or st).html(text)


class _Spec(go.Figure):
    """A figure already in the form the browser gets (house.house_spec), for st.plotly_chart, which
    asks a go.Figure for nothing but to_dict(). Building a real go.Figure from the spec, which
    Streamlit then copies, took a third of Inspect's server time; this hands the spec over as is."""

    def __init__(self, spec: dict):  # BaseFigure.__init__ skipped on purpose: nothing else is read
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def plot(fig, *, key: str, where=None, **kwargs) -> None:
    """Draw a figure in the house look, in `where` (a column or container; default the page).
    house.house_spec prepares it so that the browser draws it once, not twice, and skips an
    unchanged one; Streamlit's own chart theme is off (it would restyle a copy and draw again)."""
    (where or st).plotly_chart(_Spec(house.house_spec(fig)), key=key, theme=None, **kwargs)
