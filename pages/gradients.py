"""Gradients through time: why an LSTM remembers and a SimpleRNN forgets, with the real networks' numbers."""
import numpy as np
import streamlit as st

from explorer import figures
from explorer.analysis import internals
from explorer.analysis.internals import JACOBIAN_CHARS
from explorer.app import caches, catalog, course, draw, fanout, frame, pickers, textbox, urlstate
from explorer.figures import panels
from explorer.training.clipping import clipping_lab

frame.require_frame(__file__)

MAX_GRAD_TEXT = 2000  # characters; bptt over three models stays under a second or two
SALIENCY_CHARS = 400  # characters shown before the chosen step (later ones have no gradient)
LOSSES = {"last": "the loss at the last step", "sum": "the loss summed over all steps"}
CLIP_LAB = "clip_lab"  # session_state: the last clipping-lab result and its settings
STEP_DEFAULT = "_gradients_step"  # session_state: the saliency step's last default, followed while untouched
STARTS = {"last": "the last prediction", "sum": "the end of the text"}
NOTES = {"last": "", "sum": "every step adds its own loss's gradient, so the last step's loss shows vanishing better"}
TITLED = {"last": "last step's loss", "sum": "summed loss"}  # short: the chart's title must fit at 1000 px


def clipping_section():
    st.subheader("Clipping lab")
    st.write("Clipping rescales the whole gradient when its norm exceeds a threshold, so one exploding step "
             "cannot throw the weights far away: it **bounds the step size when gradients explode**. It does "
             "**not** fix vanishing gradients: a gradient that is already tiny is left as it is, and a SimpleRNN "
             "that cannot feel the first marker of a long adding problem stays blind, clipped or not.")
    with st.form("clip_form", border=False):
        cols = st.columns(5)
        cell = cols[0].selectbox("Cell", ["rnn", "gru", "lstm"], key="clip_cell", format_func=str.upper)
        seq_len = cols[1].number_input("Sequence length", 10, 400, 100, step=10, key="clip_len")
        steps = cols[2].number_input("Training steps", 2, 60, 20, step=1, key="clip_steps")
        threshold = cols[3].number_input("Clip threshold", 0.01, 100.0, 1.0, step=0.5, key="clip_threshold")
        lr = cols[4].number_input("Learning rate (SGD)", 0.001, 5.0, 0.5, step=0.1, format="%.3f", key="clip_lr")
        run = st.form_submit_button("Train both (with and without clipping)", icon=":material/play_arrow:")
    if run:
        settings = dict(cell=cell, seq_len=int(seq_len), steps=int(steps), threshold=float(threshold), lr=float(lr))
        with st.spinner("Training two identical models on the same batches…"):
            try:
                st.session_state[CLIP_LAB] = {"settings": settings, "result": clipping_lab(**settings)}
            except ValueError as err:
                st.error(f"The clipping lab could not run: {err}")
    lab = st.session_state.get(CLIP_LAB)
    if lab is None:
        st.info("Press the button to train two copies of the same model (same seed, same batches) on the "
                "adding problem: one with clipping, one without. The defaults make the unclipped one explode.")
        return
    result = lab["result"]
    draw.plot(figures.clipping_figure(result=result), key="clip-chart")
    for key, label in (("unclipped", "Without clipping"), ("clipped", f"Clipped at {result['threshold']:g}")):
        rows = result[key]["rows"]
        events = sum(bool(r.get("clipped")) for r in rows)
        reason = result[key]["stopped_reason"]
        finite = [r["grad_norm_before"] for r in rows if np.isfinite(r["grad_norm_before"])]
        largest = f"; largest gradient norm {max(finite):.3g}" if finite else ""
        line = f"**{label}:** {len(rows)} steps logged, {events} clip events{largest}."
        (st.error if reason else st.success)(line + (f" {reason}" if reason else " It trained without diverging."))
    run_with = lab["settings"]
    st.caption(f"{run_with['cell'].upper()}, sequence length {run_with['seq_len']}, {run_with['steps']} steps of SGD "
               f"at lr {run_with['lr']:g}, threshold {run_with['threshold']:g}; both runs start from the same weights "
               "and see the same batches. Crosses mark the steps where the gradient was rescaled.")


