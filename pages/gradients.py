"""Gradients through time: why an LSTM remembers and a SimpleRNN forgets, with the real networks' numbers."""
import numpy as np
import streamlit as st

from explorer import figures
from explorer.analysis import internals
from explorer.analysis.internals import JACOBIAN_CHARS
from explorer.app import caches, catalog, course, draw, fanout, frame, language, pickers, textbox, urlstate
from explorer.engine.cells import in_notation
from explorer.figures import panels
from explorer.i18n import N_, _
from explorer.training.clipping import clipping_lab

frame.require_frame(__file__)

MAX_GRAD_TEXT = 2000  # characters; bptt over three models stays under a second or two
SALIENCY_CHARS = 400  # characters shown before the chosen step (later ones have no gradient)
LOSSES = {"last": N_("the loss at the last step"), "sum": N_("the loss summed over all steps")}
CLIP_LAB = "clip_lab"  # session_state: the last clipping-lab result and its settings
STEP_DEFAULT = "_gradients_step"  # session_state: the saliency step's last default, followed while untouched
STARTS = {"last": N_("the last prediction"), "sum": N_("the end of the text")}
NOTES = {"sum": N_("every step adds its own loss's gradient, so the last step's loss shows vanishing better")}
TITLES = {"last": N_("Gradient norm reaching h_t, last step's loss"),  # short: the title must fit at 1000 px
          "sum": N_("Gradient norm reaching h_t, summed loss")}


def clipping_section():
    st.subheader(_("Clipping lab"))
    st.write(_("Clipping rescales the whole gradient when its norm exceeds a threshold, so one exploding step "
               "cannot throw the weights far away: it **bounds the step size when gradients explode**. It does "
               "**not** fix vanishing gradients: a gradient that is already tiny is left as it is, and a SimpleRNN "
               "that cannot feel the first marker of a long adding problem stays blind, clipped or not."))
    with st.form("clip_form", border=False):
        cols = st.columns(5)
        cell = cols[0].selectbox(_("Cell"), ["rnn", "gru", "lstm"], key="clip_cell", format_func=str.upper)
        seq_len = cols[1].number_input(_("Sequence length"), 10, 400, 100, step=10, key="clip_len")
        steps = cols[2].number_input(_("Training steps"), 2, 60, 20, step=1, key="clip_steps")
        threshold = cols[3].number_input(_("Clip threshold"), 0.01, 100.0, 1.0, step=0.5, key="clip_threshold")
        lr = cols[4].number_input(_("Learning rate (SGD)"), 0.001, 5.0, 0.5, step=0.1, format="%.3f", key="clip_lr")
        run = st.form_submit_button(_("Train both (with and without clipping)"), icon=":material/play_arrow:",
                                    key="clip_run")
    if run:
        settings = dict(cell=cell, seq_len=int(seq_len), steps=int(steps), threshold=float(threshold), lr=float(lr))
        with st.spinner(_("Training two identical models on the same batches…")):
            try:
                st.session_state[CLIP_LAB] = {"settings": settings, "result": clipping_lab(**settings)}
            except ValueError as err:
                st.error(_("The clipping lab could not run: {error}").format(error=err))
    lab = st.session_state.get(CLIP_LAB)
    if lab is None:
        st.info(_("Press the button to train two copies of the same model (same seed, same batches) on the "
                  "adding problem: one with clipping, one without. The defaults make the unclipped one explode."))
        return
    result = lab["result"]
    draw.plot(figures.clipping_figure(result=result), key="clip-chart")
    runs = (("unclipped", _("Without clipping")),
            ("clipped", _("Clipped at {threshold}").format(threshold=f"{result['threshold']:g}")))
    for key, label in runs:
        rows = result[key]["rows"]
        events = sum(bool(r.get("clipped")) for r in rows)
        reason = result[key]["stopped_reason"]
        finite = [r["grad_norm_before"] for r in rows if np.isfinite(r["grad_norm_before"])]
        if reason:  # the trainer's own sentence on why it stopped
            line = (_("**{run}:** {n} steps logged, {events} clip events; largest gradient norm {largest}. {reason}")
                    if finite else _("**{run}:** {n} steps logged, {events} clip events. {reason}"))
        else:
            line = (_("**{run}:** {n} steps logged, {events} clip events; largest gradient norm {largest}. It trained "
                      "without diverging.") if finite else
                    _("**{run}:** {n} steps logged, {events} clip events. It trained without diverging."))
        (st.error if reason else st.success)(line.format(run=label, n=len(rows), events=events, reason=reason,
                                                         largest=f"{max(finite):.3g}" if finite else ""))
    run_with = lab["settings"]
    st.caption(_("{cell}, sequence length {length}, {steps} steps of SGD at lr {lr}, threshold {threshold}; both runs "
                 "start from the same weights and see the same batches. Crosses mark the steps where the gradient "
                 "was rescaled.").format(cell=run_with["cell"].upper(), length=run_with["seq_len"],
                                         steps=run_with["steps"], lr=f"{run_with['lr']:g}",
                                         threshold=f"{run_with['threshold']:g}"))


