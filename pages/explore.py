import streamlit as st

from ui.catalog import require_catalog

st.title("Explore")
catalog = require_catalog()
st.write(f"{len(catalog.df):,} tracks")
