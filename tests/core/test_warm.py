"""Precomputed defaults: built once, loaded equal to a fresh computation, corrupt or stale or
unsafe files never trusted, uploads never stored, and the background warmer's queue."""

from __future__ import annotations

import hashlib
import json
import threading

import numpy as np
import pandas as pd
import pytest

from core import warm
from core.catalog import data
from core.explain import inference, recipe, shapley
from core.modelling import models
from tests.conftest import make_synthetic_tracks

FAST = ["valence_model", "shap", "ols", "selection", "permutation", "genre_model"]


def _catalog(tmp_path, source_id="local:synthetic.csv", n=300, drop=()):
    df = make_synthetic_tracks(n, 3, seed=11).drop(columns=list(drop))
    raw = df.to_csv(index=False).encode()
    checksum = hashlib.sha256(raw + source_id.encode()).hexdigest()
    return data.build_catalog(data.read_table(raw), source_id, "Synthetic", checksum)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One catalog with every fast part built into its own cache folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path_factory.mktemp("warm-cache")))
    catalog = _catalog(tmp_path_factory.mktemp("warm"))
    status = warm.build(catalog, FAST)
    yield catalog, status
    mp.undo()


def test_build_makes_each_part_once(built):
    catalog, status = built
    assert {s["status"] for s in status.values()} == {"built"}
    assert all(warm.is_ready(catalog, p) for p in FAST)
    assert {s["status"] for s in warm.build(catalog, FAST).values()} == {"ready"}


def test_loaded_parts_equal_a_fresh_computation(built):
    catalog, _ = built
    df = catalog.df
    model = warm.load(catalog, "valence_model")
    fresh = models.fit_default_valence_model(df)
    assert np.allclose(model.predict(df), fresh.predict(df))
    stored = warm.load(catalog, "shap")
    direct = shapley.shap_values(fresh, df, max_rows=warm.SHAP_ROWS, seed=warm.SEED)
    assert list(stored.values.index) == list(direct.values.index)
    assert np.allclose(stored.values.to_numpy(), direct.values.to_numpy(), atol=1e-5)
    assert stored.method == direct.method and stored.base_value == pytest.approx(direct.base_value)
    table, fit = warm.load(catalog, "ols")
    X, y, _ = inference.design(df, "audio")
    ref_table, ref_fit = inference.ols_table(X, y)
    pd.testing.assert_frame_equal(table, ref_table.reset_index(drop=True), check_dtype=False)
    assert fit["r2"] == pytest.approx(ref_fit["r2"])
    selection = warm.load(catalog, "selection")["bic"]
    ref = inference.select(X, y, "bic")
    assert selection.best_subset == ref.best_subset and selection.n_fits == ref.n_fits
    assert selection.by_size["features"].iloc[0] == ref.by_size["features"].iloc[0]
    genre = warm.load(catalog, "genre_model")
    assert genre.classes_ == sorted(df["genre"].unique())


def test_recipe_part_is_the_recipe_report(cache_dir, tmp_path, monkeypatch):
    full = recipe.evaluate
    small = {"black_box": False, "interaction": False}  # the slow parts; the same code path
    monkeypatch.setattr(recipe, "evaluate", lambda *a, **k: full(*a, **(k | small)))
    catalog = _catalog(tmp_path, n=200)
    warm.build(catalog, ["recipe"])
    stored = warm.load(catalog, "recipe")
    assert stored == json.loads(json.dumps(full(catalog.df, "audio", seed=0, **small)))
    assert stored["n_tracks"] == len(catalog.df)


def test_corrupt_file_is_discarded_and_rebuilt(cache_dir, tmp_path):
    catalog = _catalog(tmp_path)
    warm.build(catalog, ["ols"])
    path = warm.folder(catalog) / "ols.table.parquet"
    path.write_bytes(path.read_bytes()[:-40] + b"x" * 40)
    assert warm.load(catalog, "ols") is None  # digest differs: not trusted
    assert not warm.is_ready(catalog, "ols") and not path.exists()
    assert warm.build(catalog, ["ols"])["ols"]["status"] == "built"
    assert warm.load(catalog, "ols") is not None


class Evil:
    """A type outside the model allow-list."""


def test_model_file_with_untrusted_types_is_refused(cache_dir, tmp_path):
    import skops.io as sio

    catalog = _catalog(tmp_path)
    blob = sio.dumps({"model": Evil()})
    warm.folder(catalog).mkdir(parents=True)
    (warm.folder(catalog) / "valence_model.model.skops").write_bytes(blob)
    manifest = warm.folder(catalog) / "valence_model.manifest.json"
    digest = hashlib.sha256(blob).hexdigest()  # a matching digest: only the allow-list stops it
    manifest.write_text(json.dumps({"part": "valence_model", "files": {"model.skops": digest}}))
    assert warm.is_ready(catalog, "valence_model")
    assert warm.load(catalog, "valence_model") is None
    assert not warm.is_ready(catalog, "valence_model")


