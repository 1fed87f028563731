"""RNN Explorer: look inside recurrent neural networks while they read, write and learn.

    streamlit run app.py
"""
import streamlit as st

st.set_page_config(page_title="RNN Explorer", page_icon="🔁", layout="wide")


def home():
    st.title("RNN Explorer")
    st.write("Look inside recurrent networks while they read, write and learn. "
             "The pages that draw traces and gradients are being built; the library under them, "
             "`explorer/`, already traces SimpleRNN, Jordan, GRU and LSTM networks exactly.")


st.navigation([st.Page(home, title="Home", icon="🏠", default=True)]).run()