def stop_here(url: dict, message: str | None = None):
    """End the page early: the view still goes into the URL, and the clipping lab and the course links stay."""
    urlstate.set_url(**url)
    if message:
        st.info(message)
    clipping_section()
    course.lesson_links(__file__)
    st.stop()


st.title("Gradients through time")
st.caption("Backpropagation through time, exact (`explorer.bptt`) on the real networks: how much of the loss's "
           "gradient reaches each earlier character.")

if not catalog.picker_models():
    st.warning(textbox.NO_MODELS)
    clipping_section()
    st.stop()
set_name, names = pickers.model_set_picker()
url = {"set": set_name, "models": ",".join(names) if set_name == "custom" else None}
catalog.note_headless(names, "its loss here is a stand-in: the sum of its top layer's outputs at the last step (or "
                        "summed over all steps), not a cross-entropy.")

urlstate.param_default("text", textbox.DEFAULT_TEXT["english"])
urlstate.keep_across_pages("text")
typed, chosen = st.columns([3, 2])
text = textbox.text_box(f"Text (up to {MAX_GRAD_TEXT:,} characters are used; Enter applies)", key="text",
                        multiline="\n" in st.session_state["text"], where=typed)
url["text"] = text if len(text) <= urlstate.MAX_URL_TEXT else None
urlstate.param_default("loss", "last", valid=lambda v: v in LOSSES, what=", ".join(LOSSES))
loss_kind = chosen.radio("Follow the gradient of", list(LOSSES), key="loss", persist_state="session",
                         format_func=LOSSES.get, help="last: the cross-entropy of the last prediction only, so every "
                         "earlier step gets gradient only through the recurrence. sum: every step's own loss too.")
url["loss"] = loss_kind

if not names:
    stop_here(url, "Pick at least one model in the sidebar.")
if len(text) < 2:
    stop_here(url, "Type some text above (at least two characters: one to read, one to predict) to follow its "
                   "gradient back through time.")
textbox.note_whitespace(text)
used = textbox.limited_text(text, MAX_GRAD_TEXT)

results = {}
for name, found in fanout.each_model(lambda n: caches.gradients(n, used, loss=loss_kind), names).items():
    if isinstance(found, Exception):
        st.error(f"{name}: could not compute its gradients: {found}")
    else:
        results[name] = {"grads": found}
if not results:
    stop_here(url)
first = next(iter(results.values()))["grads"]
tokens, steps = first.trace.tokens, first.trace.steps
textbox.warn_unknown(sorted({c for r in results.values() for c in r["grads"].trace.unknown}))
color = {name: figures.MODEL_COLORS[k % len(figures.MODEL_COLORS)] for k, name in enumerate(results)}


def label(name, layer, direction, layers, directions):
    where = (f" layer {layer}" if layers > 1 else "") + (" backward" if direction else "")
    return catalog.describe_model(name) + where


def curves(array_of, offset_of=lambda r: 0):
    out = []
    for name, r in results.items():
        values = array_of(r)  # [L, D, T']
        if values is None:
            continue
        for layer in range(values.shape[0]):
            for d in range(values.shape[1]):
                out.append({"label": label(name, layer, d, values.shape[0], values.shape[1]),
                            "values": values[layer, d], "offset": offset_of(r), "color": color[name],
                            "dash": figures.LAYER_DASHES[(layer + 2 * d) % len(figures.LAYER_DASHES)]})
    return out


# -- the key picture: the gradient reaching each step, every model on one log axis --
norm_fig = figures.log_curves_figure(
    series=curves(lambda r: r["grads"].grad_norm_per_step), tokens=tokens,
    title=f"Gradient norm reaching h_t, {TITLED[loss_kind]}", y_title="‖dL/dh_t‖₂ (log scale)", value_name="‖dL/dh_t‖")
# the top layer's forward direction: where the loss enters, read back towards step 0
said = internals.sentence_names({name: r["grads"].trace.cell_type for name, r in results.items()})
reach = {said[name]: internals.gradient_reach(r["grads"].grad_norm_per_step[-1, 0]) for name, r in results.items()}
draw.look_at(internals.reach_sentence(reach, start_from=STARTS[loss_kind], note=NOTES[loss_kind]))
with draw.key_figure():
    draw.plot(norm_fig, key="grad-norms")
