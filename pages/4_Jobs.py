"""Jobs page (being built)."""

import streamlit as st

from lib import ui

conn = ui.page_setup("Jobs", ":material/monitoring:")
st.title("Jobs")
st.info("This page is being built.")
