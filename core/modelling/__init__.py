"""Models of valence and genre: feature sets, the model registry and hyperparameter spaces, honest splits, training with progress, metrics, tuning, experiments and safe model files."""
