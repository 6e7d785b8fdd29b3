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
from typing import Any

import numpy as np
import pandas as pd

# Characters that can start a link, image, autolink, HTML, emoji/icon/colour directive, math or
# inline formatting in Streamlit's markdown (CommonMark + GFM + its extensions). ``:`` breaks
# bare ``https://`` autolinks and ``:shortcodes:``; ``@`` breaks e-mail autolinks.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$:&@!])")
# GFM autolinks (``https://…``, ``www.…``, ``a@b.c``) are found in the text *after* escapes are
# resolved, so backslashes cannot stop them: a zero-width space after ``:``, ``@`` and ``www``
# breaks every pattern without changing what the reader sees.
_AUTOLINK_BREAK = re.compile(r"(?i)(:|@|(?<![\w])www(?=\\?\.))")
ZWSP = "\u200b"
_LEADING_MARKER = re.compile(r"^(\s*)([-+=]|\d+[.)])")  # would start a list or heading
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
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK_BREAK.sub(lambda m: m.group(1) + ZWSP, text)
    return _LEADING_MARKER.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), text)


def _escape_marker(marker: str) -> str:
    """A leading list marker escaped: ``-`` and ``1.`` stay text, not a list."""
    return "\\" + marker if len(marker) == 1 else marker[:-1] + "\\" + marker[-1]


def code_span(value: object, max_chars: int | None = 80) -> str:
    """``value`` as an inline code span it cannot break out of (for ids, column names, cells).

    Inside a code span markdown is not parsed, so links, images and HTML stay text; the fence
    is one backtick longer than any run of backticks in the value.
    """
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.@+~-]+){2,}[\\/]?")


def describe_error(exc: BaseException, max_chars: int = 160) -> str:
    """A one-line, path-free description of an unexpected error, safe for a page or the CLI.

    The exception type plus the first line of its message, with anything that looks like a
    file path replaced by ``…`` (native libraries such as XGBoost put stack traces and server
    paths in their messages); the full traceback belongs in the server log only.
    """
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    first = _PATH.sub("…", first)
    if len(first) > max_chars:
        first = first[: max_chars - 1] + "…"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


#: Plotly's pseudo-HTML turns ``<a href=…>`` in any text (titles, legends, ticks, hover) into a
#: live SVG link; ``&lt;`` shows the same character and is never parsed as a tag.
_PLOTLY_LINK = re.compile(r"<(?=\s*/?\s*a\b)", re.IGNORECASE)


def _neutralise_plotly_value(value: Any) -> Any:
    if isinstance(value, str):
        return _PLOTLY_LINK.sub("&lt;", value) if "<" in value else value
    if isinstance(value, dict):
        clean = {k: _neutralise_plotly_value(v) for k, v in value.items()}
        return value if all(clean[k] is value[k] for k in value) else clean
    if isinstance(value, list | tuple):
        items = [_neutralise_plotly_value(v) for v in value]
        same = all(a is b for a, b in zip(items, value, strict=True))
        return value if same else type(value)(items)
    if isinstance(value, np.ndarray) and value.dtype.kind in "OU":
        flat = value.ravel()
        if not any(isinstance(v, str) and "<" in v for v in flat):
            return value
        out = np.array([_neutralise_plotly_value(v) for v in flat], dtype=object)
        return out.reshape(value.shape)
    return value


def neutralise_plotly_links(fig: Any) -> Any:
    """Make every text of a Plotly figure unable to form a link (in place; returns ``fig``).

    Track, artist and genre names from uploads or APIs reach chart titles, legends, axis ticks
    and hover labels, where Plotly renders ``<a href>`` as a real link; its other tags
    (``<b>``, ``<br>`` …) are harmless and kept.
    """
    for trace in fig.data:
        props = getattr(trace, "_props", None) or trace.to_plotly_json()  # _props: no deep copy
        for key, value in list(props.items()):
            if key == "type":
                continue
            clean = _neutralise_plotly_value(value)
            if clean is not value:
                trace[key] = clean
    layout = getattr(fig.layout, "_props", None) or fig.layout.to_plotly_json()
    clean_layout = {k: _neutralise_plotly_value(v) for k, v in layout.items() if k != "template"}
    changed = {k: v for k, v in clean_layout.items() if v is not layout[k]}
    if changed:
        fig.update_layout(changed, overwrite=True)
    return fig


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
            starts = series.str.startswith(FORMULA_PREFIXES)  # NaN where a cell is no string
            risky = pd.Series(starts.to_numpy(dtype=object) == True, index=series.index)  # noqa: E712
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
