"""Your model: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/your_model.py")

st.title("Your model")
st.info("This view is being built.")
