"""RNN Explorer: look inside recurrent neural networks while they read, write and learn.

    streamlit run app.py

RNN_EXPLORER_THREADS sets torch's threads per server process (default 1: batch-1 traces gain
nothing from a second thread, and sessions share the cores smoothly); RNN_EXPLORER_TRAINING_SLOTS
sets how many Train live chunks run at once across all sessions (default half the cores, at least
one; explorer/turns.py, where training also gives way to the page runs users wait for);
RNN_EXPLORER_ZOO_DIR points at another folder of pretrained models.
"""
import os

import streamlit as st
import torch

from explorer import turns, ui

torch.set_num_threads(int(os.environ.get("RNN_EXPLORER_THREADS", 1)))
# The tab's icon is an emoji, drawn by the browser itself: a Material icon (":material/...") would be fetched from
# fonts.gstatic.com at every run, and the app makes no network calls of its own (tests/browser/conftest.py checks).
st.set_page_config(page_title="RNN Explorer", page_icon="🔁", layout="wide")

page = st.navigation({
    "Look inside": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/inspect.py", title="Inspect", icon=":material/biotech:"),
        st.Page("pages/generate.py", title="Generate", icon=":material/edit_note:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
        st.Page("pages/gradients.py", title="Gradients through time", icon=":material/trending_down:"),
        st.Page("pages/train.py", title="Train live", icon=":material/model_training:"),
    ],
    "Every shape and family member": [
        st.Page("pages/sentiment.py", title="Sentiment (many-to-one)", icon=":material/sentiment_satisfied:"),
        st.Page("pages/one_to_many.py", title="One-to-many", icon=":material/call_split:"),
        st.Page("pages/series.py", title="Time series", icon=":material/show_chart:"),
        st.Page("pages/jordan.py", title="Jordan vs Elman", icon=":material/sync_alt:"),
        st.Page("pages/deep.py", title="Stacked & bidirectional", icon=":material/layers:"),
        st.Page("pages/embedding.py", title="One-hot vs embedding", icon=":material/scatter_plot:"),
        st.Page("pages/seq2seq.py", title="Encoder-decoder", icon=":material/translate:"),
    ],
    "Your model and its units": [
        st.Page("pages/your_model.py", title="Your model", icon=":material/upload_file:"),
        st.Page("pages/units.py", title="Find units", icon=":material/manage_search:"),
        st.Page("pages/intervene.py", title="Intervene", icon=":material/tune:"),
    ],
}, expanded=True)
ui.mark_framed()
ui.resume_page()  # a direct link that arrived before the server knew st.navigation goes on to its page
st.sidebar.caption("RNN Explorer: every hidden state, gate and cell state, computed exactly from the real network.")
with turns.FOREGROUND.running():  # training in other sessions gives way to a page a user is waiting for
    page.run()
