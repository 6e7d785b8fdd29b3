"""What-if: move one input at a time and watch the predicted valence, its SHAP and neighbours.

Pure functions behind the "What-if" tab of *Why valence?*:

* :func:`knobs` turns a catalog and a model into one :class:`Knob` (slider) per numeric input,
  with its range taken from the catalog (so every catalog track fits) and a step in the
  feature's own units;
* :func:`baseline` gives the starting values: a track's own, or the catalog median;
* :func:`evaluate` scores a set of values: prediction, a one-row SHAP explanation
  (``core.explain.shapley``) and the nearest catalog tracks (``core.lookup.results``);
* :func:`encode_link` / :func:`decode_link` put a view in a URL and read it back, validated:
  unknown names are dropped, values are clamped to the knob's range, and each problem is
  reported as a notice (never an exception).

Categorical inputs (one-hot genre for the ``all`` feature set) are not knobs: they keep the base
track's level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.explain.shapley import ShapResult, shap_values
from core.lookup.results import NeighbourIndex, nearest_tracks
from core.modelling import tasks
from core.modelling.models import TrainedModel

#: The What-if view in a shared link: the base track (an id or ``median``) and the moved knobs.
TRACK_PARAM = "wi_track"
SET_PARAM = "wi_set"
MEDIAN = "median"  # the base "track" that is the catalog median
#: Longest ``wi_set`` value read from a URL; longer values are ignored with a notice.
MAX_LINK_CHARS = 1000
INTEGER_COLUMNS = frozenset(
    {"key", "mode", "time_signature", "duration_ms", "popularity", "explicit", "release_year"}
)
_STEPS = {"loudness": 0.1, "tempo": 1.0, "duration_ms": 1000.0}
_LABELS = {
    "loudness": "loudness (dB)",
    "tempo": "tempo (BPM)",
    "duration_ms": "duration (ms)",
    "key": "key (0=C … 11=B)",
    "mode": "mode (1 = major)",
}


@dataclass(frozen=True)
class Knob:
    """One adjustable input: its range, step and how to show it."""

    name: str
    lo: float
    hi: float
    step: float
    integer: bool
    label: str

    def clamp(self, value: float) -> float:
        """``value`` limited to ``[lo, hi]`` and snapped to the knob's precision."""
        v = min(max(float(value), self.lo), self.hi)
        return float(round(v)) if self.integer else round(v, _decimals(self.step))

    @property
    def fmt(self) -> str:
        """A printf format for the slider."""
        return "%d" if self.integer else f"%.{_decimals(self.step)}f"


def _decimals(step: float) -> int:
    return max(0, -int(math.floor(math.log10(step)))) if step < 1 else 0


def knobs(catalog_df: pd.DataFrame, model: TrainedModel) -> list[Knob]:
    """One knob per numeric model input, its range spanning every catalog value.

    Parameters
    ----------
    catalog_df
        The catalog whose values set the ranges.
    model
        The fitted model (its ``input_columns`` and categorical ``levels``).

    Returns
    -------
    list[Knob]
        In model input order; columns with no finite catalog value are left out.
    """
    out: list[Knob] = []
    for col in model.input_columns:
        if col in model.levels or col not in catalog_df:
            continue
        values = pd.to_numeric(catalog_df[col].astype("Float64"), errors="coerce").dropna()
        if values.empty:
            continue
        lo, hi = float(values.min()), float(values.max())
        integer = col in INTEGER_COLUMNS
        step = 1.0 if integer else _STEPS.get(col, 0.01)
        if col == "duration_ms":
            step = 1000.0
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        if hi <= lo:
            hi = lo + step
        label = _LABELS.get(col, col.replace("_", " "))
        out.append(Knob(col, round(lo, 6), round(hi, 6), step, integer, label))
    return out


def medians(catalog_df: pd.DataFrame, knob_list: list[Knob]) -> dict[str, float]:
    """The catalog median of every knob's column."""
    return {
        k.name: float(pd.to_numeric(catalog_df[k.name], errors="coerce").median())
        for k in knob_list
    }


