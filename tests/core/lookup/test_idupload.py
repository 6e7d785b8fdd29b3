"""core.lookup.idupload: id uploads, Exportify included."""

from __future__ import annotations

import pandas as pd
import pytest

from core.lookup.idupload import UploadError, read_id_upload, upload_metadata
from tests.core.lookup.conftest import exportify_csv
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401


def test_exportify_upload_is_read_as_it_comes(outside) -> None:
    up = read_id_upload(exportify_csv(outside.head(12), with_features=True), "playlist.csv")
    assert up.id_column == "Track URI"
    assert up.ids == outside["track_id"].head(12).tolist()
    assert (up.local_files, up.blank_rows, up.duplicates) == (1, 1, 1)
    assert up.invalid == [(12 + 4, "not-a-track")]  # header is line 1
    assert up.rating_column == "rating"
    assert "Track Name" in up.frame and "Album Name" in up.frame  # the user's columns are kept
    assert up.frame["Popularity"].isna().all()  # `undefined` became missing
    assert up.features is not None and len(up.features) == 12
    assert up.features.loc[up.ids[3], "valence"] == pytest.approx(outside["valence"].iloc[3])
    meta = upload_metadata(up.frame)
    assert meta.loc[up.ids[0], "track_name"] == outside["track_name"].iloc[0]


def test_upload_without_features_and_with_an_unnamed_id_column(outside) -> None:
    links = [
        f"https://open.spotify.com/intl-de/track/{t}?si=x" for t in outside["track_id"].head(5)
    ]
    data = pd.DataFrame({"what": links, "note": list("abcde")}).to_csv(index=False).encode()
    up = read_id_upload(data, "links.csv")
    assert up.id_column == "what" and len(up.ids) == 5
    assert up.features is None and up.rating_column is None
    assert list(up.frame.columns) == ["track_id", "what", "note"]


def test_upload_limits_and_broken_files(outside) -> None:
    data = pd.DataFrame({"id": outside["track_id"]}).to_csv(index=False).encode()
    up = read_id_upload(data, limit_rows=10)
    assert len(up.ids) == 10 and up.truncated == len(outside) - 10
    with pytest.raises(UploadError, match="limit is"):
        read_id_upload(data, limit_bytes=100)
    with pytest.raises(UploadError, match="No column"):
        read_id_upload(b"name,score\nfoo,1\nbar,2\n")
    with pytest.raises(UploadError):
        read_id_upload(b"\x00\x01\x02binary")
    with pytest.raises(UploadError):
        read_id_upload(b"")
