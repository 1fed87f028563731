"""One-to-many: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/one_to_many.py")

st.title("One-to-many")
st.info("This view is being built.")
