"""RNN Explorer: look inside recurrent neural networks while they read, write and learn.

    streamlit run app.py

RNN_EXPLORER_THREADS sets torch's threads per server process (default 1: batch-1 traces gain
nothing from a second thread, and sessions share the cores smoothly); RNN_EXPLORER_TRAINING_SLOTS
sets how many Train live chunks run at once across all sessions (default half the cores, at least
one; explorer/training/turns.py, where training also gives way to the page runs users wait for);
RNN_EXPLORER_ZOO_DIR points at another folder of pretrained models. RNN_EXPLORER_SESSION_BUDGET_GB (default 1.0)
and RNN_EXPLORER_SERVER_BUDGET_GB (default 8.0) cap what Train live may hold per session and per server
(explorer/training/budget.py). RNN_EXPLORER_SESSION_GRACE_S (default 20) is how long a closed tab's session is kept
for a reload before its memory is given back (explorer/app/sessions.py).
"""
import os

import streamlit as st
import torch

from explorer.app import frame, language, sessions
from explorer.i18n import _
from explorer.training import turns

torch.set_num_threads(int(os.environ.get("RNN_EXPLORER_THREADS", 1)))
# The tab's icon is an emoji, drawn by the browser itself: a Material icon (":material/...") would be fetched from
# fonts.gstatic.com at every run, and the app makes no network calls of its own (tests/browser/conftest.py checks).
st.set_page_config(page_title="RNN Explorer", page_icon="🔁", layout="wide")

language.settle()  # before anything is drawn: the navigation's titles are translated too
page = frame.navigation()
frame.mark_framed()
sessions.watch()  # once per server: closed tabs give their memory back
frame.resume_page()  # a direct link that arrived before the server knew st.navigation goes on to its page
language.switches()
st.sidebar.caption(_("RNN Explorer: every hidden state, gate and cell state, computed exactly from the real network."))
frame.fold_sidebar_on_narrow_screens()
sessions.recover()  # a reload takes over the training of the session it replaced
with turns.FOREGROUND.running():  # training in other sessions gives way to a page a user is waiting for
    page.run()
sessions.keep_kept_models()
frame.keep_language_in_url()
