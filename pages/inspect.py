"""Inspect: a pretrained character model reads your text; every state and gate, step by step."""
import numpy as np
import streamlit as st

from explorer import figures
from explorer.analysis import internals
from explorer.app import caches, catalog, draw, frame, pickers, textbox, urlstate
from explorer.figures import diagram, house, panels

frame.require_frame(__file__)

st.title("Inspect")
st.caption("Type a sentence; the model reads it one character at a time. Time runs left to right, units top to bottom.")

names = catalog.picker_models()
if not names:
    st.warning(textbox.NO_MODELS)
    st.stop()
name = pickers.model_picker(names)
catalog.note_headless([name], "there are no next-character guesses or surprise here; its states and gates are exact.")

# -- the text (a model's default sentence follows the model while it is untouched) --
defaults = {textbox.default_text(n) for n in names}
urlstate.param_default("text", textbox.default_text(name))
if st.session_state["text"] in defaults:
    st.session_state["text"] = textbox.default_text(name)
text = st.text_area(f"Text (up to {textbox.MAX_TEXT:,} characters are traced)", key="text", persist_state="session",
                    height=100)

url_view = {"model": name, "text": text if len(text) <= urlstate.MAX_URL_TEXT else None}
traced_text = textbox.text_to_read(text, url=url_view, what="the model read it")
try:
    model = catalog.get_model(name)
    tr = caches.trace(name, traced_text)
except ValueError as err:
    urlstate.set_url(**url_view)
    st.error(f"Could not trace this text: {err}")
    st.stop()
textbox.warn_unknown(tr.unknown)

# -- which states to look at --
layers, dirs, steps, size = tr.num_layers, tr.num_directions, tr.steps, tr.hidden_size
quantities = ["hidden"] + (["cell"] if tr.cell is not None else []) + list(tr.gates)
orders = ["index", "activity", "variance", "similarity"]
urlstate.param_default("layer", 0, parse=int, valid=lambda v: 0 <= v < layers, what=f"0 to {layers - 1}")
urlstate.param_default("dir", 0, parse=int, valid=lambda v: 0 <= v < dirs, what=f"0 to {dirs - 1}")
urlstate.param_default("unit", 0, parse=int, valid=lambda v: 0 <= v < size, what=f"0 to {size - 1}")
urlstate.param_default("order", "index", valid=lambda v: v in orders, what=", ".join(orders))
urlstate.param_default("color", quantities[0], valid=lambda v: v in quantities, what=", ".join(quantities))
urlstate.keep_in_range("layer", range(layers), 0)
urlstate.keep_in_range("dir", range(dirs), 0)
urlstate.keep_in_range("unit", range(size), 0)
urlstate.keep_in_range("color", quantities, "hidden")

cols = st.columns([1, 1, 1, 2, 1.3])
layer = cols[0].selectbox("Layer", range(layers), key="layer", persist_state="session", disabled=layers == 1)
direction = cols[1].selectbox("Direction", range(dirs), key="dir", persist_state="session", disabled=dirs == 1,
                              format_func=lambda d: "backward" if d else "forward")
unit = cols[2].number_input("Unit", min_value=0, max_value=size - 1, step=1, key="unit", persist_state="session")
order_by = cols[3].radio("Order units by", orders, key="order", persist_state="session", horizontal=True,
                         help="activity: mean |h|; variance: most variable first; "
                              "similarity: units that move together sit together")
color_by = cols[4].selectbox("Colour text by", quantities, key="color", persist_state="session",
                             format_func=figures.quantity_name)

values = {"hidden": tr.hidden[layer, direction]}
if tr.cell is not None:
    values["cell"] = tr.cell[layer, direction]
values.update({k: v[layer, direction] for k, v in tr.gates.items()})  # each [T, H]

# -- a window at full resolution for long text --
start, stop = pickers.step_window(steps, size, key="window", label="Steps shown at full resolution",
                             help="At most {window} steps at a time; the overview below bins the whole text.")
