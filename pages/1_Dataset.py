"""Dataset page (being built)."""

import streamlit as st

from lib import ui

conn = ui.page_setup("Dataset", ":material/dataset:")
st.title("Dataset")
st.info("This page is being built.")
