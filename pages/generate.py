"""Generate: a pretrained character model writes, one sampled character at a time; then we look inside."""
import streamlit as st

from explorer import figures
from explorer.analysis import highlights
from explorer.app import caches, catalog, course, draw, frame, generate_view, pickers, textbox, urlstate
from explorer.engine.generate import MAX_LENGTH
from explorer.i18n import _

frame.require_frame(__file__)

st.title(_("Generate"))

names = catalog.picker_models()
if not names:
    st.warning(_(textbox.NO_MODELS))
    st.stop()
name = pickers.model_picker(names, default=pickers.writer(names))
if catalog.headless([name]):
    catalog.note_headless([name], _("it makes no next-character guesses and cannot write; Inspect and Gradients "
                                    "show its states, gates and gradients."))
    urlstate.set_url(model=name)
    st.stop()

prompts = {textbox.default_prompt(n) for n in names}
urlstate.param_default("prompt", textbox.default_prompt(name))
if st.session_state["prompt"] in prompts:  # an untouched default prompt follows the model
    st.session_state["prompt"] = textbox.default_prompt(name)
between = _("{low} to {high}")
urlstate.param_default("length", 200, parse=int, valid=lambda v: 1 <= v <= 1000, what=between.format(low=1, high=1000))
urlstate.param_default("temp", 0.8, parse=float, valid=lambda v: 0.1 <= v <= 2.0,
                       what=between.format(low=0.1, high=2.0))
urlstate.param_default("seed", 0, parse=int, valid=lambda v: 0 <= v < 2**31,
                       what=between.format(low=0, high=2**31 - 1))

urlstate.keep_across_pages("prompt")  # a prompt box that turns into a text area (a Python model) keeps the prompt
multiline = textbox.reads_code(name) or "\n" in st.session_state["prompt"]
prompt = textbox.text_box(_("Prompt (press Enter to write)") if not multiline else _("Prompt (Apply to write)"),
                          key="prompt", multiline=multiline, height=80)
cols = st.columns(3)
length = cols[0].slider(_("Characters to write"), 1, 1000, key="length", persist_state="session")
temperature = cols[1].slider(_("Temperature"), 0.1, 2.0, step=0.05, key="temp", persist_state="session",
                             help=_("Below 1: safer, more repetitive; above 1: more surprising, more misspelt."))
seed = cols[2].number_input(_("Seed"), min_value=0, max_value=2**31 - 1, step=1, key="seed", persist_state="session")
url_prompt = prompt if len(prompt) <= urlstate.MAX_URL_TEXT else None
urlstate.set_url(model=name, prompt=url_prompt, length=length, temp=round(temperature, 2), seed=seed)

if not prompt:
    st.info(_("Type a prompt above for the model to continue."))
    st.stop()
textbox.note_whitespace(prompt)
prompt = textbox.limited_text(prompt, textbox.MAX_TEXT - MAX_LENGTH)
try:
    out = caches.generate(name, prompt, length=int(length), temperature=float(temperature), seed=int(seed))
    tr = caches.trace(name, out.text)
except ValueError as err:
    st.error(_("Could not generate: {error}").format(error=err))
    st.stop()
textbox.warn_unknown(out.unknown, catalog.get_model(name).vocab)

draw.look_at(figures.labels.escape_all(highlights.written_sentence(out.chosen_probs, out.generated,
                                                                   out.topk_labels)))
with draw.key_figure():
    draw.markup(generate_view.written_html(out))
    draw.markup(generate_view.legend_html())
st.caption(_("The first {prompt} characters (grey) are your prompt; the next {written} were sampled at temperature "
             "{temperature} with seed {seed}, each coloured by the probability the model gave it at temperature 1. "
             "The model reads each one back in before it writes the next.")
           .format(prompt=len(prompt), written=len(out.generated), temperature=f"{temperature:g}", seed=seed))
with st.expander(_("The text as plain text, to copy"), key="plain_text"):
    st.code(out.text, language=None, wrap_lines=True)

st.subheader(_("Inside, across prompt and continuation"))
quantities = ["hidden"] + (["cell"] if tr.cell is not None else []) + list(tr.gates)
preferred = next((q for q in ("f", "z") if q in quantities), "hidden")  # the gate that decides what is kept
urlstate.param_default("quantity", preferred, valid=lambda v: v in quantities, what=", ".join(quantities))
urlstate.keep_in_range("quantity", quantities, preferred)
shown = st.selectbox(_("Show"), quantities, key="quantity", persist_state="session", format_func=figures.quantity_name)
urlstate.set_url(model=name, prompt=url_prompt, length=length, temp=round(temperature, 2), seed=seed, quantity=shown)
layer = 0
array = tr.gates[shown] if shown in tr.gates else (tr.cell if shown == "cell" else tr.hidden)
draw.plot(figures.state_heatmap(
    values=array[layer, 0], tokens=tr.tokens, quantity=shown, boundary=len(prompt), height=420,
    title=_("{quantity}, layer {layer}: prompt | generated").format(quantity=figures.quantity_name(shown),
                                                                     layer=layer)), key="gen-heat")
draw.plot(figures.topk_figure(
    tokens=tr.tokens, topk_labels=out.topk_labels, topk_probs=out.topk_probs, start=len(prompt) - 1,
    title=_("What the model expected before each character it wrote (temperature 1)")), key="gen-topk")

course.lesson_links(__file__)
