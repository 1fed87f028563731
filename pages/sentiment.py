"""Sentiment (many-to-one): the verdict of a sentence classifier after every word, and the state behind it."""
import streamlit as st

from explorer import figures
from explorer.analysis import shapes
from explorer.app import catalog, course, draw, frame, pickers, textbox, urlstate
from explorer.figures import diagram
from explorer.figures.diagram import DIAGRAM_STEPS

frame.require_frame(__file__)

DEFAULT_SENTENCE = "the acting was great, but the ending was dull"
MAX_SENTENCE = 256  # the task's longest setting; the grammar's sentences are at most 89 characters

st.title("Sentiment (many-to-one)")
st.caption("A GRU reads a review one character at a time and is trained to give one verdict, at the end. "
           "Here its head is applied after every word too, so you watch the verdict form.")

names = shapes.models_of_task(catalog.available(), catalog.model_info, "sentiment")
if not names:
    st.warning(textbox.NO_MODELS)
    st.stop()
name = names[0]
model = catalog.get_model(name)

urlstate.param_default("sentence", DEFAULT_SENTENCE)
quantities = shapes.quantities(model)
chosen = pickers.quantity_choice(quantities, ["hidden", "z"])
sentence = textbox.text_box("Sentence (Enter applies)", key="sentence")
view = {"sentence": sentence if len(sentence) <= urlstate.MAX_URL_TEXT else None,
        "heatmaps": ",".join(chosen)}
urlstate.set_url(**view)
if not sentence.strip():
    st.info("Type a sentence above, for example “the film was not good, but the music was wonderful”.")
    st.stop()
read = textbox.limited_text(sentence, MAX_SENTENCE)
try:
    run = shapes.running_sentiment(model, read)
except ValueError as err:
    st.error(f"Could not read this sentence: {err}")
    st.stop()
textbox.warn_unknown(run.trace.unknown)
outside = shapes.words_outside_grammar(read)
if outside:
    named = ", ".join(repr(w if len(w) <= 20 else w[:20] + "…") for w in outside[:8])
    named += " …" if len(outside) > 8 else ""
    st.warning(f"The training grammar never uses {named}; the model still reads every character, but its verdict "
               "on such words means little.")

# -- the key picture: the verdict after every word --
clauses = shapes.clause_verdicts(run)
with draw.key_figure():
    draw.look_at(figures.shapes.running_verdict_sentence(clauses=clauses, final=run.final))
    draw.plot(figures.shapes.running_prediction_figure(
        sentence=run.sentence, p_positive=run.p_positive, word_ends=run.word_ends,
        title=f"Running verdict of {name}: p(positive) after each word"), key="running")

verdict = "positive" if run.final > 0.5 else "negative"
cols = st.columns(3)
cols[0].metric("Verdict (last step)", verdict, f"p(positive) = {run.final:.3f}", delta_color="off",
               delta_arrow="off")
rule = {None: "cannot parse", 1: "positive", 0: "negative"}[run.rule_label]
cols[1].metric("The grammar's label", rule, help="By the rules the data were generated with "
               "(explorer/tasks/sentiment.py): the adjective, flipped by not/never; after “but” the second clause "
               "decides, with “although” the main clause.")
cols[2].metric("Characters read", len(run.sentence), f"after {run.offset} padding “_”", delta_color="off",
               delta_arrow="off",
               help="Training sentences were left-padded to the same length, so the verdict falls on the last step; "
                    "the page pads yours the same way.")
plain = shapes.without_negation(run.sentence)
if plain is not None:  # the same sentence read without "not" / "never": what the negation turned around
    unnegated = shapes.clause_verdicts(shapes.running_sentiment(model, plain))
    st.markdown(f"With the negation: {figures.shapes.verdict_line(clauses)}  \n"
                f"Without it: {figures.shapes.verdict_line(unnegated)}")
if read.strip() != run.sentence:
    st.caption("The model was trained on lower-case text, so it reads your sentence in lower case.")
st.caption("Only the last step was trained. Mid-clause the verdict swings (half a clause has no sentiment). At the "
           "end of “A, but” it holds A's verdict and the clause after “but” overturns it; once it has read "
           "“although”, it has learnt that the clause it introduces will not count.")

# -- the state behind it --
st.subheader("Hidden state and gates while reading")
drawn = min(len(run.sentence), DIAGRAM_STEPS)
draw.plot(diagram.unrolled(model.config, steps=drawn, tokens=run.sentence,
                           title=f"{name} unrolled over the first {drawn} characters"), key="diagram")
padding = f"the {run.offset} padding characters and then " if run.offset else ""
st.caption(f"{diagram.describe(model.config)}. It reads {padding}all {len(run.sentence)} characters of your sentence "
           "this way; its head (y) reads only the state after the last one. This page also applies the head after "
           "every character, for the running verdict above.")
shown = pickers.quantity_pills(quantities)
for quantity in shown:
    draw.plot(figures.state_heatmap(
        values=run.states(quantity), tokens=run.sentence, quantity=quantity,
        title=f"{figures.quantity_name(quantity)} over the sentence"), key=f"heat-{quantity}")
if not shown:
    st.info("Pick a state or gate above to draw its heatmap.")
urlstate.set_url(**{**view, "heatmaps": ",".join(shown)})
course.lesson_links(__file__)
