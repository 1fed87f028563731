"""Home: what the app is, the pretrained models, and the four cells' equations."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/home.py")

st.title("RNN Explorer")
st.write("Look inside recurrent neural networks while they read and write: every hidden state, gate and "
         "cell state, computed exactly from the real `torch.nn` network, drawn step by step. "
         "Pick a pretrained model, type a sentence, and watch which units track quotes, brackets and long words.")

st.header("Where to start")
PAGES = [
    ("pages/inspect.py", "Inspect", "type a sentence; every hidden state, gate and cell state of a char-RNN, per character"),
    ("pages/generate.py", "Generate", "the model warms up on your prompt, then writes one sampled character at a time"),
    ("pages/compare.py", "Compare", "a SimpleRNN, a GRU and an LSTM side by side on the same text"),
    ("pages/gradients.py", "Gradients through time", "why one forgets and the other remembers: the gradient reaching each step"),
    ("pages/train.py", "Train live", "press play and watch loss, gradients and gates change as a toy model learns"),
    ("pages/sentiment.py", "Sentiment (many-to-one)", "the running verdict after every word; negation and \"but\" flip it"),
    ("pages/one_to_many.py", "One-to-many", "one input, a whole sequence out, gates per generated step"),
    ("pages/series.py", "Time series", "a sliding window in, a forecast out, against a naive last-value baseline"),
    ("pages/jordan.py", "Jordan vs Elman", "feeding back the output instead of the hidden state"),
    ("pages/deep.py", "Stacked & bidirectional", "every layer and both directions, and where they meet"),
    ("pages/embedding.py", "One-hot vs embedding", "the same net fed both ways, and the character map it learns"),
    ("pages/seq2seq.py", "Encoder-decoder", "a sequence squeezed into one state, then written out again"),
    ("pages/your_model.py", "Your model", "upload a torch.nn RNN/GRU/LSTM state_dict and use it on every page"),
    ("pages/units.py", "Find units", "which units track quotes, brackets or your own pattern"),
    ("pages/intervene.py", "Intervene", "clamp a gate, ablate units or edit a character, and see what changes"),
]
for row in range(0, len(PAGES), 3):  # one row of columns at a time, so each row lines up
    for col, (path, title, what) in zip(st.columns(3), PAGES[row:row + 3]):
        with col:
            st.page_link(path, label=title)
            st.caption(what)

st.header("Pretrained models")
rows = ui.summary_rows()
if not rows:
    st.warning(ui.NO_MODELS)
else:
    def metric(row):
        if row.get("test") is None:
            return "not measured"
        baseline = f" (baseline {row['baseline']:.3g})" if row.get("baseline") is not None else ""
        longer = f"; {row['test_longer']:.3g} at 2× length" if row.get("test_longer") is not None else ""
        return f"{row['metric']} {row['test']:.3g}{baseline}{longer}"

    st.dataframe(
        [{"model": r["name"], "task": r["task"], "cell": (r["cell"] or "").upper(),
          "size": f"{r['hidden']} units × {r['layers']} layer{'s' if r['layers'] > 1 else ''}",
          "parameters": r["parameters"], "held-out (test)": metric(r)} for r in rows],
        hide_index=True)
    st.caption("Held-out metrics were measured on the test split when each model was built; the baseline is "
               "what a model with no memory scores (e.g. the unigram bits per character).")

st.header("The cells")
st.caption("In PyTorch's own form and names (`weight_ih_l0`, gate order LSTM i f g o, GRU r z n). "
           "σ is the logistic sigmoid, ⊙ the elementwise product.")
left, right = st.columns(2)
with left:
    st.subheader("Elman (SimpleRNN)")
    st.latex(r"h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})")
    st.page_link("pages/inspect.py", label="See an Elman net read live", icon=":material/biotech:",
                 query_params={"model": "english-rnn"})
    st.subheader("Jordan")
    st.latex(r"h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh}\,\phi(y_{t-1}) + b_{hh}),\qquad y_t = W_{ho} h_t + b_{ho}")
    st.caption("The previous *output*, not the hidden state, is fed back.")
    st.page_link("pages/jordan.py", label="Jordan and Elman side by side", icon=":material/sync_alt:")
with right:
    st.subheader("GRU")
    st.latex(r"""\begin{aligned}
r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}""")
    st.page_link("pages/inspect.py", label="See a GRU's gates live", icon=":material/biotech:", query_params={"model": "english-gru"})
    st.subheader("LSTM")
    st.latex(r"""\begin{aligned}
i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
h_t &= o_t \odot \tanh(c_t)
\end{aligned}""")
    st.page_link("pages/inspect.py", label="See an LSTM's gates and cell state live", icon=":material/biotech:",
                 query_params={"model": "english-lstm"})
    st.page_link("pages/generate.py", label="Watch an LSTM write", icon=":material/edit_note:")