def stop_here(url: dict, message: str | None = None):
    """End the page early: the view still goes into the URL, and the clipping lab and the course links stay."""
    urlstate.set_url(**url)
    if message:
        st.info(message)
    clipping_section()
    course.lesson_links(__file__)
    st.stop()


st.title(_("Gradients through time"))
st.caption(_("Backpropagation through time, exact (`explorer.bptt`) on the real networks: how much of the loss's "
             "gradient reaches each earlier character."))
notation = language.notation()
recurrent = figures.gradients.block_name("W_hh", notation)  # the recurrent matrix, as the captions name it
between = _("{low} to {high}")

if not catalog.picker_models():
    st.warning(_(textbox.NO_MODELS))
    clipping_section()
    st.stop()
set_name, names = pickers.model_set_picker()
url = {"set": set_name, "models": ",".join(names) if set_name == "custom" else None}
catalog.note_headless(names, _("its loss here is a stand-in: the sum of its top layer's outputs at the last step "
                               "(or summed over all steps), not a cross-entropy."))

urlstate.param_default("text", textbox.DEFAULT_TEXT["english"])
urlstate.keep_across_pages("text")
typed, chosen = st.columns([3, 2])
text = textbox.text_box(_("Text (up to {n} characters are used; Enter applies)").format(n=f"{MAX_GRAD_TEXT:,}"),
                        key="text",
                        multiline="\n" in st.session_state["text"], where=typed)
url["text"] = text if len(text) <= urlstate.MAX_URL_TEXT else None
urlstate.param_default("loss", "last", valid=lambda v: v in LOSSES, what=", ".join(LOSSES))
loss_kind = chosen.radio(_("Follow the gradient of"), list(LOSSES), key="loss", persist_state="session",
                         format_func=lambda kind: _(LOSSES[kind]),
                         help=_("last: the cross-entropy of the last prediction only, so every earlier step gets "
                                "gradient only through the recurrence. sum: every step's own loss too."))
url["loss"] = loss_kind

if not names:
    stop_here(url, _("Pick at least one model in the sidebar."))
if len(text) < 2:
    stop_here(url, _("Type some text above (at least two characters: one to read, one to predict) to follow its "
                     "gradient back through time."))
textbox.note_whitespace(text)
used = textbox.limited_text(text, MAX_GRAD_TEXT)

results = {}
for name, found in fanout.each_model(lambda n: caches.gradients(n, used, loss=loss_kind), names).items():
    if isinstance(found, Exception):
        st.error(_("{model}: could not compute its gradients: {error}").format(model=name, error=found))
    else:
        results[name] = {"grads": found}
if not results:
    stop_here(url)
