"""The one adapter from :class:`core.progress.Progress` to Streamlit bars and status lines.

``ProgressBar`` is an ``on_progress`` callback that draws a bar (and, for provider waits, a
status line); ``describe`` is the text every bar and live panel shows for an update.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Self

import streamlit as st

from core import compute
from core.eta import Eta
from core.progress import Progress
from core.safety import escape_markdown

MB = 2**20


def describe(progress: Progress | None, title: str = "") -> str:
    """The status text of an update: its message, or phase, counts and the live metric."""
    if progress is None:
        return "Starting…"
    if progress.unit == "bytes":
        text = f"{title or progress.phase}: {progress.step / MB:.1f} MB"
    elif progress.message:
        text = progress.message
    else:
        unit = f"{progress.unit} " if progress.unit else ""
        total = "?" if progress.total is None else f"{progress.total:,.0f}"
        text = f"{progress.phase}: {unit}{progress.step:,.0f} / {total}"
    if progress.validation is not None:
        text += f" · validation {progress.metric} {progress.validation:.4f}"
    return text


class _Shown:
    """Page elements that stand only while some work runs: ``with`` removes them at the end."""

    def done(self) -> None:
        """Remove what is shown."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.done()


class ProgressBar(_Shown):
    """A bar (and a line for waits) fed by ``Progress`` updates; use as ``on_progress``.

    Parameters
    ----------
    where
        The container to draw in (``st``, ``st.sidebar``, a column).
    text
        The bar's text before the first update.
    title
        Prefix for byte counts (e.g. "Downloading Spotify Tracks").
    """

    def __init__(self, where: Any = st, text: str = "Starting…", title: str = "") -> None:
        self.bar = where.progress(0.0, text=text)
        self.note = where.empty()
        self.title = title
        self.waits: list[tuple[float, str]] = []
        self.etas: dict[str, Eta] = {}

    def __call__(self, progress: Progress) -> None:
        """Show an update, with the time its phase has left once that can be told."""
        text = describe(progress, self.title)
        if progress.total:
            text += self.etas.setdefault(progress.phase, Eta()).text(progress.fraction)
        self.bar.progress(progress.fraction, text=text)

    def wait(self, seconds: float, message: str) -> None:
        """``on_wait`` callback of the provider clients: say why we are waiting."""
        self.waits.append((seconds, message))
        self.note.info(
            f"{escape_markdown(message)} (at {time.strftime('%H:%M:%S')})",
            icon=":material/hourglass:",
        )

    def wait_summary(self) -> str | None:
        """One sentence on the provider waits so far, or None when there were none."""
        if not self.waits:
            return None
        total = sum(s for s, _ in self.waits)
        return (
            f"Waited {len(self.waits)} time(s), {total:.1f} s in all, for providers "
            f"(last: {self.waits[-1][1]})."
        )

    def done(self) -> None:
        """Remove the bar and the status line."""
        self.bar.empty()
        self.note.empty()


class QueueNote(_Shown):
    """``on_wait`` of a job on the CPU gate that runs under a spinner: says it is queued.

    The gate calls it with the number of jobs ahead; :meth:`done` removes the line once the
    job has its cores. Use as a context manager around the call that may queue.
    """

    def __init__(self, where: Any = st) -> None:
        self.line = where.empty()

    def __call__(self, ahead: int) -> None:
        """Say how many jobs are ahead (the gate calls this whenever the number changes)."""
        self.line.info(
            f"{compute.waiting_message(ahead).capitalize()}…", icon=":material/hourglass:"
        )

    def done(self) -> None:
        """Remove the line."""
        self.line.empty()
