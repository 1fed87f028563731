"""Stacked & bidirectional: every layer and both directions, and where the two directions meet."""
import streamlit as st

from explorer import figures, i18n
from explorer.analysis import family
from explorer.app import caches, catalog, course, draw, frame, language, textbox, urlstate
from explorer.figures import diagram
from explorer.i18n import _, ngettext

frame.require_frame(__file__)

TASKS = ("sentiment", "brackets", "english", *textbox.CODE_TASKS)  # tasks whose models read characters you can type
DEFAULT_MODEL = "sentiment-bigru"
DEFAULT_INPUT = {"sentiment": "the plot was great, although the music was dull", "brackets": "(()(()))((()()))",
                 **textbox.DEFAULT_TEXT}
MAX_CHARS = 400  # layers × directions heatmaps side by side: a sentence or a paragraph, not a book

st.title(_("Stacked & bidirectional"))
st.caption(_("A stacked net feeds each layer's states to the layer above; a bidirectional one runs a second chain "
             "from the last character back to the first, and the head reads both."))


def task_of(name: str) -> str | None:
    try:
        return catalog.model_info(name).get("task")
    except ValueError:
        return None  # damaged metadata: leave it out


names = [n for n in catalog.available() if task_of(n) in TASKS]
if not names:
    st.warning(_(textbox.NO_MODELS))
    st.stop()
default = DEFAULT_MODEL if DEFAULT_MODEL in names else names[0]
urlstate.param_default("net", default, valid=lambda v: v in names,
                       what=_("a pretrained model that reads characters"))
urlstate.keep_in_range("net", names, default)


def label(n: str) -> str:
    config = catalog.model_info(n)["config"]
    layers = config["num_layers"]
    if config["bidirectional"]:
        form = ngettext("{name} ({cell}, {n} layer, bidirectional)", "{name} ({cell}, {n} layers, bidirectional)",
                        layers)
    else:
        form = ngettext("{name} ({cell}, {n} layer)", "{name} ({cell}, {n} layers)", layers)
    return form.format(name=n, cell=str(catalog.model_info(n).get("cell", "")).upper(), n=layers)



name = st.sidebar.selectbox(_("Model"), names, key="net", persist_state="session", format_func=label)
meta = catalog.model_info(name)
task = meta.get("task")

defaults = set(DEFAULT_INPUT.values())
urlstate.param_default("input", DEFAULT_INPUT.get(task, ""))
if st.session_state["input"] in defaults:  # an untouched default follows the model's task
    st.session_state["input"] = DEFAULT_INPUT.get(task, "")
multiline = task in textbox.CODE_TASKS or "\n" in st.session_state["input"]  # Python source: several lines and Apply
label_text = _("Text, up to {n} characters") if multiline else _("Text, up to {n} characters (Enter applies)")
text = textbox.text_box(label_text.format(n=MAX_CHARS), key="input", multiline=multiline, height=80)
url_view = {"net": name, "input": text if len(text) <= urlstate.MAX_URL_TEXT else None}
text = textbox.text_to_read(text, MAX_CHARS, url=url_view, what=_("every layer read it"))
try:
    model = catalog.get_model(name)
    tr = caches.trace(name, text)
except ValueError as err:
    urlstate.set_url(**url_view)
    st.error(_("Could not trace this text: {error}").format(error=err))
    st.stop()
textbox.warn_unknown(tr.unknown, model.vocab)
config = model.config
labels = family.class_labels(task)
verdict = None
if config.head == "last_step" and config.output_kind == "classes":
    verdict = family.verdict(tr, labels)
drawn = min(tr.steps, diagram.DIAGRAM_STEPS)
unrolled = diagram.unrolled(config, steps=drawn, tokens=tr.tokens, notation=language.notation(),
                            title=ngettext("{name} unrolled over its first {steps} step",
                                           "{name} unrolled over its first {steps} steps", drawn).format(name=name,
                                                                                                        steps=drawn))
other = DEFAULT_MODEL if DEFAULT_MODEL in names else _("a bidirectional model")

# -- the key picture: where the two directions meet in the head (the structure itself for a one-way net) --
with draw.key_figure():
    if tr.num_directions == 2:
        shares = family.score_shares(family.direction_contributions(model, tr), labels)
        read = (tr.steps - 1, 0) if config.head == "last_step" else None
        total = float(shares["forward"][read[0]] + shares["backward"][read[1]] + shares["bias"]) if read else None
        draw.look_at(figures.family.meeting_sentence(
            name=name, forward=shares["forward"], backward=shares["backward"], bias=shares["bias"], read=read,
            score_name=shares["name"], verdict=verdict))
        draw.plot(figures.family.contributions_figure(
            forward=shares["forward"], backward=shares["backward"], tokens=tr.tokens, read=read,
            score_name=shares["name"], total=total), key="contributions")
    else:
        draw.look_at(figures.family.one_way_sentence(
            name=name, layers=config.num_layers, hidden=config.hidden_size, reads_last=config.head == "last_step",
            verdict=verdict, bidirectional=other))
        draw.plot(unrolled, key="diagram")
