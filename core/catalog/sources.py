"""Dataset source registry, file resolution and downloads.

Resolution order for a registered source: a file with an expected name in
``VALENCE_LAB_DATA_DIR`` -> the on-disk cache under ``data/`` -> download from the public URL.
Any other CSV in ``VALENCE_LAB_DATA_DIR`` (or ``data/``) is offered as an extra local source.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from core.progress import Progress, ProgressFn

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DATA_DIR_ENV = "VALENCE_LAB_DATA_DIR"
CACHE_DIR_ENV = "VALENCE_LAB_CACHE_DIR"
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_TIMEOUT_S = 30.0  # longest silence between two chunks
DEFAULT_DEADLINE_S = 300.0  # longest whole download (connect + every byte)

PHASE = "download"


@dataclass(frozen=True)
class Source:
    """A public dataset the app knows how to fetch and read."""

    id: str
    title: str
    url: str | None
    filenames: tuple[str, ...]
    description: str = ""


SOURCES: dict[str, Source] = {
    s.id: s
    for s in (
        Source(
            id="spotify-tracks-114k",
            title="Spotify Tracks (114k, 114 genres)",
            url="https://huggingface.co/datasets/maharshipandya/spotify-tracks-dataset/resolve/main/dataset.csv",
            filenames=("spotify_tracks.csv", "dataset.csv"),
            description=(
                "Hugging Face maharshipandya/spotify-tracks-dataset: 114 genres x 1,000 tracks."
            ),
        ),
        Source(
            id="tidytuesday-spotify-songs",
            title="TidyTuesday Spotify Songs (33k, 6 genres)",
            url="https://raw.githubusercontent.com/rfordatascience/tidytuesday/master/data/2020/2020-01-21/spotify_songs.csv",
            filenames=("tidytuesday_spotify_songs.csv", "spotify_songs.csv"),
            description="TidyTuesday 2020-01-21: 6 playlist genres, 24 subgenres, release dates.",
        ),
    )
}
DEFAULT_SOURCE = "spotify-tracks-114k"
LOCAL_PREFIX = "local:"
#: File types offered as extra local sources (Parquet and SQLite are read out-of-core).
LOCAL_SUFFIXES = (".csv", ".parquet", ".sqlite", ".sqlite3", ".db")


class DownloadError(RuntimeError):
    """A source file could not be fetched; the message says what to do instead."""


def data_dir() -> Path | None:
    """The directory named by ``VALENCE_LAB_DATA_DIR``, if set and present."""
    value = os.environ.get(DATA_DIR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None


def cache_dir() -> Path:
    """The on-disk cache (``data/`` in the project unless ``VALENCE_LAB_CACHE_DIR`` is set)."""
    path = Path(os.environ.get(CACHE_DIR_ENV) or PROJECT_ROOT / "data")
    path.mkdir(parents=True, exist_ok=True)
    return path


def find_local_file(source: Source) -> Path | None:
    """Find a source's file in the data dir, then the cache, without downloading."""
    for folder in (data_dir(), cache_dir()):
        if folder is None:
            continue
        for name in source.filenames:
            candidate = folder / name
            if candidate.is_file() and candidate.stat().st_size > 0:
                return candidate
    return None


