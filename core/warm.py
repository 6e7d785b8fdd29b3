"""Precomputed defaults for public catalogs: built once, stored on disk, loaded by every session.

For each public catalog: the default XGBoost valence and genre models, SHAP values of the valence
model on the tracks the Why valence? page opens with, the OLS table, best-subset selection by
every criterion, permutation importances, the valence recipe, and the UMAP layout the Genre map
opens with.

Storage: ``cache_dir()/warm/<source>-<checksum>-<version>/``, one ``<part>.manifest.json`` per
part listing its files with their sha256. The folder name holds the catalog checksum and a hash
of everything else a result depends on (``WARM_VERSION``, cleaning version, shipped
hyperparameters, sample sizes, library versions), so changed data or code never reads an old
artefact; a file whose digest differs from its manifest, or that does not load, is deleted and
rebuilt. Models are skops files loaded through :func:`core.modelling.export.load_model`'s
allow-list; frames are Parquet; everything else is JSON; UMAP layouts are ``.npz`` without pickle
(:mod:`core.genremap.projection`'s cache). Nothing here is ever unpickled.

:func:`build` makes what is missing (``python -m core warm`` and the server's :class:`Warmer`,
a background thread that builds parts in priority order); :func:`load` returns one artefact or
None. Pure Python: no Streamlit.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.catalog import data, sources
from core.catalog.data import Catalog
from core.progress import Progress, ProgressFn, relabelled, reporter

log = logging.getLogger(__name__)

#: Bump when what a part stores, or how it is computed, changes.
WARM_VERSION = 1
#: Tracks explained by the precomputed SHAP (the Why valence? page's default).
SHAP_ROWS = 1000
SEED = 0
#: The Genre map's opening UMAP: its default sample and settings.
UMAP_SAMPLE = 5_000
UMAP_NEIGHBORS = 15
UMAP_MIN_DIST = 0.1
FEATURE_SET = "audio"
CRITERIA = ("adj_r2", "aic", "bic")
_LIBRARIES = ("numpy", "pandas", "scikit-learn", "xgboost", "skops", "umap-learn", "statsmodels")

PHASE = "precompute"
Files = dict[str, bytes]


class WarmError(RuntimeError):
    """A part cannot be built for this catalog (the message says why)."""


# --------------------------------------------------------------------------- keys and folders
@functools.cache
def version_key() -> str:
    """Hash of the code and parameters the artefacts depend on (not of the data)."""
    from core.modelling import models

    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    spec = {
        "warm": WARM_VERSION,
        "cleaning": data.CLEANING_VERSION,
        "xgboost_defaults": models.default_params("xgboost"),
        "shap_rows": SHAP_ROWS,
        "seed": SEED,
        "umap": [UMAP_SAMPLE, UMAP_NEIGHBORS, UMAP_MIN_DIST],
        "features": FEATURE_SET,
        "libraries": versions,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


def root() -> Path:
    """Where all precomputed artefacts live: ``cache_dir()/warm``."""
    return sources.cache_dir() / "warm"


def folder(catalog: Catalog) -> Path:
    """The artefact folder of a catalog for the current code version."""
    safe = re.sub(r"[^0-9A-Za-z._-]+", "_", catalog.source_id)
    return root() / f"{safe}-{catalog.checksum[:16]}-{version_key()[:12]}"


def _manifest_path(catalog: Catalog, part: str) -> Path:
    return folder(catalog) / f"{part}.manifest.json"


def _sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _atomic_write(path: Path, blob: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- (de)serialising
def _frame_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _read_frame(blob: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(blob))


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-able: {type(value).__name__}")


# --------------------------------------------------------------------------- parts
def _say(report: ProgressFn, fraction: float, message: str) -> None:
    report(Progress.share(PHASE, fraction, message))


def _default_model(catalog: Catalog, task: str) -> Any:
    """The default model of a task, from disk (built first when missing)."""
    model = load(catalog, f"{task}_model")
    if model is None:
        build(catalog, [f"{task}_model"])
        model = load(catalog, f"{task}_model")
    if model is None:
        raise WarmError(f"The default {task} model could not be built.")
    return model


def _build_model(task: str) -> Callable[[Catalog, ProgressFn], tuple[Files, dict]]:
    def build_model(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
        from core.modelling import export, models

        _say(report, 0.05, f"Training the default XGBoost {task} model…")
        fit = (
            models.fit_default_valence_model
            if task == "valence"
            else models.fit_default_genre_model
        )
        model = fit(catalog.df, FEATURE_SET, SEED)
        return {"model.skops": export.dump_model(model)}, {"task": task}

    return build_model


def _load_model(catalog: Catalog, files: Files, meta: dict) -> Any:
    from core.modelling import export

    return export.load_model(files["model.skops"])


def _build_shap(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import shapley

    model = _default_model(catalog, "valence")
    _say(report, 0.2, f"Explaining {min(SHAP_ROWS, len(catalog.df)):,} tracks with SHAP…")
    result = shapley.shap_values(model, catalog.df, max_rows=SHAP_ROWS, seed=SEED)
    frame = pd.concat(
        [
            result.values.add_prefix("shap:"),
            result.data.add_prefix("x:"),
            pd.DataFrame({"prediction": result.prediction}, index=result.values.index),
        ],
        axis=1,
    )
    frame.insert(0, "row", np.asarray(result.values.index))
    meta = {
        "base_value": float(result.base_value),
        "method": result.method,
        "n_explained": int(result.n_explained),
        "output": result.output,
        "class_name": result.class_name,
        "features": result.feature_names,
        "data_columns": list(result.data.columns),
    }
    return {"shap.parquet": _frame_bytes(frame)}, meta


def _load_shap(catalog: Catalog, files: Files, meta: dict) -> Any:
    from core.explain.shapley import ShapResult

    frame = _read_frame(files["shap.parquet"])
    index = pd.Index(frame["row"].to_numpy())
    values = frame[[f"shap:{c}" for c in meta["features"]]].set_axis(meta["features"], axis=1)
    values.index = index
    x = frame[[f"x:{c}" for c in meta["data_columns"]]].set_axis(meta["data_columns"], axis=1)
    x.index = index
    return ShapResult(
        values=values,
        base_value=float(meta["base_value"]),
        data=x,
        prediction=frame["prediction"].to_numpy(float),
        method=meta["method"],
        n_explained=int(meta["n_explained"]),
        output=meta["output"],
        class_name=meta["class_name"],
    )


def _design(catalog: Catalog) -> tuple[pd.DataFrame, pd.Series]:
    from core.explain import inference

    X, y, _ = inference.design(catalog.df, FEATURE_SET)
    if len(X) <= X.shape[1] + 1:
        raise WarmError("Too few complete rows for OLS on the audio features.")
    return X, y


def _build_ols(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import inference

    _say(report, 0.1, "Fitting OLS on the audio features…")
    table, fit = inference.ols_table(*_design(catalog))
    return {"table.parquet": _frame_bytes(table)}, {"fit": fit}


def _load_ols(catalog: Catalog, files: Files, meta: dict) -> Any:
    return _read_frame(files["table.parquet"]), dict(meta["fit"])


def _build_selection(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import inference

    X, y = _design(catalog)
    files: Files = {}
    meta: dict[str, Any] = {}
    for i, crit in enumerate(CRITERIA):
        _say(report, i / len(CRITERIA), f"Best-subset selection by {crit}…")
        sel = inference.select(X, y, crit)
        files[f"{crit}.parquet"] = _frame_bytes(sel.by_size)
        meta[crit] = {
            "best_subset": sel.best_subset,
            "forward": sel.forward,
            "backward": sel.backward,
            "n_fits": int(sel.n_fits),
        }
    return files, meta


def _load_selection(catalog: Catalog, files: Files, meta: dict) -> Any:
    from core.explain.inference import Selection

    out = {}
    for crit in CRITERIA:
        by_size = _read_frame(files[f"{crit}.parquet"])
        if "features" in by_size:
            by_size["features"] = by_size["features"].map(list)
        out[crit] = Selection(
            criterion=crit,
            best_subset=list(meta[crit]["best_subset"]),
            forward=list(meta[crit]["forward"]),
            backward=list(meta[crit]["backward"]),
            by_size=by_size,
            n_fits=int(meta[crit]["n_fits"]),
        )
    return out


def _build_permutation(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import agreement

    model = _default_model(catalog, "valence")
    _say(report, 0.2, "Permutation importance of the default model…")
    series = agreement.permutation_importance(model, catalog.df, seed=SEED)
    return {}, {"importance": {str(k): float(v) for k, v in series.items()}}


def _load_permutation(catalog: Catalog, files: Files, meta: dict) -> Any:
    return pd.Series(meta["importance"], dtype="float64")


def umap_settings(catalog: Catalog) -> dict[str, Any]:
    """The Genre map's opening UMAP settings for a catalog (features, sample, neighbours…)."""
    from core.genremap import projection

    n = len(catalog.df)
    return {
        "features": tuple(projection.default_features(catalog.df)),
        "n_neighbors": min(UMAP_NEIGHBORS, max(2, min(UMAP_SAMPLE, n) - 1)),
        "min_dist": UMAP_MIN_DIST,
        "sample_size": None if n <= UMAP_SAMPLE else UMAP_SAMPLE,
        "seed": SEED,
    }


