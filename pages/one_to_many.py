"""One-to-many: one input token, then the net writes a whole sequence from its hidden state alone."""
import streamlit as st

from explorer import figures
from explorer.analysis import shapes
from explorer.app import catalog, course, draw, frame, language, pickers, textbox, urlstate
from explorer.figures import diagram
from explorer.figures.diagram import DIAGRAM_STEPS
from explorer.figures.shapes import class_name
from explorer.i18n import _, ngettext

frame.require_frame(__file__)

st.title(_("One-to-many"))
st.caption(_("The model reads one digit, then only blanks: all it writes after step 0 comes from its own state, a "
             "clock it sets at step 0 and runs down."))

names = shapes.models_of_task(catalog.available(), catalog.model_info, "count")
if not names:
    st.warning(_(textbox.NO_MODELS))
    st.stop()
name = names[0]
model = catalog.get_model(name)
starts = shapes.start_tokens(model)
trained = shapes.training_length(model)

urlstate.param_default("start", "7" if "7" in starts else starts[-1], valid=lambda v: v in starts,
                       what=_("one of {values}").format(values=", ".join(starts)))
urlstate.param_default("steps", trained, parse=int, valid=lambda v: 2 <= v <= 64,
                       what=_("{low} to {high}").format(low=2, high=64))
quantities = shapes.quantities(model)
chosen = pickers.quantity_choice(quantities, ["cell", "f"] if "cell" in quantities else ["hidden"])
cols = st.columns([3, 1])  # the nine digits in one row, the step count in a compact box beside them
start = cols[0].segmented_control(_("The single input"), starts, key="start", persist_state="session", required=True)
steps = cols[1].number_input(_("Steps to run"), 2, 64, key="steps", persist_state="session",
                             help=_("The model was trained on {n} steps: enough for 9, 8, …, 0 and end. "
                                    "Run it longer to see whether it stays stopped.").format(n=trained))
urlstate.set_url(start=start, steps=steps, heatmaps=",".join(chosen))
unrolled = shapes.unroll(model, start, steps)
tr = unrolled.trace
if not unrolled.correct and len(unrolled.expected) > steps:
    st.warning(_("Counting down from {start} needs {n} steps; run at least that many.").format(
        start=start, n=len(unrolled.expected)))

# -- the key picture: what it wrote, step by step --
with draw.key_figure():
    draw.look_at(figures.shapes.countdown_sentence(
        start=start, emitted=unrolled.emitted, after_end=unrolled.after_end, stopped=unrolled.stopped, steps=steps,
        correct=unrolled.correct, expected=unrolled.expected, p_lowest=float(unrolled.p_emitted.min())))
    draw.plot(figures.shapes.output_distribution_figure(
        probs=tr.probs, labels=unrolled.labels, emitted=unrolled.emitted,
        title=_("{name}: the output distribution at each step").format(name=name)), key="distribution")

cols = st.columns(3)
cols[0].metric(_("Outputs before “end”"), len(unrolled.emitted) - 1 if unrolled.stopped else _("no “end” yet"))
cols[1].metric(_("Lowest p of an emitted class"), f"{unrolled.p_emitted.min():.3f}")
cols[2].metric(_("Right?"), _("yes") if unrolled.correct else _("no"))
st.caption(ngettext("Input {start} at step 0, then {n} blank. Each cell is the probability of one class at one step; "
                    "the number in a cell is the p of the class emitted there (the most likely one: greedy), and a "
                    "dashed line follows “end”.",
                    "Input {start} at step 0, then {n} blanks. Each cell is the probability of one class at one step; "
                    "the number in a cell is the p of the class emitted there (the most likely one: greedy), and a "
                    "dashed line follows “end”.", steps - 1).format(start=start, n=steps - 1))

# -- the state that carries the count --
st.subheader(_("Hidden state, cell state and gates per generated step"))
drawn = min(steps, DIAGRAM_STEPS)
draw.plot(diagram.unrolled(model.config, steps=drawn, tokens=tr.tokens, notation=language.notation(),
                           title=ngettext("{name} unrolled over its first {n} step",
                                          "{name} unrolled over its first {n} steps", drawn).format(
                                              name=name, n=drawn)), key="diagram")
st.caption(_("{cell}. The digit goes in at step 0 and a blank “_” at every step after it; the output y at each step "
             "can only differ because the recurrence carries the state along.").format(
                 cell=diagram.describe(model.config)))
shown = pickers.quantity_pills(quantities)
boundary = len(unrolled.emitted) if unrolled.stopped and len(unrolled.emitted) < steps else None
for quantity in shown:
    fig = figures.state_heatmap(values=shapes.last_layer(tr, quantity),
                                tokens=[class_name(label) for label in unrolled.greedy_all],
                                quantity=quantity, boundary=boundary, boundary_label=_("after end →"),
                                title=_("{quantity} at each generated step").format(
                                    quantity=figures.quantity_name(quantity)))
    draw.plot(figures.shapes.relabel_steps(fig, _("generated step (the class emitted there)")),
              key=f"heat-{quantity}")
if not shown:
    st.info(_("Pick a state or gate above to draw its heatmap."))
urlstate.set_url(start=start, steps=steps, heatmaps=",".join(shown))
course.lesson_links(__file__)
