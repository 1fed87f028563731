"""One-to-many: one input token, then the net writes a whole sequence from its hidden state alone."""
import streamlit as st

from explorer import figures
from explorer.analysis import shapes
from explorer.app import catalog, draw, frame, pickers, textbox, urlstate
from explorer.figures import diagram
from explorer.figures.diagram import DIAGRAM_STEPS

frame.require_frame(__file__)

st.title("One-to-many")
st.caption("The model reads one digit, then only blanks. Everything it writes after the first step (k, k−1, …, 0, "
           "end) must come from its own state: a clock it sets at step 0 and runs down. Each output is the most "
           "likely class (greedy).")

names = shapes.models_of_task(catalog.available(), catalog.model_info, "count")
if not names:
    st.warning(textbox.NO_MODELS)
    st.stop()
name = names[0]
model = catalog.get_model(name)
starts = shapes.start_tokens(model)
trained = shapes.training_length(model)

urlstate.param_default("start", "7" if "7" in starts else starts[-1], valid=lambda v: v in starts,
                 what="one of " + ", ".join(starts))
urlstate.param_default("steps", trained, parse=int, valid=lambda v: 2 <= v <= 64, what="2 to 64")
quantities = shapes.quantities(model)
chosen = pickers.quantity_choice(quantities, ["cell", "f"] if "cell" in quantities else ["hidden"])
cols = st.columns([3, 2])
start = cols[0].segmented_control("The single input", starts, key="start", persist_state="session", required=True)
steps = cols[1].slider("Steps to run", 2, 64, key="steps", persist_state="session",
                       help=f"The model was trained on {trained} steps: enough for 9, 8, …, 0 and end. "
                            "Run it longer to see whether it stays stopped.")
urlstate.set_url(start=start, steps=steps, heatmaps=",".join(chosen))
unrolled = shapes.unroll(model, start, steps)
tr = unrolled.trace

# -- what it wrote --
written = " ".join(unrolled.emitted)
if unrolled.stopped:
    where = f"It said “end” at step {len(unrolled.emitted) - 1}."
else:
    where = f"It did not say “end” within {steps} steps."
right = "right" if unrolled.correct else f"wrong: the task wants {' '.join(unrolled.expected)}"
st.markdown(f"Input **{start}**, then {steps - 1} blanks. The model wrote **{written}**. {where} "
            f"The sequence is **{right}**.")
if not unrolled.correct and len(unrolled.expected) > steps:
    st.warning(f"Counting down from {start} needs {len(unrolled.expected)} steps; run at least that many.")
cols = st.columns(3)
cols[0].metric("Outputs before “end”", len(unrolled.emitted) - 1 if unrolled.stopped else "no “end” yet")
cols[1].metric("Lowest p of an emitted class", f"{unrolled.p_emitted.min():.3f}")
cols[2].metric("Right?", "yes" if unrolled.correct else "no")

draw.plot(figures.shapes.output_distribution_figure(
    probs=tr.probs, labels=unrolled.labels, emitted=unrolled.emitted,
    title=f"{name}: the output distribution at each generated step (cell text: p of the class emitted)"),
    key="distribution")

# -- the state that carries the count --
st.subheader("Hidden state, cell state and gates per generated step")
drawn = min(steps, DIAGRAM_STEPS)
draw.plot(diagram.unrolled(model.config, steps=drawn, tokens=tr.tokens,
                                 title=f"{name} unrolled over its first {drawn} steps: "
                                       f"{diagram.describe(model.config)}"), key="diagram")
st.caption("The digit goes in at step 0 and a blank “_” at every step after it; "
           "the output y at each step can only differ because the recurrence carries the state along.")
shown = pickers.quantity_pills(quantities)
boundary = len(unrolled.emitted) if unrolled.stopped and len(unrolled.emitted) < steps else None
for quantity in shown:
    fig = figures.state_heatmap(values=shapes.last_layer(tr, quantity), tokens=unrolled.greedy_all,
                                quantity=quantity, boundary=boundary, boundary_label="after end →",
                                title=f"{figures.quantity_name(quantity)} at each generated step")
    draw.plot(figures.shapes.relabel_steps(fig, "generated step (the class emitted there)"),
                    key=f"heat-{quantity}")
if not shown:
    st.info("Pick a state or gate above to draw its heatmap.")
urlstate.set_url(start=start, steps=steps, heatmaps=",".join(shown))
