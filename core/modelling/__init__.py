"""Models of valence and genre, trained and measured honestly.

Owns feature sets (``features``), tasks (``tasks``), the model registry and hyperparameter
spaces (``models``, ``params``), splits and folds grouped by artist (``splits``), training with
live progress (``training``), every score (``metrics``), feature importances
(``importance``), auto-tuning (``tuning``), experiments (``experiment``) and safe model files
(``export``).
"""
