"""Ten broad genre groups for the 114 genres of the Hugging Face Spotify Tracks Dataset.

The mapping is explicit (no string guessing) so that every one of the 114 ``track_genre`` values
lands in exactly one group a listener would expect. Judgement calls, documented:

- language/market genres whose catalogue is mostly pop (``cantopop``, ``j-pop``, ``k-pop``,
  ``mandopop``, ``swedish``, ``french``, ``german``, ``british``, ``spanish``) are **pop**, while
  regional traditions with their own sound (``brazil``, ``mpb``, ``samba``, ``indian``,
  ``iranian``, ``turkish``, ``malay``, latin dance styles) are **world**;
- dance-floor genres (``house``, ``techno``, ``edm``, ``dubstep``, ``j-dance``, ``club``,
  ``party``, ``dance``) are **electronic**; ``reggae``/``dancehall``/``reggaeton`` are **world**;
- ``r-n-b``, ``soul``, ``funk``, ``gospel``, ``blues``, ``jazz`` are **jazz/soul**;
- mood/activity playlists and spoken or novelty genres (``sleep``, ``study``, ``comedy``,
  ``children``, ``kids``, ``disney``, ``show-tunes``, ``happy``, ``sad``, ``romance``,
  ``anime``) are **misc**; ``piano``, ``opera``, ``classical`` and ``new-age`` are **classical**.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

GROUPS: tuple[str, ...] = (
    "pop",
    "rock",
    "metal",
    "electronic",
    "hip-hop",
    "jazz/soul",
    "world",
    "folk/country",
    "classical",
    "misc",
)

# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
_BY_GROUP: dict[str, tuple[str, ...]] = {
    "pop": (
        "british", "cantopop", "french", "german", "indie-pop", "j-idol", "j-pop", "k-pop",
        "mandopop", "pop", "pop-film", "power-pop", "spanish", "swedish", "synth-pop",
    ),
    "rock": (
        "alt-rock", "alternative", "emo", "garage", "goth", "grunge", "guitar", "hard-rock",
        "indie", "j-rock", "psych-rock", "punk", "punk-rock", "rock", "rock-n-roll",
        "rockabilly", "ska",
    ),
    "metal": (
        "black-metal", "death-metal", "grindcore", "hardcore", "heavy-metal", "industrial",
        "metal", "metalcore",
    ),
    "electronic": (
        "ambient", "breakbeat", "chicago-house", "chill", "club", "dance", "deep-house",
        "detroit-techno", "disco", "drum-and-bass", "dub", "dubstep", "edm", "electro",
        "electronic", "groove", "hardstyle", "house", "idm", "j-dance", "minimal-techno",
        "party", "progressive-house", "techno", "trance", "trip-hop",
    ),
    "hip-hop": ("hip-hop",),
    "jazz/soul": ("blues", "funk", "gospel", "jazz", "r-n-b", "soul"),
    "world": (
        "afrobeat", "brazil", "dancehall", "forro", "indian", "iranian", "latin", "latino",
        "malay", "mpb", "pagode", "reggae", "reggaeton", "salsa", "samba", "sertanejo", "tango",
        "turkish", "world-music",
    ),
    "folk/country": (
        "acoustic", "bluegrass", "country", "folk", "honky-tonk", "singer-songwriter",
        "songwriter",
    ),
    "classical": ("classical", "new-age", "opera", "piano"),
    "misc": (
        "anime", "children", "comedy", "disney", "happy", "kids", "romance", "sad",
        "show-tunes", "sleep", "study",
    ),
}  # fmt: skip

#: Every Hugging Face genre name -> its broad group.
GENRE_TO_GROUP: dict[str, str] = {
    genre: group for group, genres in _BY_GROUP.items() for genre in genres
}


def covers(genres: Iterable[str]) -> bool:
    """Whether every (non-empty) genre name is in the mapping."""
    names = [str(g).strip().lower() for g in genres if g is not None and str(g).strip()]
    return bool(names) and all(name in GENRE_TO_GROUP for name in names)


def to_group(genres: pd.Series) -> pd.Series:
    """Broad group of each genre name (missing for names outside the mapping)."""
    return genres.astype("string").str.strip().str.lower().map(GENRE_TO_GROUP).astype("string")
