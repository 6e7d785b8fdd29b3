"""Spotify track ids: parse bare ids, ``spotify:track:`` URIs and ``open.spotify.com`` links.

Strict on purpose: a token is either exactly one of the accepted shapes or it is reported as
invalid (with its line number), never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 22

_ID = r"([0-9A-Za-z]{22})"
_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^{_ID}$"),
    re.compile(rf"^spotify:track:{_ID}$", re.IGNORECASE),
    # open.spotify.com/track/<id>, /intl-de/track/<id>, /embed/track/<id>, with ?si=… or #…
    re.compile(
        rf"^(?:https?://)?open\.spotify\.com/(?:[A-Za-z0-9_-]+/)*track/{_ID}/?(?:[?#].*)?$",
        re.IGNORECASE,
    ),
    re.compile(rf"^(?:https?://)?api\.spotify\.com/v1/tracks/{_ID}/?(?:[?#].*)?$", re.IGNORECASE),
)
_LOCAL = re.compile(r"^spotify:local:", re.IGNORECASE)
_SPLIT = re.compile(r"[,;\s]+")


def parse_track_id(value: object) -> str | None:
    """Return the 22-character track id of a bare id, URI or link, or None when it is not one.

    Parameters
    ----------
    value
        Any object; it is converted with ``str`` and stripped (and of surrounding quotes).

    Returns
    -------
    str or None
        The id with its original case (Spotify ids are case-sensitive).
    """
    if value is None:
        return None
    text = str(value).strip().strip("\"'<>")
    if len(text) < ID_LENGTH or len(text) > 2048:
        return None
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def is_local_uri(value: object) -> bool:
    """Whether a value is an Exportify/Spotify local-file URI (``spotify:local:…``, no id)."""
    return bool(_LOCAL.match(str(value).strip())) if value is not None else False


def track_uri(track_id: str) -> str:
    """``spotify:track:<id>`` for an id."""
    return f"spotify:track:{track_id}"


def track_url(track_id: str) -> str:
    """``https://open.spotify.com/track/<id>`` for an id."""
    return f"https://open.spotify.com/track/{track_id}"


@dataclass
class ParsedIds:
    """What a block of pasted text contained.

    Attributes
    ----------
    ids
        Unique valid ids in first-seen order.
    invalid
        ``(line_number, token)`` for each token that is not a track id (1-based lines).
    duplicates
        How many valid tokens repeated an id already seen.
    local_files
        How many ``spotify:local:`` tokens were skipped (they have no id).
    """

    ids: list[str] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)
    duplicates: int = 0
    local_files: int = 0


def parse_id_text(text: str, max_ids: int | None = None) -> ParsedIds:
    """Parse ids, URIs and links separated by newlines, commas, semicolons or spaces.

    Parameters
    ----------
    text
        The pasted text.
    max_ids
        Stop collecting after this many unique ids (the caller reports the cap).

    Returns
    -------
    ParsedIds
        Unique ids, invalid tokens with line numbers, and counts of duplicates / local files.
    """
    out = ParsedIds()
    seen: set[str] = set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        for token in _SPLIT.split(line.strip()):
            if not token:
                continue
            if is_local_uri(token):
                out.local_files += 1
                continue
            track_id = parse_track_id(token)
            if track_id is None:
                out.invalid.append((line_no, token[:80]))
            elif track_id in seen:
                out.duplicates += 1
            elif max_ids is None or len(out.ids) < max_ids:
                seen.add(track_id)
                out.ids.append(track_id)
    return out