st.caption(f"The loss: {first.loss_description}. Each curve is the Euclidean norm of the total gradient reaching "
           "the hidden state at step t, through every later step (explorer.bptt, exact). A straight fall on this log "
           "axis is exponential vanishing. Gaps are exact zeros: the gradient underflowed below float32's smallest "
           "number.")

# -- per unit, on one colour scale for every model --
has_cell = any(r["grads"].dc is not None for r in results.values())
st.subheader(r"$|\partial L/\partial h_t|$ per unit" + (r" and $|\partial L/\partial c_t|$ (LSTM)" if has_cell else ""))
max_layers = max(r["grads"].dh.shape[0] for r in results.values())
urlstate.param_default("layer", max_layers - 1, parse=int, valid=lambda v: 0 <= v < max_layers,
                       what=f"0 to {max_layers - 1}")
urlstate.keep_in_range("layer", range(max_layers), max_layers - 1)
layer = st.selectbox("Layer", range(max_layers), key="layer", persist_state="session") if max_layers > 1 else 0
max_size = max(r["grads"].dh.shape[-1] for r in results.values())
columns = figures.full_resolution_steps(max_size)  # the same binning for every model: columns line up
maps = []  # (values, value name, title)
for name, r in results.items():
    g = r["grads"]
    at = min(layer, g.dh.shape[0] - 1)
    maps.append((g.dh[at, 0], "|dL/dh|", f"{catalog.describe_model(name)}: |dL/dh_t|, layer {at}"))
    if g.dc is not None:
        maps.append((g.dc[at, 0], "|dL/dc|", f"{catalog.describe_model(name)}: |dL/dc_t| (cell state), layer {at}"))
floor, top = figures.gradients.shared_log_range(arrays=[values for values, _, _ in maps])
heatmaps = [figures.log_heatmap(values=values, tokens=tokens, value_name=value_name, max_columns=columns,
                                title=title, height=320, floor=floor, top=top) for values, value_name, title in maps]
draw.plot(panels.stack(heatmaps), key="per-unit")  # one figure, one time axis: zoom one model, see them all
st.caption(f"One log colour scale for every model, from {internals.short_number(top)} down to "
           f"{internals.short_number(floor)} (smaller values, and exact zeros, at its darkest end), so a gradient "
           "that vanishes looks as faint here as it falls on the line chart above. The LSTM's cell state is a "
           "\"constant error carousel\" (Hochreiter & Schmidhuber 1997): dL/dc_{t-1} = f_t ⊙ dL/dc_t + …, so where "
           "the forget gate stays near 1 the gradient flows back along c with little loss; the hidden state's "
           "gradient has to pass through W_hh and tanh' at every step.")

# -- Jacobian (computed now: the charts above are on their way to the browser meanwhile) --
st.subheader(r"$\Vert \partial h_T/\partial h_t \Vert_F$: how much the last state depends on step $t$")
for name, found in fanout.each_model(lambda n: caches.jacobian(n, used), list(results)).items():
    if isinstance(found, Exception):
        st.error(f"{name}: could not compute its Jacobian: {found}")
        found = {"jacobian": None, "jacobian_start": 0, "jacobian_exact": True}
    results[name].update(found)
jac_fig = figures.log_curves_figure(
    series=curves(lambda r: r["jacobian"], lambda r: r["jacobian_start"]), tokens=tokens,
    title="Jacobian norm ‖∂h_T/∂h_t‖_F (Frobenius) within each layer",
    y_title="‖∂h_T/∂h_t‖_F, Frobenius (log scale)", value_name="‖∂h_T/∂h_t‖_F (Frobenius)")
draw.plot(jac_fig, key="jacobian")
inexact = [name for name, r in results.items() if not r["jacobian_exact"]]
window_note = (f"over the last {JACOBIAN_CHARS} characters only (steps {steps - JACOBIAN_CHARS}–{steps - 1}; the "
               "states before them are carried in exactly"
               + (f", except for the bidirectional {', '.join(inexact)}, which reads the window afresh" if inexact
                  else "") + ")") if steps > JACOBIAN_CHARS else "over the whole text"
