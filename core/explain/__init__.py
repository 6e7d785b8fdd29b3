"""Why valence? SHAP values, OLS inference and subset selection, agreement between importance measures, and the additive valence recipe."""
