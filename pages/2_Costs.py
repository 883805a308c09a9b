"""Costs page (being built)."""

import streamlit as st

from lib import ui

conn = ui.page_setup("Costs", ":material/payments:")
st.title("Costs")
st.info("This page is being built.")
