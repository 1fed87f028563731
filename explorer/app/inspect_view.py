"""What the Inspect page opens on and draws first: its short sentence, the unit that colours the text,
the panels of its step-by-step figure, and the one sentence on what to look at.

A lesson link (explorer/app/course.py) picks the panels with ?show=: the LSTM lesson the gates and the
cell state, the Elman lesson the hidden state, the many-to-many lesson the guesses and the surprise.
Without one, Inspect opens on the model's gates and the state they keep.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explorer import figures
from explorer.analysis import highlights, internals, known_units, units
from explorer.app import catalog, textbox
from explorer.app.urlstate import keep_across_pages, param_default
from explorer.engine.trace import SIGMOID_GATES, Trace
from explorer.figures import panels
from explorer.i18n import N_, _

SENTENCE = textbox.SHORT_TEXT  # Inspect opens on a short text: every character labels its column
GUESSES, SURPRISE = "guesses", "surprise"  # the panels that are not a state or a gate
PANEL_NAMES = {GUESSES: N_("top guesses"), SURPRISE: N_("surprise")}  # translated where shown
# The unit orders, as the page's radio names them; the URL and session_state keep the keys.
ORDERS = {"similarity": N_("similarity"), "variance": N_("variance"), "activity": N_("activity"), "index": N_("index")}
QUANTITY_PANELS = ("hidden", "cell", "i", "f", "g", "o", "r", "z", "n", "cand", "pre")
UNIT_DEFAULT = "_inspect_unit_default"  # session_state: the (layer, dir, unit, color) the page last chose itself
PANELS_DEFAULT = "_inspect_panels_default"  # session_state: the panels the page last chose itself
# The plotting height of each heatmap when the figure has this many: four share a first screen of 800 pixels
# with the title, the text box and the sentence.
PLOT_HEIGHT = {1: 220, 2: 110, 3: 70}
SHORT_PLOT = 60  # the least panels.stack gives a panel
HEATMAP_MARGINS = 100  # state_heatmap's top and bottom margins, which panels.stack replaces
PANEL_GAP = 18  # between stacked panels: room for the characters under each one


def sentence(name: str) -> str:
    return SENTENCE.get(catalog.model_info(name).get("task"), SENTENCE["english"])


def text_box(names: list[str], name: str) -> str:
    """Inspect's text, bound to the shared ?text=: the model's short sentence while untouched (another
    page's default sentence counts as untouched too). A sentence applies on Enter; Python source gets
    several lines and an Apply button."""
    untouched = {sentence(n) for n in names} | {textbox.default_text(n) for n in names}
    param_default("text", sentence(name))
    if st.session_state["text"] in untouched:
        st.session_state["text"] = sentence(name)
    keep_across_pages("text")  # a text box that turns into a text area (a Python model) keeps what was typed
    multiline = textbox.reads_code(name) or "\n" in st.session_state["text"]
    return textbox.text_box(_("Text (press Enter to read it)") if not multiline else _("Text (Apply to read it)"),
                            key="text", multiline=multiline, height=100)


# -- the unit that colours the text --


def listed_unit(name: str, tr: Trace) -> dict | None:
    """The model's first listed unit (its sidecar's "units") if this trace has it, else None."""
    for row in known_units.listed_units(catalog.model_info(name))[:1]:
        quantities = ["hidden"] + (["cell"] if tr.cell is not None else []) + list(tr.gates)
        if (row["quantity"] in quantities and row["layer"] < tr.num_layers and row["direction"] < tr.num_directions
                and row["unit"] < tr.hidden_size):
            return row
    return None


def unit_defaults(name: str, tr: Trace) -> tuple[dict, dict | None]:
    """(layer, dir, unit, color) to open on: the model's listed unit, or else the hidden unit of layer 0
    that varies most over this text; and the listed row (None for the fallback)."""
    row = listed_unit(name, tr)
    if row is not None:
        return {"layer": row["layer"], "dir": row["direction"], "unit": row["unit"], "color": row["quantity"]}, row
    unit = known_units.most_varying_unit(tr.hidden[0, 0])
    return {"layer": 0, "dir": 0, "unit": unit, "color": "hidden"}, None


def follow_defaults(defaults: dict, memory: str = UNIT_DEFAULT) -> None:
    """Move the keys of `defaults` (layer, dir, unit and colour; or the panels shown) to this model's defaults
    while they still hold the ones the page chose for the model before, kept under `memory` (the student has
    not picked their own). Call before param_default."""
    before = st.session_state.get(memory)
    if before is not None and all(st.session_state.get(k) == v for k, v in before.items()):
        for key, value in defaults.items():
            st.session_state[key] = value
    st.session_state[memory] = dict(defaults)


def keep_panels(offered: list[str], default: list[str]) -> None:
    """Drop the panels this model does not have (a GRU has no forget gate); if that leaves none of a
    choice that had some, show the model's default panels instead of an empty page."""
    chosen = st.session_state["show"]
    kept = [q for q in chosen if q in offered]
    st.session_state["show"] = kept if kept or not chosen else default


