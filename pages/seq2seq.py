"""Encoder-decoder: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/seq2seq.py")

st.title("Encoder-decoder")
st.info("This view is being built.")
