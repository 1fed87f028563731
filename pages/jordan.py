"""Jordan vs Elman: two one-layer nets count bracket depth; one feeds back its hidden state, the other its output."""
import streamlit as st

from explorer import figures
from explorer.analysis import family
from explorer.app import caches, catalog, course, draw, frame, language, textbox, urlstate
from explorer.engine.cells import in_notation
from explorer.figures import diagram
from explorer.i18n import _, ngettext

frame.require_frame(__file__)

ELMAN, JORDAN = "brackets-rnn", "brackets-jordan"  # same task, hidden size, steps and learning rate
DEFAULT_TEXT = "(()(()))((()()))()((()))(("
MAX_CHARS = 400

st.title(_("Jordan vs Elman"))
st.caption(_("Both nets read brackets and say, after every character, how deeply it is nested. The Elman net feeds "
             "back its hidden state hₜ₋₁; the Jordan net feeds back its previous output yₜ₋₁, the depth it just "
             "predicted."))
notation = language.notation()

present = [n for n in (ELMAN, JORDAN) if n in catalog.available()]
if len(present) < 2:
    missing = [n for n in (ELMAN, JORDAN) if n not in present]
    st.warning(_("Not built yet: {names}. Build with `python -m explorer.zoo build {arguments}`.").format(
        names=", ".join(missing), arguments=" ".join(missing)))
    st.stop()
metas = {n: catalog.model_info(n) for n in present}
max_depth = min(m["config"]["output_size"] for m in metas.values()) - 1
filler = all(m.get("task_config", {}).get("filler_prob", 0) > 0 for m in metas.values())

urlstate.param_default("brackets", DEFAULT_TEXT)
label = (_("Brackets “(”, “)” and the filler “a”, up to {n}, depth up to {depth} (Enter applies)") if filler else
         _("Brackets “(” and “)”, up to {n}, depth up to {depth} (Enter applies)"))
text = textbox.text_box(label.format(n=MAX_CHARS, depth=max_depth), key="brackets")
urlstate.set_url(brackets=text if len(text) <= urlstate.MAX_URL_TEXT else None)
if not text:
    st.info(_("Type some brackets above, for example (()(()))."))
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
feeds = {ELMAN: _("its hidden state hₜ₋₁ ({n} numbers)").format(n=models[ELMAN].config.hidden_size),
         JORDAN: _("its output yₜ₋₁ ({n} depth scores)").format(n=models[JORDAN].config.output_size)}

# -- the key picture: both nets' depth after every character --
with draw.key_figure():
    draw.look_at(figures.family.depth_sentence(tokens=traces[ELMAN].tokens, targets=depths, predictions=predictions,
                                               fed_back=feeds))
    draw.plot(figures.family.predictions_figure(
        tokens=traces[ELMAN].tokens, targets=depths, predictions=predictions,
        title=_("Predicted depth after each character, and the true depth")), key="predictions")


def measures(meta: dict, accuracy_here: float) -> dict:
    """The model's figures as text, one row each, so the two models fit side by side in a column each."""
    test = meta.get("metrics", {}).get("test", {})
    longer = test.get("longer", {})

    def shown(value, form="{:.4f}"):
        return "–" if value is None else form.format(value)

    return {_("parameters"): shown(meta.get("parameters"), "{:,}"), _("accuracy (test)"): shown(test.get("value")),
            _("accuracy at {n} characters").format(n=longer.get("seq_len", "2×")): shown(longer.get("value")),
            _("loss (nats)"): shown(test.get("loss")), _("baseline"): shown(test.get("baseline", {}).get("value")),
            _("accuracy on your text"): shown(accuracy_here)}


table = {n: measures(metas[n], family.accuracy(predictions[n], depths)) for n in present}
st.dataframe([{"": what, **{n: table[n][what] for n in present}} for what in table[ELMAN]], hide_index=True)
st.caption(_("Held-out figures were measured on the test split when each model was built (strings of 64 characters, "
             "and twice as long to see whether counting generalises); the baseline always guesses the commonest "
             "depth."))

st.subheader(_("What is fed back"))
st.latex(in_notation(r"\begin{aligned}"
                     r"\text{Elman: } h_t &= \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}) \\"
                     r"\text{Jordan: } h_t &= \tanh(W_{ih} x_t + b_{ih} + W_{hh}\,\phi(y_{t-1}) + b_{hh}) \\"
                     r"y_t &= W_{ho} h_t + b_{ho}"
                     r"\end{aligned}", notation))
steps = min(len(text), 5)
for name in present:
    draw.plot(diagram.unrolled(models[name].config, steps=steps, tokens=traces[name].tokens, notation=notation,
                               title=ngettext("{name}, unrolled over the first {steps} step",
                                              "{name}, unrolled over the first {steps} steps",
                                              steps).format(name=name, steps=steps)),
              key=f"diagram-{name}")
columns = st.columns(2)  # short titles: each heatmap has half the page
for column, name, role in zip(columns, present, ("Elman", "Jordan")):
    tr, model = traces[name], models[name]
    column.markdown(f"**{name}** ({role})")
    draw.plot(figures.state_heatmap(values=tr.hidden[0, 0], tokens=tr.tokens, quantity="hidden",
                                    title=_("{role}: hidden state h").format(role=role), height=360),
              key=f"hidden-{name}", where=column)
    values, what = family.fed_back(model, tr)
    draw.plot(figures.state_heatmap(values=values, tokens=tr.tokens, quantity=what,
                                    title=_("{role}: reads back {what}").format(role=role, what=what), height=360),
              key=f"fed-{name}", where=column)
st.caption(_("For the Jordan net a row of the lower heatmap is one output, the score of one depth (row k: depth k), "
             "squashed by φ = {feedback} before it is fed back; for the Elman net a row is one hidden "
             "unit.").format(feedback=models[JORDAN].config.jordan_feedback))
course.lesson_links(__file__)
