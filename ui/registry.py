"""The pages of the app.

A page is shown only when its file exists (so a page in progress never breaks navigation);
tests parametrize over ``registered_pages()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    """One page: its script, title, icon and URL path."""

    file: str
    title: str
    icon: str
    url_path: str


# The scripts live in app_pages/, never pages/: Streamlit treats a pages/ folder beside app.py as
# a legacy multipage app, and a fresh server then runs a deep-linked page script without app.py.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/explore.py", "Explore", ":material/query_stats:", "explore"),
    PageSpec("app_pages/model_lab.py", "Model lab", ":material/model_training:", "model-lab"),
    PageSpec("app_pages/why_valence.py", "Why valence?", ":material/psychology:", "why-valence"),
    PageSpec("app_pages/genre_map.py", "Genre map", ":material/scatter_plot:", "genre-map"),
    PageSpec(
        "app_pages/track_lookup.py", "Track lookup", ":material/library_music:", "track-lookup"
    ),
)


def registered_pages() -> list[PageSpec]:
    """Pages whose script exists, in menu order."""
    return [p for p in PAGES if (ROOT / p.file).is_file()]
