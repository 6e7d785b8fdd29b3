"""Track lookup page through AppTest, with fake Spotify / ReccoBeats servers on 127.0.0.1."""

from __future__ import annotations

import io
import logging

import pandas as pd
import pytest

from tests.conftest import make_synthetic_tracks
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401
from tests.fakes.gate import held_gate_fixture, queue_notes_fixture  # noqa: F401
from tests.pages.helpers import app_test, texts

PAGE = "app_pages/track_lookup.py"


@pytest.fixture(scope="module")
def catalog_tracks() -> pd.DataFrame:
    """A small catalog, uploaded through the sidebar so default models train in a second
    (and per session: nothing leaks into the shared caches other page tests use)."""
    return make_synthetic_tracks(250, n_genres=4, seed=30)


@pytest.fixture(scope="module")
def outside() -> pd.DataFrame:
    """Tracks that are not in the catalog."""
    return make_synthetic_tracks(40, n_genres=3, seed=31)


@pytest.fixture
def lookup_page(catalog_tracks):
    def open_page(secrets: dict | None = None):
        at = app_test()
        if secrets:
            at.secrets.update(secrets)
        csv = catalog_tracks.to_csv(index=False).encode()
        at.file_uploader(key="upload_file").set_value(("catalog.csv", csv, "text/csv")).run()
        at.switch_page(PAGE)
        at.run()
        assert not at.exception
        assert at.session_state["dataset"].startswith("upload:")
        return at

    return open_page


def shown_table(at) -> pd.DataFrame:
    """The results table (the one with a feature_source column)."""
    for df in at.dataframe:
        if "feature_source" in df.value:
            return df.value
    raise AssertionError("no results table")


def rendered(at) -> str:
    """Every element the page sent to the browser (protobufs), except the password inputs."""
    out: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        if getattr(node, "type", "") != "text_input":
            out.append(str(getattr(node, "proto", "")))

    walk(at._tree)
    return texts(at) + "\n".join(out)


def exportify(df: pd.DataFrame, ratings: bool = True) -> bytes:
    """An Exportify export as it comes: BOM, padded headers, `undefined`, a local file, junk."""
    frame = pd.DataFrame(
        {
            " Track URI": ["spotify:track:" + t for t in df["track_id"]],
            "Track Name ": df["track_name"],
            "Artist Name(s)": df["artists"],
            "Added At": ["undefined"] * len(df),
        }
    )
    if ratings:
        frame["rating"] = (df["danceability"] * 9 + 1).round().to_numpy()
    junk = pd.DataFrame(
        [
            {" Track URI": "spotify:local:Me:Tape:Demo:181", "Track Name ": "Demo"},
            {" Track URI": "undefined"},
            {" Track URI": "spotify:track:tooShort"},
        ]
    )
    buf = io.StringIO()
    pd.concat([frame, junk], ignore_index=True).to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def test_no_credentials_paste_path(fake_apis, lookup_page, catalog_tracks, outside) -> None:
    fake_apis.add(records_from_frame(outside.head(5)), spotify=False)
    fake_apis.reccobeats.script("/v1/audio-features", 429, {"Retry-After": "1"}, times=1)
    at = lookup_page()
    assert "No Spotify credentials" in texts(at)
    cat_ids = catalog_tracks["track_id"].head(3).tolist()
    pasted = "\n".join(
        [
            f"https://open.spotify.com/intl-de/track/{cat_ids[0]}?si=abc",
            f"spotify:track:{cat_ids[1]}, {cat_ids[2]}",
            "definitely-not-an-id",
            *outside["track_id"].head(6),  # the 6th is unknown to ReccoBeats
            cat_ids[0],
        ]
    )
    at.text_area(key="look_ids").set_value(pasted)
    at.button(key="look_paste_go").click()
    at.run()
    assert not at.exception
    page = texts(at).replace("\\", "")  # notes are markdown-escaped
    assert "line 3" in page and "definitely-not-an-id" in page
    assert "repeated id" in page
    assert "ReccoBeats has no audio features for 1" in page
    assert "Waited 1 time(s), 1.0 s in all" in page and "Retry-After" in page
    table = shown_table(at)
    assert len(table) == 9
    assert table["feature_source"].value_counts().to_dict() == {
        "reccobeats": 5,
        "catalog": 3,
        "not found": 1,
    }
    assert table["predicted_valence"].notna().sum() == 8
    assert table["genre guess"].str.contains("%").sum() == 8
    assert len(at.get("download_button")) == 2  # enriched CSV + the mood arc reorder
    assert len(at.get("plotly_chart")) >= 2  # mood map + waterfall
    assert fake_apis.spotify.requests.total() == 0  # no credentials: Spotify never called