first = next(iter(results.values()))["grads"]
tokens, steps = first.trace.tokens, first.trace.steps
textbox.warn_unknown(sorted({c for r in results.values() for c in r["grads"].trace.unknown}))
color = {name: figures.MODEL_COLORS[k % len(figures.MODEL_COLORS)] for k, name in enumerate(results)}


def label(name, layer, direction, layers, directions):
    said = ((_("{model} layer {layer} backward") if direction else _("{model} layer {layer}")) if layers > 1 else
            _("{model} backward") if direction else "{model}")
    return said.format(model=draw.figure_text(catalog.describe_model(name)), layer=layer)


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
    title=_(TITLES[loss_kind]), y_title=_("‖dL/dh_t‖₂ (log scale)"), value_name="‖dL/dh_t‖")
# the top layer's forward direction: where the loss enters, read back towards step 0
said = {name: draw.plain(words) if catalog.is_user_model(name) else words  # a name the user chose: plain text
        for name, words in internals.sentence_names({name: r["grads"].trace.cell_type
                                                    for name, r in results.items()}).items()}
reach = {said[name]: internals.gradient_reach(r["grads"].grad_norm_per_step[-1, 0]) for name, r in results.items()}
draw.look_at(internals.reach_sentence(reach, start_from=_(STARTS[loss_kind]),
                                      note=_(NOTES[loss_kind]) if loss_kind in NOTES else ""))
with draw.key_figure():
    draw.plot(norm_fig, key="grad-norms")
st.caption(_("The loss: {loss}. Each curve is the Euclidean norm of the total gradient reaching the hidden state at "
             "step t, through every later step (explorer.bptt, exact). A straight fall on this log axis is exponential "
             "vanishing. Gaps are exact zeros: the gradient underflowed below float32's smallest number.")
           .format(loss=first.loss_description))

# -- per unit, on one colour scale for every model --
has_cell = any(r["grads"].dc is not None for r in results.values())
st.subheader(_(r"$|\partial L/\partial h_t|$ per unit and $|\partial L/\partial c_t|$ (LSTM)") if has_cell else
             _(r"$|\partial L/\partial h_t|$ per unit"))
max_layers = max(r["grads"].dh.shape[0] for r in results.values())
urlstate.param_default("layer", max_layers - 1, parse=int, valid=lambda v: 0 <= v < max_layers,
                       what=between.format(low=0, high=max_layers - 1))
urlstate.keep_in_range("layer", range(max_layers), max_layers - 1)
layer = st.selectbox(_("Layer"), range(max_layers), key="layer", persist_state="session") if max_layers > 1 else 0
max_size = max(r["grads"].dh.shape[-1] for r in results.values())
columns = figures.full_resolution_steps(max_size)  # the same binning for every model: columns line up
maps = []  # (values, value name, title)
for name, r in results.items():
    g = r["grads"]
    at = min(layer, g.dh.shape[0] - 1)
    model = draw.figure_text(catalog.describe_model(name))
    maps.append((g.dh[at, 0], "|dL/dh|", _("{model}: |dL/dh_t|, layer {layer}").format(model=model, layer=at)))
    if g.dc is not None:
        maps.append((g.dc[at, 0], "|dL/dc|", _("{model}: |dL/dc_t| (cell state), layer {layer}")
                     .format(model=model, layer=at)))
floor, top = figures.gradients.shared_log_range(arrays=[values for values, *_titles in maps])
heatmaps = [figures.log_heatmap(values=values, tokens=tokens, value_name=value_name, max_columns=columns,
                                title=title, height=320, floor=floor, top=top) for values, value_name, title in maps]