def test_new_code_version_never_reads_old_artefacts(cache_dir, tmp_path, monkeypatch):
    catalog = _catalog(tmp_path)
    warm.build(catalog, ["ols"])
    old = warm.folder(catalog)
    monkeypatch.setattr(warm.store, "WARM_VERSION", warm.WARM_VERSION + 1)  # read by version_key
    warm.version_key.cache_clear()
    try:
        assert warm.folder(catalog) != old and not warm.is_ready(catalog, "ols")
        assert warm.prune([catalog]) == 1 and not old.exists()
    finally:
        monkeypatch.undo()
        warm.version_key.cache_clear()


def test_changed_data_gets_its_own_folder(cache_dir, tmp_path):
    a = _catalog(tmp_path, n=300)
    b = _catalog(tmp_path, n=310)
    assert a.checksum != b.checksum and warm.folder(a) != warm.folder(b)


def test_uploads_are_never_stored(cache_dir, tmp_path):
    upload = data.load_upload(make_synthetic_tracks(100).to_csv(index=False).encode(), "u.csv")
    assert upload.is_upload
    with pytest.raises(warm.WarmError):
        warm.build_part(upload, "ols")
    assert warm.load(upload, "ols") is None
    assert not (cache_dir / "warm").exists() or not any((cache_dir / "warm").iterdir())


def test_part_that_does_not_apply_is_skipped(cache_dir, tmp_path):
    catalog = _catalog(tmp_path, drop=("genre",))
    assert warm.build(catalog, ["genre_model"])["genre_model"]["status"] == "skipped"
    assert warm.is_ready(catalog, "genre_model") and warm.load(catalog, "genre_model") is None


def test_warmer_builds_requested_part_first_and_reports_progress(cache_dir, tmp_path):
    catalog = _catalog(tmp_path)
    gate, loading = threading.Event(), threading.Event()

    def slow_loader(source_id):
        loading.set()
        gate.wait(30)
        return catalog

    w = warm.Warmer(load_catalog=slow_loader)
    w.schedule([catalog.source_id], ["valence_model", "ols"])
    assert loading.wait(30)  # the thread is on its first task
    assert w.state(catalog, "selection").state == "absent"
    building = w.state(catalog, "valence_model")
    assert building.state == "building" and building.usual_s is not None
    w.request(catalog, "selection")
    queued = w.state(catalog, "selection")
    assert queued.state == "queued" and queued.ahead >= 1 and queued.remaining_s > 0
    gate.set()
    assert w.wait_idle(120)
    assert all(w.state(catalog, p).state == "ready" for p in ("valence_model", "ols", "selection"))
    order = [part for _, part, _ in w.built]
    assert order.index("selection") < order.index("ols")  # the request jumped the queue


def test_warmer_reports_a_failed_part_and_skips_uploads(cache_dir, tmp_path):
    gone = _catalog(tmp_path, source_id="local:no_longer_there.csv")
    w = warm.Warmer()  # loads scheduled sources itself: this file is not on disk
    w.schedule([gone.source_id], ["ols"])
    assert w.wait_idle(60)
    failed = w.state(gone, "ols")
    assert failed.state == "failed" and "no longer there" in failed.message
    tiny = _catalog(tmp_path, n=300)
    tiny.df = tiny.df.head(8)  # too small to explain: skipped, not failed
    w.request(tiny, "ols")
    assert w.wait_idle(60) and w.state(tiny, "ols").state == "ready"
    assert warm.load(tiny, "ols") is None
    upload = data.load_upload(make_synthetic_tracks(50).to_csv(index=False).encode(), "u.csv")
    w.schedule([upload.source_id])
    assert not w.busy
    with pytest.raises(warm.WarmError):
        w.request(upload, "ols")


def test_measured_seconds_follow_this_machines_own_builds(cache_dir, tmp_path):
    catalog = _catalog(tmp_path, n=200)
    idle = warm.estimate_seconds(catalog, "valence_model")
    assert warm.measured_seconds(catalog, "valence_model") == pytest.approx(idle)  # none yet
    for i, pace in enumerate([3.0, 4.0, 50.0]):  # the median ignores one slow outlier
        folder = cache_dir / "warm" / f"src{i}"
        folder.mkdir(parents=True)
        rows = 10_000 * (i + 1)
        seconds = pace * warm.PARTS["valence_model"].seconds(rows)
        entry = {"rows": rows, "seconds": seconds}
        (folder / "valence_model.manifest.json").write_text(json.dumps(entry))
    (cache_dir / "warm" / "broken").mkdir()
    (cache_dir / "warm" / "broken" / "valence_model.manifest.json").write_text("{not json")
    assert warm.measured_seconds(catalog, "valence_model") == pytest.approx(4.0 * idle)


def test_a_build_records_its_rows_for_the_pace(built):
    catalog, _ = built
    entry = json.loads((warm.folder(catalog) / "valence_model.manifest.json").read_text())
    assert entry["rows"] == len(catalog.df) and entry["seconds"] > 0
