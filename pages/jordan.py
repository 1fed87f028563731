"""Jordan vs Elman: placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/jordan.py")

st.title("Jordan vs Elman")
st.info("This view is being built.")
