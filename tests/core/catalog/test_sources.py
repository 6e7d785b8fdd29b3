"""Source resolution and downloads against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.catalog import sources
from tests.conftest import ROOT, make_synthetic_tracks

BODY = make_synthetic_tracks(40).to_csv(index=False).encode()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server API
        if self.path == "/ok.csv":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif self.path == "/slow.csv":
            time.sleep(3)
            self.send_response(200)
            self.end_headers()
        elif self.path == "/huge.csv":  # announces its size
            self.send_response(200)
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
        elif self.path == "/chunked.csv":  # no length: the cap must stop the stream
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(64):
                    self.wfile.write(b"x" * 4096)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_success_reports_progress(server, tmp_path):
    seen = []
    dest = sources.download(
        f"{server}/ok.csv",
        tmp_path / "ok.csv",
        on_progress=lambda p: seen.append((p.step, p.total, p.unit)),
    )
    assert dest.read_bytes() == BODY
    assert seen[-1] == (len(BODY), len(BODY), "bytes")
    assert not list(tmp_path.glob("*.part"))


def test_download_404_names_url_and_env_var(server, tmp_path):
    with pytest.raises(sources.DownloadError) as err:
        sources.download(f"{server}/missing.csv", tmp_path / "m.csv")
    assert "HTTP 404" in str(err.value)
    assert f"{server}/missing.csv" in str(err.value)
    assert sources.DATA_DIR_ENV in str(err.value)
    assert not (tmp_path / "m.csv").exists()


def test_download_timeout(server, tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(sources.DownloadError, match="Timed out"):
        sources.download(f"{server}/slow.csv", tmp_path / "s.csv", timeout=0.5)
    assert time.perf_counter() - t0 < 2.9  # gave up before the server answered
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("path", ["/huge.csv", "/chunked.csv"])
def test_download_size_cap(server, tmp_path, path):
    with pytest.raises(sources.DownloadError, match="cap"):
        sources.download(f"{server}{path}", tmp_path / "big.csv", max_bytes=100_000)
    assert not (tmp_path / "big.csv").exists()
    assert not list(tmp_path.glob("*.part"))


def test_offline_error_names_url(tmp_path):
    with pytest.raises(sources.DownloadError) as err:
        sources.download("http://127.0.0.1:9/none.csv", tmp_path / "x.csv", timeout=2)
    assert "127.0.0.1:9/none.csv" in str(err.value) and sources.DATA_DIR_ENV in str(err.value)


def test_resolution_prefers_data_dir_then_cache_then_download(monkeypatch, tmp_path, server):
    data_dir, cache = tmp_path / "d", tmp_path / "c"
    data_dir.mkdir()
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(data_dir))
    monkeypatch.setenv(sources.CACHE_DIR_ENV, str(cache))
    src = sources.Source("test-src", "Test", f"{server}/ok.csv", ("test.csv",))
    monkeypatch.setitem(sources.SOURCES, src.id, src)
    # nothing local: downloaded into the cache
    path = sources.resolve_source_file(src.id)
    assert path == cache / "test.csv" and path.read_bytes() == BODY
    # a file in the data dir wins over the cache
    (data_dir / "test.csv").write_bytes(b"local")
    assert sources.resolve_source_file(src.id) == data_dir / "test.csv"
    # no download when not allowed and nothing on disk
    (data_dir / "test.csv").unlink()
    (cache / "test.csv").unlink()
    with pytest.raises(sources.DownloadError, match="not on disk"):
        sources.resolve_source_file(src.id, allow_download=False)


def test_extra_local_csvs_are_offered(monkeypatch, tmp_path):
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(sources.CACHE_DIR_ENV, str(tmp_path / "cache"))
    (tmp_path / "tidytuesday_spotify_songs.csv").write_text("x")
    (tmp_path / "mine.csv").write_text("x")
    avail = sources.available_sources()
    assert "tidytuesday-spotify-songs" in avail
    assert "local:mine.csv" in avail
    assert "local:tidytuesday_spotify_songs.csv" not in avail


def test_loading_a_catalog_does_not_import_the_http_stack():
    """requests/urllib3 (~40 ms) load only for a download, not in every process that reads."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from core.catalog import data, sources\n"
        "print(sorted(m for m in ('requests', 'urllib3') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
