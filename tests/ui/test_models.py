"""The default model's training line says how long it will take on this server."""

from __future__ import annotations

import json

from core import warm
from core.catalog import data
from tests.conftest import make_synthetic_tracks
from ui.models import training_label


def test_upload_training_label_carries_this_servers_estimate(tmp_path, monkeypatch):
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path / "cache"))
    raw = make_synthetic_tracks(400, 3, seed=2).to_csv(index=False).encode()
    catalog = data.load_upload(raw, "mine.csv")
    assert catalog.is_upload
    idle = warm.estimate_seconds(catalog, "valence_model")
    assert "about 1 s" in training_label(catalog, "valence") and idle < 1.5
    # this server built the public default model 20x slower than the idle-machine model
    folder = tmp_path / "cache" / "warm" / "public"
    folder.mkdir(parents=True)
    rows = 27_700
    seconds = 20 * warm.PARTS["valence_model"].seconds(rows)
    entry = {"rows": rows, "seconds": seconds}
    (folder / "valence_model.manifest.json").write_text(json.dumps(entry))
    label = training_label(catalog, "valence")
    assert "on your upload" in label and "400 tracks" in label
    assert f"about {round(20 * idle)} s" in label, label
