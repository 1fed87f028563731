"""Inspect: a pretrained character model reads your text; every state and gate, step by step."""
import numpy as np
import streamlit as st

from explorer import figures
from explorer.analysis import internals
from explorer.app import caches, catalog, course, draw, frame, inspect_view, language, pickers, textbox, urlstate
from explorer.figures import diagram, house
from explorer.i18n import N_, _, ngettext, sentences

frame.require_frame(__file__)

st.title(_("Inspect"))

names = catalog.picker_models()
if not names:
    st.warning(_(textbox.NO_MODELS))
    st.stop()
name = pickers.model_picker(names)
catalog.note_headless([name], _("there are no next-token guesses or surprise here; its states and gates are exact."))

# -- the text: a short sentence, read again on Enter --
text = inspect_view.text_box(names, name)
url_view = {"model": name, "text": text if len(text) <= urlstate.MAX_URL_TEXT else None}
traced_text = textbox.text_to_read(text, url=url_view, what=_("the model read it"))
try:
    model = catalog.get_model(name)
    tr = caches.trace(name, traced_text)
except ValueError as err:
    urlstate.set_url(**url_view)
    st.error(_("Could not trace this text: {error}").format(error=err))
    st.stop()
textbox.warn_unknown(tr.unknown, model.vocab)
for note in tr.notes:  # how the trace differs from the module as given (half precision, dropout)
    st.caption(_("How it was traced: {note}.").format(note=note))
words = figures.labels.token_level(tr.tokens)  # a token model reads words: every sentence says "token"

# -- what to draw: the model's listed unit colours the text; the gates and the state they keep, by default --
layers, dirs, steps, size = tr.num_layers, tr.num_directions, tr.steps, tr.hidden_size
quantities = ["hidden"] + (["cell"] if tr.cell is not None else []) + list(tr.gates)
offered = inspect_view.panel_options(tr)
orders = list(inspect_view.ORDERS)
fallback, listed = inspect_view.unit_defaults(name, tr)
inspect_view.follow_defaults(fallback)
inspect_view.follow_defaults({"show": inspect_view.default_panels(tr)}, memory=inspect_view.PANELS_DEFAULT)
urlstate.param_default("layer", fallback["layer"], parse=int, valid=lambda v: 0 <= v < layers,
                       what=_("0 to {last}").format(last=layers - 1))
urlstate.param_default("dir", fallback["dir"], parse=int, valid=lambda v: 0 <= v < dirs,
                       what=_("0 to {last}").format(last=dirs - 1))
urlstate.param_default("unit", fallback["unit"], parse=int, valid=lambda v: 0 <= v < size,
                       what=_("0 to {last}").format(last=size - 1))
urlstate.param_default("order", "similarity", valid=lambda v: v in orders,
                       what=", ".join(f"`{o}`" for o in orders))  # the values a link may carry are code: untranslated
urlstate.param_default("color", fallback["color"], valid=lambda v: v in quantities,
                       what=", ".join(f"`{q}`" for q in quantities))
urlstate.param_default("show", inspect_view.default_panels(tr), parse=lambda v: [q for q in v.split(",") if q],
                       valid=lambda v: bool(v) and all(q in offered for q in v),
                       what=_("a comma-separated list of {panels}").format(panels=", ".join(f"`{q}`" for q in offered)))
urlstate.keep_in_range("layer", range(layers), 0)
urlstate.keep_in_range("dir", range(dirs), 0)
urlstate.keep_in_range("unit", range(size), fallback["unit"])
urlstate.keep_in_range("color", quantities, "hidden")
inspect_view.keep_panels(offered, inspect_view.default_panels(tr))

sentence = st.empty()  # filled once the figure is known: one sentence on what to look at in it
key = draw.key_figure()

