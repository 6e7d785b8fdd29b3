"""Where precomputed artefacts live: the version key, folders, manifests and file formats.

The folder of a catalog's artefacts holds the catalog checksum and :func:`version_key`, a hash of
everything else a result depends on, so changed data or code never reads an old artefact.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import shutil
import threading
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.catalog import data, sources
from core.catalog.data import Catalog

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


def manifest_path(catalog: Catalog, part: str) -> Path:
    """The manifest of ``part``: its files' digests; written last, so it marks the part ready."""
    return folder(catalog) / f"{part}.manifest.json"


def sha(blob: bytes) -> str:
    """The sha256 hex digest a manifest records."""
    return hashlib.sha256(blob).hexdigest()


def atomic_write(path: Path, blob: bytes) -> None:
    """Write through a temporary file, so a reader never sees a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- (de)serialising
def frame_bytes(df: pd.DataFrame) -> bytes:
    """A frame as Parquet bytes (no index)."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def read_frame(blob: bytes) -> pd.DataFrame:
    """A frame from :func:`frame_bytes`."""
    return pd.read_parquet(io.BytesIO(blob))


def json_bytes(value: Any) -> bytes:
    """JSON bytes of a value that may hold numpy scalars and arrays."""
    return json.dumps(value, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def is_ready(catalog: Catalog, part: str) -> bool:
    """Whether ``part`` is on disk for this catalog and code version (built or not applicable)."""
    return manifest_path(catalog, part).is_file()


def discard(catalog: Catalog, part: str) -> None:
    """Remove a part's manifest and files (it will be rebuilt)."""
    manifest = manifest_path(catalog, part)
    try:
        files = json.loads(manifest.read_text()).get("files", {})
    except (OSError, ValueError):
        files = {}
    manifest.unlink(missing_ok=True)
    for name in files:
        (folder(catalog) / f"{part}.{name}").unlink(missing_ok=True)


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