def unit_caption(row: dict | None, shown: dict, quantity_name: str, fallback: dict) -> str:
    """The caption under the coloured text: what the unit is known to track when it is the model's listed
    one, or that it is the most varying one when the model lists none (`fallback`: unit_defaults')."""
    listed = row is not None and shown == {"layer": row["layer"], "dir": row["direction"], "unit": row["unit"],
                                           "color": row["quantity"]}
    if listed:
        return _("The text coloured by {unit}.").format(unit=known_units.unit_sentence(row))
    if row is None and shown == fallback:
        said = _("The text coloured by unit {unit} of {where} ({quantity}): of the hidden units, the one that varies "
                 "most over this text.")
    else:
        said = _("The text coloured by unit {unit} of {where} ({quantity}).")
    return said.format(unit=shown["unit"], where=layer_name(shown["layer"], shown["dir"]), quantity=quantity_name)


def layer_name(layer: int, direction: int) -> str:
    """"layer 1", or "layer 1 backward" for the backward direction of a bidirectional net."""
    return (_("layer {layer} backward") if direction else _("layer {layer}")).format(layer=layer)


def direction_name(direction: int) -> str:
    return _("backward") if direction else _("forward")


def order_name(how: str) -> str:
    return _(ORDERS[how]) if how in ORDERS else how


# -- the step-by-step panels --


def panel_options(tr: Trace) -> list[str]:
    """The panels the figure can show, top to bottom: guesses and surprise (a model with a head), the
    gates (the LSTM's forget gate first), the cell state, the hidden state."""
    options = ([GUESSES] if tr.topk_labels is not None else []) + ([SURPRISE] if tr.loss is not None else [])
    gates = list(tr.gates)
    if "f" in gates:
        gates = ["f"] + [g for g in gates if g != "f"]
    return options + gates + (["cell"] if tr.cell is not None else []) + ["hidden"]


def default_panels(tr: Trace) -> list[str]:
    """The gates and the state they keep: LSTM f, i, o and c; GRU z, r and h; a simple RNN h."""
    if tr.cell is not None:
        return ["f", "i", "o", "cell"]
    if "z" in tr.gates:
        return ["z", "r", "hidden"]
    return ["hidden"]


def panel_name(panel: str) -> str:
    return _(PANEL_NAMES[panel]) if panel in PANEL_NAMES else figures.quantity_name(panel)


def unit_order(values: dict[str, np.ndarray], show: list[str], how: str) -> np.ndarray:
    """One display order for every heatmap. similarity: over the heatmaps shown, each standardized so
    that a gate counts as much as the wider cell state (units that move together in all of them sit
    together); activity and variance: of the hidden state; index: 0..H-1."""
    shown = [q for q in show if q in values] or ["hidden"]
    if how != "similarity":
        return internals.order_units(values["hidden"], how)
    return internals.order_units(np.concatenate([units.standardize(values[q]) for q in shown]), how)