def _umap_key(catalog: Catalog) -> str:
    from core.genremap import projection

    s = umap_settings(catalog)
    return projection.umap_cache_key(
        catalog.source_id,
        catalog.checksum,
        s["features"],
        s["n_neighbors"],
        s["min_dist"],
        s["sample_size"],
        s["seed"],
    )


def _build_umap(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.genremap import projection

    s = umap_settings(catalog)
    projection.umap_layout(
        catalog.df,
        s["features"],
        n_neighbors=s["n_neighbors"],
        min_dist=s["min_dist"],
        sample_size=s["sample_size"],
        seed=s["seed"],
        source_id=catalog.source_id,
        checksum=catalog.checksum,
        on_progress=report,
    )
    key = _umap_key(catalog)
    blob = projection.umap_cache_path(key).read_bytes()
    return {}, {"key": key, "sha256": _sha(blob)}


def _load_umap(catalog: Catalog, files: Files, meta: dict) -> Any:
    from core.genremap import projection

    path = projection.umap_cache_path(meta["key"])
    if not path.is_file() or _sha(path.read_bytes()) != meta["sha256"]:
        return None
    return projection.load_cached_layout(meta["key"])


def _build_recipe(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import recipe

    result = recipe.evaluate(catalog.df, FEATURE_SET, seed=SEED, on_progress=report)
    return {"recipe.json": _json_bytes(result)}, {}


def _load_recipe(catalog: Catalog, files: Files, meta: dict) -> Any:
    return json.loads(files["recipe.json"])


def _needs_valence(catalog: Catalog) -> str | None:
    df = catalog.df
    if "valence" not in df or df["valence"].notna().sum() < 20:
        return "fewer than 20 tracks with valence"
    return None


def _needs_genres(catalog: Catalog) -> str | None:
    return None if len(catalog.genres) >= 2 else "fewer than two genres"


def _needs_rows(catalog: Catalog) -> str | None:
    return None if len(catalog.df) >= 10 else "fewer than 10 tracks"


@dataclass(frozen=True)
class Part:
    """One precomputed artefact: how to build, load and time it, and when it applies."""

    name: str
    title: str
    build: Callable[[Catalog, ProgressFn], tuple[Files, dict]]
    load: Callable[[Catalog, Files, dict], Any]
    seconds: Callable[[int], float]  # rough wall time on 2 idle cores for n tracks
    applies: Callable[[Catalog], str | None] = _needs_valence  # None, or why not
    needs: tuple[str, ...] = ()


def _umap_seconds(n: int) -> float:
    from core.genremap import projection

    return projection.estimate_umap_seconds(min(n, UMAP_SAMPLE))


# Seconds per track below were measured on the 28k TidyTuesday catalog on 2 idle cores.
PARTS: dict[str, Part] = {
    p.name: p
    for p in (
        Part(
            "valence_model",
            "the default valence model",
            _build_model("valence"),
            _load_model,
            lambda n: 0.3 + 4.5e-5 * n,
        ),
        Part(
            "shap", "SHAP values", _build_shap, _load_shap, lambda n: 1.5, needs=("valence_model",)
        ),
        Part("ols", "the OLS table", _build_ols, _load_ols, lambda n: 0.3 + 1e-5 * n),
        Part(
            "selection",
            "best-subset selection",
            _build_selection,
            _load_selection,
            lambda n: 0.5 + 2e-5 * n,
        ),
        Part(
            "permutation",
            "permutation importance",
            _build_permutation,
            _load_permutation,
            lambda n: 2.0,
            needs=("valence_model",),
        ),
        Part(
            "umap", "the UMAP layout", _build_umap, _load_umap, _umap_seconds, applies=_needs_rows
        ),
        Part(
            "recipe", "the valence recipe", _build_recipe, _load_recipe, lambda n: 1.0 + 3.3e-4 * n
        ),
        Part(
            "genre_model",
            "the default genre model",
            _build_model("genre"),
            _load_model,
            lambda n: 1.0 + 2.5e-4 * n,
            applies=_needs_genres,
        ),
    )
}


def estimate_seconds(catalog: Catalog, part: str) -> float:
    """Rough wall time of building ``part`` for ``catalog`` on 2 idle cores."""
    n = len(catalog.df)
    seconds = PARTS[part].seconds(n)
    if part == "genre_model":  # one tree per class and round
        seconds *= max(1.0, len(catalog.genres) / 6)
    return seconds


def measured_seconds(catalog: Catalog, part: str) -> float:
    """:func:`estimate_seconds` scaled by how fast this machine built ``part`` before.

    Every stored build records its rows and wall seconds; the median ratio of those to the
    idle-machine model is this machine's pace (1.0 when nothing was built here yet). Used to
    say how long a session's own build (an upload's default model) will take.
    """
    ratios = []
    for path in root().glob(f"*/{part}.manifest.json"):
        try:
            entry = json.loads(path.read_text())
            rows, seconds = int(entry["rows"]), float(entry["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if rows > 0 and seconds > 0:
            ratios.append(seconds / PARTS[part].seconds(rows))
    pace = float(np.median(ratios)) if ratios else 1.0
    return estimate_seconds(catalog, part) * pace


# --------------------------------------------------------------------------- ready / load / build
def is_ready(catalog: Catalog, part: str) -> bool:
    """Whether ``part`` is on disk for this catalog and code version (built or not applicable)."""
    return _manifest_path(catalog, part).is_file()


def discard(catalog: Catalog, part: str) -> None:
    """Remove a part's manifest and files (it will be rebuilt)."""
    manifest = _manifest_path(catalog, part)
    try:
        files = json.loads(manifest.read_text()).get("files", {})
    except (OSError, ValueError):
        files = {}
    manifest.unlink(missing_ok=True)
    for name in files:
        (folder(catalog) / f"{part}.{name}").unlink(missing_ok=True)


def load(catalog: Catalog, part: str) -> Any:
    """The stored artefact, or None when it is missing, not applicable, corrupt or unsafe.

    A corrupt or unloadable part is discarded so the next :func:`build` makes it again.
    """
    if catalog.is_upload or part not in PARTS:
        return None
    manifest = _manifest_path(catalog, part)
    try:
        entry = json.loads(manifest.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("discarding unreadable manifest %s: %s", manifest.name, exc)
        discard(catalog, part)
        return None
    if entry.get("skipped"):
        return None
    try:
        files = {}
        for name, digest in entry["files"].items():
            blob = (folder(catalog) / f"{part}.{name}").read_bytes()
            if _sha(blob) != digest:
                raise WarmError(f"{name} does not match its manifest")
            files[name] = blob
        value = PARTS[part].load(catalog, files, entry.get("meta", {}))
    except Exception as exc:  # any corrupt, truncated or refused file: rebuild, never trust it
        log.warning("discarding precomputed %s of %s: %s", part, catalog.source_id, exc)
        discard(catalog, part)
        return None
    if value is None:
        discard(catalog, part)
    return value


def build_part(
    catalog: Catalog, part: str, on_progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Build one part (and what it needs) unless it is on disk; returns what happened."""
    if catalog.is_upload:
        raise WarmError("Uploads are never precomputed: they stay in the user's session.")
    spec = PARTS[part]
    if is_ready(catalog, part):
        return {"status": "ready"}
    report = reporter(on_progress)
    for need in spec.needs:
        if not is_ready(catalog, need):
            build_part(catalog, need)
    out_dir = folder(catalog)
    out_dir.mkdir(parents=True, exist_ok=True)
    reason = spec.applies(catalog)
    t0 = time.perf_counter()
    if reason is not None:
        entry: dict[str, Any] = {"part": part, "skipped": reason, "files": {}}
    else:
        files, meta = spec.build(catalog, report)
        for name, blob in files.items():
            _atomic_write(out_dir / f"{part}.{name}", blob)
        entry = {
            "part": part,
            "files": {name: _sha(blob) for name, blob in files.items()},
            "meta": meta,
        }
    seconds = time.perf_counter() - t0
    entry |= {
        "source": catalog.source_id,
        "seconds": round(seconds, 3),
        "rows": len(catalog.df),  # with "seconds": this machine's pace (measured_seconds)
        "built": time.time(),
    }
    _atomic_write(_manifest_path(catalog, part), _json_bytes(entry))  # last: marks it ready
    _say(report, 1.0, f"{spec.title} ready")
    return {"status": "skipped" if reason else "built", "seconds": round(seconds, 3)}


def build(
    catalog: Catalog,
    parts: Iterable[str] | None = None,
    on_progress: ProgressFn | None = None,
) -> dict[str, dict[str, Any]]:
    """Build every missing part (or those named) for a public catalog; returns a status each.

    ``on_progress`` gets each part's updates with the part's name as their phase.
    """
    names = list(parts) if parts is not None else list(PARTS)
    unknown = [p for p in names if p not in PARTS]
    if unknown:
        raise ValueError(f"Unknown part(s) {unknown}; choose from {list(PARTS)}")
    out = {}
    for name in names:
        out[name] = build_part(catalog, name, relabelled(on_progress, name))
    return out


def prune(keep: Iterable[Catalog] = ()) -> int:
    """Delete artefact folders of older code versions (not those of ``keep``); returns how many."""
    current = version_key()[:12]
    kept = {folder(c).name for c in keep}
    removed = 0
    if not root().is_dir():
        return 0
    for path in root().iterdir():
        if path.is_dir() and path.name not in kept and not path.name.endswith(current):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


# --------------------------------------------------------------------------- the background warmer
@dataclass
class PartState:
    """Where a part stands in this process's :class:`Warmer`."""

    state: str  # "ready" | "building" | "queued" | "failed" | "absent"
    message: str = ""
    fraction: float = 0.0
    elapsed_s: float = 0.0
    remaining_s: float | None = None  # rough estimate, None when unknown or overdue
    usual_s: float | None = None  # the estimate of the whole step on an idle machine
    ahead: int = 0  # parts that will be built before this one


@dataclass
class _Task:
    source_id: str
    part: str
    catalog: Catalog | None = None


@dataclass
class Warmer:
    """One background thread per server that builds parts in priority order.

    ``schedule`` queues public sources at the back (start-up); ``request`` moves one part of a
    catalog a visitor is waiting for (and what it needs) to the front. A failed part is reported
    (``PartState.state == "failed"``) and not retried until requested again.
    """

    load_catalog: Callable[[str], Catalog] = field(
        default=lambda sid: data.load_catalog(sid, allow_download=False)
    )
    _queue: list[_Task] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _current: _Task | None = None
    _progress: tuple[float, str] = (0.0, "")
    _started: float = 0.0
    _failed: dict[tuple[str, str], str] = field(default_factory=dict)
    _estimates: dict[tuple[str, str], float] = field(default_factory=dict)
    built: list[tuple[str, str, float]] = field(default_factory=list)

    def schedule(self, source_ids: Iterable[str], parts: Iterable[str] | None = None) -> None:
        """Queue every part of these public sources behind what is queued already."""
        names = list(parts) if parts is not None else list(PARTS)
        with self._lock:
            for sid in source_ids:
                if data.is_upload_id(sid):
                    continue
                for part in names:
                    if not any(t.source_id == sid and t.part == part for t in self._queue):
                        self._queue.append(_Task(sid, part))
        self._ensure_thread()

    def request(self, catalog: Catalog, part: str) -> None:
        """Build ``part`` of ``catalog`` next (after the part being built now)."""
        if catalog.is_upload:
            raise WarmError("Uploads are never precomputed.")
        with self._lock:
            self._failed.pop((catalog.source_id, part), None)
            order = [*PARTS[part].needs, part]
            self._queue = [
                t for t in self._queue if not (t.source_id == catalog.source_id and t.part in order)
            ]
            self._queue[:0] = [_Task(catalog.source_id, p, catalog) for p in order]
        self._ensure_thread()

    def state(self, catalog: Catalog, part: str) -> PartState:
        """Where ``part`` of ``catalog`` stands (cheap: a file check and the queue)."""
        if is_ready(catalog, part):
            return PartState("ready", fraction=1.0)
        n = len(catalog.df)
        with self._lock:
            failed = self._failed.get((catalog.source_id, part))
            if failed is not None:
                return PartState("failed", message=failed)
            current = self._current
            fraction, message = self._progress
            elapsed = time.time() - self._started if current else 0.0
            queue = list(self._queue)
            alive = self._thread is not None and self._thread.is_alive()
        remaining_now = 0.0
        if current is not None:
            usual = self._estimates.get((current.source_id, current.part), 1.0)
            expected = usual
            if fraction >= 0.2 and elapsed > 1.0:
                expected = max(expected, elapsed / fraction)
            remaining_now = max(expected - elapsed, 1.0)
            if current.source_id == catalog.source_id and current.part == part:
                left = expected - elapsed if expected > elapsed else None  # None: overdue
                return PartState("building", message, fraction, elapsed, left, usual)
        ahead_s = remaining_now
        for position, task in enumerate(queue):
            if task.source_id == catalog.source_id and task.part == part:
                own = estimate_seconds(catalog, part)
                if not alive:
                    return PartState("absent")
                ahead = position + (current is not None)
                return PartState("queued", remaining_s=ahead_s + own, ahead=ahead)
            ahead_s += self._estimates.get((task.source_id, task.part), 0.0) or (
                estimate_seconds(catalog, task.part) if task.source_id == catalog.source_id else 0
            )
        return PartState("absent", remaining_s=estimate_seconds(catalog, part) if n else None)

    @property
    def busy(self) -> bool:
        """Whether the thread is building or has work queued."""
        with self._lock:
            return self._current is not None or bool(self._queue)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue is empty (tests, CLI); True when it is."""
        deadline = None if timeout is None else time.time() + timeout
        while self.busy:
            if deadline is not None and time.time() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="valence-warm", daemon=True)
            self._thread.start()

    def _report(self, progress: Progress) -> None:
        with self._lock:
            self._progress = (progress.fraction, progress.message or self._progress[1])

    def _run(self) -> None:
        catalogs: dict[str, Catalog] = {}
        while True:
            with self._lock:
                if not self._queue:
                    self._current = None
                    return
                task = self._queue.pop(0)
                if task.catalog is not None:
                    catalogs[task.source_id] = task.catalog
                self._current = task
                self._progress = (0.0, f"Starting {PARTS[task.part].title}…")
                self._started = time.time()
            try:
                catalog = catalogs.get(task.source_id)
                if catalog is None:
                    catalog = catalogs[task.source_id] = self.load_catalog(task.source_id)
                if not is_ready(catalog, task.part):
                    key = (task.source_id, task.part)
                    self._estimates[key] = estimate_seconds(catalog, task.part)
                    result = build_part(catalog, task.part, self._report)
                    if result["status"] == "built":
                        self.built.append((task.source_id, task.part, result["seconds"]))
                        log.info(
                            "precomputed %s of %s in %.1fs",
                            task.part,
                            task.source_id,
                            result["seconds"],
                        )
            except Exception as exc:  # reported to the waiting page; the server log has the rest
                log.exception("precomputing %s of %s failed", task.part, task.source_id)
                with self._lock:
                    self._failed[(task.source_id, task.part)] = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._current = None
                if not any(t.source_id == task.source_id for t in self._queue):
                    catalogs.pop(task.source_id, None)  # free the frame once a source is done
