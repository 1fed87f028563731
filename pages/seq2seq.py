"""Encoder-decoder: a date in words goes in, digits come out; the encoder's states, the state it
hands over, and the decoder's gates as it writes."""
import streamlit as st

from explorer import figures, seq2seq
from explorer.app import catalog, course, draw, frame, pickers, textbox, urlstate
from explorer.i18n import N_, _

frame.require_frame(__file__)

MAX_SOURCE = 200  # characters; a date in words is under 70
HEAT_HEIGHT = 560  # px per heatmap: four of them (two quantities, encoder and decoder) still fit a scroll or two
EXAMPLES = [
    "the twenty-third of november, two thousand and twenty-six",
    "the first of january, nineteen hundred",
    "the fourth of july, nineteen seventy-six",
    "the twelfth of may, nineteen oh five",
    "the thirty-first of december, two thousand and ninety-nine",
]
MODES = {"free": N_("its own last character (free running)"),
         "teacher": N_("the true last character (teacher forcing)")}

st.title(_("Encoder-decoder"))
st.caption(_("A date in words (“{form}”) goes in, the same date in digits comes out: the encoder's last state is "
             "handed over whole to the decoder, which writes the answer from that state alone (no attention).").format(
                 form=_(seq2seq.FORM)))

names = []
for candidate in catalog.available():
    try:
        if catalog.model_info(candidate).get("kind") == seq2seq.KIND:
            names.append(candidate)
    except ValueError:
        continue  # a damaged metadata file: leave it out
if not names:
    st.warning(_("No encoder-decoder model found; build it with `{command}`.").format(
        command="python -m explorer.zoo build dates-gru"))
    st.stop()

urlstate.param_default("seq_model", names[0], valid=lambda v: v in names, what=_("an encoder-decoder model here"))
urlstate.keep_in_range("seq_model", names, names[0])
name = st.sidebar.selectbox(_("Encoder-decoder model"), names, key="seq_model", persist_state="session",
                            help=_("Pretrained sequence-to-sequence models (their held-out scores are on the Home "
                                   "page)."))
model = catalog.get_model(name)
test = model.meta.get("metrics", {}).get("test", {})
if test:
    st.sidebar.caption(_("{name}: {cell}, {units} units, {parameters} parameters; exact match on {dates} held-out "
                         "dates {share}.").format(name=name, cell=model.config.cell.upper(),
                                                  units=model.config.hidden_size,
                                                  parameters=f"{model.num_parameters():,}",
                                                  dates=f"{test.get('examples', 0):,}",
                                                  share=f"{test.get('value', 0):.1%}"))


def use_example() -> None:
    """Copy the picked example into the text box (the box stays the one place the source lives)."""
    if st.session_state.get("example"):
        st.session_state["source"] = st.session_state["example"]
    st.session_state["example"] = None


urlstate.param_default("source", EXAMPLES[0])
urlstate.param_default("mode", "free", valid=lambda v: v in MODES, what=", ".join(MODES))
left, right = st.columns([3, 2])
source = textbox.text_box(_("A date in words (Enter applies)"), key="source", where=left)
# the examples are the model's English input in any language: quoted, as the captions quote input text
right.selectbox(_("…or pick an example"), EXAMPLES, index=None, key="example", on_change=use_example,
                format_func=lambda example: f"“{example}”", placeholder=_("an example date"))
mode = st.session_state["mode"]  # its radio sits under the key picture

url_view = {"seq_model": name, "source": source if len(source) <= MAX_SOURCE else None, "mode": mode}
if not source.strip():
    urlstate.set_url(**url_view)
    st.info(_("Type a date in words, e.g. “{example}”.").format(example=EXAMPLES[0]))
    st.stop()
if len(source) > MAX_SOURCE:
    urlstate.set_url(**url_view)
    st.error(_("The text has {n} characters; a date in words has under {limit}, so shorten it "
               "(your text stays in the box).").format(n=f"{len(source):,}", limit=MAX_SOURCE))
    st.stop()
unknown = model.vocab.encode(source).unknown
if unknown:
    urlstate.set_url(**url_view)
    shown = ", ".join(repr(c) for c in unknown[:12])
    st.error(_("The encoder never saw {chars}: it reads lowercase letters, spaces, hyphens and commas only, "
               "as in “{example}”.").format(chars=shown, example=EXAMPLES[0]))
    st.stop()

truth, why = seq2seq.parse_date(source)
if truth is None:
    st.warning(_("This is not a date the generator writes ({why}), so there is no true answer to check it "
                 "against; the model still writes what it makes of it.").format(why=why))
    if mode == "teacher":
        st.info(_("Teacher forcing needs the true answer, so the decoder runs free here."))
forced = mode == "teacher" and truth is not None
tr = seq2seq.trace_seq2seq(model, source, target=truth if forced else None)
answer = seq2seq.greedy_decode(model, [source])[0]  # what the model writes, free running
wrong = None
if truth is not None:
    wrong = sum(a != b for a, b in zip(answer.ljust(len(truth)), truth)) + max(0, len(answer) - len(truth))


