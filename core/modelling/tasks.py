"""Prediction tasks: which target a model learns and which rows carry it.

``valence``        regression of Spotify's valence (0-1);
``valence-class``  sad / neutral / happy by the catalog's valence tertiles;
``genre``          the catalog's genre labels;
``genre-group``    ten broad groups (only when every genre is in :mod:`core.catalog.genre_groups`);
``subgenre``       the source's subgenres (TidyTuesday's 24 playlist subgenres).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.catalog import genre_groups

TASKS: dict[str, str] = {
    "valence": "Valence (regression)",
    "valence-class": "Valence class: sad / neutral / happy (tertiles)",
    "genre": "Genre (classification)",
    "genre-group": "Broad genre group (10 groups)",
    "subgenre": "Subgenre (classification)",
}
REGRESSION_TASKS = frozenset({"valence"})
VALENCE_CLASSES: tuple[str, ...] = ("sad", "neutral", "happy")


def is_regression(task: str) -> bool:
    """Whether a task predicts a number rather than a label."""
    if task not in TASKS:
        raise ValueError(f"Unknown task {task!r}; choose one of {list(TASKS)}")
    return task in REGRESSION_TASKS


def available_tasks(df: pd.DataFrame) -> list[str]:
    """Tasks a catalog supports, in menu order."""
    tasks = ["valence", "valence-class"]
    if "genre" in df and df["genre"].nunique() >= 2:
        tasks.append("genre")
        if genre_groups.covers(df["genre"].dropna().unique()):
            tasks.append("genre-group")
    if "subgenre" in df and df["subgenre"].nunique() >= 2:
        tasks.append("subgenre")
    return tasks


@dataclass
class Target:
    """The labelled rows of a catalog for a task, and their target values."""

    task: str
    rows: pd.DataFrame  # catalog rows that have a target (original index kept)
    y: np.ndarray  # float valence, or object-dtype string labels
    thresholds: tuple[float, float] | None = None  # valence-class tertile cut points

    @property
    def regression(self) -> bool:
        """Whether the target is numeric."""
        return is_regression(self.task)


def valence_thresholds(valence: pd.Series) -> tuple[float, float]:
    """The 1/3 and 2/3 quantiles of valence (the sad/neutral/happy cut points)."""
    low, high = np.nanquantile(valence.to_numpy(float), [1 / 3, 2 / 3])
    return float(low), float(high)


def valence_class(valence: pd.Series, thresholds: tuple[float, float]) -> np.ndarray:
    """Label each valence as sad (< low), happy (>= high) or neutral."""
    v = valence.to_numpy(float)
    out = np.full(v.shape, "neutral", dtype=object)
    out[v < thresholds[0]] = "sad"
    out[v >= thresholds[1]] = "happy"
    return out


def make_target(df: pd.DataFrame, task: str) -> Target:
    """Rows with a target for ``task`` and the target values.

    Raises
    ------
    ValueError
        If the task is unknown or the catalog cannot support it.
    """
    is_regression(task)
    if task not in available_tasks(df):
        raise ValueError(f"This dataset has no labels for the task {TASKS[task]!r}.")
    if task == "valence":
        rows = df[df["valence"].notna()]
        return Target(task, rows, rows["valence"].to_numpy(float))
    if task == "valence-class":
        rows = df[df["valence"].notna()]
        cuts = valence_thresholds(rows["valence"])
        return Target(task, rows, valence_class(rows["valence"], cuts), cuts)
    column = "subgenre" if task == "subgenre" else "genre"
    labels = df[column].astype("string")
    if task == "genre-group":
        labels = genre_groups.to_group(labels)
    keep = labels.notna().to_numpy()
    rows = df[keep]
    return Target(task, rows, labels[keep].astype(str).to_numpy(dtype=object))


#: Fewest tracks a class may have before a model is trained on it.
MIN_CLASS_TRACKS = 10


class SmallClassError(ValueError):
    """Some classes are too small for the chosen split; the message names them and the fixes."""


def class_size_problem(
    df: pd.DataFrame, task: str, split: str = "grouped", folds: int = 0
) -> str | None:
    """Why the classes of ``task`` are too small for ``split`` (and ``folds``), or None if fine.

    A class needs at least ``max(10, 2 * folds)`` tracks and, for a split grouped by artist,
    tracks by at least 2 (or ``folds``) different primary artists: otherwise every track of the
    class lands on one side of the split, and models fail or score it as an unseen label.
    """
    if is_regression(task) or task not in available_tasks(df):
        return None
    target = make_target(df, task)
    labels = pd.Series(target.y, index=target.rows.index, dtype=object)
    min_tracks = max(MIN_CLASS_TRACKS, 2 * folds if folds >= 2 else 0)
    min_artists = max(2, folds) if split == "grouped" else 1
    tracks = labels.value_counts()
    if "primary_artist" in target.rows:
        artists = target.rows["primary_artist"].astype("string").groupby(labels).nunique()
    else:
        artists = tracks
    small = [
        (str(label), int(n), int(artists.get(label, n)))
        for label, n in tracks.sort_values().items()
        if n < min_tracks or artists.get(label, n) < min_artists
    ]
    if not small:
        return None
    shown = ", ".join(f"{label} ({n} tracks, {a} artists)" for label, n, a in small[:8])
    more = f" and {len(small) - 8} more" if len(small) > 8 else ""
    need = f"at least {min_tracks} tracks" + (
        f" by {min_artists} different artists" if min_artists > 1 else ""
    )
    how = f"{folds}-fold cross-validation" if folds >= 2 else f"a {split} split"
    return (
        f"{len(small)} class(es) of {TASKS[task]} are too small for {how}: {shown}{more}. "
        f"Each class needs {need}. Fix it by dropping those tracks from your file, merging "
        "them into a bigger class (or the broad genre-group task), or choosing another task "
        "such as valence."
    )


def check_class_sizes(df: pd.DataFrame, task: str, split: str = "grouped", folds: int = 0) -> None:
    """Raise :class:`SmallClassError` when ``class_size_problem`` finds a problem."""
    problem = class_size_problem(df, task, split, folds)
    if problem:
        raise SmallClassError(problem)


#: Target transforms for valence regression: the model learns ``transform(valence)`` and its
#: predictions are mapped back. Logit clips valence to [LOGIT_EPS, 1 - LOGIT_EPS] first.
TARGET_TRANSFORMS: dict[str, str] = {
    "none": "None (learn valence as it is)",
    "logit": "Logit (learn log(v / (1 - v)), predictions mapped back to 0-1)",
}
LOGIT_EPS = 0.01


def check_transform(name: str, task: str) -> str:
    """A valid transform name for a task (only valence regression takes one besides ``none``)."""
    if name not in TARGET_TRANSFORMS:
        raise ValueError(
            f"Unknown target transform {name!r}; choose one of {list(TARGET_TRANSFORMS)}"
        )
    if name != "none" and not is_regression(task):
        raise ValueError(f"The {name} transform applies to valence regression only, not {task!r}.")
    return name


def transform_target(y: np.ndarray, name: str) -> np.ndarray:
    """The values a model learns for target ``y`` under a transform."""
    y = np.asarray(y, dtype=float)
    if name == "none":
        return y
    v = np.clip(y, LOGIT_EPS, 1.0 - LOGIT_EPS)
    return np.log(v / (1.0 - v))


def inverse_target(z: np.ndarray, name: str) -> np.ndarray:
    """Map a model's output back to the target's scale."""
    z = np.asarray(z, dtype=float)
    if name == "none":
        return z
    return 1.0 / (1.0 + np.exp(-z))
