"""The library's computations on a named model, cached where that is safe.

Each public function takes a model name (explorer.app.catalog): a pretrained model's result is
kept with st.cache_data (each caller gets its own copy; the model never changes), keyed by the
model, the zoo folder and the arguments; this session's own models are computed directly, so
nothing of theirs goes into a cache shared between sessions.
"""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

import explorer
from explorer import figures, i18n
from explorer.analysis import internals, intervene
from explorer.app import catalog
from explorer.engine.generate import Generated, sample
from explorer.engine.grads import recurrent_spectrum
from explorer.engine.trace import Trace
from explorer.figures import panels


def _on(name: str, cached, work, *args):
    """cached(name, zoo folder, *args) for a pretrained model; work(model, *args) for this session's own."""
    if catalog.is_user_model(name):
        return work(catalog.get_model(name), *args)
    return cached(name, catalog.zoo_key(), *args)


def _pretrained(name: str, directory: str):
    return catalog.load_pretrained(name, directory)


def _trace(model, text: str, k: int) -> Trace:
    return explorer.trace(model, text, k=k)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_trace(name: str, directory: str, text: str, k: int) -> Trace:
    return _trace(_pretrained(name, directory), text, k)


def trace(name: str, text: str, k: int = 5) -> Trace:
    """explorer.trace of a model on text (top-k guesses included)."""
    return _on(name, _cached_trace, _trace, text, k)


def _generate(model, prompt: str, length: int, temperature: float, seed: int) -> Generated:
    return sample(model, prompt, length=length, temperature=temperature, seed=seed)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_generate(name: str, directory: str, prompt: str, length: int, temperature: float, seed: int) -> Generated:
    return _generate(_pretrained(name, directory), prompt, length, temperature, seed)


def generate(name: str, prompt: str, *, length: int, temperature: float, seed: int) -> Generated:
    """explorer.engine.generate.sample: a prompt, then `length` characters written one at a time."""
    return _on(name, _cached_generate, _generate, prompt, length, temperature, seed)


def _gradients(model, text: str, loss):
    return explorer.bptt(model, text, loss=loss)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_gradients(name: str, directory: str, text: str, loss):
    return _gradients(_pretrained(name, directory), text, loss)


def gradients(name: str, text: str, *, loss="last"):
    """explorer.bptt of a model on text."""
    return _on(name, _cached_gradients, _gradients, text, loss)


def _jacobian(model, text: str, jacobian_chars: int) -> dict:
    return internals.jacobian_through_time(model, text, jacobian_chars=jacobian_chars)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_jacobian(name: str, directory: str, text: str, jacobian_chars: int) -> dict:
    return _jacobian(_pretrained(name, directory), text, jacobian_chars)


def jacobian(name: str, text: str, *, jacobian_chars: int = internals.JACOBIAN_CHARS) -> dict:
    """internals.jacobian_through_time (||dh_T/dh_t||_F over the last steps). Apart from `gradients`,
    so a page can draw the gradients while the Jacobian (H backward passes) runs."""
    return _on(name, _cached_jacobian, _jacobian, text, jacobian_chars)


def _saliency(model, text: str, step: int):
    return explorer.bptt(model, text, loss=step).saliency


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_saliency(name: str, directory: str, text: str, step: int):
    return _saliency(_pretrained(name, directory), text, step)


def saliency(name: str, text: str, step: int):
    """||dloss_step/dx_t|| for every t: explorer.bptt(model, text, loss=step).saliency."""
    return _on(name, _cached_saliency, _saliency, text, step)


def _spectrum(model) -> list[dict]:
    return recurrent_spectrum(model.rnn)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_spectrum(name: str, directory: str) -> list[dict]:
    return _spectrum(_pretrained(name, directory))


def spectrum(name: str) -> list[dict]:
    """explorer.engine.grads.recurrent_spectrum of a model's recurrent weights (a trained model of this
    session is measured each time: its weights change)."""
    return _on(name, _cached_spectrum, _spectrum)


@st.cache_data(show_spinner=False, max_entries=16)
def _spectra_figure(names: tuple, titles: tuple, directory: str, notation: str, lang: str) -> dict:
    with i18n.use(lang):  # the figure's words: the language is part of the key
        return panels.side_by_side([figures.spectrum_figure(rows=_cached_spectrum(name, directory), title=title,
                                                            notation=notation)
                                    for name, title in zip(names, titles)]).to_dict()


def spectra_figure(names: list[str], titles: list[str], *, notation: str) -> go.Figure:
    """The models' spectra side by side, a panel each titled `titles`. It does not depend on the text,
    so for pretrained models it is built once per language and notation and kept as a dict (rebuilding a
    figure from its dict is much cheaper than building it)."""
    if any(catalog.is_user_model(name) for name in names):
        return panels.side_by_side([figures.spectrum_figure(rows=spectrum(name), title=title, notation=notation)
                                    for name, title in zip(names, titles)])
    return go.Figure(_spectra_figure(tuple(names), tuple(titles), catalog.zoo_key(), notation, i18n.current()))


def _compare(model, text: str, changes) -> intervene.Comparison:
    return intervene.compare(model, text, changes)


@st.cache_data(show_spinner=False, max_entries=8)  # a long comparison is tens of MB: keep few
def _cached_compare(name: str, directory: str, text: str, changes: tuple) -> intervene.Comparison:
    return _compare(_pretrained(name, directory), text, changes)


def intervene_compare(name: str, text: str, changes) -> intervene.Comparison:
    """intervene.compare; the changes are frozen dataclasses, so they key the cache."""
    return _on(name, _cached_compare, _compare, text, tuple(changes))
