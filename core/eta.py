"""Time-left estimates for progress bars: every step over ~2 s says how long it has left."""

from __future__ import annotations

import time
from collections.abc import Callable


def format_seconds(seconds: float) -> str:
    """``8 s``, ``1 min 20 s``, ``12 min``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 10 and rest else f"{minutes} min"


def time_left(fraction: float, elapsed: float) -> float | None:
    """Seconds left at a constant pace, or None while too little is done to tell."""
    if fraction <= 0.02 or elapsed < 0.5 or fraction >= 1:
        return None
    return elapsed * (1 - fraction) / fraction


class Eta:
    """Started when the work starts; ``text(fraction)`` is ``'· about 12 s left'`` or ``''``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.start = clock()

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return self._clock() - self.start

    def text(self, fraction: float) -> str:
        """A suffix for a progress label."""
        left = time_left(fraction, self.elapsed)
        if left is None:
            return f" · {format_seconds(self.elapsed)} so far" if self.elapsed >= 2 else ""
        return f" · about {format_seconds(left)} left"