draw.plot(panels.stack(heatmaps), key="per-unit")  # one figure, one time axis: zoom one model, see them all
st.caption(_("One log colour scale for every model, from {top} down to {floor} (smaller values, and exact zeros, at "
             "its darkest end), so a gradient that vanishes looks as faint here as it falls on the line chart above. "
             "The LSTM's cell state is a \"constant error carousel\" (Hochreiter & Schmidhuber 1997): dL/dc_{{t-1}} = "
             "f_t ⊙ dL/dc_t + …, so where the forget gate stays near 1 the gradient flows back along c with little "
             "loss; the hidden state's gradient has to pass through {W} and tanh' at every step.")
           .format(top=internals.short_number(top), floor=internals.short_number(floor), W=recurrent))

# -- Jacobian (computed now: the charts above are on their way to the browser meanwhile) --
st.subheader(_(r"$\Vert \partial h_T/\partial h_t \Vert_F$: how much the last state depends on step $t$"))
for name, found in fanout.each_model(lambda n: caches.jacobian(n, used), list(results)).items():
    if isinstance(found, Exception):
        st.error(_("{model}: could not compute its Jacobian: {error}").format(model=name, error=found))
        found = {"jacobian": None, "jacobian_start": 0, "jacobian_exact": True}
    results[name].update(found)
jac_fig = figures.log_curves_figure(
    series=curves(lambda r: r["jacobian"], lambda r: r["jacobian_start"]), tokens=tokens,
    title=_("Jacobian norm ‖∂h_T/∂h_t‖_F (Frobenius) within each layer"),
    y_title=_("‖∂h_T/∂h_t‖_F, Frobenius (log scale)"), value_name=_("‖∂h_T/∂h_t‖_F (Frobenius)"))
draw.plot(jac_fig, key="jacobian")
inexact = [name for name, r in results.items() if not r["jacobian_exact"]]
if steps <= JACOBIAN_CHARS:
    jac_said = _("The Frobenius norm of the Jacobian of the last hidden state with respect to h_t, over the whole "
                 "text: exact, but it costs one backward pass per hidden unit, so it is capped at {n} characters. At "
                 "t = T it is √H (the identity). It does not depend on the loss.")
elif not inexact:
    jac_said = _("The Frobenius norm of the Jacobian of the last hidden state with respect to h_t, over the last {n} "
                 "characters only (steps {first}–{last}; the states before them are carried in exactly): exact, but "
                 "it costs one backward pass per hidden unit, so it is capped at {n} characters. At t = T it is √H "
                 "(the identity). It does not depend on the loss.")
else:
    jac_said = _("The Frobenius norm of the Jacobian of the last hidden state with respect to h_t, over the last {n} "
                 "characters only (steps {first}–{last}; the states before them are carried in exactly, except for "
                 "the bidirectional {models}, which reads the window afresh): exact, but it costs one backward pass "
                 "per hidden unit, so it is capped at {n} characters. At t = T it is √H (the identity). It does not "
                 "depend on the loss.")
st.caption(jac_said.format(n=JACOBIAN_CHARS, first=steps - JACOBIAN_CHARS, last=steps - 1, models=", ".join(inexact)))

# -- spectra --
st.subheader(_("Singular values of the recurrent matrices {matrix}")
             .format(matrix=f"${in_notation('W_{hh}', notation)}$"))
st.caption(_("Pascanu, Mikolov & Bengio (2013): for h_t = tanh({W} h_{{t-1}} + …), if the largest singular value of "
             "{W} is below 1/γ (γ = 1 bounds tanh'), gradients through time must vanish; above it they may vanish or "
             "explode. LSTM and GRU blocks are shown per gate, but the bound does not apply directly: the gates "
             "multiply the path (the forget gate scales the cell's own path, the update gate mixes in h_{{t-1}} "
             "unchanged), so no single matrix decides the product.").format(W=recurrent))
spectra = {name: caches.spectrum(name) for name in results}
for name in [name for name, rows in spectra.items() if not rows]:  # minGRU, minLSTM: no matrix to draw
    del spectra[name]
    st.caption(_("{model}: no recurrent matrix. Its gates read x_t alone; h_{{t-1}} reaches h_t only multiplied, "
                 "unit by unit, by the share it keeps (1 − z_t, or the normalised forget gate f′_t), so "
                 "∂h_T/∂h_t is a product of gates and nothing else.")
               .format(model=draw.plain(catalog.describe_model(name))))
