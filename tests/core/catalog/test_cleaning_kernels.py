"""The vectorised pieces of cleaning against plain-Python statements of the same rules.

Each helper reads Arrow buffers or bytes directly (for speed); these tests state what it must
compute in the simplest terms and compare on awkward values: missing ones, empty ones,
non-ASCII text, Unicode spaces, sliced and chunked arrays.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from core.catalog import data, schema
from tests.conftest import make_synthetic_tracks

_PIECES = ["a", "B", " ", ";", "\t", "\x1c", "\u00a0", "\u3000", "é", "İ", "ß", "Z", "\x7f", "7"]


def _awkward_texts(n: int, seed: int) -> list[str | None]:
    rnd = random.Random(seed)
    out: list[str | None] = [None, "", " ", ";", " ; x", "A;B", "\u00a0Bob\u00a0", "İstanbul"]
    out += ["".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 8))) for _ in range(n)]
    return out


def _chunked(values: list, cut: int) -> pa.ChunkedArray:
    kind = pa.large_string()
    return pa.chunked_array([pa.array(values[:cut], kind), pa.array(values[cut:], kind)])


def test_primary_artist_is_pythons_first_name_stripped_and_lowered():
    texts = _awkward_texts(3000, seed=1)
    got = data._primary_artist(pd.Series(texts, dtype="string")).tolist()
    want = [(t or "").split(";", 1)[0].strip().lower() or "(unknown)" for t in texts]
    assert got == want


@pytest.mark.parametrize("chunked", [False, True])
def test_trim_text_strips_what_arrows_kernel_strips(chunked):
    texts = _awkward_texts(3000, seed=2)
    series = pd.Series(texts, dtype="str")
    if chunked:
        series = pd.Series(pd.arrays.ArrowStringArray(_chunked(texts, 1000)))
    got = schema.arrow_text(schema.trim_text(series)).to_pylist()
    want = pc.utf8_trim_whitespace(pa.array(texts, pa.large_string())).to_pylist()
    assert got == want


def test_trim_text_leaves_a_clean_column_as_it_was():
    series = pd.Series(["abc", "déf", "x y"], dtype="str")  # nothing to strip: no copy
    text = schema.arrow_chunks(series)
    trimmed = schema.arrow_chunks(schema.trim_text(series))
    assert trimmed.to_pylist() == text.to_pylist()

    def data_address(array: pa.Array | pa.ChunkedArray) -> int:
        first = array.chunk(0) if isinstance(array, pa.ChunkedArray) else array
        return first.buffers()[2].address

    assert data_address(trimmed) == data_address(text)


def _ids(n: int, seed: int, junk: float = 0.0) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!"))
    top = 62 if not junk else 63  # "!" makes an id not bare
    return ["".join(row) for row in letters[rng.integers(0, top, (n, 22))]]


def test_bare_ids_are_22_ascii_letters_or_digits():
    values = _ids(5000, seed=3, junk=1) + ["a" * 21, "a" * 23, "é" * 11, "", None, "Z" * 22]
    want = [v is not None and len(v) == 22 and v.isascii() and v.isalnum() for v in values]
    kind = pa.large_string()
    assert schema._bare_ids(pa.array(values, kind)).tolist() == want
    assert schema._bare_ids(_chunked(values, 1234)).tolist() == want
    assert schema._bare_ids(pa.array(values, kind).slice(7)).tolist() == want[7:]
    clean = [v for v, ok in zip(values, want, strict=True) if ok]
    assert schema._bare_ids(pa.array(clean, kind)).all()  # one (rows, 22) block


def test_id_codes_match_arrows_dictionary_encoding():
    ids = _ids(3000, seed=4)
    rows = [ids[i] for i in np.random.default_rng(5).integers(0, len(ids), 20_000)]

    def expected(values: list) -> list[int]:
        encoded = pc.dictionary_encode(pa.array(values, pa.large_string()))
        return encoded.indices.fill_null(-1).to_numpy().tolist()

    for values, array in [
        (rows, pa.array(rows, pa.large_string())),  # hashed path
        (rows, _chunked(rows, 7001)),
        ([*rows[:50], None, *rows[50:99]], pa.array([*rows[:50], None, *rows[50:99]])),
        ([*rows[:50], "short"], pa.array([*rows[:50], "short"])),  # Arrow's path
    ]:
        assert data._id_codes(array).tolist() == expected(values)


def test_release_year_and_month_follow_their_patterns():
    rnd = random.Random(6)
    values: list[str | None] = [None, "", " 2019-05-01", "2019", "2019-13-01", "1999-00", "x1987y"]
    for _ in range(4000):
        head = rnd.choice(["19", "20", "18", " 19", "2", ""]) + "".join(
            rnd.choice("0123456789x") for _ in range(2)
        )
        tail = rnd.choice(["-", "/", "", " "]) + "".join(
            rnd.choice("0123456789 -") for _ in range(rnd.randint(0, 5))
        )
        values.append(head + tail)
    series = pd.Series(values, dtype="str")
    dates = schema._distinct_dates(series)

    def year(v):
        found = re.search(r"(?:19|20)[0-9][0-9]", v) if isinstance(v, str) else None
        return int(found.group()) if found else None

    def month(v):
        found = re.match(r"\s*(?:19|20)[0-9][0-9]-([0-9][0-9])", v) if isinstance(v, str) else None
        return int(found.group(1)) if found and 1 <= int(found.group(1)) <= 12 else None

    years = schema._release_year(dates, series.index)
    months = schema._release_month(dates, series.index)
    assert (str(years.dtype), str(months.dtype)) == ("Int16", "Int8")
    assert years.astype(object).where(years.notna(), None).tolist() == [year(v) for v in values]
    assert months.astype(object).where(months.notna(), None).tolist() == [month(v) for v in values]


def test_a_clean_file_shares_nothing_writable_with_the_callers_frame():
    """Nothing dropped: no column is copied, yet writing to one leaves the input as it was."""
    mapped = map_clean_input()
    before = mapped.copy()
    df, report = data.clean_tracks(mapped)
    assert report.rows_kept == len(mapped)
    df.loc[0, "valence"] = 0.123
    df.loc[0, "track_name"] = "changed"
    pd.testing.assert_frame_equal(mapped, before)


def map_clean_input() -> pd.DataFrame:
    raw = make_synthetic_tracks(200, seed=7)
    mapped, _ = schema.map_schema(raw)
    return mapped.drop_duplicates("track_id").reset_index(drop=True)
