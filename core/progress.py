"""The one progress type every long operation reports through, and the stop-switch type.

Training, tuning, cross-validation, downloads, provider lookups, UMAP, the recipe and subset
selection all call ``on_progress(Progress(...))``; ``ui/progress.py`` turns a ``Progress`` into a
bar and a status line, and ``core/jobs.py`` collects them from a background thread.

Counted work sets ``step`` and ``total`` in a ``unit`` (rounds, folds, ids, bytes); work that only
knows how far it is uses :meth:`Progress.share` (``step`` is the fraction, ``total`` is 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """One update of a long operation.

    Attributes
    ----------
    phase
        What is running ("fit", "cv", "tune", "download", "ReccoBeats audio features", ...).
    step, total
        Work done and planned, in ``unit``; ``total`` is None when unknown (a download without
        a Content-Length).
    unit
        "round", "trees", "epoch", "fit", "fold", "trial", "ids", "bytes", or "" for a share.
    metric, train, validation
        Training only: the metric of the live curve and its latest train / validation values.
    message
        A sentence for the status line (optional).
    """

    phase: str
    step: float = 0
    total: float | None = None
    unit: str = ""
    metric: str = ""
    train: float | None = None
    validation: float | None = None
    message: str = ""

    @classmethod
    def share(cls, phase: str, fraction: float, message: str = "") -> Progress:
        """Progress known only as a share of the work (0-1)."""
        return cls(phase, float(fraction), 1.0, "", message=message)

    @property
    def fraction(self) -> float:
        """Share of the planned work done (0-1; 0 while the total is unknown)."""
        if self.total is None:
            return 0.0
        return max(0.0, min(1.0, self.step / self.total)) if self.total else 1.0

    def relabel(self, phase: str) -> Progress:
        """The same update under another phase (a sub-operation reported within a larger one)."""
        return dataclasses.replace(self, phase=phase)


ProgressFn = Callable[[Progress], None]
StopFn = Callable[[], bool]


def relabelled(on_progress: ProgressFn | None, phase: str) -> ProgressFn | None:
    """A callback forwarding every update to ``on_progress`` under ``phase`` (None stays None)."""
    if on_progress is None:
        return None
    return lambda p: on_progress(p.relabel(phase))


def reporter(on_progress: ProgressFn | None) -> ProgressFn:
    """``on_progress`` itself, or a callback that does nothing when there is none."""
    return on_progress if on_progress is not None else _ignore


def _ignore(progress: Progress) -> None:
    return None
