"""Intervene: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/intervene.py")

st.title("Intervene")
st.info("This view is being built.")
