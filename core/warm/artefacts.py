"""Loading and building the parts of a catalog on disk (digests checked, never unpickled)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from core.catalog.data import Catalog
from core.progress import ProgressFn, relabelled, reporter
from core.warm.parts import PARTS, say
from core.warm.store import (
    WarmError,
    atomic_write,
    discard,
    folder,
    is_ready,
    json_bytes,
    manifest_path,
    sha,
)

log = logging.getLogger("core.warm")  # one name in server logs (bench_load counts its lines)


def load(catalog: Catalog, part: str) -> Any:
    """The stored artefact, or None when it is missing, not applicable, corrupt or unsafe.

    A corrupt or unloadable part is discarded so the next :func:`build` makes it again.
    """
    if catalog.is_upload or part not in PARTS:
        return None
    manifest = manifest_path(catalog, part)
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
            if sha(blob) != digest:
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
            atomic_write(out_dir / f"{part}.{name}", blob)
        entry = {
            "part": part,
            "files": {name: sha(blob) for name, blob in files.items()},
            "meta": meta,
        }
    seconds = time.perf_counter() - t0
    entry |= {
        "source": catalog.source_id,
        "seconds": round(seconds, 3),
        "rows": len(catalog.df),  # with "seconds": this machine's pace (measured_seconds)
        "built": time.time(),
    }
    atomic_write(manifest_path(catalog, part), json_bytes(entry))  # last: marks it ready
    say(report, 1.0, f"{spec.title} ready")
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
