"""Intervene: clamp a gate, ablate units or edit a character, and watch the guesses, the loss and
the downstream states change next to the unchanged run."""
import math

import streamlit as st

from explorer import figures
from explorer.analysis import intervene
from explorer.app import caches, catalog, course, draw, frame, pickers, textbox, urlstate

frame.require_frame(__file__)

MAX_STEPS = 2000  # the changed run is a Python loop over steps, twice per view: keep it interactive
KIND_LABELS = {"clamp": "clamp a gate", "ablate": "ablate units", "edit": "edit a character"}
DEFAULT_GATE = {"lstm": "f", "gru": "z"}  # the memory gate: 0 makes the cell forget (LSTM) or overwrite (GRU)
DEFAULT_FROM = 20  # start a little way in, so the steps before it show the two runs agreeing exactly
AUTO_STEP = "_intervene_auto_step"  # session_state: the guesses' step this page last chose by itself

st.title("Intervene")
st.caption("Change one thing inside the network while it reads, and compare with the unchanged run: the surprise "
           "at each next character, how far the hidden state moves, and the guesses. What to change is set below.")

names = catalog.picker_models()
if not names:
    st.warning(textbox.NO_MODELS)
    st.stop()
name = pickers.model_picker(names)

# -- the text --
text = textbox.model_text(names, name, label=f"Text (up to {MAX_STEPS:,} characters are read)", height=90)
url_text = text if len(text) <= urlstate.MAX_URL_TEXT else None
read = textbox.text_to_read(text, MAX_STEPS, url=dict(model=name, text=url_text), what="the model read it")
steps = len(read)
if steps < 2:
    urlstate.set_url(model=name, text=url_text)
    st.info("Type at least two characters: after a single one there is no next character to guess.")
    st.stop()
try:
    model = catalog.get_model(name)
except ValueError as err:
    urlstate.set_url(model=name, text=url_text)
    st.error(f"Could not load this model: {err}.")
    st.stop()
layers, size = model.rnn.num_layers, model.rnn.hidden_size
gates = intervene.clampable_gates(model)

key_area = st.container()  # the picture of what the change did, above the knobs that make it

# -- the intervention and its knobs (each bound to the URL) --
st.subheader("What to change")
kinds = (["clamp"] if gates else []) + ["ablate", "edit"]
urlstate.param_default("kind", kinds[0], valid=lambda v: v in KIND_LABELS, what=", ".join(KIND_LABELS))
urlstate.keep_in_range("kind", kinds, kinds[0])
kind = st.radio("Intervention", kinds, key="kind", persist_state="session", horizontal=True,
                format_func=KIND_LABELS.get,
                help="clamp: force a gate of chosen units to a value; ablate: force hidden (and cell) units to 0; "
                     "edit: replace one character of the text.")
if not gates:
    cell_name = intervene.CELL_NAMES[intervene.cell_type(model.rnn)]  # "a SimpleRNN"
    st.caption(f"{cell_name[0].upper()}{cell_name[1:]} has no gates to clamp: ablate units or edit a character.")

