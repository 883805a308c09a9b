"""Launch page (being built)."""

import streamlit as st

from lib import ui

conn = ui.page_setup("Launch", ":material/rocket_launch:")
st.title("Launch")
st.info("This page is being built.")