st.caption(f"The Frobenius norm of the Jacobian of the last hidden state with respect to h_t, {window_note}: exact, "
           f"but it costs one backward pass per hidden unit, so it is capped at {JACOBIAN_CHARS} characters. "
           "At t = T it is √H (the identity). It does not depend on the loss.")

# -- spectra --
st.subheader(r"Singular values of the recurrent matrices $W_{hh}$")
st.caption("Pascanu, Mikolov & Bengio (2013): for h_t = tanh(W_hh h_{t-1} + …), if the largest singular value of "
           "W_hh is below 1/γ (γ = 1 bounds tanh'), gradients through time must vanish; above it they may "
           "vanish or explode. LSTM and GRU blocks are shown per gate, but the bound does not apply directly: "
           "the gates multiply the path (the forget gate scales the cell's own path, the update gate mixes "
           "in h_{t-1} unchanged), so no single matrix decides the product.")
spectra = {name: caches.spectrum(name) for name in results}
# each panel titled by the model's name alone: a third of a narrow page has no room for more
draw.plot(caches.spectra_figure(list(spectra), list(spectra)), key="spectra")
for col, rows in zip(st.columns(len(spectra)), spectra.values()):
    for note in internals.spectrum_notes(rows):
        col.caption(note)

# -- saliency, by default at the prediction where the models differ most --
st.subheader(r"Which characters a prediction used: $\Vert \partial \mathrm{loss}_s / \partial x_t \Vert$")
losses = {name: r["grads"].trace.loss for name, r in results.items() if r["grads"].trace.loss is not None}
differs = internals.most_different_step({name: loss[:steps - 1] for name, loss in losses.items()})
step_default = steps - 2 if differs is None else differs
urlstate.param_default("step", step_default, parse=int, valid=lambda v: 0 <= v <= steps - 2,
                       what=f"0 to {steps - 2}")
if st.session_state.get(STEP_DEFAULT) is not None and st.session_state["step"] == st.session_state[STEP_DEFAULT]:
    st.session_state["step"] = step_default  # untouched: the default follows the text, the models and the loss
st.session_state[STEP_DEFAULT] = step_default
urlstate.keep_in_range("step", range(steps - 1), step_default)
step = st.number_input(f"Prediction made at step (0–{steps - 2})", min_value=0, max_value=steps - 2, step=1,
                       key="step", persist_state="session")
if differs is not None and step == differs:
    bits = ", ".join(f"{said[name]} {loss[step] / figures.LN2:.1f}" for name, loss in losses.items())
    st.markdown(f"Step {step} is the prediction where the models' surprise differs most (bits: {bits}).")
st.caption(f"Each character coloured by ‖∂loss/∂x_t‖, the gradient of the loss of the prediction at step {step} "
           f"(reading “{figures.char_label(tokens[step])}”, predicting “{figures.char_label(tokens[step + 1])}”) "
           "with respect to the input at step t, on a log scale spanning "
           f"{figures.SALIENCY_DECADES} powers of ten below the largest in each row (Distill's "
           "\"connectivity\" view), shown up to the character it predicts"
           + (f", from {SALIENCY_CHARS} characters before it" if step + 1 > SALIENCY_CHARS else "")
           + ". Characters after the step cannot matter. Hover for the values.")
for name, values in fanout.each_model(lambda n: caches.saliency(n, used, int(step)), list(results)).items():
    if isinstance(values, Exception):
        st.error(f"{name}: {values}")
        continue
    shown_from = max(0, int(step) + 1 - SALIENCY_CHARS)
    draw.markup(figures.saliency_html(tokens=tokens, saliency=values[shown_from:step + 2], step=int(step),
                                    start=shown_from, label=catalog.describe_model(name)))

urlstate.set_url(**url, layer=layer if max_layers > 1 else None, step=step)
if url["text"] is None:
    st.caption(f"This text is longer than {urlstate.MAX_URL_TEXT:,} characters, "
               f"so a link to this view does not carry it.")

clipping_section()
course.lesson_links(__file__)
