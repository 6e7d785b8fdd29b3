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

Modules: :mod:`~core.warm.store` (version key, folders, manifests, file formats),
:mod:`~core.warm.parts` (what each artefact is and how long it takes), :mod:`~core.warm.artefacts`
(load and build on disk) and :mod:`~core.warm.warmer` (the background thread). Everything public
is importable from ``core.warm``.
"""

from core.warm.artefacts import build, build_part, load
from core.warm.parts import PARTS, Part, estimate_seconds, measured_seconds, umap_settings
from core.warm.store import (
    CRITERIA,
    FEATURE_SET,
    PHASE,
    SEED,
    SHAP_ROWS,
    UMAP_MIN_DIST,
    UMAP_NEIGHBORS,
    UMAP_SAMPLE,
    WARM_VERSION,
    Files,
    WarmError,
    discard,
    folder,
    is_ready,
    prune,
    root,
    version_key,
)
from core.warm.warmer import PartState, Warmer

__all__ = [
    "CRITERIA",
    "FEATURE_SET",
    "PARTS",
    "PHASE",
    "SEED",
    "SHAP_ROWS",
    "UMAP_MIN_DIST",
    "UMAP_NEIGHBORS",
    "UMAP_SAMPLE",
    "WARM_VERSION",
    "Files",
    "Part",
    "PartState",
    "WarmError",
    "Warmer",
    "build",
    "build_part",
    "discard",
    "estimate_seconds",
    "folder",
    "is_ready",
    "load",
    "measured_seconds",
    "prune",
    "root",
    "umap_settings",
    "version_key",
]
