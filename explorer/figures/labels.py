"""How figures name what they show: characters, steps, quantities, and the step axis.

Every view labels a step by the character read ("step 12 “a”"), escapes the user's text the same
way, names a quantity the same way ("forget gate f") and reduces a long text to the columns a
browser can show (the mean over neighbouring steps; the caller offers a window at full
resolution). The helpers for all of that live here, so each builder module only draws.
Pure functions; nothing here calls streamlit.
"""
from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go

from explorer.i18n import N_, _, pgettext

MAX_CELLS = 128_000  # float32 heatmap cells per figure: a JSON the browser draws without a pause
MAX_COLUMNS = 1000  # no screen shows more steps than this side by side
UNIT_TICKS = 16  # at most this many unit labels down a heatmap: each costs drawing time, and the hover names every unit
MAX_STEP_TICKS = 80  # labelled steps along an axis: more overlap at the usual width
EXCERPT = 12  # characters of a binned column's text quoted in its hover
QUANTITY_NAMES = {  # English, marked for the catalogue: quantity_name translates them
    "hidden": N_("hidden state h"), "cell": N_("cell state c"), "i": N_("input gate i"), "f": N_("forget gate f"),
    "g": N_("candidate g"), "o": N_("output gate o"), "r": N_("reset gate r"), "z": N_("update gate z"),
    "n": N_("candidate n"), "pre": N_("pre-activation a"), "cand": N_("candidate h̃"),  # minGRU, minLSTM
}
LN2 = math.log(2.0)  # losses are in nats (Trace.loss); figures show bits, loss / LN2


# ---------------------------------------------------------------------------------------------
# characters and names


def char_label(ch: str) -> str:
    """A character as a tick or hover label: whitespace made visible, markup characters escaped."""
    visible = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}.get(ch, ch)
    return html.escape(visible, quote=False)


def entity(ch: str) -> str:
    """A character safe both as HTML and inside st.markdown: letters, digits and spaces as they
    are, everything else as a numeric entity (so <, &, *, _, $, \\ are never markup)."""
    return ch if ch.isalnum() or ch == " " else f"&#{ord(ch)};"


def escape_all(text: str) -> str:
    """A whole text made safe as HTML and Markdown, character by character (`entity`)."""
    return "".join(entity(c) for c in text)


def token_level(tokens) -> bool:
    """Whether the steps are a token model's words or subwords (explorer.engine.vocab.Tokens), not characters:
    the figures then say "token" where they say "character"."""
    return bool(getattr(tokens, "token_level", False))


def step_axis_title(tokens) -> str:
    """The step axis's title: "step (character read)", or "step (token read)" for a token model."""
    return _("step (token read)") if token_level(tokens) else _("step (character read)")


def quantity_name(quantity: str) -> str:
    return _(QUANTITY_NAMES[quantity]) if quantity in QUANTITY_NAMES else quantity


def quantity_symbol(quantity: str) -> str:
    """A quantity as short as a colour bar's title or a hover line: the gate letters as they are, the
    three quantities whose key is a word in the current language."""
    words = {"hidden": pgettext("quantity, short", "hidden"), "cell": pgettext("quantity, short", "cell"),
             "pre": pgettext("quantity, short", "pre")}
    return words.get(quantity, quantity)


def strings(values) -> np.ndarray:
    """Labels for a figure as a numpy object array: plotly checks a Python list item by item, a
    numpy array at once."""
    return np.array(list(values), dtype=object)


# ---------------------------------------------------------------------------------------------
# the step axis


class TokenLabels(list):
    """step_labels of a token model: the axis they label is titled "step (token read)"."""

    token_level = True


def step_labels(tokens, start: int, steps: int) -> list[str]:
    """The characters (or a token model's tokens) read at steps start .. start + steps - 1, as labels ("?"
    without tokens)."""
    chars = list(tokens[start:start + steps]) if tokens is not None else ["?"] * steps
    labels = [char_label(c) for c in chars]
    return TokenLabels(labels) if token_level(tokens) else labels


def step_categories(labels: list[str], start: int = 0, edges: np.ndarray | None = None) -> tuple[list[str], list[str]]:
    """The x categories of a chart over steps and the tick label of each. One per step,
    "step 12 “a”", labelled with its character; or, given `edges` from bin_columns, one per bin,
    "steps 12–15 “abcd”" (its first EXCERPT characters), labelled with its first character.
    `labels` are step_labels from step `start` on."""
    if edges is None:
        one = _("step {step} “{char}”")
        return [one.format(step=start + t, char=label) for t, label in enumerate(labels)], labels
    excerpts = ["".join(labels[a:min(b, a + EXCERPT)]) + ("…" if b - a > EXCERPT else "")
                for a, b in zip(edges, edges[1:])]
    many = _("steps {first}–{last} “{text}”")
    categories = [many.format(first=a + start, last=b - 1 + start, text=text)
                  for a, b, text in zip(edges, edges[1:], excerpts)]
    ticks = [labels[a] for a in edges[:-1]]
    return categories, TokenLabels(ticks) if token_level(labels) else ticks


def category_axis(categories: list[str], tick_labels: list[str], title: str | None = None) -> dict:
    """An axis over steps whose categories are `categories` ("step 12 “a”"); at most about
    MAX_STEP_TICKS of them are labelled, each with its entry of `tick_labels` (the character).
    `title` defaults to "step (character read)" in the current language, "step (token read)" where the
    labels are a token model's (step_labels)."""
    idx = range(0, len(categories), max(1, math.ceil(len(categories) / MAX_STEP_TICKS)))
    return dict(type="category", tickmode="array", tickvals=strings(categories[i] for i in idx),
                ticktext=strings(tick_labels[i] for i in idx), tickangle=0,
                title=dict(text=step_axis_title(tick_labels) if title is None else title))


def category_ticks(fig: go.Figure, categories: list[str], tick_labels: list[str], axis: str = "xaxis",
                    title: str | None = None):
    """Set the figure's `axis` to `category_axis(categories, tick_labels, title)`, in place."""
    fig.update_layout({axis: category_axis(categories, tick_labels, title)})


# ---------------------------------------------------------------------------------------------
# how many steps a heatmap shows


def full_resolution_steps(hidden_size: int) -> int:
    """How many steps of a [T, hidden_size] heatmap fit on screen at full resolution."""
    return min(MAX_COLUMNS, MAX_CELLS // max(1, hidden_size))


def bin_columns(values: np.ndarray, max_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean over runs of neighbouring steps so at most `max_columns` remain.
    `values` [T, ...] -> (binned [B, ...], first step of each bin [B+1] as edges)."""
    steps = values.shape[0]
    width = max(1, math.ceil(steps / max_columns))
    edges = np.arange(0, steps, width)
    edges = np.append(edges, steps)
    counts = np.diff(edges).reshape((-1,) + (1,) * (values.ndim - 1))  # steps in each bin
    return np.add.reduceat(values, edges[:-1], axis=0) / counts, edges
