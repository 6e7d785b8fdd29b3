"""The app shell: every registered page renders, the sidebar falls back and takes uploads."""

from __future__ import annotations

import pytest

from tests.conftest import TIDY, make_synthetic_tracks, shared_file
from tests.pages.helpers import app_test, texts, upload_file
from ui.registry import registered_pages


@pytest.mark.parametrize("page", [p.file for p in registered_pages()])
def test_every_page_renders_without_exception(page):
    at = app_test(page)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_offline_default_falls_back_and_says_so():
    at = app_test()
    assert at.selectbox(key="dataset").value == TIDY
    assert "could not be fetched" in texts(at)
    assert "27,700 tracks" in texts(at) or "tracks ·" in texts(at)


def test_upload_sample_file_becomes_working_dataset():
    payload = shared_file("spotify_tracks_6genres_sample.csv").read_bytes()
    at = upload_file(app_test(), "sample.csv", payload)
    assert at.selectbox(key="dataset").value == "upload:sample.csv"
    assert "4,669 tracks" in texts(at)
    # switching back to a public dataset keeps the upload available in this session
    at.selectbox(key="dataset").set_value(TIDY).run()
    assert "Upload: sample.csv" in at.selectbox(key="dataset").options


def test_upload_tidytuesday_file_works():
    payload = shared_file("tidytuesday_spotify_songs.csv").read_bytes()
    at = upload_file(app_test(), "spotify_songs.csv", payload)
    assert at.selectbox(key="dataset").value == "upload:spotify_songs.csv"
    assert "6 genres" in texts(at)


def test_malformed_upload_gives_a_message_and_keeps_the_dataset():
    bad = b"name,artist,energy\nsong,someone,0.4\n"
    at = upload_file(app_test(), "bad.csv", bad)
    msg = " ".join(e.value for e in at.error)
    assert "Missing required columns" in msg and "valence" in msg and "Recognised" in msg
    assert at.selectbox(key="dataset").value == TIDY


def test_upload_without_genres_renders_explore():
    df = make_synthetic_tracks(120).drop(columns=["genre"])
    at = upload_file(app_test(), "nogenre.csv", df.to_csv(index=False).encode())
    assert at.selectbox(key="dataset").value == "upload:nogenre.csv"
    for tab in ("Distributions", "Correlations", "Genre means", "Scatter", "Over time", "Table"):
        at.session_state["exp_tab"] = tab
        at.run()
        assert not at.exception, tab


def test_bad_dataset_in_url_falls_back_with_notice():
    at = app_test(query={"dataset": "no-such-dataset"})
    assert not at.exception
    assert at.selectbox(key="dataset").value == TIDY
    assert "not available here" in texts(at)


def test_default_dataset_is_downloaded_when_reachable(monkeypatch, tmp_path):
    """With the public URL reachable (a local server here), the 114k source becomes the default."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from core.catalog import sources
    from ui.catalog import _download_state

    body = shared_file("spotify_tracks_6genres_sample.csv").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        src = sources.SOURCES[sources.DEFAULT_SOURCE]
        url = f"http://127.0.0.1:{httpd.server_address[1]}/dataset.csv"
        monkeypatch.setitem(
            sources.SOURCES, src.id, sources.Source(src.id, src.title, url, src.filenames)
        )
        monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path))
        _download_state.clear()
        at = app_test()
        assert not at.exception
        assert at.selectbox(key="dataset").value == sources.DEFAULT_SOURCE
        assert (tmp_path / "spotify_tracks.csv").read_bytes() == body
        assert "4,669 tracks" in texts(at)
        assert "could not be fetched" not in texts(at)
    finally:
        httpd.shutdown()
        _download_state.clear()


def test_dataset_choice_is_mirrored_in_the_url_but_uploads_are_not():
    at = app_test()
    at.selectbox(key="dataset").set_value("local:spotify_tracks_6genres_sample.csv").run()
    assert at.query_params["dataset"] == "local:spotify_tracks_6genres_sample.csv"
    df = make_synthetic_tracks(120)
    payload = df.to_csv(index=False).encode()
    at.file_uploader(key="upload_file").set_value(("private.csv", payload, "text/csv")).run()
    at.run()
    assert "dataset" not in at.query_params
    assert "not available" not in texts(at)


def test_dataset_from_a_shared_link_is_used():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["dataset"] = "local:spotify_tracks_6genres_sample.csv"
    at.run()
    assert not at.exception
    assert at.selectbox(key="dataset").value == "local:spotify_tracks_6genres_sample.csv"
    assert "4,669 tracks" in texts(at)


def test_kaggle_2023_upload_is_described_and_genre_tasks_hide():
    from tests.realworld import kaggle_2023_csv

    at = app_test()
    assert "could not be fetched" in texts(at)  # the fallback is in use and named
    at.file_uploader(key="upload_file").set_value(
        ("spotify-2023.csv", kaggle_2023_csv(), "text/csv")
    ).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="dataset").value == "upload:spotify-2023.csv"
    shown = texts(at)
    assert "could not be fetched" not in shown  # the message describes the dataset in use
    assert "Your upload" in shown and "240 tracks" in shown and "no genre labels" in shown
    assert "Not in this file: loudness, duration" in shown
    at.switch_page("app_pages/model_lab.py").run()
    assert not at.exception
    assert at.selectbox(key="lab_task").options == [
        "Valence (regression)",
        "Valence class: sad / neutral / happy (tertiles)",
    ]
    inputs = " ".join(c.value for c in at.caption if "Inputs" in c.value)
    assert "tempo" in inputs and "loudness" not in inputs


def test_aggregates_upload_is_refused_and_the_dataset_kept():
    from tests.realworld import genre_aggregates_csv

    at = app_test()
    at.file_uploader(key="upload_file").set_value(
        ("data_by_genres.csv", genre_aggregates_csv(), "text/csv")
    ).run()
    assert not at.exception
    assert "one row per genre" in " ".join(e.value for e in at.error)
    assert at.selectbox(key="dataset").value == TIDY
