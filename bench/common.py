"""Helpers for benchmarks: timing, peak memory of a child process, synthetic catalogs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time in seconds over ``repeat`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


# The child's own peak: VmHWM of its address space. ``ru_maxrss`` is not: Linux carries the
# parent's high-water mark across fork/vfork + exec, so a child of a 2 GB bench process would
# report >= 2 GB whatever it used.
_PEAK_RSS = """
def _peak_rss_mb():
    try:
        with open('/proc/self/status') as fh:
            for line in fh:
                if line.startswith('VmHWM:'):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
"""


def run_child(code: str, env: dict[str, str] | None = None, timeout: int = 900) -> dict:
    """Run Python ``code`` in a fresh process; it prints one JSON object on its last line.

    The result gains ``peak_rss_mb`` (the child's maximum resident set size).
    """
    wrapper = (
        "import json, resource, sys\n"
        f"{_PEAK_RSS}\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        f"{code}\n"
        "out['peak_rss_mb'] = _peak_rss_mb()\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# A child's ``render(query)``: a fresh AppTest of app.py with ``query`` as its link, switched to
# a page; returns (first render, rerun) seconds. Fill in with ``.format(page=…, timeout=…,
# clear=…)``; ``clear`` is a statement run first (``pass``, or one that clears caches).
_RENDER_PAGE = """
def render(query):
    {clear}
    at = AppTest.from_file("app.py", default_timeout={timeout})
    at.query_params.update(query)
    at.run()
    at.switch_page({page!r})
    t = time.perf_counter(); at.run(); first = time.perf_counter() - t
    assert not at.exception, at.exception
    t = time.perf_counter(); at.run(); rerun = time.perf_counter() - t
    return round(first, 3), round(rerun, 3)
"""


def render_page_code(page: str, timeout: int, clear: str = "pass") -> str:
    """Child code defining ``render(query)`` for ``page`` (needs ``time`` and ``AppTest``)."""
    return _RENDER_PAGE.format(page=page, timeout=timeout, clear=clear)


def synthetic_catalog_csv(base: pd.DataFrame, n_rows: int, path: Path, seed: int = 0) -> Path:
    """Write a CSV of ``n_rows`` tracks resampled from ``base`` with fresh unique ids and artists.

    Numeric features get small jitter so rows are not exact copies (dedup would collapse them).
    """
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), n_rows)
    df = base.iloc[idx].reset_index(drop=True).copy()
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    codes = rng.integers(0, len(alphabet), size=(n_rows, 22))
    df["track_id"] = ["".join(row) for row in alphabet[codes]]
    df["artists"] = df["artists"].astype(str) + " #" + (np.arange(n_rows) % 50_000).astype(str)
    for col in ("danceability", "energy", "speechiness", "acousticness", "liveness", "valence"):
        df[col] = np.clip(df[col] + rng.normal(0, 0.01, n_rows), 0, 1).round(4)
    df["tempo"] = (df["tempo"] + rng.normal(0, 0.5, n_rows)).round(3)
    df.to_csv(path, index=False)
    return path
