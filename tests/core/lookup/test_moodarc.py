"""Mood arc: valence sources, smoothing, the Added At timeline, reorders and the export."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.lookup import moodarc
from core.lookup.idupload import read_id_upload
from core.safety import csv_bytes
from tests.conftest import make_synthetic_tracks


def _table(n: int = 40, seed: int = 5) -> pd.DataFrame:
    """A lookup table: catalog-like tracks, some without a measured valence."""
    t = make_synthetic_tracks(n, seed=seed)
    t["feature_source"] = "reccobeats"
    t["predicted_valence"] = np.clip(t["valence"] + 0.05, 0, 1)
    return t


def test_valence_prefers_the_file_then_the_measurement_then_the_prediction():
    t = _table(6)
    t.loc[1, "valence"] = np.nan
    t.loc[2, ["valence", "predicted_valence"]] = np.nan
    file_valence = pd.Series([0.123], index=[t.loc[0, "track_id"]])
    f = moodarc.arc_frame(t, None, file_valence)
    assert f["position"].tolist() == [1, 2, 3, 4, 5, 6]
    assert f.loc[0, ["valence", "valence_source"]].tolist() == [0.123, "your file"]
    assert f.loc[1, "valence"] == pytest.approx(t.loc[1, "predicted_valence"])
    assert f.loc[1, "valence_source"] == "predicted"
    assert f.loc[2, "valence_source"] == "missing" and np.isnan(f.loc[2, "valence"])
    assert f.loc[3, "valence_source"] == "reccobeats"
    assert f.loc[3, "label"] == f"{t.loc[3, 'track_name']} — {t.loc[3, 'artists']}"


def test_smooth_follows_a_trend_and_skips_gaps():
    y = np.linspace(0.1, 0.9, 30)
    y[10] = np.nan
    s = moodarc.smooth(y)
    assert np.isfinite(s).all()
    assert np.all(np.diff(s) > 0)  # a rising line stays rising
    assert abs(s[15] - y[15]) < 0.05
    assert moodarc.smooth(np.array([])).size == 0


def test_added_at_gives_a_monthly_timeline():
    t = _table(6)
    up = pd.DataFrame(
        {
            "track_id": t["track_id"],
            "Added At": [
                "2021-01-05T10:00:00Z",
                "2021-01-20T10:00:00Z",
                "2021-03-01T00:00:00Z",
                "undefined",
                "",
                "2021-03-31T23:59:59Z",
            ],
        }
    )
    f = moodarc.arc_frame(t, up)
    assert f["added_at"].notna().sum() == 4
    months = moodarc.monthly(f)
    assert months["month"].dt.strftime("%Y-%m").tolist() == ["2021-01", "2021-03"]
    assert months["tracks"].tolist() == [2, 2]
    assert months["valence"].iloc[0] == pytest.approx(t["valence"].iloc[:2].mean())


@pytest.mark.parametrize("arc", list(moodarc.ARCS))
def test_every_arc_is_a_permutation_with_unknowns_last(arc):
    t = _table(41)
    t.loc[[4, 9], ["valence", "predicted_valence"]] = np.nan
    f = moodarc.arc_frame(t)
    r = moodarc.reorder(f, arc)
    assert sorted(r.order.tolist()) == list(range(41))
    assert r.order[-2:].tolist() == [4, 9] and r.unplaced == 2
    v = f["valence"].to_numpy()[r.order[:-2]]
    if arc == "rising":
        assert np.all(np.diff(v) >= 0)
    elif arc == "falling":
        assert np.all(np.diff(v) <= 0)
    elif arc == "peak":
        top = int(np.argmax(v))
        assert 0.4 < top / len(v) < 0.6
        assert np.all(np.diff(v[: top + 1]) >= 0) and np.all(np.diff(v[top:]) <= 0)
    else:
        assert r.order[0] == 0  # the opener stays
        assert r.mean_step_after < 0.75 * r.mean_step_before


def test_smooth_reorder_beats_the_greedy_chain_and_random_orders():
    f = moodarc.arc_frame(_table(300, seed=9))
    X = moodarc._standardised(f)
    D = moodarc._pairwise(X)
    greedy = moodarc._nearest_chain(X, 0, D)
    assert moodarc._nearest_chain(X, 0).tolist() == greedy.tolist()  # same without D
    improved = moodarc._two_opt(D, greedy)
    assert moodarc.mean_step(X, improved) < moodarc.mean_step(X, greedy)
    rng = np.random.default_rng(0)
    randoms = [moodarc.mean_step(X, rng.permutation(len(X))) for _ in range(5)]
    assert moodarc.reorder(f, "smooth").mean_step_after < 0.6 * min(randoms)


def test_unknown_arc_is_refused():
    with pytest.raises(ValueError, match="Unknown arc"):
        moodarc.reorder(moodarc.arc_frame(_table(5)), "sideways")


def _exportify_bytes(t: pd.DataFrame) -> bytes:
    frame = pd.DataFrame(
        {
            "Track URI": ["spotify:track:" + i for i in t["track_id"]],
            "Track Name": t["track_name"],
            "Artist Name(s)": t["artists"],
            "Added At": pd.date_range("2022-01-01", periods=len(t), freq="7D").strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "Valence": t["valence"],
        }
    )
    frame.loc[0, "Track Name"] = '=HYPERLINK("http://evil")'
    return frame.to_csv(index=False).encode()


def test_export_of_an_exportify_upload_keeps_its_rows_and_columns():
    t = _table(12)
    up = read_id_upload(_exportify_bytes(t), "playlist.csv")
    f = moodarc.arc_frame(t, up.frame)
    r = moodarc.reorder(f, "falling")
    out = moodarc.export_frame(f, r.order, t, up.frame)
    assert list(out.columns) == ["Track URI", "Track Name", "Artist Name(s)", "Added At", "Valence"]
    assert out["Track URI"].str.removeprefix("spotify:track:").tolist() == [
        t["track_id"].iloc[i] for i in r.order
    ]
    assert out["Valence"].is_monotonic_decreasing
    back = pd.read_csv(io.BytesIO(csv_bytes(out)))
    assert back.columns.tolist() == out.columns.tolist() and len(back) == 12
    evil = back.loc[back["Track Name"].str.contains("HYPERLINK"), "Track Name"].iloc[0]
    assert evil.startswith("'=")  # formula cells neutralised by core.safety.csv_bytes


def test_export_of_pasted_tracks_uses_exportify_headers():
    t = _table(8)
    f = moodarc.arc_frame(t)
    r = moodarc.reorder(f, "rising")
    out = moodarc.export_frame(f, r.order, t)
    assert out.columns[0] == "Track URI" and "Valence" in out and "Artist Name(s)" in out
    assert "Added At" not in out  # no dates to write
    assert out["Valence"].is_monotonic_increasing
    assert out["Track URI"].str.match(r"^spotify:track:[0-9A-Za-z]{22}$").all()
