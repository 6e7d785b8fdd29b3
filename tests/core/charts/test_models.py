"""Model charts: class names from the data are escaped before plotly renders them."""

from __future__ import annotations

import pandas as pd

from core.charts.models import plot_confusion


def test_confusion_matrix_escapes_class_names():
    names = ["<b>rock</b>", "<a href='https://evil.example'>pop</a>"]
    cm = pd.DataFrame([[0.7, 0.3], [0.2, 0.8]], index=names, columns=names)
    heat = plot_confusion(cm).data[0]
    labels = [*heat.x, *heat.y]
    assert all("<" not in str(v) for v in labels)
    assert "&lt;b&gt;rock&lt;/b&gt;" in labels