# -- the choices, under the picture they change --
with st.container(border=True):
    pick = st.columns([3, 2]) if tr.cell is not None else [st.container()]
    show = pick[0].pills(_("Panels"), offered, selection_mode="multi", key="show", persist_state="session",
                         format_func=inspect_view.panel_name)
    flow_units = []
    if tr.cell is not None:
        urlstate.param_default("flow", [], parse=lambda v: [int(u) for u in v.split(",") if u],
                               valid=lambda v: len(v) <= 6 and all(0 <= u < size for u in v),
                               what=_("up to 6 comma-separated units from 0 to {last}").format(last=size - 1))
        st.session_state["flow"] = [u for u in st.session_state["flow"] if u < size]
        flow_units = pick[1].multiselect(_("Cell-state flow of units"), list(range(size)), key="flow",
                                         persist_state="session", max_selections=6,
                                         help=_("c_t split into what the forget gate kept and the input gate wrote"))
    cols = st.columns([1, 1, 1, 2.4, 1.3])
    layer = cols[0].selectbox(_("Layer"), range(layers), key="layer", persist_state="session", disabled=layers == 1)
    direction = cols[1].selectbox(_("Direction"), range(dirs), key="dir", persist_state="session",
                                  disabled=dirs == 1, format_func=inspect_view.direction_name)
    unit = cols[2].number_input(_("Unit"), min_value=0, max_value=size - 1, step=1, key="unit",
                                persist_state="session")
    order_by = cols[3].radio(_("Order units by"), orders, key="order", persist_state="session", horizontal=True,
                             format_func=inspect_view.order_name,
                             help=_("similarity: units that move together sit together; variance: most variable "
                                    "first; activity: mean |h|"))
    color_by = cols[4].selectbox(_("Colour text by"), quantities, key="color", persist_state="session",
                                 format_func=figures.quantity_name)
    # a window at full resolution for long text
    start, stop = pickers.step_window(steps, size, key="window", label=_("Steps shown at full resolution"),
                                      help=_("At most {window} steps at a time; the overview bins the whole text."))

values = {"hidden": tr.hidden[layer, direction]}
if tr.cell is not None:
    values["cell"] = tr.cell[layer, direction]
values.update({k: v[layer, direction] for k, v in tr.gates.items()})  # each [T, H]
window_values = {k: v[start:stop] for k, v in values.items()}
unit_order = inspect_view.unit_order(window_values, show, order_by)
stacked = inspect_view.stepwise_figure(tr, window_values, show, start=start, stop=stop, unit_order=unit_order,
                                       layer=layer, direction=direction, flow_units=flow_units)
shown_unit = {"layer": layer, "dir": direction, "unit": unit, "color": color_by}
with key:
    if stacked is not None:
        draw.plot(stacked, key="stack")
    draw.markup(figures.colored_text_html(tokens=tr.tokens, values=window_values[color_by][:, unit], quantity=color_by,
                                          unit=unit, start=start, scale_values=values[color_by][:, unit]))
    st.caption(inspect_view.unit_caption(listed, shown_unit, figures.quantity_name(color_by), fallback))
    st.caption(sentences([inspect_view.order_note(show, order_by) if stacked is not None else
                          _("Pick a panel below to draw it."),
                          _("Gates run from 0 (dark) to 1 (yellow); signed values from blue through white to red. "
                            "Hover for the token, step, unit and value; drag to zoom, double-click to zoom out.")
                          if words else
                          _("Gates run from 0 (dark) to 1 (yellow); signed values from blue through white to red. "
                            "Hover for the character, step, unit and value; drag to zoom, double-click to zoom out.")]))
draw.look_at(inspect_view.look_at(tr, window_values, show, start=start) if show else
             _("Pick a panel below to see the model read the text."), where=sentence)
if (start, stop) != (0, steps):
    draw.plot(figures.state_heatmap(values=values["hidden"], tokens=tr.tokens, quantity="hidden", max_columns=250,
                                    title=_("Overview: {quantity}, the whole text").format(
                                        quantity=figures.quantity_name("hidden"))),
              key="overview")
# The figures to download, by a key that names their files; the picker shows their names translated.
FIGURE_NAMES = {"step by step (all panels)": N_("step by step (all panels)"), "saturation": N_("saturation")}
figs = {"step by step (all panels)": stacked} if stacked is not None else {}

gates = internals.sigmoid_gates(values)
if gates:
    st.subheader(_("Gate saturation"))
    saturation_title = ngettext("Gate saturation over this text ({steps} step), layer {layer}",
                                "Gate saturation over this text ({steps} steps), layer {layer}",
                                steps).format(steps=steps, layer=layer)
    draw.markup(figures.saturation_html(gates=gates, title=saturation_title))  # hover a dot for its unit
    figs["saturation"] = figures.saturation_figure(gates=gates, title=saturation_title)  # for the downloads
    st.caption(_("Karpathy, Johnson & Fei-Fei (2015), fig. 3: units near the top left are almost always open "
                 "(they remember); near the bottom right, almost always shut."))

