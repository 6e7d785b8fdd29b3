"""Local fake Spotify and ReccoBeats HTTP servers (127.0.0.1, random port) for tests and bench.

They speak just enough of each API to drive the real spotipy/requests clients: Spotify's token
endpoint, ``GET /v1/tracks/{id}``, ``/v1/search`` (limit <= 10), ``/v1/audio-features`` (403,
as for every new app) and batch ``/v1/tracks`` (403, gone in development mode); ReccoBeats'
``/v1/audio-features`` and ``/v1/track`` (<= 40 ids). Behaviour knobs: ``latency_s`` on every
request, ``script(prefix, status, headers, times)`` to answer the next matching requests with an
error (429 + Retry-After, 500, …), ``slow_s`` for a hanging endpoint.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
FEATURES = (
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo",
)  # fmt: skip


def records_from_frame(df: Any) -> dict[str, dict[str, Any]]:
    """Fake-server records (id -> name, artists, album, duration, features) from a track table."""
    out: dict[str, dict[str, Any]] = {}
    for row in df.to_dict("records"):
        out[str(row["track_id"])] = {
            "name": str(row.get("track_name") or "Untitled"),
            "artists": str(row.get("artists") or "Someone").split(";"),
            "album": str(row.get("album_name") or "An album"),
            "duration_ms": int(row.get("duration_ms") or 200_000),
            "features": {k: float(row[k]) for k in FEATURES if k in row},
        }
    return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive handler threads must not delay shutdown
    allow_reuse_address = True
    request_queue_size = 128


class FakeAPI:
    """Base: a threaded HTTP server with latency, scripted failures and request counts."""

    def __init__(self, records: dict[str, dict[str, Any]], latency_s: float = 0.0) -> None:
        self.records = records
        self.latency_s = latency_s
        self.slow_s = 0.0
        self.requests: Counter[str] = Counter()
        self.log: list[str] = []
        self._script: list[list[Any]] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, headers, payload = api.respond(method, self.path, dict(self.headers), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, val in headers.items():
                    self.send_header(key, val)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def root(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def script(
        self, prefix: str, status: int, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``prefix`` with ``status``."""
        with self._lock:
            self._script.append([prefix, status, headers or {}, times])

    def respond(
        self, method: str, path: str, headers: dict[str, str], body: str
    ) -> tuple[int, dict[str, str], Any]:
        """Apply latency and scripted failures, then route."""
        url = urlparse(path)
        with self._lock:
            self.requests[url.path.rsplit("/", 1)[0] if "/tracks/" in url.path else url.path] += 1
            self.log.append(f"{method} {path}")
            for entry in self._script:
                if url.path.startswith(entry[0]) and entry[3] > 0:
                    entry[3] -= 1
                    return (
                        entry[1],
                        entry[2],
                        {"error": {"status": entry[1], "message": "scripted"}},
                    )
        if self.latency_s:
            time.sleep(self.latency_s)
        if self.slow_s:
            time.sleep(self.slow_s)
        return self.route(method, url.path, parse_qs(url.query), headers, body)

    def route(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: str,
    ) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def _not_found() -> tuple[int, dict[str, str], Any]:
    return 404, {}, {"error": {"status": 404, "message": "Resource not found"}}


class FakeSpotify(FakeAPI):
    """Spotify Web API as a development-mode app created after November 2024 sees it."""

    TOKEN = "fake-access-token-123"

    def __init__(
        self,
        records: dict[str, dict[str, Any]],
        client_id: str,
        client_secret: str,
        latency_s: float = 0.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        super().__init__(records, latency_s)

    @property
    def api_base(self) -> str:
        return f"{self.root}/v1/"

    @property
    def token_url(self) -> str:
        return f"{self.root}/api/token"

    def track_object(self, track_id: str) -> dict[str, Any]:
        rec = self.records[track_id]
        return {
            "id": track_id,
            "name": rec["name"],
            "artists": [{"name": a, "id": "x"} for a in rec["artists"]],
            "album": {
                "name": rec["album"],
                "release_date": "2019-05-17",
                "images": [
                    {"url": f"https://i.scdn.co/image/{track_id}-640", "width": 640, "height": 640},
                    {"url": f"https://i.scdn.co/image/{track_id}-300", "width": 300, "height": 300},
                    {"url": f"https://i.scdn.co/image/{track_id}-64", "width": 64, "height": 64},
                ],
            },
            "duration_ms": rec["duration_ms"],
            "explicit": False,
            "popularity": 50,
        }

    def route(self, method, path, query, headers, body):  # noqa: D102
        if path == "/api/token" and method == "POST":
            auth = headers.get("Authorization", "")
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if auth != f"Basic {expected}":
                return 400, {}, {"error": "invalid_client", "error_description": "Invalid client"}
            return 200, {}, {"access_token": self.TOKEN, "token_type": "Bearer", "expires_in": 3600}
        if headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return 401, {}, {"error": {"status": 401, "message": "No token provided"}}
        if path.startswith("/v1/tracks/"):
            track_id = path.rsplit("/", 1)[1]
            if len(track_id) != 22:
                return 400, {}, {"error": {"status": 400, "message": "Invalid base62 id"}}
            return (
                (200, {}, self.track_object(track_id)) if track_id in self.records else _not_found()
            )
        if path in ("/v1/tracks", "/v1/audio-features") or path.startswith("/v1/audio-features/"):
            return 403, {}, {"error": {"status": 403, "message": "Forbidden"}}
        if path == "/v1/search":
            limit = int(query.get("limit", ["10"])[0])
            if limit > 10:
                return 400, {}, {"error": {"status": 400, "message": "Invalid limit"}}
            needle = query.get("q", [""])[0].lower()
            hits = [
                tid
                for tid, rec in self.records.items()
                if needle in rec["name"].lower() or any(needle in a.lower() for a in rec["artists"])
            ][:limit]
            return (
                200,
                {},
                {"tracks": {"items": [self.track_object(t) for t in hits], "total": len(hits)}},
            )
        return _not_found()


class FakeReccoBeats(FakeAPI):
    """ReccoBeats' keyless batch endpoints (<= 40 ids a call; the Spotify id only in ``href``)."""

    @property
    def api_base(self) -> str:
        return f"{self.root}/v1"

    def route(self, method, path, query, headers, body):  # noqa: D102
        ids = [i for i in ",".join(query.get("ids", [])).split(",") if i]
        if path not in ("/v1/audio-features", "/v1/track"):
            return _not_found()
        if not ids or len(ids) > 40:
            return 400, {}, {"error": "ids must hold 1 to 40 ids"}
        content = []
        for n, tid in enumerate(ids):
            rec = self.records.get(tid)
            if rec is None:
                continue
            item: dict[str, Any] = {
                "id": f"00000000-0000-4000-8000-{n:012d}",
                "href": f"https://open.spotify.com/track/{tid}",
            }
            if path == "/v1/audio-features":
                item.update(rec["features"])
            else:
                item.update(
                    {
                        "trackTitle": rec["name"],
                        "artists": [{"name": a} for a in rec["artists"]],
                        "durationMs": rec["duration_ms"],
                        "popularity": 40,
                        "availableCountries": "US",
                    }
                )
            content.append(item)
        return 200, {}, {"content": content}
