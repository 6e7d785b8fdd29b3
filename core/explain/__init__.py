"""Why valence? Explanations of a trained model and of the data.

Owns SHAP values and the tidy frames drawn from them (``shapley``), OLS inference and subset
selection (``inference``), the agreement between importance measures (``agreement``; the
importances themselves live in ``core.modelling.importance``) and the additive valence recipe
(``recipe``).
"""
