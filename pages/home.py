"""Home: what the app is, the pretrained models, and the four cells' equations."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/home.py")

st.title("RNN Explorer")
st.write("Look inside recurrent neural networks while they read and write: every hidden state, gate and "
         "cell state, computed exactly from the real `torch.nn` network, drawn step by step. "
         "Pick a pretrained model, type a sentence, and watch which units track quotes, brackets and long words.")

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
    st.caption("The previous *output*, not the hidden state, is fed back. No pretrained text model uses it yet; "
               "Inspect shows its nearest relative, the Elman net.")
    st.page_link("pages/inspect.py", label="Inspect the Elman net", icon=":material/biotech:", query_params={"model": "english-rnn"})
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
