"""Find units: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/units.py")

st.title("Find units")
st.info("This view is being built.")