if (start, stop) != (0, steps):
    overview = figures.state_heatmap(values=values["hidden"], tokens=tr.tokens, quantity="hidden", max_columns=250,
                                     title=f"Overview: {figures.quantity_name('hidden')}, the whole text")
    draw.plot(overview, key="overview")
window_values = {k: v[start:stop] for k, v in values.items()}

# -- the text, coloured by one unit --
st.subheader(f"Unit {unit}: {figures.quantity_name(color_by)}")
draw.markup(figures.colored_text_html(tokens=tr.tokens, values=window_values[color_by][:, unit], quantity=color_by,
                                    unit=unit, start=start, scale_values=values[color_by][:, unit]))
st.caption("Hover a character for its step and value. Gates run from 0 (dark) to 1 (yellow); "
           "signed values from blue (negative) through white to red (positive).")

# -- step by step: guesses, surprise, the chosen heatmaps and the cell-state flow, on one time axis --
st.subheader("Step by step")
second = "cell" if "cell" in values else [q for q in values if q != "hidden"][0] if len(values) > 1 else "hidden"
urlstate.param_default("show", ["hidden", second] if second != "hidden" else ["hidden"],
                 parse=lambda v: [q for q in v.split(",") if q],
                 valid=lambda v: bool(v) and all(q in values for q in v), what="a comma-separated list of "
                 + ", ".join(values))
st.session_state["show"] = [q for q in st.session_state["show"] if q in values]
pick = st.columns([3, 2]) if tr.cell is not None else [st.container()]
show = pick[0].pills("Heatmaps", list(values), selection_mode="multi", key="show", persist_state="session",
                     format_func=figures.quantity_name)
flow_units = []
if tr.cell is not None:
    urlstate.param_default("flow", [unit], parse=lambda v: [int(u) for u in v.split(",") if u],
                     valid=lambda v: 0 < len(v) <= 6 and all(0 <= u < size for u in v),
                     what=f"up to 6 comma-separated units from 0 to {size - 1}")
    st.session_state["flow"] = [u for u in st.session_state["flow"] if u < size] or [unit]
    flow_units = pick[1].multiselect("Cell-state flow of units", list(range(size)), key="flow",
                                     persist_state="session", max_selections=6,
                                     help="c_t split into what the forget gate kept and the input gate wrote")

figs = {}
if tr.topk_labels is not None:
    figs["top guesses"] = figures.topk_figure(tokens=tr.tokens, topk_labels=tr.topk_labels[start:stop],
                                              topk_probs=tr.topk_probs[start:stop], start=start)
if tr.loss is not None:
    figs["surprise"] = figures.loss_strip(tokens=tr.tokens, loss=tr.loss[start:stop], start=start)
unit_order = internals.order_units(window_values["hidden"], order_by)
for quantity in show:
    figs[quantity] = figures.state_heatmap(
        values=window_values[quantity], tokens=tr.tokens, quantity=quantity, unit_order=unit_order, start=start,
        title=f"{figures.quantity_name(quantity)}, layer {layer}{' backward' if direction else ''}")
if flow_units:
    flow = {k: v[start:stop] for k, v in tr.cell_flow(layer, direction).items()}
    figs["cell flow"] = figures.cell_flow_figure(flow=flow, units=flow_units, tokens=tr.tokens, start=start,
                                                 layer=layer, direction=direction)
# one figure: the browser draws it in one pass, and zooming one panel zooms them all
stacked = panels.stack(list(figs.values())) if figs else None
if stacked is not None:
    draw.plot(stacked, key="stack")
notes = [f"Units ordered by {order_by} of the hidden state (the same order in every heatmap)." if show else
         "Pick a state or gate above to draw its heatmap."]
if tr.cell is not None and not flow_units:
    notes.append("Pick a unit above to see its cell state flow.")
st.caption(" ".join(notes) + " Drag to zoom into steps; double-click to zoom out.")

gates = internals.sigmoid_gates(values)
if gates:
    st.subheader("Gate saturation")
    saturation_title = f"Gate saturation over this text ({steps} steps), layer {layer}"
    draw.markup(figures.saturation_html(gates=gates, title=saturation_title))  # hover a dot for its unit
    figs["saturation"] = figures.saturation_figure(gates=gates, title=saturation_title)  # for the downloads
    st.caption("Karpathy, Johnson & Fei-Fei (2015), fig. 3: units near the top left are almost always open "
               "(they remember); near the bottom right, almost always shut.")

