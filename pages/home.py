"""Home: the path through the course, the pretrained models, and the four cells' equations."""
import streamlit as st

from explorer.app import catalog, course, frame, textbox
from explorer.engine import cells

frame.require_frame(__file__)

st.title("RNN Explorer")
st.write("Look inside recurrent neural networks while they read, write and learn: every hidden state, gate and "
         "cell state, computed exactly from the real `torch.nn` network, drawn character by character. "
         "Follow the course below in order; each lesson opens a prepared view, and ends with a link to the next.")

st.header("The course")
with st.container(key="course_path"):
    for number, lesson in enumerate(course.LESSONS, start=1):
        # the title on a line of its own and what you will see under it: long titles stay whole at 1000 px
        st.page_link(lesson.path, label=f"{number}. {lesson.title}", query_params=course.lesson_params(number - 1))
        st.caption(lesson.see)

st.header("Pretrained models")
rows = catalog.summary_rows()
if not rows:
    st.warning(textbox.NO_MODELS)
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
    st.latex(cells.equations(cells.elman_step))
    st.page_link("pages/inspect.py", label="See an Elman net read live", icon=":material/biotech:",
                 query_params={"model": "english-rnn"})
    st.subheader("Jordan")
    st.latex(cells.equations(cells.jordan_step))
    st.caption("The previous *output*, not the hidden state, is fed back.")
    st.page_link("pages/jordan.py", label="Jordan and Elman side by side", icon=":material/sync_alt:")
with right:
    st.subheader("GRU")
    st.latex(cells.equations(cells.gru_step))
    st.page_link("pages/inspect.py", label="See a GRU's gates live", icon=":material/biotech:",
                 query_params={"model": "english-gru"})
    st.subheader("LSTM")
    st.latex(cells.equations(cells.lstm_step))
    st.page_link("pages/inspect.py", label="See an LSTM's gates and cell state live", icon=":material/biotech:",
                 query_params={"model": "english-lstm"})
    st.page_link("pages/generate.py", label="Watch an LSTM write", icon=":material/edit_note:")
