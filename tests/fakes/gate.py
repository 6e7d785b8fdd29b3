"""A one-core CPU gate whose core another thread holds: for tests of what queues and what not.

Import the fixtures into a test module
(``from tests.fakes.gate import held_gate_fixture, queue_notes_fixture  # noqa: F401``); they
are named ``held_gate`` and ``queue_notes``.
"""

from __future__ import annotations

import threading
import time

import pytest

from core import compute


class HeldGate:
    """A ``compute.Gate`` of one core, held on demand by a thread of its own."""

    def __init__(self) -> None:
        self.gate = compute.Gate(1)
        self.heard: list[int] = []  # the jobs ahead, each time ``waiting`` was called
        self._release = threading.Event()

    def hold(self, seconds: float = 30.0) -> threading.Event:
        """Take the core in a new thread until released (or ``seconds`` pass); its release."""
        release = threading.Event()
        self._release = release

        def holder() -> None:
            with self.gate.slot("fit xgboost"):
                release.wait(seconds)

        threading.Thread(target=holder, daemon=True).start()
        while self.gate.held == 0:
            time.sleep(0.01)
        return release

    def waiting(self, ahead: int) -> None:
        """An ``on_wait``: note the jobs ahead and let the held core go."""
        self.heard.append(ahead)
        self._release.set()


@pytest.fixture(name="held_gate")
def held_gate_fixture(monkeypatch: pytest.MonkeyPatch) -> HeldGate:
    """A :class:`HeldGate` installed as the process's gate (not held until ``hold()``)."""
    held = HeldGate()
    monkeypatch.setattr(compute, "_gate", held.gate)
    return held


@pytest.fixture(name="queue_notes")
def queue_notes_fixture(held_gate: HeldGate, monkeypatch: pytest.MonkeyPatch) -> HeldGate:
    """``held_gate``, with every ``ui.progress.QueueNote`` shown and passed on to ``waiting``."""
    from ui import progress

    shown = progress.QueueNote.__call__

    def note(self: progress.QueueNote, ahead: int) -> None:
        shown(self, ahead)
        held_gate.waiting(ahead)

    monkeypatch.setattr(progress.QueueNote, "__call__", note)
    return held_gate
