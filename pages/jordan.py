"""Jordan vs Elman: two one-layer nets count bracket depth; one feeds back its hidden state, the other its output."""
import streamlit as st

from explorer import figures
from explorer.analysis import family
from explorer.app import caches, catalog, course, draw, frame, textbox, urlstate
from explorer.figures import diagram

frame.require_frame(__file__)

ELMAN, JORDAN = "brackets-rnn", "brackets-jordan"  # same task, hidden size, steps and learning rate
DEFAULT_TEXT = "(()(()))((()()))()((()))(("
MAX_CHARS = 400

st.title("Jordan vs Elman")
st.caption("Both nets read brackets and say, after every character, how deeply it is nested. The Elman net feeds "
           "back its hidden state hₜ₋₁; the Jordan net feeds back its previous output yₜ₋₁, the depth it just "
           "predicted.")

present = [n for n in (ELMAN, JORDAN) if n in catalog.available()]
if len(present) < 2:
    missing = [n for n in (ELMAN, JORDAN) if n not in present]
    st.warning(f"Not built yet: {', '.join(missing)}. Build with `python -m explorer.zoo build {' '.join(missing)}`.")
    st.stop()
metas = {n: catalog.model_info(n) for n in present}
max_depth = min(m["config"]["output_size"] for m in metas.values()) - 1
filler = all(m.get("task_config", {}).get("filler_prob", 0) > 0 for m in metas.values())

urlstate.param_default("brackets", DEFAULT_TEXT)
text = textbox.text_box(f"Brackets {'“(”, “)” and the filler “a”' if filler else '“(” and “)”'}, up to {MAX_CHARS}, "
                        f"depth up to {max_depth} (Enter applies)", key="brackets")
urlstate.set_url(brackets=text if len(text) <= urlstate.MAX_URL_TEXT else None)
if not text:
    st.info("Type some brackets above, for example (()(())).")
    st.stop()
text = textbox.limited_text(text, MAX_CHARS)
try:
    depths = family.bracket_depths(text, max_depth, filler)
    models = {n: catalog.get_model(n) for n in present}
    traces = {n: caches.trace(n, text) for n in present}
except ValueError as err:
    st.error(str(err))
    st.stop()
predictions = {n: family.predicted(tr) for n, tr in traces.items()}
feeds = {ELMAN: f"its hidden state hₜ₋₁ ({models[ELMAN].config.hidden_size} numbers)",
         JORDAN: f"its output yₜ₋₁ ({models[JORDAN].config.output_size} depth scores)"}

# -- the key picture: both nets' depth after every character --
with draw.key_figure():
    draw.look_at(figures.family.depth_sentence(tokens=traces[ELMAN].tokens, targets=depths, predictions=predictions,
                                               fed_back=feeds))
    draw.plot(figures.family.predictions_figure(
        tokens=traces[ELMAN].tokens, targets=depths, predictions=predictions,
        title="Predicted depth after each character, and the true depth"), key="predictions")


def measures(meta: dict, accuracy_here: float) -> dict:
    """The model's figures as text, one row each, so the two models fit side by side in a column each."""
    test = meta.get("metrics", {}).get("test", {})
    longer = test.get("longer", {})

    def shown(value, form="{:.4f}"):
        return "–" if value is None else form.format(value)

    return {"parameters": shown(meta.get("parameters"), "{:,}"), "accuracy (test)": shown(test.get("value")),
            f"accuracy at {longer.get('seq_len', '2×')} characters": shown(longer.get("value")),
            "loss (nats)": shown(test.get("loss")), "baseline": shown(test.get("baseline", {}).get("value")),
            "accuracy on your text": shown(accuracy_here)}


table = {n: measures(metas[n], family.accuracy(predictions[n], depths)) for n in present}
st.dataframe([{"": what, **{n: table[n][what] for n in present}} for what in table[ELMAN]], hide_index=True)
st.caption("Held-out figures were measured on the test split when each model was built (strings of 64 characters, "
           "and twice as long to see whether counting generalises); the baseline always guesses the commonest depth.")

st.subheader("What is fed back")
st.latex(r"\begin{aligned}"
         r"\text{Elman: } h_t &= \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}) \\"
         r"\text{Jordan: } h_t &= \tanh(W_{ih} x_t + b_{ih} + W_{hh}\,\phi(y_{t-1}) + b_{hh}) \\"
         r"y_t &= W_{ho} h_t + b_{ho}"
         r"\end{aligned}")
steps = min(len(text), 5)
for name in present:
    draw.plot(diagram.unrolled(models[name].config, steps=steps, tokens=traces[name].tokens,
                               title=f"{name}, unrolled over the first {steps} steps"),
              key=f"diagram-{name}")
columns = st.columns(2)  # short titles: each heatmap has half the page
for column, name, role in zip(columns, present, ("Elman", "Jordan")):
    tr, model = traces[name], models[name]
    column.markdown(f"**{name}** ({role})")
    draw.plot(figures.state_heatmap(values=tr.hidden[0, 0], tokens=tr.tokens, quantity="hidden",
                                    title=f"{role}: hidden state h", height=360), key=f"hidden-{name}", where=column)
    values, what = family.fed_back(model, tr)
    draw.plot(figures.state_heatmap(values=values, tokens=tr.tokens, quantity=what,
                                    title=f"{role}: reads back {what}", height=360), key=f"fed-{name}", where=column)
st.caption(f"For the Jordan net a row of the lower heatmap is one output, the score of one depth (row k: depth k), "
           f"squashed by φ = {models[JORDAN].config.jordan_feedback} before it is fed back; for the Elman net a row is "
           "one hidden unit.")
course.lesson_links(__file__)