# two rows of three: six knobs in one row crowd a narrow page
cols = [*st.columns([1, 2, 2]), *(st.columns(3) if kind != "edit" else ())]
if kind in ("clamp", "ablate"):
    urlstate.param_default("layer", 0, parse=int, valid=lambda v: 0 <= v < layers, what=f"0 to {layers - 1}")
    urlstate.keep_in_range("layer", range(layers), 0)
    layer = cols[0].selectbox("Layer", range(layers), key="layer", persist_state="session", disabled=layers == 1)
    urlstate.param_default("units", "all")
    if not isinstance(st.session_state["units"], str):  # another page may keep a list of units under this key
        st.session_state["units"] = ",".join(map(str, st.session_state["units"])) or "all"
    units_text = cols[1].text_input("Units", key="units", persist_state="session",
                                    help=f"Unit numbers from 0 to {size - 1}, separated by commas (e.g. 12, 40), "
                                         "or all.")
    if kind == "clamp":
        urlstate.param_default("gate", DEFAULT_GATE.get(model.config.cell, gates[0]), valid=lambda v: v in gates,
                         what=", ".join(gates))
        urlstate.keep_in_range("gate", gates, DEFAULT_GATE.get(model.config.cell, gates[0]))
        gate = cols[2].selectbox("Gate", gates, key="gate", persist_state="session", format_func=figures.quantity_name)
        urlstate.param_default("value", 0.0, parse=float, valid=math.isfinite, what="a number")  # no nan or inf
        if not isinstance(st.session_state["value"], float):
            st.session_state["value"] = float(st.session_state["value"])
        value = cols[3].number_input("Clamp to", key="value", persist_state="session", step=0.1, format="%.2f",
                                     help="Sigmoid gates (i, f, o, r, z) lie in [0, 1]; candidates (g, n) in [-1, 1].")
    urlstate.param_default("from", min(DEFAULT_FROM, steps // 2), parse=int)  # a short text: from its middle
    urlstate.param_default("to", None, parse=lambda v: int(v) if v else None)
    first = cols[4].number_input("From step", key="from", persist_state="session", step=1)
    last = cols[5].number_input("To step", key="to", persist_state="session", step=1, placeholder="the end",
                                help="Leave empty to act until the end of the text.")
    start, stop = int(first), None if last is None else int(last) + 1
else:
    suggested = read.find("(") if "(" in read else steps // 2  # the model should then expect no ")"
    urlstate.param_default("pos", suggested, parse=int)
    urlstate.param_default("char", " ")
    position = cols[0].number_input("Position", key="pos", persist_state="session", step=1,
                                    help=f"Which character to replace: 0 to {steps - 1}.")
    char = cols[1].text_input("New character", key="char", persist_state="session",
                              help="One character the model knows (a space counts).")

if kind == "edit":
    knobs = {"pos": position, "char": char}
else:
    knobs = {"layer": layer, "units": units_text, "from": start, "to": None if stop is None else stop - 1}
    if kind == "clamp":
        knobs |= {"gate": gate, "value": f"{value:g}"}
url_view = {"model": name, "text": url_text, "kind": kind, **knobs}

# -- both runs --
try:
    if kind == "clamp":
        change = intervene.Clamp(gate=gate, units=intervene.parse_units(units_text, size), value=float(value),
                                 layer=layer, start=start, stop=stop)
    elif kind == "ablate":
        change = intervene.Ablate(units=intervene.parse_units(units_text, size), layer=layer, start=start, stop=stop)
    else:
        change = intervene.Edit(position=int(position), char=char)
    cmp = caches.intervene_compare(name, read, [change])
except ValueError as err:
    urlstate.set_url(**url_view)
    message = str(err)
    key_area.error(message[0].upper() + message[1:] + ".")
    st.stop()
textbox.warn_unknown(cmp.original.unknown)
catalog.note_headless([name], "this page compares its hidden states only.")

# -- what changed: the surprise per character (or, for a model without guesses, how far the state moved) --
first_changed = cmp.first_changed_step()
tokens, changed_tokens = cmp.original.tokens, cmp.changed.tokens
norm_figure = figures.intervene.change_norm_figure(norms=cmp.hidden_change_norm, tokens=tokens,
                                                   changed_tokens=changed_tokens, first_step=first_changed)
with key_area:
    with draw.key_figure():
        if cmp.has_guesses:
            draw.plot(figures.intervene.loss_comparison_figure(
                tokens=tokens, changed_tokens=changed_tokens, loss_original=cmp.original.loss,
                loss_changed=cmp.changed.loss, first_step=first_changed), key="loss")
        else:
            draw.plot(norm_figure, key="norm")
    draw.look_at(cmp.headline())
if kind == "edit":
    st.caption(f"Original: `{read[max(0, position - 20):position + 20]!r}` → changed: "
               f"`{intervene.edit_text(read, [change])[max(0, position - 20):position + 20]!r}`")

st.subheader("Downstream")
if cmp.has_guesses:
    draw.plot(norm_figure, key="norm")
shown_layer = layer if kind != "edit" else 0
draw.plot(figures.intervene.change_heatmap(difference=cmp.hidden_change(shown_layer),
                                                 changed_tokens=changed_tokens, layer=shown_layer), key="heat")
st.caption("Blue: the unit's state went down; red: up. Steps before the first change are exactly 0 "
           "(the forward direction cannot see the future).")

# -- the guesses at one step (follows the biggest change until you pick a step) --
if cmp.has_guesses:
    auto = cmp.most_changed_step()
    urlstate.param_default("after", auto, parse=int, valid=lambda v: 0 <= v < steps, what=f"0 to {steps - 1}")
    if st.session_state["after"] == st.session_state.get(AUTO_STEP) or not 0 <= st.session_state["after"] < steps:
        st.session_state["after"] = auto
    st.session_state[AUTO_STEP] = auto
    at = st.slider("Guesses after step", 0, steps - 1, key="after", persist_state="session",
                   help="Starts at the step whose loss changed most.") if steps > 1 else 0
    guesses = cmp.guesses(at)
    draw.plot(figures.intervene.guesses_figure(
        chars=guesses["chars"], original=guesses["original"], changed=guesses["changed"], step=at,
        char_read=changed_tokens[at], next_chars=guesses["next"]), key="guesses")
    url_view["after"] = at
urlstate.set_url(**url_view)
if url_text is None:
    st.caption(f"This text is longer than {urlstate.MAX_URL_TEXT:,} characters, "
               f"so a link to this view does not carry it.")
course.lesson_links(__file__)
