"""Valence Lab: what makes a song sound happy? Router and shared sidebar."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from core.safety import describe_error, escape_markdown
from ui.registry import registered_pages
from ui.sidebar import render_sidebar

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
log = logging.getLogger("valence_lab")

st.set_page_config(
    page_title="Valence Lab",
    page_icon=":material/sentiment_satisfied:",
    layout="wide",
    initial_sidebar_state="expanded",
)

ASSETS = Path(__file__).resolve().parent / "assets"
st.logo(str(ASSETS / "logo.svg"), icon_image=str(ASSETS / "icon.svg"), size="large")

pages = [
    st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path) for p in registered_pages()
]
page = st.navigation(pages)
render_sidebar()
try:
    page.run()
except Exception as exc:  # the error boundary: log the traceback, show a friendly message
    log.exception("page %s failed", page.title)
    st.error(
        "Sorry, this page hit an unexpected problem "
        f"({escape_markdown(describe_error(exc), None)}). "
        "Nothing you entered was lost; try another setting or reload. The details are in "
        "the server log."
    )
