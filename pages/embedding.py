"""One-hot vs embedding: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/embedding.py")

st.title("One-hot vs embedding")
st.info("This view is being built.")