def order_note(show: list[str], how: str) -> str:
    shown = [q for q in show if q in QUANTITY_PANELS] or ["hidden"]
    if how == "similarity":
        if len(shown) > 1:
            return _("Units ordered by similarity of the heatmaps shown, the same order in every heatmap.")
        return _("Units ordered by similarity of {quantity}, the same order in every heatmap.").format(
            quantity=figures.quantity_name(shown[0]))
    if how == "variance":
        return _("Units ordered by variance of the hidden state, the same order in every heatmap.")
    if how == "activity":
        return _("Units ordered by activity of the hidden state, the same order in every heatmap.")
    return _("Units in index order, the same in every heatmap.")


def stepwise_figure(tr: Trace, values: dict[str, np.ndarray], show: list[str], *, start: int, stop: int,
                    unit_order: np.ndarray, layer: int, direction: int, flow_units: list[int]) -> go.Figure | None:
    """The chosen panels stacked on one time axis, in panel_options' order, short enough that four
    heatmaps share a first screen, with the characters under every panel. `values` are [T, H] windows."""
    where = layer_name(layer, direction)
    heatmaps = [q for q in show if q in values]
    plot_height = PLOT_HEIGHT.get(len(heatmaps), SHORT_PLOT)
    figs = []
    for panel in [p for p in panel_options(tr) if p in show]:
        if panel == GUESSES:
            figs.append(figures.topk_figure(tokens=tr.tokens, topk_labels=tr.topk_labels[start:stop],
                                            topk_probs=tr.topk_probs[start:stop], start=start))
        elif panel == SURPRISE:
            figs.append(figures.loss_strip(tokens=tr.tokens, loss=tr.loss[start:stop], start=start))
        else:
            fig = figures.state_heatmap(values=values[panel], tokens=tr.tokens, quantity=panel, start=start,
                                        unit_order=unit_order, height=plot_height + HEATMAP_MARGINS,
                                        title=_("{quantity}, {where}").format(
                                            quantity=figures.quantity_name(panel), where=where))
            if plot_height < PLOT_HEIGHT[1]:  # room for a few unit labels; the hover names every unit
                fig.update_yaxes(nticks=3 if plot_height < PLOT_HEIGHT[3] else 5)
                fig.update_traces(colorbar_nticks=3)  # a short colour bar: its ends and its middle
            figs.append(fig)
    if flow_units:
        flow = {k: v[start:stop] for k, v in tr.cell_flow(layer, direction).items()}
        figs.append(figures.cell_flow_figure(flow=flow, units=flow_units, tokens=tr.tokens, start=start,
                                             layer=layer, direction=direction))
    if not figs:
        return None
    stacked = panels.stack(figs, gap=PANEL_GAP)
    stacked.update_xaxes(showticklabels=True)  # the characters under every panel, not only the first and last
    return stacked


def look_at(tr: Trace, values: dict[str, np.ndarray], show: list[str], *, start: int) -> str:
    """The sentence on what to look at, for what the figure shows: a keep gate (the LSTM's forget gate, the
    GRU's update gate), the guesses, another gate, or the state."""
    stop = start + next(iter(values.values())).shape[0]
    gates = [q for q in show if q in SIGMOID_GATES and q in values]
    if "f" in gates:
        said = highlights.forget_sentence(values["f"], tr.tokens, start)
    elif "z" in gates:
        said = highlights.update_sentence(values["z"], tr.tokens, start)
    elif (GUESSES in show or SURPRISE in show) and tr.loss is not None:
        said = highlights.surprise_sentence(tr.loss[start:stop], tr.tokens, tr.topk_labels[start:stop],
                                            tr.topk_probs[start:stop], start)
    elif gates:
        said = highlights.gate_sentence(figures.quantity_name(gates[0]), values[gates[0]], tr.tokens, start)
    else:
        quantity = next((q for q in show if q in ("hidden", "cell")), "hidden")
        said = highlights.state_sentence(values[quantity], tr.tokens, start, symbol="c" if quantity == "cell" else "h")
    return figures.labels.escape_all(said)
