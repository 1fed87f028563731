"""Intervene: clamp a gate, ablate units or edit a character, and watch the guesses, the loss and
the downstream states change next to the unchanged run."""
import math

import streamlit as st

from explorer import figures
from explorer.analysis import intervene
from explorer.app import caches, catalog, course, draw, frame, pickers, textbox, urlstate
from explorer.i18n import N_, _, pgettext

frame.require_frame(__file__)

MAX_STEPS = 2000  # the changed run is a Python loop over steps, twice per view: keep it interactive
KIND_LABELS = {"clamp": N_("clamp a gate"), "ablate": N_("ablate units"), "edit": N_("edit a character")}
# the memory gate: 0 makes the cell forget (LSTM, minLSTM) or overwrite (GRU); a min cell's z at 1 overwrites
DEFAULT_GATE = {"lstm": "f", "gru": "z", "minlstm": "f", "mingru": "z"}
DEFAULT_FROM = 20  # start a little way in, so the steps before it show the two runs agreeing exactly
AUTO_STEP = "_intervene_auto_step"  # session_state: the guesses' step this page last chose by itself
TEXT_STEPS = "_intervene_text_steps"  # session_state: how many characters the text had on the last run

st.title(_("Intervene"))
st.caption(_("Change one thing inside the network while it reads, and compare with the unchanged run: the surprise "
             "at each next character, how far the hidden state moves, and the guesses. What to change is set below."))

names = catalog.picker_models()
if not names:
    st.warning(_(textbox.NO_MODELS))
    st.stop()
name = pickers.model_picker(names)

# -- the text --
text = textbox.model_text(names, name, label=_("Text (up to {n} characters are read)").format(n=f"{MAX_STEPS:,}"),
                          height=90)
url_text = text if len(text) <= urlstate.MAX_URL_TEXT else None
read = textbox.text_to_read(text, MAX_STEPS, url=dict(model=name, text=url_text), what=_("the model read it"))
steps = len(read)
if steps < 2:
    urlstate.set_url(model=name, text=url_text)
    st.info(_("Type at least two characters: after a single one there is no next character to guess."))
    st.stop()
try:
    model = catalog.get_model(name)
except ValueError as err:
    urlstate.set_url(model=name, text=url_text)
    st.error(_("Could not load this model: {error}.").format(error=err))
    st.stop()
layers, size = model.rnn.num_layers, model.rnn.hidden_size
# steps chosen on a longer text are moved inside a shorter one; a step typed for this text is checked as typed
text_got_shorter = steps < st.session_state.get(TEXT_STEPS, steps)
st.session_state[TEXT_STEPS] = steps
gates = intervene.clampable_gates(model)

key_area = st.container()  # the picture of what the change did, above the knobs that make it

# -- the intervention and its knobs (each bound to the URL) --
st.subheader(_("What to change"))
kinds = (["clamp"] if gates else []) + ["ablate", "edit"]
urlstate.param_default("kind", kinds[0], valid=lambda v: v in KIND_LABELS, what=", ".join(KIND_LABELS))
urlstate.keep_in_range("kind", kinds, kinds[0])
kind = st.radio(_("Intervention"), kinds, key="kind", persist_state="session", horizontal=True,
                format_func=lambda k: _(KIND_LABELS[k]),
                help=_("clamp: force a gate of chosen units to a value; ablate: force hidden (and cell) units to 0; "
                       "edit: replace one character of the text."))
if not gates:
    said = _("{cell} has no gates to clamp: ablate units or edit a character.").format(
        cell=_(intervene.CELL_NAMES[intervene.cell_type(model.rnn)]))  # "a SimpleRNN"
    st.caption(said[0].upper() + said[1:])

