"""Sentiment (many-to-one): placeholder until this page is written."""
import streamlit as st

from explorer import ui

ui.require_frame("pages/sentiment.py")

st.title("Sentiment (many-to-one)")
st.info("This view is being built.")