if spectra:
    # each panel titled by the model's name alone: a third of a narrow page has no room for more
    draw.plot(caches.spectra_figure(list(spectra), list(spectra), notation=notation), key="spectra")
    for col, rows in zip(st.columns(len(spectra)), spectra.values()):
        for note in internals.spectrum_notes(rows):
            col.caption(note)

# -- saliency, by default at the prediction where the models differ most --
st.subheader(_(r"Which characters a prediction used: $\Vert \partial \mathrm{loss}_s / \partial x_t \Vert$"))
losses = {name: r["grads"].trace.loss for name, r in results.items() if r["grads"].trace.loss is not None}
differs = internals.most_different_step({name: loss[:steps - 1] for name, loss in losses.items()})
step_default = steps - 2 if differs is None else differs
urlstate.param_default("step", step_default, parse=int, valid=lambda v: 0 <= v <= steps - 2,
                       what=between.format(low=0, high=steps - 2))
if st.session_state.get(STEP_DEFAULT) is not None and st.session_state["step"] == st.session_state[STEP_DEFAULT]:
    st.session_state["step"] = step_default  # untouched: the default follows the text, the models and the loss
st.session_state[STEP_DEFAULT] = step_default
urlstate.keep_in_range("step", range(steps - 1), step_default)
step = st.number_input(_("Prediction made at step (0–{last})").format(last=steps - 2), min_value=0,
                       max_value=steps - 2, step=1,
                       key="step", persist_state="session")
if differs is not None and step == differs:
    bits = ", ".join(f"{said[name]} {loss[step] / figures.LN2:.1f}" for name, loss in losses.items())
    st.markdown(_("Step {step} is the prediction where the models' surprise differs most (bits: {bits}).")
                .format(step=step, bits=bits))
saliency_said = (
    _("Each character coloured by ‖∂loss/∂x_t‖, the gradient of the loss of the prediction at step {step} (reading "
      "“{read}”, predicting “{next}”) with respect to the input at step t, on a log scale spanning {decades} powers "
      "of ten below the largest in each row (Distill's \"connectivity\" view), shown up to the character it "
      "predicts, from {n} characters before it. Characters after the step cannot matter. Hover for the values.")
    if step + 1 > SALIENCY_CHARS else
    _("Each character coloured by ‖∂loss/∂x_t‖, the gradient of the loss of the prediction at step {step} (reading "
      "“{read}”, predicting “{next}”) with respect to the input at step t, on a log scale spanning {decades} powers "
      "of ten below the largest in each row (Distill's \"connectivity\" view), shown up to the character it "
      "predicts. Characters after the step cannot matter. Hover for the values."))
st.caption(saliency_said.format(step=step, read=figures.char_label(tokens[step]),
                                next=figures.char_label(tokens[step + 1]), decades=figures.SALIENCY_DECADES,
                                n=SALIENCY_CHARS))
for name, values in fanout.each_model(lambda n: caches.saliency(n, used, int(step)), list(results)).items():
    if isinstance(values, Exception):
        st.error(f"{draw.plain(name)}: {values}")
        continue
    shown_from = max(0, int(step) + 1 - SALIENCY_CHARS)
    draw.markup(figures.saliency_html(tokens=tokens, saliency=values[shown_from:step + 2], step=int(step),
                                    start=shown_from, label=catalog.describe_model(name)))

urlstate.set_url(**url, layer=layer if max_layers > 1 else None, step=step)
if url["text"] is None:
    st.caption(_("This text is longer than {n} characters, so a link to this view does not carry it.")
               .format(n=f"{urlstate.MAX_URL_TEXT:,}"))

clipping_section()
course.lesson_links(__file__)