def test_exportify_upload_and_taste_model(fake_apis, lookup_page, outside) -> None:
    data = outside.head(24)
    fake_apis.add(records_from_frame(data), spotify=False)
    at = lookup_page()
    at.segmented_control(key="look_mode").set_value("Upload a CSV")
    at.run()
    at.file_uploader(key="look_upload").set_value(("My playlist.csv", exportify(data), "text/csv"))
    at.run()
    assert not at.exception
    page = texts(at)
    assert "**24** track ids in column `Track URI`" in page
    assert "1 local files" in page and "1 empty / `undefined` rows" in page
    assert "line 28: `spotify:track:tooShort`" in page
    at.button(key="look_upload_go").click()
    at.run()
    assert not at.exception
    table = shown_table(at)
    assert (table["feature_source"] == "reccobeats").all() and len(table) == 24
    at.button(key="look_taste_go").click()
    at.run()
    assert not at.exception
    labels = {m.label for m in at.metric}
    assert {"MAE (5-fold × 3)", "R²"} <= labels


def test_broken_and_tiny_uploads_get_clear_messages(
    fake_apis, lookup_page, outside, monkeypatch
) -> None:
    fake_apis.add(records_from_frame(outside.head(8)), spotify=False)
    at = lookup_page()
    at.segmented_control(key="look_mode").set_value("Upload a CSV")
    at.run()
    uploader = at.file_uploader(key="look_upload")
    uploader.set_value(("broken.csv", b"\x00\x01\x02\x03 not text", "text/csv")).run()
    assert not at.exception and "not a text CSV" in texts(at)
    at.file_uploader(key="look_upload").set_value(
        ("names.csv", b"name,score\na,1\nb,2\n", "text/csv")
    ).run()
    assert not at.exception and "No column of names.csv holds Spotify track ids" in texts(at)
    monkeypatch.setenv("VALENCE_LAB_LOOKUP_MAX_MB", "0.001")
    at.file_uploader(key="look_upload").set_value(("big.csv", exportify(outside), "text/csv")).run()
    assert not at.exception and "the limit is" in texts(at)
    monkeypatch.delenv("VALENCE_LAB_LOOKUP_MAX_MB")
    at.file_uploader(key="look_upload").set_value(
        ("small.csv", exportify(outside.head(8)), "text/csv")
    ).run()
    at.button(key="look_upload_go").click().run()
    at.button(key="look_taste_go").click().run()
    assert not at.exception
    assert "at least 20 are needed" in texts(at)


