"""Compare: SimpleRNN, GRU and LSTM read the same text, drawn under each other so step t lines up."""
import numpy as np
import streamlit as st

from explorer import figures
from explorer.analysis import internals
from explorer.app import caches, catalog, course, draw, frame, pickers, textbox, urlstate
from explorer.figures import panels
from explorer.i18n import N_, _, ngettext, sentences

frame.require_frame(__file__)

MAX_COMPARE_TEXT = 5000  # characters traced by each model; the rest stays in the box
ORDERS = {"index": N_("index"), "activity": N_("activity"), "variance": N_("variance"),
          "similarity": N_("similarity")}  # URL values: the words they are shown as
SPLITS = {"val": N_("val")}  # the held-out split when it is not the test split
KEY_PANEL_HEIGHT = 180  # pixels per model: three of them and the text box above fit the first screen at 1280x800

st.title(_("Compare"))

if not catalog.picker_models():
    st.warning(_(textbox.NO_MODELS))
    st.stop()
set_name, names = pickers.model_set_picker()
url = {"set": set_name, "models": ",".join(names) if set_name == "custom" else None}
catalog.note_headless(names, _("it has no surprise or guesses to draw "
                               "(those rows appear only when every model has them)."))

urlstate.param_default("text", textbox.DEFAULT_TEXT["english"])
urlstate.keep_across_pages("text")
text = textbox.text_box(_("Text (up to {n} characters are traced; Enter applies)").format(n=f"{MAX_COMPARE_TEXT:,}"),
                        key="text",
                        multiline="\n" in st.session_state["text"])
url["text"] = text if len(text) <= urlstate.MAX_URL_TEXT else None
if not names:
    urlstate.set_url(**url)
    st.info(_("Pick at least one model in the sidebar."))
    course.lesson_links(__file__)
    st.stop()
used = textbox.text_to_read(text, MAX_COMPARE_TEXT, url=url, what=_("the models read it"))

traces, models = {}, {}
for name in names:
    try:
        models[name] = catalog.get_model(name)
        traces[name] = caches.trace(name, used, k=1)
    except (ValueError, OSError) as err:
        st.error(_("{model}: could not trace this text: {error}").format(model=draw.plain(name), error=err))
if not traces:
    urlstate.set_url(**url)
    course.lesson_links(__file__)
    st.stop()
textbox.warn_unknown(sorted({c for tr in traces.values() for c in tr.unknown}))
first = next(iter(traces.values()))
tokens, steps = first.tokens, first.steps


def hidden_title(name, tr):
    said = _("{model}: hidden state h, layer {layer} (the top)") if tr.num_layers > 1 else \
        _("{model}: hidden state h, layer {layer}")
    return said.format(model=draw.figure_text(catalog.describe_model(name)), layer=tr.num_layers - 1)


# -- the key picture: the three hidden states on one time axis; its settings sit under it --
sentence = st.empty()  # right above the picture, outside its container: the container holds the chart alone
key_picture = draw.key_figure()
urlstate.param_default("order", "index", valid=lambda v: v in ORDERS, what=", ".join(ORDERS))
order_by = st.radio(_("Order units by"), list(ORDERS), key="order", persist_state="session", horizontal=True,
                    format_func=lambda order: _(ORDERS[order]),
                    help=_("activity: mean |h|; variance: most variable first; similarity: units that move "
                           "together sit together (each model ordered by its own hidden state)"))
max_size = max(tr.hidden_size for tr in traces.values())
start, stop = pickers.step_window(steps, max_size, key="compare_window", label=_("Steps shown"),
                                  help=_("At most {window} steps at a time, at full resolution, for every model."))
hidden = {name: tr.hidden[-1, 0, start:stop] for name, tr in traces.items()}  # the top layer: what the head reads
stacked = figures.states.states_stacked(
    panels=[{"values": values, "unit_order": internals.order_units(values, order_by),
             "title": hidden_title(name, traces[name])}
            for name, values in hidden.items()], tokens=tokens, start=start, panel_height=KEY_PANEL_HEIGHT)
said = {name: draw.plain(words) if catalog.is_user_model(name) else words  # a name the user chose: plain text
        for name, words in internals.sentence_names({name: tr.cell_type for name, tr in traces.items()}).items()}
draw.look_at(internals.saturation_sentence({said[n]: internals.saturated_share(v) for n, v in hidden.items()}),
             where=sentence)
draw.plot(stacked, key="hidden", where=key_picture)  # one figure, one time axis: zoom one model, see them all
st.caption(_("Each model's hidden state, drawn under the others on one time axis (as every figure below, at the same "
             "width and margins), so step t sits in one column. Units ordered by {order} of each model's own hidden "
             "state; blue negative, red positive. A SimpleRNN's h_t is tanh of its input, whose slope 1 − h² is under "
             "{slope} where |h| > 0.9: little gradient passes back through a pinned unit (Gradients through time "
             "shows how little).").format(order=_(ORDERS[order_by]), slope=f"{1 - 0.9 ** 2:.2g}"))

