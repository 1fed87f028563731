"""Stacked & bidirectional: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/deep.py")

st.title("Stacked & bidirectional")
st.info("This view is being built.")
