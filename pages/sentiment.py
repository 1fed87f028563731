"""Sentiment (many-to-one): the verdict of a sentence classifier after every word, and the state behind it."""
import streamlit as st

from explorer import figures
from explorer.analysis import shapes
from explorer.app import catalog, course, draw, frame, language, pickers, textbox, urlstate
from explorer.figures import diagram
from explorer.figures.diagram import DIAGRAM_STEPS
from explorer.i18n import _, ngettext

frame.require_frame(__file__)

DEFAULT_SENTENCE = "the acting was great, but the ending was dull"
MAX_SENTENCE = 256  # the task's longest setting; the grammar's sentences are at most 89 characters

st.title(_("Sentiment (many-to-one)"))
st.caption(_("A GRU reads a review one character at a time and is trained to give one verdict, at the end. "
             "Here its head is applied after every word too, so you watch the verdict form."))

names = shapes.models_of_task(catalog.available(), catalog.model_info, "sentiment")
if not names:
    st.warning(_(textbox.NO_MODELS))
    st.stop()
name = names[0]
model = catalog.get_model(name)
# what it knows, before anyone types a review of their own: only the training grammar
st.markdown(shapes.grammar_statement(name))
with st.expander(_("The {n} words it knows").format(n=len(shapes.GRAMMAR_WORDS))):
    st.markdown(shapes.grammar_word_list())

urlstate.param_default("sentence", DEFAULT_SENTENCE)
quantities = shapes.quantities(model)
chosen = pickers.quantity_choice(quantities, ["hidden", "z"])
sentence = textbox.text_box(_("Sentence (Enter applies)"), key="sentence")
view = {"sentence": sentence if len(sentence) <= urlstate.MAX_URL_TEXT else None,
        "heatmaps": ",".join(chosen)}
urlstate.set_url(**view)
if not sentence.strip():
    st.info(_("Type a sentence above, for example “{example}”.").format(
        example="the film was not good, but the music was wonderful"))
    st.stop()
read = textbox.limited_text(sentence, MAX_SENTENCE)
try:
    run = shapes.running_sentiment(model, read)
except ValueError as err:
    st.error(_("Could not read this sentence: {error}").format(error=err))
    st.stop()
textbox.warn_unknown(run.trace.unknown, model.vocab)
outside = shapes.words_outside_grammar(read)
if outside:
    named = ", ".join(repr(w if len(w) <= 20 else w[:20] + "…") for w in outside[:8])
    named += " …" if len(outside) > 8 else ""
    st.warning(_("The training grammar never uses {words}; the model still reads every character, but its verdict "
                 "on such words means little.").format(words=draw.plain(named)))

# -- the key picture: the verdict after every word --
clauses = shapes.clause_verdicts(run)
with draw.key_figure():
    draw.look_at(figures.shapes.running_verdict_sentence(clauses=clauses, final=run.final))
    draw.plot(figures.shapes.running_prediction_figure(
        sentence=run.sentence, p_positive=run.p_positive, word_ends=run.word_ends,
        title=_("Running verdict of {name}: p(positive) after each word").format(name=name)), key="running")

cols = st.columns(3)
cols[0].metric(_("Verdict (last step)"), figures.shapes.verdict_name(run.final),
               _("p(positive) = {p}").format(p=f"{run.final:.3f}"), delta_color="off", delta_arrow="off")
rule = _("cannot parse") if run.rule_label is None else figures.shapes.verdict_name(run.rule_label)
cols[1].metric(_("The grammar's label"), rule, help=_(
    "By the rules the data were generated with (explorer/tasks/sentiment.py): the adjective, flipped by not/never; "
    "after “but” the second clause decides, with “although” the main clause."))
cols[2].metric(_("Characters read"), len(run.sentence), _("after {n} padding “_”").format(n=run.offset),
               delta_color="off", delta_arrow="off",
               help=_("Training sentences were left-padded to the same length, so the verdict falls on the last step; "
                      "the page pads yours the same way."))
plain = shapes.without_negation(run.sentence)
if plain is not None:  # the same sentence read without "not" / "never": what the negation turned around
    unnegated = shapes.clause_verdicts(shapes.running_sentiment(model, plain))
    st.markdown(_("With the negation: {negated}  \nWithout it: {plain}").format(
        negated=figures.shapes.verdict_line(clauses), plain=figures.shapes.verdict_line(unnegated)))
if read.strip() != run.sentence:
    st.caption(_("The model was trained on lower-case text, so it reads your sentence in lower case."))
st.caption(_("Only the last step was trained. Mid-clause the verdict swings (half a clause has no sentiment). At the "
             "end of “A, but” it holds A's verdict and the clause after “but” overturns it; once it has read "
             "“although”, it has learnt that the clause it introduces will not count."))

# -- the state behind it --
st.subheader(_("Hidden state and gates while reading"))
drawn = min(len(run.sentence), DIAGRAM_STEPS)
draw.plot(diagram.unrolled(model.config, steps=drawn, tokens=run.sentence, notation=language.notation(),
                           title=ngettext("{name} unrolled over the first {n} character",
                                          "{name} unrolled over the first {n} characters", drawn).format(
                                              name=name, n=drawn)), key="diagram")
reads = (_("{cell}. It reads the {padding} padding characters and then all {n} characters of your sentence this way; "
           "its head (y) reads only the state after the last one. This page also applies the head after every "
           "character, for the running verdict above.") if run.offset else
         _("{cell}. It reads all {n} characters of your sentence this way; its head (y) reads only the state after "
           "the last one. This page also applies the head after every character, for the running verdict above."))
st.caption(reads.format(cell=diagram.describe(model.config), padding=run.offset, n=len(run.sentence)))
shown = pickers.quantity_pills(quantities)
for quantity in shown:
    draw.plot(figures.state_heatmap(
        values=run.states(quantity), tokens=run.sentence, quantity=quantity,
        title=_("{quantity} over the sentence").format(quantity=figures.quantity_name(quantity))),
        key=f"heat-{quantity}")
if not shown:
    st.info(_("Pick a state or gate above to draw its heatmap."))
urlstate.set_url(**{**view, "heatmaps": ",".join(shown)})
course.lesson_links(__file__)
