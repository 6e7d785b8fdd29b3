"""Valence Lab: what makes a song sound happy? Router and shared sidebar."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from ui.layout import apply_responsive_layout
from ui.registry import registered_pages
from ui.share import render_share
from ui.sidebar import render_sidebar
from ui.warm import start_background

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

specs = registered_pages()
pages = [st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path) for p in specs[1:]]
# The first page is served at "/" and, through a hidden alias, at its own path ("/explore").
first = specs[0]
pages = [
    st.Page(
        first.file,
        title=first.title,
        icon=first.icon,
        url_path=f"{first.url_path}-home",
        default=True,
    ),
    *pages,
    st.Page(
        first.file, title=first.title, icon=first.icon, url_path=first.url_path, visibility="hidden"
    ),
]
page = st.navigation(pages)
apply_responsive_layout()
render_sidebar()
render_share()
start_background()  # once per server: precompute the public datasets' defaults
try:
    page.run()
except Exception as exc:  # the error boundary: log the traceback, show a friendly message
    log.exception("page %s failed", page.title)
    st.error(
        f"Sorry, this page hit an unexpected problem ({type(exc).__name__}: {exc}). "
        "Nothing you entered was lost; try another setting or reload. The details are in "
        "the server log."
    )