# -- the numbers side by side --
st.header(_("Summary"))
rows, budgets = [], {}
for name, tr in traces.items():
    s = internals.model_summary(models[name], tr)
    split = s["held_out_split"]
    split = _("({split})").format(split=_(SPLITS[split]) if split in SPLITS else split) if split != "test" else ""
    metric = catalog.metric_name(s["metric"]) if s["metric"] else ""
    held = " ".join(filter(None, [f"{s['held_out']:.3f}", metric, split])) \
        if s["held_out"] is not None else _("not measured")
    shown = _("{model} (yours)").format(model=name[len(catalog.YOURS):]) if catalog.is_user_model(name) else name
    units = f"{s['hidden']}" if s["layers"] == 1 else \
        ngettext("{hidden} × {n} layer", "{hidden} × {n} layers", s["layers"]).format(hidden=s["hidden"], n=s["layers"])
    # short columns: the table fits a 1000 px window
    info = catalog.model_info(name)
    batch = (info.get("recipe") or {}).get("batch_size")
    budget = f"{info['steps']:,} × {batch}" if info.get("steps") and batch else ""
    budgets[name] = budget
    rows.append({_("model"): shown, _("cell"): catalog.cell_name(s["cell"]),
                 _("units"): units, _("parameters"): s["parameters"], _("training"): budget,
                 _("held-out"): held,
                 _("bits/char here"): None if s["bits_here"] is None else round(s["bits_here"], 3)})
st.dataframe(rows, hide_index=True)
sets = {"same": _("Same size: each model has 128 hidden units and the same training budget, so the LSTM has about 4× "
                  "the SimpleRNN's recurrent parameters."),
        "matched": _("Parameter-matched: the SimpleRNN and GRU are wider so every model has about as many "
                     "parameters."),
        "parallel": _("GRU, minGRU, minLSTM: about the same parameters each.")}
mixed = len({b for b in budgets.values() if b}) > 1
st.caption(sentences([
    _("Held-out: measured on the test split when each model was built (lower bits/char is better). "
      "Here: the mean surprise, −log₂ p(next character), over the text above."),
    _("Training: optimizer steps × windows of text per step."),
    sets.get(set_name, ""),
    _("These models trained for different budgets, so part of the gap is training.") if mixed else ""]))

if all(tr.loss is not None for tr in traces.values()):
    st.header(_("Surprise at each character"))
    top = max(float(np.nanmax(tr.loss[start:stop], initial=0.0)) for tr in traces.values()) / figures.LN2  # bits
    # one scale: every strip gets the same max_bits
    strips = [figures.loss_strip(tokens=tokens, loss=tr.loss[start:stop], start=start, max_bits=max(1.0, top * 1.05),
                                 title=_("{model}: bits spent on each next character")
                                 .format(model=draw.figure_text(catalog.describe_model(name))))
              for name, tr in traces.items()]
    draw.plot(panels.stack(strips), key="loss")

if all(tr.topk_labels is not None for tr in traces.values()):
    st.header(_("Top-1 guess for the next character"))
    guesses = []
    for name, tr in traces.items():
        fig = figures.topk_figure(tokens=tokens, topk_labels=[row[:1] for row in tr.topk_labels[start:stop]],
                                  topk_probs=tr.topk_probs[start:stop, :1], start=start,
                                  title=_("{model}: most likely next character (colour: p)")
                                  .format(model=draw.figure_text(catalog.describe_model(name))))
        fig.update_layout(height=160)
        fig.update_yaxes(type="category")  # one rank: "#1", not a numeric axis
        guesses.append(fig)
    draw.plot(panels.stack(guesses), key="top1")

st.header(_("Gate saturation"))
st.caption(_("Karpathy, Johnson & Fei-Fei (2015), fig. 3, over the steps shown: a gate unit near the top left is "
             "almost always open, near the bottom right almost always shut. A SimpleRNN has no gates."))
saturation = {}
for name, tr in traces.items():
    gates = internals.sigmoid_gates({k: v[-1, 0, start:stop] for k, v in tr.gates.items()})
    if gates:
        saturation[name] = figures.saturation_figure(gates=gates,
                                                     title=draw.figure_text(catalog.describe_model(name)))
    else:
        st.info(_("{model}: no gates to saturate; its only nonlinearity is tanh.")
                .format(model=draw.plain(catalog.describe_model(name))))
if saturation:
    draw.plot(panels.side_by_side(list(saturation.values())), key="saturation")

urlstate.set_url(**url, order=order_by)
if url["text"] is None:
    st.caption(_("This text is longer than {n} characters, so a link to this view does not carry it.")
               .format(n=f"{urlstate.MAX_URL_TEXT:,}"))
course.lesson_links(__file__)