def baseline(
    catalog_df: pd.DataFrame,
    knob_list: list[Knob],
    row: pd.Series | None = None,
    median: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Starting values: the track ``row``'s own (a missing one: the median), else the medians.

    ``median`` (from :func:`medians`) saves recomputing the catalog medians on every call.
    """
    median = medians(catalog_df, knob_list) if median is None else median
    out: dict[str, float] = {}
    for k in knob_list:
        own = None if row is None else row.get(k.name)
        value = pd.to_numeric(pd.Series([own], dtype=object), errors="coerce").iloc[0]
        value = median[k.name] if pd.isna(value) else float(value)
        out[k.name] = k.clamp(value)
    return out


def track_frame(values: Mapping[str, float], base_row: pd.Series | None = None) -> pd.DataFrame:
    """One catalog-shaped row: the base track's columns with ``values`` written over them."""
    row = {} if base_row is None else dict(base_row)
    row.update({k: float(v) for k, v in values.items()})
    return pd.DataFrame([row])


class Scorer:
    """Scores one row at a time, fast: prediction and SHAP in one pass for XGBoost.

    A server's XGBoost model predicts with all its threads; for a single row, thread start-up
    dominates and, on a busy 2-core machine, costs 30-100 ms. The scorer keeps a private
    single-threaded copy of the booster (the shared model is never mutated) and reads the
    prediction off the SHAP contributions, which add up to it exactly. Other models use
    ``TrainedModel.predict`` and ``core.explain.shapley.shap_values``.
    """

    def __init__(self, model: TrainedModel) -> None:
        self.model = model
        self._booster = None
        self._range: tuple[int, int] | None = None
        est = model.estimator
        if type(est).__module__.startswith("xgboost") and hasattr(est, "get_booster"):
            self._booster = est.get_booster().copy()
            self._booster.set_param({"nthread": 1})
            if hasattr(est, "best_score"):  # early stopping: the trees predict() uses
                self._range = (0, int(est.best_iteration) + 1)

    def score(self, frame: pd.DataFrame, catalog_df: pd.DataFrame) -> tuple[float, ShapResult]:
        """The prediction for the single row ``frame`` and its SHAP explanation."""
        if self._booster is None:
            prediction = float(self.model.predict(frame)[0])
            return prediction, shap_values(self.model, frame, max_rows=1, background=catalog_df)
        import xgboost as xgb

        X = self.model.matrix(frame)
        booster = self._booster
        dm = xgb.DMatrix(
            X.to_numpy(np.float32),
            missing=np.nan,
            feature_names=booster.feature_names,
            feature_types=booster.feature_types,
            nthread=1,
        )
        kwargs = {"iteration_range": self._range} if self._range else {}
        contribs = np.asarray(booster.predict(dm, pred_contribs=True, **kwargs), dtype=float)
        margin = float(contribs[0].sum())
        names = self.model.feature_names
        result = ShapResult(
            values=pd.DataFrame(contribs[:, :-1], columns=names, index=frame.index),
            base_value=float(contribs[0, -1]),
            data=X.set_axis(names, axis=1),
            prediction=np.array([margin]),
            method="exact TreeSHAP (XGBoost native) of this one track",
            n_explained=1,
        )
        prediction = margin
        if self.model.task == "valence":  # back from the target transform (logit), clipped
            valence = tasks.inverse_target(np.array([margin]), self.model.target_transform)
            prediction = min(max(float(valence[0]), 0.0), 1.0)
        return prediction, result


@dataclass
class WhatIf:
    """The model's view of one set of input values."""

    prediction: float
    shap: ShapResult
    neighbours: pd.DataFrame
    changed: pd.DataFrame  # feature, from, to (only the moved knobs)


def changes(values: Mapping[str, float], base: Mapping[str, float]) -> pd.DataFrame:
    """The knobs that differ from the base values: ``feature``, ``from``, ``to``."""
    rows = [
        (name, float(base[name]), float(v))
        for name, v in values.items()
        if name in base and not math.isclose(float(v), float(base[name]), abs_tol=1e-9)
    ]
    return pd.DataFrame(rows, columns=["feature", "from", "to"])


def evaluate(
    model: TrainedModel,
    values: Mapping[str, float],
    base: Mapping[str, float],
    catalog_df: pd.DataFrame,
    index: NeighbourIndex,
    *,
    base_row: pd.Series | None = None,
    k: int = 5,
    scorer: Scorer | None = None,
) -> WhatIf:
    """Predict, explain and place one set of input values.

    Parameters
    ----------
    model
        A valence regressor.
    values
        The knob values to score.
    base
        The starting values (for the table of changes).
    catalog_df
        The catalog (background of the model-agnostic SHAP path, and the neighbours).
    index
        The catalog's "sounds like" index (``core.lookup.results.fit_neighbours``).
    base_row
        The base track's catalog row (categorical inputs and the id come from it), or None for
        the median.
    k
        Neighbours returned.
    scorer
        A :class:`Scorer` of ``model`` kept between calls (made here when None).

    Returns
    -------
    WhatIf
        The prediction, its one-row SHAP, the ``k`` nearest catalog tracks (with the
        predicted valence standing in for the track's valence) and the changes.
    """
    if model.is_classifier:
        raise ValueError("What-if explores a valence model, not a classifier.")
    frame = track_frame(values, base_row)
    prediction, explained = (scorer or Scorer(model)).score(frame, catalog_df)
    probe = frame.iloc[0].copy()
    probe["valence"] = prediction
    near = nearest_tracks(index, catalog_df, probe, k=k)
    return WhatIf(prediction, explained, near, changes(values, base))


def encode_link(
    base_id: str | None, values: Mapping[str, float], base: Mapping[str, float]
) -> dict[str, str]:
    """Query parameters for a view: the base track and the moved knobs only.

    ``wi_track`` is a track id or ``median``; ``wi_set`` is ``name=value;…`` (absent when no
    knob moved).
    """
    params = {TRACK_PARAM: base_id or MEDIAN}
    moved = changes(values, base)
    if not moved.empty:
        params[SET_PARAM] = ";".join(f"{r.feature}={r.to:g}" for r in moved.itertuples())
    return params


def decode_link(
    params: Mapping[str, str], knob_list: list[Knob], track_ids: pd.Series | None = None
) -> tuple[object | None, dict[str, float], list[str]]:
    """Read a shared view back, validating everything.

    Parameters
    ----------
    params
        The URL's query parameters (``wi_track``, ``wi_set``).
    knob_list
        The knobs of the current model and catalog.
    track_ids
        The catalog's ``track_id`` column (its index is the row label returned).

    Returns
    -------
    tuple
        The catalog row label of the base track (None: the median), the knob values the link
        sets (clamped), and notices for everything that could not be used.
    """
    notices: list[str] = []
    row = None
    track = params.get(TRACK_PARAM)
    if track and track != MEDIAN:
        hits = track_ids[track_ids == track] if track_ids is not None else pd.Series(dtype=object)
        if hits.empty:
            notices.append(
                f"The link's track {track[:40]!r} is not in this dataset: starting from the median."
            )
        else:
            row = hits.index[0]
    by_name = {k.name: k for k in knob_list}
    values: dict[str, float] = {}
    raw = params.get(SET_PARAM) or ""
    if len(raw) > MAX_LINK_CHARS:
        return row, values, [*notices, "The link's settings are too long and were ignored."]
    for part in filter(None, raw.split(";")):
        name, sep, text = part.partition("=")
        knob = by_name.get(name.strip())
        try:
            value = float(text) if sep else float("nan")
        except ValueError:
            value = float("nan")
        if knob is None:
            notices.append(f"The link sets {name.strip()[:40]!r}, which is not an input here.")
        elif not np.isfinite(value):
            notices.append(f"The link's value for {knob.name} is not a number and was ignored.")
        else:
            kept = knob.clamp(value)
            if not math.isclose(kept, value, rel_tol=1e-6, abs_tol=knob.step / 2):
                notices.append(
                    f"The link's {knob.name}={value:g} is outside {knob.lo:g}…{knob.hi:g}; "
                    f"{kept:g} is used."
                )
            values[knob.name] = kept
    return row, values, notices
