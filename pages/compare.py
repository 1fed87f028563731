"""Compare: SimpleRNN, GRU and LSTM read the same text, drawn under each other so step t lines up."""
import numpy as np
import streamlit as st

from explorer import figures
from explorer.analysis import internals
from explorer.app import caches, catalog, draw, frame, pickers, textbox, urlstate
from explorer.figures import panels

frame.require_frame(__file__)

MAX_COMPARE_TEXT = 5000  # characters traced by each model; the rest stays in the box
ORDERS = ["index", "activity", "variance", "similarity"]

st.title("Compare")
st.caption("Two or three models read the same text. Every figure below is drawn at the same width with the "
           "same margins, so the same step sits at the same place in each: read down a column to compare.")

if not catalog.picker_models():
    st.warning(textbox.NO_MODELS)
    st.stop()
set_name, names = pickers.model_set_picker()
url = {"set": set_name, "models": ",".join(names) if set_name == "custom" else None}
catalog.note_headless(names, "it has no surprise or guesses to draw "
                             "(those rows appear only when every model has them).")

urlstate.param_default("text", textbox.DEFAULT_TEXT["english"])
urlstate.keep_across_pages("text")
text = st.text_area(f"Text (up to {MAX_COMPARE_TEXT:,} characters are traced)", key="text", persist_state="session",
                    height=100)
url["text"] = text if len(text) <= urlstate.MAX_URL_TEXT else None
if not names:
    urlstate.set_url(**url)
    st.info("Pick at least one model in the sidebar.")
    st.stop()
used = textbox.text_to_read(text, MAX_COMPARE_TEXT, url=url, what="the models read it")

traces, models = {}, {}
for name in names:
    try:
        models[name] = catalog.get_model(name)
        traces[name] = caches.trace(name, used, k=1)
    except (ValueError, OSError) as err:
        st.error(f"{name}: could not trace this text: {err}")
if not traces:
    urlstate.set_url(**url)
    st.stop()
textbox.warn_unknown(sorted({c for tr in traces.values() for c in tr.unknown}))
first = next(iter(traces.values()))
tokens, steps = first.tokens, first.steps

# -- the numbers side by side --
st.header("Summary")
rows = []
for name, tr in traces.items():
    s = internals.model_summary(models[name], tr)
    split = f" ({s['held_out_split']})" if s["held_out_split"] != "test" else ""
    held = f"{s['held_out']:.3f} {s['metric']}{split}" if s["held_out"] is not None else "not measured"
    rows.append({"model": catalog.describe_model(name), "cell": s["cell"].upper(),
                 "size": f"{s['hidden']} units × {s['layers']} layer{'s' if s['layers'] > 1 else ''}",
                 "parameters": s["parameters"], "held-out metric": held,
                 "this text (bits/char)": None if s["bits_here"] is None else round(s["bits_here"], 3)})
st.dataframe(rows, hide_index=True)
st.caption("Held-out: measured on the test split when each model was built (lower bits/char is better). "
           "This text: the mean surprise, −log₂ p(next character), over the text above. "
           + ("Same size: each model has 128 hidden units and the same training budget, so the LSTM has about "
              "4× the SimpleRNN's recurrent parameters." if set_name == "same" else
              "Parameter-matched: the SimpleRNN and GRU are wider so every model has about as many parameters."
              if set_name == "matched" else ""))

# -- what to draw --
urlstate.param_default("order", "index", valid=lambda v: v in ORDERS, what=", ".join(ORDERS))
order_by = st.radio("Order units by", ORDERS, key="order", persist_state="session", horizontal=True,
                    help="activity: mean |h|; variance: most variable first; similarity: units that move together "
                         "sit together (each model ordered by its own hidden state)")
max_size = max(tr.hidden_size for tr in traces.values())
start, stop = pickers.step_window(steps, max_size, key="compare_window", label="Steps shown",
                             help="At most {window} steps at a time, at full resolution, for every model.")


def layer_name(tr):
    return f"layer {tr.num_layers - 1}" + (" (the top)" if tr.num_layers > 1 else "")


# each section is one figure of stacked panels on one time axis: zoom one model, see them all
st.header("Hidden state h")
heatmaps = []
for name, tr in traces.items():
    hidden = tr.hidden[-1, 0, start:stop]  # the top layer, forward direction: what the head reads
    heatmaps.append(figures.state_heatmap(values=hidden, tokens=tokens, quantity="hidden", start=start, height=360,
                                          unit_order=internals.order_units(hidden, order_by),
                                          title=f"{catalog.describe_model(name)}: hidden state h, {layer_name(tr)}"))
draw.plot(panels.stack(heatmaps), key="hidden")
st.caption(f"Units ordered by {order_by} of each model's own hidden state; blue negative, red positive.")

if all(tr.loss is not None for tr in traces.values()):
    st.header("Surprise at each character")
    top = max(float(np.nanmax(tr.loss[start:stop], initial=0.0)) for tr in traces.values()) / figures.LN2  # bits
    # one scale: every strip gets the same max_bits
    strips = [figures.loss_strip(tokens=tokens, loss=tr.loss[start:stop], start=start, max_bits=max(1.0, top * 1.05),
                                 title=f"{catalog.describe_model(name)}: bits spent on each next character")
              for name, tr in traces.items()]
    draw.plot(panels.stack(strips), key="loss")

if all(tr.topk_labels is not None for tr in traces.values()):
    st.header("Top-1 guess for the next character")
    guesses = []
    for name, tr in traces.items():
        fig = figures.topk_figure(tokens=tokens, topk_labels=[row[:1] for row in tr.topk_labels[start:stop]],
                                  topk_probs=tr.topk_probs[start:stop, :1], start=start,
                                  title=f"{catalog.describe_model(name)}: most likely next character (colour: p)")
        fig.update_layout(height=160)
        fig.update_yaxes(type="category")  # one rank: "#1", not a numeric axis
        guesses.append(fig)
    draw.plot(panels.stack(guesses), key="top1")

st.header("Gate saturation")
st.caption("Karpathy, Johnson & Fei-Fei (2015), fig. 3, over the steps shown: a gate unit near the top left is "
           "almost always open, near the bottom right almost always shut. A SimpleRNN has no gates.")
saturation = {}
for name, tr in traces.items():
    gates = internals.sigmoid_gates({k: v[-1, 0, start:stop] for k, v in tr.gates.items()})
    if gates:
        saturation[name] = figures.saturation_figure(gates=gates, title=catalog.describe_model(name))
    else:
        st.info(f"{catalog.describe_model(name)}: no gates to saturate; its only nonlinearity is tanh.")
if saturation:
    draw.plot(panels.side_by_side(list(saturation.values())), key="saturation")

urlstate.set_url(**url, order=order_by)
if url["text"] is None:
    st.caption(f"This text is longer than {urlstate.MAX_URL_TEXT:,} characters, "
               f"so a link to this view does not carry it.")