# -- the network unrolled over the first steps (drawn only when asked: one more chart to draw) --
urlstate.param_default("unrolled", False, parse=lambda v: bool(["0", "1"].index(v)), what="0 or 1")
if st.toggle("Show the network unrolled over the first steps of this text", key="unrolled",
             persist_state="session"):
    draw.plot(diagram.unrolled(model.config, steps=min(tr.steps, 4), tokens=tr.tokens), key="diagram")

# -- the equations at one step --
st.subheader("The step equation, with its numbers")
urlstate.param_default("step", min(steps - 1, 5), parse=int, valid=lambda v: 0 <= v < steps, what=f"0 to {steps - 1}")
urlstate.keep_in_range("step", range(steps), steps - 1)
step = st.number_input(f"Step (0–{steps - 1})", min_value=0, max_value=steps - 1, step=1, key="step",
                       persist_state="session")
surprise = ""
if tr.loss is not None and np.isfinite(tr.loss[step]):
    surprise = (f"; the next character, “{figures.char_label(tr.tokens[step + 1])}”, then cost "
                f"{tr.loss[step] / np.log(2):.2f} bits")
st.caption(f"Unit {unit} of layer {layer} at step {step}, reading “{figures.char_label(tr.tokens[step])}”"
           f"{surprise}.")
if direction:
    st.caption("Backward direction: the “previous” state h_{t-1} (and c_{t-1}) is the one after reading x_{t+1}.")
try:
    lines = figures.equation_latex(internals.equation_values(model, tr, layer=layer, direction=direction,
                                                            step=step, unit=unit))
    st.latex(r"\begin{gathered}" + r" \\[0.4em] ".join(lines) + r"\end{gathered}")  # one block: typeset once
except ValueError as err:
    st.info(str(err))

urlstate.set_url(model=name, text=url_view["text"], layer=layer, dir=direction, unit=unit, order=order_by,
           color=color_by, show=",".join(show), step=step, unrolled=int(st.session_state["unrolled"]) or None,
           flow=",".join(map(str, st.session_state["flow"])) if tr.cell is not None else None)
if url_view["text"] is None:
    st.caption(f"This text is longer than {urlstate.MAX_URL_TEXT:,} characters, "
               f"so a link to this view does not carry it.")

# -- downloads --
st.subheader("Downloads")
dl = st.columns(3)
dl[0].download_button("Trace (NPZ)", data=lambda: internals.trace_npz(tr), file_name=f"{name}-trace.npz",
                      mime="application/octet-stream", on_click="ignore")
dl[1].download_button(f"Layer {layer} as CSV (long format)",
                      data=lambda: internals.trace_csv(tr, layer=layer, direction=direction)[0],
                      file_name=f"{name}-layer{layer}.csv",
                      mime="text/csv", on_click="ignore",
                      help="layer, direction, step, char, unit, quantity, value; at most 500,000 rows")
if stacked is not None:
    figs["step by step (all panels)"] = stacked
chosen = dl[2].selectbox("Figure", list(figs), key="download_figure", label_visibility="collapsed")
if chosen:
    stem = f"{name}-{chosen}".replace(" ", "-").replace(":", "").replace("·", "")
    if house.can_export_png():  # made only when clicked: a PNG takes a second or two
        dl[2].download_button(f"“{chosen}” as PNG", data=lambda: house.figure_png(figs[chosen]),
                              file_name=f"{stem}.png", mime="image/png", on_click="ignore")
    dl[2].download_button(f"“{chosen}” as HTML", data=lambda: house.figure_html(figs[chosen]),
                          file_name=f"{stem}.html", mime="text/html", on_click="ignore",
                          help="A standalone interactive page that opens offline"
                               + ("" if house.can_export_png() else " (PNG needs kaleido and a Chromium here)") + ".")