def test_credentials_search_and_secrets_never_shown(
    fake_apis, lookup_page, outside, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_apis.add(records_from_frame(outside.head(12)))
    at = lookup_page()
    at.text_input(key="look_client_id").set_value(fake_apis.client_id)
    at.text_input(key="look_client_secret").set_value(fake_apis.client_secret)
    at.segmented_control(key="look_mode").set_value("Search Spotify")
    at.run()
    assert "typed in (this session only)" in texts(at)
    at.text_input(key="look_query").set_value("Song 1")
    at.button(key="look_search_go").click().run()
    assert not at.exception
    options = at.multiselect(key="look_pick").options
    assert 0 < len(options) <= 10
    picked = [outside["track_id"].iloc[1], outside["track_id"].iloc[10]]  # "Song 1", "Song 10"
    at.multiselect(key="look_pick").set_value(picked).run()
    at.button(key="look_pick_go").click().run()
    assert not at.exception
    table = shown_table(at)
    assert len(table) == 2 and table["image_url"].str.startswith("https://i.scdn.co/").all()
    assert "403" in texts(at)  # audio-features refused: said once, then not asked again
    everything = rendered(at) + str(dict(at.query_params)) + table.to_csv()
    for secret in (fake_apis.client_secret, fake_apis.spotify.TOKEN):
        assert secret not in everything
        assert secret not in caplog.text


def test_credentials_from_secrets(fake_apis, lookup_page) -> None:
    creds = {"client_id": fake_apis.client_id, "client_secret": fake_apis.client_secret}
    at = lookup_page(secrets={"spotify": creds})
    assert "Using Spotify credentials from the app's secrets" in texts(at)
    assert fake_apis.client_secret not in rendered(at)


def test_unknown_ids_read_plainly_and_notes_come_as_one_summary(
    fake_apis, lookup_page, outside
) -> None:
    fake_apis.add(records_from_frame(outside.head(2)), spotify=False)
    fake_apis.reccobeats.script("/v1/audio-features", 429, {"Retry-After": "1"}, times=1)
    at = lookup_page()
    unknown = outside["track_id"].iloc[5]
    at.text_area(key="look_ids").set_value("\n".join([*outside["track_id"].head(2), unknown]))
    at.button(key="look_paste_go").click().run()
    assert not at.exception
    notes = [w.value for w in at.warning]
    assert len(notes) == 1 and notes[0].startswith("2 notes about this lookup"), notes
    assert "Waited 1 time" in texts(at).replace("\\", "")  # the details are there, on demand
    table = shown_table(at)
    row = table[table["track_id"] == unknown].iloc[0]
    assert row["track_name"].startswith("(not found")
    assert row["feature_source"] == "not found"
    text_cols = ["artists", "album_name", "release_date", "genre", "meta_source"]
    assert "None" not in row[[c for c in text_cols if c in table]].astype(str).tolist()
    assert "nearest of the catalog's 4 genres" in texts(at)


def test_the_files_features_win_over_the_catalog_and_the_page_says_so(
    fake_apis, lookup_page, catalog_tracks
) -> None:
    mine = catalog_tracks.head(20).copy()
    mine.loc[mine.index[:3], "valence"] = 0.01  # three differ from the catalog's values
    frame = mine.drop(columns=["genre"]).rename(columns={"track_id": "Track ID"})
    payload = frame.to_csv(index=False).encode()
    at = lookup_page()
    at.segmented_control(key="look_mode").set_value("Upload a CSV").run()
    at.file_uploader(key="look_upload").set_value(("Mine.csv", payload, "text/csv")).run()
    assert "used as they are" not in texts(at)
    at.button(key="look_upload_go").click().run()
    assert not at.exception
    shown = texts(at).replace("\\", "")
    assert "20 track(s) with features in your file are also in the catalog; 3 of them" in shown
    table = shown_table(at)
    assert (table["feature_source"] == "upload").all()
    assert (table["valence"].head(3) == 0.01).all()
    download = at.get("download_button")[0]
    assert download.proto.label == "Download the enriched CSV"
    at.toggle(key="look_prefer_catalog").set_value(True).run()
    at.button(key="look_upload_go").click().run()
    table = shown_table(at)
    assert (table["feature_source"] == "catalog").all()
    assert "the catalog's values are used" in texts(at).replace("\\", "")


def test_search_hits_show_album_year_and_length(fake_apis, lookup_page, outside) -> None:
    fake_apis.add(records_from_frame(outside.head(12)))
    at = lookup_page()
    at.text_input(key="look_client_id").set_value(fake_apis.client_id)
    at.text_input(key="look_client_secret").set_value(fake_apis.client_secret)
    at.segmented_control(key="look_mode").set_value("Search Spotify").run()
    at.text_input(key="look_query").set_value("Song 1").run()
    at.button(key="look_search_go").click().run()
    assert not at.exception
    hits = next(d.value for d in at.dataframe if "album_name" in d.value and "length" in d.value)
    assert hits["length"].str.match(r"^\d+:\d\d$").all()
    labels = at.multiselect(key="look_pick").options  # as shown (formatted)
    assert all(" · " in lab and ":" in lab.split(" · ")[-1] for lab in labels), labels
    assert len(set(labels)) == len(labels)


def test_pasted_ids_and_a_search_survive_a_look_at_another_mode(lookup_page, catalog_tracks):
    # the text boxes are drawn only in their mode, and Streamlit drops the state of widgets a
    # run does not draw (once a result is shown, no run ends early): pasted links were gone
    # after a click on "Upload a CSV" and back
    at = lookup_page()
    pasted = "\n".join(catalog_tracks["track_id"].head(5))
    at.text_area(key="look_ids").set_value(pasted)
    at.button(key="look_paste_go").click().run()
    assert len(shown_table(at)) == 5
    at.segmented_control(key="look_mode").set_value("Search Spotify").run()
    at.text_input(key="look_client_id").set_value("id").run()
    at.text_input(key="look_client_secret").set_value("secret").run()
    at.text_input(key="look_query").set_value("Song 1").run()
    for mode in ("Upload a CSV", "Paste links or IDs", "Search Spotify"):
        at.segmented_control(key="look_mode").set_value(mode).run()
        assert not at.exception and not at.warning, mode
    assert at.text_input(key="look_query").value == "Song 1"
    at.segmented_control(key="look_mode").set_value("Paste links or IDs").run()
    assert at.text_area(key="look_ids").value == pasted


def test_a_lookup_queued_for_a_core_says_so(lookup_page, catalog_tracks, queue_notes):
    # the lookup's CPU part (the upload's default models, predictions, the neighbour index)
    # queues on the CPU gate behind a running training; under a bare spinner that looked hung
    at = lookup_page()
    ids = catalog_tracks["track_id"]
    for n, first in ((3, True), (4, False)):  # first: the default models train; then: cached
        queue_notes.hold()
        at.text_area(key="look_ids").set_value("\n".join(ids.head(n)))
        at.button(key="look_paste_go").click().run()
        assert not at.exception and len(shown_table(at)) == n
        heard = queue_notes.heard
        assert heard == [1] if first else heard == [1, 1]  # then only the predictions queued
        assert "Waiting behind" not in texts(at)