if task == "sentiment":
    st.caption(_("In training every sentence was left-padded with “_” to 89 characters; type underscores in front "
                 "to read it exactly as the models were taught."))

if tr.num_directions == 2:
    draw.plot(unrolled, key="diagram")
if config.head == "last_step" and tr.steps > drawn:
    stops = (_("{description}. The diagram stops after {steps} steps; on your text the head reads h→ after the last "
               "character and h← at step 0 (the last is step {last}).") if tr.num_directions == 2 else
             _("{description}. The diagram stops after {steps} steps; on your text the head reads h→ after the last "
               "character (the last is step {last})."))
    st.caption(stops.format(description=diagram.describe(config), steps=drawn, last=tr.steps - 1))
else:
    st.caption(_("{description}.").format(description=diagram.describe(config)))

# -- how this model compares with its task's other models --
siblings = [n for n in names if task_of(n) == task]
rows = []
for n in siblings:
    m = catalog.model_info(n)
    config_n, test = m["config"], m.get("metrics", {}).get("test", {})
    rows.append({_("model"): n, _("layers"): config_n["num_layers"],
                 _("directions"): 2 if config_n["bidirectional"] else 1, _("hidden"): config_n["hidden_size"],
                 _("parameters"): m.get("parameters"),
                 _("{metric} (test)").format(metric=catalog.metric_name(test.get("metric", _("metric")))):
                     test.get("value")})
st.dataframe(rows, hide_index=True)
baseline = meta.get("metrics", {}).get("test", {}).get("baseline", {})
# The baseline's sentence was written in English when the model was built: shown where the catalogue has it.
description = baseline.get("description") or ""
described = _(description) if description else ""
if i18n.current() != i18n.SOURCE_LANGUAGE and described == description:
    described = ""
if baseline.get("value") is None:
    st.caption(_("Held-out figures were measured on the test split when each model was built."))
elif described:
    st.caption(_("Held-out figures were measured on the test split when each model was built. Baseline {value}: "
                 "{description}").format(value=f"{baseline['value']:.4g}", description=described))
else:
    st.caption(_("Held-out figures were measured on the test split when each model was built. Baseline "
                 "{value}.").format(value=f"{baseline['value']:.4g}"))

# -- every layer, every direction --
st.subheader(_("Every layer and direction"))
quantities = ["hidden"] + (["cell"] if tr.cell is not None else []) + list(tr.gates)
urlstate.param_default("state", "hidden", valid=lambda v: v in quantities, what=", ".join(quantities))
urlstate.keep_in_range("state", quantities, "hidden")
quantity = st.radio(_("Show"), quantities, key="state", persist_state="session", horizontal=True,
                    format_func=figures.quantity_name)
values = {"hidden": tr.hidden, "cell": tr.cell, **tr.gates}[quantity]  # [L, D, T, H]
for layer in reversed(range(tr.num_layers)):  # the top layer first, as in the diagram
    columns = st.columns(tr.num_directions)
    for direction, column in enumerate(columns):
        title = (_("{quantity}, layer {layer} backward ←") if direction else
                 _("{quantity}, layer {layer} forward →") if tr.num_directions == 2 else
                 _("{quantity}, layer {layer}")).format(quantity=figures.quantity_name(quantity), layer=layer)
        draw.plot(figures.state_heatmap(values=values[layer, direction], tokens=tr.tokens, quantity=quantity,
                                        title=title, height=340),
                  key=f"grid-{layer}-{direction}", where=column)
if tr.num_directions == 2:
    st.caption(_("The backward chain reads right to left: its state at step t has read x_t … x_T-1."))
urlstate.set_url(**url_view, state=quantity)

# -- where the directions meet --
st.subheader(_("Where the two directions meet"))
if tr.num_directions == 1:
    st.info(_("{name} reads forward only, so the head sees just h→. Pick {other} to see two directions meet.").format(
        name=name, other=other))
else:
    size = tr.hidden_size
    meeting = figures.state_heatmap(values=family.meeting_states(tr), tokens=tr.tokens, quantity="hidden", height=420,
                                    title=_("[h→_t ; h←_t] of the top layer: units 0–{last_forward} forward, "
                                            "{first_backward}–{last} backward").format(
                                        last_forward=size - 1, first_backward=size, last=2 * size - 1))
    meeting.add_hline(y=size - 0.5, line=dict(color="black", width=2))
    draw.plot(meeting, key="meeting")
    st.caption(_("At every step the two halves sit side by side: h→_t has read x_0…x_t, h←_t has read x_t…x_T-1."))
course.lesson_links(__file__)
