"""Streamlit-side helpers shared by app.py and the pages: cached loaders, state, layout.

``core/`` never imports streamlit; everything that does lives here or in ``app_pages/``.
"""
