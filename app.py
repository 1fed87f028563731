"""RNN Explorer: look inside recurrent neural networks while they read, write and learn.

    streamlit run app.py

RNN_EXPLORER_THREADS sets torch's threads per server process (default 1: batch-1 traces gain
nothing from a second thread, and sessions share the cores smoothly); RNN_EXPLORER_ZOO_DIR
points at another folder of pretrained models.
"""
import os

import streamlit as st
import torch

from explorer import ui

torch.set_num_threads(int(os.environ.get("RNN_EXPLORER_THREADS", 1)))
st.set_page_config(page_title="RNN Explorer", page_icon=":material/cycle:", layout="wide")

page = st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/inspect.py", title="Inspect", icon=":material/biotech:"),
    st.Page("pages/generate.py", title="Generate", icon=":material/edit_note:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/gradients.py", title="Gradients through time", icon=":material/trending_down:"),
    st.Page("pages/train.py", title="Train live", icon=":material/model_training:"),
])
ui.mark_framed()
ui.resume_page()  # a direct link that arrived before the server knew st.navigation goes on to its page
st.sidebar.caption("RNN Explorer: every hidden state, gate and cell state, computed exactly from the real network.")
page.run()
