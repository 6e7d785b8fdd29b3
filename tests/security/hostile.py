"""Hostile inputs shared by the security tests."""

from __future__ import annotations

import csv
import io

import pandas as pd

from tests.conftest import make_synthetic_tracks

ATTACKER = "evil.example"
FORMULAS = (
    '=HYPERLINK("http://evil.example/x","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
#: Markdown / HTML that would render a live link or fetch an image from the attacker's host.
MARKDOWN_ATTACKS = (
    f"[click here](https://{ATTACKER}/login)",
    f"![x](https://{ATTACKER}/pixel.png)",
    f"https://{ATTACKER}/bare",
    f"<img src=https://{ATTACKER}/tag.png>",
    f"`x` [y](https://{ATTACKER}/a) ` z",
    f"<a href='https://{ATTACKER}/h'>h</a>",
    f"[ref]: https://{ATTACKER}/r",
    f"www.{ATTACKER}/w",
)


def hostile_tracks(n: int = 240, n_genres: int = 3, seed: int = 7) -> pd.DataFrame:
    """A valid catalog whose text cells start with formula characters."""
    df = make_synthetic_tracks(n, n_genres, seed)
    df["track_name"] = [FORMULAS[i % len(FORMULAS)] + f" {i}" for i in range(n)]
    df.loc[df.index[:5], "artists"] = "=cmd|' /C calc'!A0"
    df["album_name"] = "@album"
    return df


def cells(data: bytes | str) -> list[list[str]]:
    """Every cell of a CSV (header included)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return list(csv.reader(io.StringIO(text, newline="")))


def formula_cells(data: bytes | str) -> list[str]:
    """Cells a spreadsheet would evaluate as a formula."""
    return [
        c
        for row in cells(data)
        for c in row
        if c.startswith(("=", "+", "@", "\t", "\r")) or (c.startswith("-") and not _is_number(c))
    ]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