# -- the network unrolled over the first steps (drawn only when asked: one more chart to draw) --
urlstate.param_default("unrolled", False, parse=lambda v: bool(["0", "1"].index(v)), what=_("0 or 1"))
if st.toggle(_("Show the network unrolled over the first steps of this text"), key="unrolled",
             persist_state="session"):
    draw.plot(diagram.unrolled(model.config, steps=min(tr.steps, 4), tokens=tr.tokens,
                               notation=language.notation()), key="diagram")

# -- the equations at one step --
st.subheader(_("The step equation, with its numbers"))
urlstate.param_default("step", min(steps - 1, 5), parse=int, valid=lambda v: 0 <= v < steps,
                       what=_("0 to {last}").format(last=steps - 1))
urlstate.keep_in_range("step", range(steps), steps - 1)
step = st.number_input(_("Step (0–{last})").format(last=steps - 1), min_value=0, max_value=steps - 1, step=1,
                       key="step", persist_state="session")
shown_token = draw.plain if words else figures.char_label  # a word can hold markup a character cannot open
reading = {"unit": unit, "layer": layer, "step": step, "char": shown_token(tr.tokens[step])}
if tr.loss is not None and np.isfinite(tr.loss[step]):
    reading_next = (_("Unit {unit} of layer {layer} at step {step}, reading “{char}”; the next token, “{next}”, then "
                      "cost {bits:.2f} bits.") if words else
                    _("Unit {unit} of layer {layer} at step {step}, reading “{char}”; the next character, “{next}”, "
                      "then cost {bits:.2f} bits."))
    st.caption(reading_next.format(**reading, next=shown_token(tr.tokens[step + 1]),
                                   bits=tr.loss[step] / np.log(2)))
else:
    st.caption(_("Unit {unit} of layer {layer} at step {step}, reading “{char}”.").format(**reading))
if direction:
    st.caption(_("Backward direction: the “previous” state h_{t-1} (and c_{t-1}) is the one after reading x_{t+1}."))
try:
    lines = figures.equation_latex(internals.equation_values(model, tr, layer=layer, direction=direction,
                                                            step=step, unit=unit), notation=language.notation())
    st.latex(r"\begin{gathered}" + r" \\[0.4em] ".join(lines) + r"\end{gathered}")  # one block: typeset once
except ValueError as err:
    st.info(str(err))

urlstate.set_url(model=name, text=url_view["text"], layer=layer, dir=direction, unit=unit, order=order_by,
                 color=color_by, show=",".join(show), step=step, unrolled=int(st.session_state["unrolled"]) or None,
                 flow=",".join(map(str, flow_units)) or None)
if url_view["text"] is None:
    st.caption(_("This text is longer than {limit:,} characters, so a link to this view does not carry it.")
               .format(limit=urlstate.MAX_URL_TEXT))

# -- downloads --
st.subheader(_("Downloads"))
dl = st.columns(3)
dl[0].download_button(_("Trace (NPZ)"), data=lambda: internals.trace_npz(tr), file_name=f"{name}-trace.npz",
                      mime="application/octet-stream", on_click="ignore", key="download_trace")
dl[1].download_button(_("Layer {layer} as CSV (long format)").format(layer=layer),
                      data=lambda: internals.trace_csv(tr, layer=layer, direction=direction)[0],
                      file_name=f"{name}-layer{layer}.csv",
                      mime="text/csv", on_click="ignore", key="download_csv",
                      help=_("layer, direction, step, char, unit, quantity, value; at most 500,000 rows"))
chosen = dl[2].selectbox(_("Figure"), list(figs), key="download_figure", label_visibility="collapsed",
                         format_func=lambda k: _(FIGURE_NAMES[k]))
if chosen:
    stem = f"{name}-{chosen}".replace(" ", "-").replace(":", "").replace("·", "").replace("(", "").replace(")", "")
    shown_name = _(FIGURE_NAMES[chosen])
    if house.can_export_png():  # made only when clicked: a PNG takes a second or two
        dl[2].download_button(_("“{figure}” as PNG").format(figure=shown_name), key="download_png",
                              data=lambda: house.figure_png(figs[chosen]), file_name=f"{stem}.png", mime="image/png",
                              on_click="ignore")
    dl[2].download_button(_("“{figure}” as HTML").format(figure=shown_name), key="download_html",
                          data=lambda: house.figure_html(figs[chosen]), file_name=f"{stem}.html", mime="text/html",
                          on_click="ignore",
                          help=_("A standalone interactive page that opens offline.") if house.can_export_png() else
                          _("A standalone interactive page that opens offline (PNG needs kaleido and a Chromium "
                            "here)."))

course.lesson_links(__file__)