def local_extra_files() -> dict[str, Path]:
    """CSV, Parquet and SQLite files in the data dir / cache that no registered source claims."""
    known = {name for s in SOURCES.values() for name in s.filenames}
    found: dict[str, Path] = {}
    for folder in (data_dir(), cache_dir()):
        if folder is None:
            continue
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in LOCAL_SUFFIXES):
            if path.name not in known and path.is_file():
                found.setdefault(f"{LOCAL_PREFIX}{path.name}", path)
    return found


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_progress: ProgressFn | None = None,
    deadline: float = DEFAULT_DEADLINE_S,
) -> Path:
    """Stream ``url`` to ``dest`` atomically, with a stall timeout, an overall deadline and a cap.

    Raises
    ------
    DownloadError
        On HTTP errors, a stall longer than ``timeout``, a download longer than ``deadline``
        (its socket is shut and released), network failure or a body larger than
        ``max_bytes``; the message names the URL and the ``VALENCE_LAB_DATA_DIR`` alternative.

    ``on_progress`` gets a :class:`~core.progress.Progress` in bytes after every chunk (its
    total is None when the server sends no Content-Length).
    """
    hint = (
        f"Download the file yourself and put it in a folder named by {DATA_DIR_ENV}, "
        "or into the app's data/ folder."
    )
    # imported here: requests and urllib3 cost ~40 ms, and most processes never download
    import requests

    from core import outbound

    tmp = dest.with_suffix(dest.suffix + ".part")
    started = time.monotonic()
    session = outbound.DeadlineSession(deadline)
    try:
        with (
            outbound.watched(deadline),
            session.get(url, stream=True, timeout=(min(timeout, 10.0), timeout)) as resp,
        ):
            if resp.status_code != 200:
                raise DownloadError(f"Could not download {url}: HTTP {resp.status_code}. {hint}")
            total = resp.headers.get("Content-Length")
            total_n = int(total) if total and total.isdigit() else None
            if total_n is not None and total_n > max_bytes:
                raise DownloadError(
                    f"{url} is {total_n:,} bytes, over the {max_bytes:,}-byte cap. {hint}"
                )
            done = 0
            with tmp.open("wb") as fh:
                for chunk in resp.iter_content(chunk_size=1 << 16):
                    if time.monotonic() - started > deadline:
                        raise outbound.DeadlineExceeded("past the deadline")
                    done += len(chunk)
                    if done > max_bytes:
                        raise DownloadError(
                            f"{url} grew past the {max_bytes:,}-byte cap; stopped. {hint}"
                        )
                    fh.write(chunk)
                    if on_progress is not None:
                        on_progress(Progress(PHASE, done, total_n, "bytes"))
        tmp.replace(dest)
        return dest
    except (requests.RequestException, OSError) as exc:
        if isinstance(exc, outbound.DeadlineExceeded) or time.monotonic() - started >= deadline:
            raise DownloadError(
                f"Timed out: downloading {url} took longer than {deadline:.0f} s. {hint}"
            ) from exc
        if isinstance(exc, requests.Timeout):
            raise DownloadError(
                f"Timed out: {url} sent nothing for {timeout:.0f} s. {hint}"
            ) from exc
        raise DownloadError(
            f"Could not reach {url} (offline?): {type(exc).__name__}. {hint}"
        ) from exc
    finally:
        session.close()
        tmp.unlink(missing_ok=True)


def resolve_source_file(
    source_id: str,
    *,
    allow_download: bool = True,
    on_progress: ProgressFn | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Path:
    """Return a local path for a source: data dir -> cache -> download."""
    if source_id.startswith(LOCAL_PREFIX):
        extras = local_extra_files()
        if source_id not in extras:
            raise DownloadError(f"Local file {source_id[len(LOCAL_PREFIX) :]} is no longer there.")
        return extras[source_id]
    if source_id not in SOURCES:
        raise KeyError(f"Unknown source {source_id!r}; known: {', '.join(SOURCES)}")
    source = SOURCES[source_id]
    local = find_local_file(source)
    if local is not None:
        return local
    if not allow_download or source.url is None:
        raise DownloadError(
            f"{source.title} is not on disk. Put {source.filenames[0]} in {DATA_DIR_ENV} "
            f"or allow the download from {source.url}."
        )
    log.info("downloading %s", source.url)
    return download(
        source.url,
        cache_dir() / source.filenames[0],
        timeout=timeout,
        max_bytes=max_bytes,
        on_progress=on_progress,
    )


def available_sources() -> dict[str, str]:
    """Sources usable without a download: id -> title (registered ones first)."""
    found = {s.id: s.title for s in SOURCES.values() if find_local_file(s) is not None}
    for sid, path in local_extra_files().items():
        found[sid] = f"Local file: {path.name}"
    return found
