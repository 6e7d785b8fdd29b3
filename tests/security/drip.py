"""Hostile HTTP servers on 127.0.0.1: a slow drip and one that never answers.

Each records, per connection, when it opened and when the client let go of it, so a test can
assert that the client's deadline held *and* that its socket was released.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Conn:
    opened: float
    closed: float | None = None
    bytes_sent: int = 0


@dataclass
class HostileServer:
    """``mode``: "drip" (200, then one body byte every ``interval`` s), "drip-headers" (the
    status line and headers one byte at a time) or "never" (reads the request, says nothing)."""

    mode: str = "drip"
    interval: float = 0.5
    connections: list[Conn] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            conn = Conn(opened=time.monotonic())
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(client, conn), daemon=True).start()

    def _peer_gone(self, client: socket.socket) -> bool:
        """Whether the client closed its end (reads and drops anything it still sends)."""
        ready, _, _ = select.select([client], [], [], 0)
        if not ready:
            return False
        try:
            return client.recv(65536) == b""
        except OSError:
            return True

    def _serve(self, client: socket.socket, conn: Conn) -> None:
        try:
            client.settimeout(5)
            client.recv(65536)  # the request (small)
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100000\r\n\r\n"
            )
            if self.mode == "drip":
                client.sendall(head)
            while not self._stop.is_set():
                if self._peer_gone(client):
                    break
                if self.mode == "drip":
                    client.sendall(b" ")
                    conn.bytes_sent += 1
                elif self.mode == "drip-headers" and conn.bytes_sent < len(head) - 4:
                    client.sendall(head[conn.bytes_sent : conn.bytes_sent + 1])  # never ends
                    conn.bytes_sent += 1
                time.sleep(self.interval if self.mode != "never" else 0.05)
        except OSError:
            pass
        finally:
            conn.closed = time.monotonic()
            client.close()

    def open_connections(self) -> int:
        return sum(c.closed is None for c in self.connections)

    def wait_all_closed(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.connections and self.open_connections() == 0:
                return True
            time.sleep(0.05)
        return bool(self.connections) and self.open_connections() == 0

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