def sentence() -> str:
    """What the key picture shows, from this trace: the squeeze, what comes out, and the least sure step."""
    numbers = f"{'2 × ' if tr.handed_cell is not None else ''}{model.config.hidden_size}"
    verdict = ("" if wrong is None else _(", every character right") if wrong == 0 else
               _(", {wrong} of {total} characters wrong (the truth is {truth})").format(wrong=wrong, total=len(truth),
                                                                                        truth=truth))
    unsure = int(tr.topk_probs[:, 0].argmin())
    written = figures.seq2seq.shown_tokens(tr.written)[unsure]
    said = (_("All {n} characters reach the decoder only as the {numbers} numbers of the orange box, and from them "
              "alone it writes {answer}{verdict}; in its guesses the least sure step is step {step} (“{written}”, "
              "p = {p}, with teacher forcing).") if forced else
            _("All {n} characters reach the decoder only as the {numbers} numbers of the orange box, and from them "
              "alone it writes {answer}{verdict}; in its guesses the least sure step is step {step} (“{written}”, "
              "p = {p})."))
    return said.format(n=len(source), numbers=numbers, answer=answer or _("(nothing)"), verdict=verdict, step=unsure,
                       written=written, p=f"{tr.topk_probs[unsure, 0]:.2f}")


with draw.key_figure():
    st.graphviz_chart(figures.seq2seq.dataflow_dot(
        source=source, cell=model.config.cell, hidden_size=model.config.hidden_size, answer=tr.answer,
        lstm=tr.handed_cell is not None))
    draw.plot(figures.seq2seq.decoder_topk_figure(written=tr.written, topk_labels=tr.topk_labels,
                                                  topk_probs=tr.topk_probs), key="decoder-topk")
draw.look_at(sentence())
cols = st.columns(3)
cols[0].metric(_("The model writes"), answer or _("(nothing)"))
if truth is not None:
    cols[1].metric(_("True answer"), truth)
    cols[2].metric(_("Verdict"), _("right") if answer == truth else _("wrong"),
                   _("{wrong} of {total} characters differ").format(wrong=wrong, total=len(truth))
                   if answer != truth else _("every character"),
                   delta_color="normal" if answer == truth else "inverse")
st.radio(_("At each step the decoder reads"), list(MODES), key="mode", persist_state="session",
         format_func=lambda m: _(MODES[m]), horizontal=True,
         help=_("Teacher forcing is how it was trained: every step reads the true previous character. "
                "Free running is how it is used: every step reads what it wrote itself."))
if forced:
    st.caption(_("Teacher forcing: in the guesses above and the decoder below, every step reads the true previous "
                 "character; the top guess at each step is what it would write there."))

# -- which states and gates --
quantities = ["hidden"] + (["cell"] if tr.encoder.cell is not None else []) + list(tr.encoder.gates)
pickers.quantity_choice(quantities, ["hidden", "f" if "f" in quantities else "z"], key="show")
show = pickers.quantity_pills(quantities, key="show", label=_("States and gates (encoder and decoder)"))


def values(trace, quantity):
    """One quantity of layer 0, forward direction: [T, H]."""
    if quantity == "hidden":
        return trace.hidden[0, 0]
    if quantity == "cell":
        return trace.cell[0, 0]
    return trace.gates[quantity][0, 0]


figs = {}
st.subheader(_("1. The encoder reads the source"))
for quantity in show:
    figs[f"encoder {quantity}"] = figures.state_heatmap(
        values=values(tr.encoder, quantity), tokens=tr.source, quantity=quantity,
        title=_("Encoder: {quantity} at each source character").format(quantity=figures.quantity_name(quantity)),
        height=HEAT_HEIGHT)
    draw.plot(figs[f"encoder {quantity}"], key=f"encoder-{quantity}")
if not show:
    st.info(_("Pick a state or gate above to see the encoder and decoder heatmaps."))

st.subheader(_("2. The state it hands over"))
st.caption(_("The encoder's state after the last character is the decoder's starting state: everything the "
             "decoder learns about the source passes through these numbers."))
figs["handed over"] = figures.seq2seq.handover_figure(hidden=tr.handed_hidden[0], cell=(
    tr.handed_cell[0] if tr.handed_cell is not None else None))
draw.plot(figs["handed over"], key="handed-over")

st.subheader(_("3. The decoder writes"))
st.caption(_("What it writes at each step, and its top guesses there, are in the picture at the top of the page."))
for quantity in show:
    figs[f"decoder {quantity}"] = figures.seq2seq.decoder_heatmap(
        values=values(tr.decoder, quantity), written=tr.written, quantity=quantity,
        title=_("Decoder: {quantity} at each character it writes").format(quantity=figures.quantity_name(quantity)),
        height=HEAT_HEIGHT)
    draw.plot(figs[f"decoder {quantity}"], key=f"decoder-{quantity}")
st.caption(_("Step 0 reads the start token and the handed-over state; each later step reads the character before it "
             "(the true one). Gates run from 0 (dark) to 1 (yellow); signed values from blue (negative) through white "
             "to red (positive).") if forced else
           _("Step 0 reads the start token and the handed-over state; each later step reads the character before it "
             "(its own). Gates run from 0 (dark) to 1 (yellow); signed values from blue (negative) through white to "
             "red (positive)."))

urlstate.set_url(**url_view, show=",".join(show))
course.lesson_links(__file__)
