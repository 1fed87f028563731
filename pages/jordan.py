"""Jordan vs Elman: two one-layer nets count bracket depth; one feeds back its hidden state, the other its output."""
import streamlit as st

from explorer import figures
from explorer.analysis import family
from explorer.app import caches, catalog, draw, frame, textbox, urlstate
from explorer.figures import diagram

frame.require_frame(__file__)

ELMAN, JORDAN = "brackets-rnn", "brackets-jordan"  # same task, hidden size, steps and learning rate
DEFAULT_TEXT = "(()(()))((()()))()((()))(("
MAX_CHARS = 400

st.title("Jordan vs Elman")
st.caption("Both nets read a string of brackets and say, after every character, how deeply it is nested. "
           "The Elman net feeds back its hidden state hₜ₋₁; the Jordan net feeds back its previous output "
           "yₜ₋₁, the depth it just predicted.")
left, right = st.columns(2)
left.latex(r"\text{Elman: } h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})")
right.latex(r"\text{Jordan: } h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh}\,\phi(y_{t-1}) + b_{hh}),\quad "
            r"y_t = W_{ho} h_t + b_{ho}")

present = [n for n in (ELMAN, JORDAN) if n in catalog.available()]
if len(present) < 2:
    missing = [n for n in (ELMAN, JORDAN) if n not in present]
    st.warning(f"Not built yet: {', '.join(missing)}. Build with `python -m explorer.zoo build {' '.join(missing)}`.")
    st.stop()
metas = {n: catalog.model_info(n) for n in present}
max_depth = min(m["config"]["output_size"] for m in metas.values()) - 1
filler = all(m.get("task_config", {}).get("filler_prob", 0) > 0 for m in metas.values())

urlstate.param_default("brackets", DEFAULT_TEXT)
text = st.text_input(f"Brackets {'“(”, “)” and the filler “a”' if filler else '“(” and “)”'} (up to {MAX_CHARS} "
                     f"characters, depth up to {max_depth})",
                     key="brackets", persist_state="session")
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
feeds = {ELMAN: "its hidden state hₜ₋₁", JORDAN: "its output yₜ₋₁"}


def held_out(meta: dict) -> dict:
    test = meta.get("metrics", {}).get("test", {})
    longer = test.get("longer", {})
    return {"accuracy (test)": test.get("value"), f"at {longer.get('seq_len', '2×')} characters": longer.get("value"),
            "loss (nats)": test.get("loss"), "baseline": test.get("baseline", {}).get("value")}


st.dataframe([{"model": n, "feeds back": feeds[n], "parameters": metas[n].get("parameters"), **held_out(metas[n]),
               "accuracy on your text": family.accuracy(predictions[n], depths)} for n in present],
             hide_index=True, column_config={k: st.column_config.NumberColumn(format="%.4f") for k in
                                             ("accuracy (test)", "loss (nats)", "baseline", "accuracy on your text")})
st.caption("Held-out figures were measured on the test split when each model was built (strings of 64 characters, "
           "and twice as long to see whether counting generalises); the baseline always guesses the commonest depth.")

draw.plot(figures.family.predictions_figure(
    tokens=traces[ELMAN].tokens, targets=depths, predictions={n: predictions[n] for n in present},
    title="Predicted depth after each character, against the true depth"), key="predictions")

st.subheader("What is fed back")
columns = st.columns(2)
steps = min(len(text), 5)
for column, name in zip(columns, present):
    tr, model = traces[name], models[name]
    with column:
        st.markdown(f"**{name}** feeds back {feeds[name]}")
        draw.plot(diagram.unrolled(model.config, steps=steps, tokens=tr.tokens,
                                         title=f"{name}, unrolled over the first {steps} steps"), key=f"diagram-{name}")
        draw.plot(figures.state_heatmap(values=tr.hidden[0, 0], tokens=tr.tokens, quantity="hidden",
                                              title=f"{name}: hidden state h", height=360), key=f"hidden-{name}")
        values, what = family.fed_back(model, tr)
        draw.plot(figures.state_heatmap(values=values, tokens=tr.tokens, quantity=what,
                                              title=f"{name}: step t reads back {what}", height=360),
                        key=f"fed-{name}")
st.caption(f"For the Jordan net a row of the lower heatmap is one output, the score of one depth (row k: depth k), "
           f"squashed by φ = {models[JORDAN].config.jordan_feedback} before it is fed back; for the Elman net a row is "
           "one hidden unit.")
