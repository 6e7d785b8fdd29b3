"""Pure-Python core of Valence Lab (never imports streamlit), grouped by domain.

``catalog`` (data), ``modelling`` (models and scores), ``explain`` (SHAP, OLS, recipe),
``genremap`` (projections and clusters), ``lookup`` (a user's tracks and the APIs), ``charts``
(Plotly figures); ``progress`` (the one progress type), ``jobs`` (background work), ``safety``
(escaping) and ``cli`` (``python -m core``).
"""