# two rows of three: six knobs in one row crowd a narrow page
cols = [*st.columns([1, 2, 2]), *(st.columns(3) if kind != "edit" else ())]
if kind in ("clamp", "ablate"):
    urlstate.param_default("layer", 0, parse=int, valid=lambda v: 0 <= v < layers,
                           what=_("{low} to {high}").format(low=0, high=layers - 1))
    urlstate.keep_in_range("layer", range(layers), 0)
    layer = cols[0].selectbox(_("Layer"), range(layers), key="layer", persist_state="session", disabled=layers == 1)
    urlstate.param_default("units", "all")
    if not isinstance(st.session_state["units"], str):  # another page may keep a list of units under this key
        st.session_state["units"] = ",".join(map(str, st.session_state["units"])) or "all"
    units_text = cols[1].text_input(_("Units"), key="units", persist_state="session",
                                    help=_("Unit numbers from 0 to {last}, separated by commas (e.g. 12, 40), or all.")
                                    .format(last=size - 1))
    if kind == "clamp":
        urlstate.param_default("gate", DEFAULT_GATE.get(model.config.cell, gates[0]), valid=lambda v: v in gates,
                         what=", ".join(gates))
        urlstate.keep_in_range("gate", gates, DEFAULT_GATE.get(model.config.cell, gates[0]))
        gate = cols[2].selectbox(_("Gate"), gates, key="gate", persist_state="session",
                                 format_func=figures.quantity_name)
        urlstate.param_default("value", 0.0, parse=float, valid=math.isfinite, what=_("a number"))  # no nan or inf
        if not isinstance(st.session_state["value"], float):
            st.session_state["value"] = float(st.session_state["value"])
        value = cols[3].number_input(_("Clamp to"), key="value", persist_state="session", step=0.1, format="%.2f",
                                     help=_("Sigmoid gates (i, f, o, r, z) lie in [0, 1]; candidates (g, n) in "
                                            "[-1, 1]; the candidate h̃ of minGRU and minLSTM is 0 or more."))
    urlstate.param_default("from", min(DEFAULT_FROM, steps // 2), parse=int)  # a short text: from its middle
    urlstate.param_default("to", None, parse=lambda v: int(v) if v else None)
    if text_got_shorter and not 0 <= st.session_state["from"] < steps:
        st.session_state["from"] = min(DEFAULT_FROM, steps // 2)
    if text_got_shorter and st.session_state["to"] is not None and not st.session_state["to"] < steps:
        st.session_state["to"] = None
    first = cols[4].number_input(_("From step"), key="from", persist_state="session", step=1)
    last = cols[5].number_input(_("To step"), key="to", persist_state="session", step=1, placeholder=_("the end"),
                                help=_("Leave empty to act until the end of the text."))
    start, stop = int(first), None if last is None else int(last) + 1
else:
    suggested = read.find("(") if "(" in read else steps // 2  # the model should then expect no ")"
    urlstate.param_default("pos", suggested, parse=int)
    if text_got_shorter and not 0 <= st.session_state["pos"] < steps:
        st.session_state["pos"] = suggested
    urlstate.param_default("char", " ")
    position = cols[0].number_input(_("Position"), key="pos", persist_state="session", step=1,
                                    help=_("Which character to replace: 0 to {last}.").format(last=steps - 1))
    char = cols[1].text_input(_("New character"), key="char", persist_state="session",
                              help=_("One character the model knows (a space counts)."))

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
    message = draw.plain(str(err))  # it may quote what was typed
    key_area.error(pgettext("sentence end", "{sentence}.").format(sentence=message[0].upper() + message[1:]))
    st.stop()
textbox.warn_unknown(cmp.original.unknown)
catalog.note_headless([name], _("this page compares its hidden states only."))

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
    st.caption(_("Original: {before} → changed: {after}").format(
        before=draw.code(repr(read[max(0, position - 20):position + 20])),
        after=draw.code(repr(intervene.edit_text(read, [change])[max(0, position - 20):position + 20]))))

st.subheader(_("Downstream"))
if cmp.has_guesses:
    draw.plot(norm_figure, key="norm")
shown_layer = layer if kind != "edit" else 0
draw.plot(figures.intervene.change_heatmap(difference=cmp.hidden_change(shown_layer),
                                                 changed_tokens=changed_tokens, layer=shown_layer), key="heat")
st.caption(_("Blue: the unit's state went down; red: up. Steps before the first change are exactly 0 "
             "(the forward direction cannot see the future)."))

# -- the guesses at one step (follows the biggest change until you pick a step) --
if cmp.has_guesses:
    auto = cmp.most_changed_step()
    urlstate.param_default("after", auto, parse=int, valid=lambda v: 0 <= v < steps,
                           what=_("{low} to {high}").format(low=0, high=steps - 1))
    if st.session_state["after"] == st.session_state.get(AUTO_STEP) or not 0 <= st.session_state["after"] < steps:
        st.session_state["after"] = auto
    st.session_state[AUTO_STEP] = auto
    at = st.slider(_("Guesses after step"), 0, steps - 1, key="after", persist_state="session",
                   help=_("Starts at the step whose loss changed most.")) if steps > 1 else 0
    guesses = cmp.guesses(at)
    draw.plot(figures.intervene.guesses_figure(
        chars=guesses["chars"], original=guesses["original"], changed=guesses["changed"], step=at,
        char_read=changed_tokens[at], next_chars=guesses["next"]), key="guesses")
    url_view["after"] = at
urlstate.set_url(**url_view)
if url_text is None:
    st.caption(_("This text is longer than {n} characters, so a link to this view does not carry it.")
               .format(n=f"{urlstate.MAX_URL_TEXT:,}"))
course.lesson_links(__file__)
