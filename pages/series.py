"""Time series: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/series.py")

st.title("Time series")
st.info("This view is being built.")
