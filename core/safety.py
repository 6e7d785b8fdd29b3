"""One escaping policy for everything a visitor can send: markdown text and CSV cells.

- :func:`escape_markdown` makes any string from a URL, an upload or an API inert before it goes
  into a markdown-capable element (``st.markdown``, ``st.warning``, ``st.info``, captions, labels):
  no links, images, HTML or formatting can be injected.
- :func:`neutralise_formulas` and :func:`csv_bytes` make every CSV the app or CLI writes safe to
  open in a spreadsheet (OWASP "CSV injection"): a text cell starting with ``=``, ``+``, ``-``,
  ``@``, TAB or CR gets a leading ``'``; numbers are untouched.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

# Every character CommonMark/GFM gives a meaning to, plus ':' so bare URLs do not autolink.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'])")
#: OWASP's formula triggers, plus their full-width forms (some spreadsheets read those too).
FORMULA_PREFIXES: tuple[str, ...] = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
)


def escape_markdown(value: object, max_chars: int | None = 200) -> str:
    """``value`` as markdown that renders as the same plain text (shortened to ``max_chars``)."""
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return _MD_SPECIAL.sub(r"\\\1", text)


def neutralise_cell(value: object) -> object:
    """One cell made spreadsheet-safe: strings starting with a formula character get a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot run as formulas."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        try:  # vectorised for text columns (114k-row downloads)
            risky = series.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
        except (AttributeError, TypeError):  # no strings at all (lists, dates, …)
            out[col] = series.map(neutralise_cell)
            continue
        if risky.any():
            series = series.astype(object).copy()
            series[risky] = "'" + series[risky].astype(str)
        out[col] = series
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """``frame`` as UTF-8 CSV bytes with formula cells neutralised (for download buttons).

    Rows end in CRLF (RFC 4180), so a cell holding a bare CR or LF is quoted and cannot start a
    new row in a spreadsheet.
    """
    return neutralise_formulas(frame).to_csv(index=index, lineterminator="\r\n").encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    """Write ``frame`` to ``path`` as CSV with formula cells neutralised (for the CLI)."""
    neutralise_formulas(frame).to_csv(path, index=index, lineterminator="\r\n")
