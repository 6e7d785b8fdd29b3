"""A browserless Streamlit session: the app's own websocket protocol, without rendering.

The load bench's browsers share the server's two cores, so their settle times mix the server's
work with eight Chromium renderers drawing charts. This client measures the server alone: it
opens ``/_stcore/stream`` the way the frontend does (subprotocol ``streamlit``, same-origin
``Origin``), asks for a page with a ``rerun_script`` BackMsg and times the run until the
server's ``script_finished`` message. Each :class:`StreamSession` is one server session, so
every page it opens starts from that session's state, like a tab that navigates.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class PageRun:
    """One page run as the server reported it."""

    path: str
    seconds: float
    status: str  # script_finished status name, or the error
    exceptions: int  # exception elements the run drew (a page that failed)


@dataclass
class StreamSession:
    """One websocket session to a running ``streamlit run`` at ``base`` (``http://host:port``)."""

    base: str
    timeout_s: float = 150.0
    _ws: Any = None

    async def __aenter__(self) -> StreamSession:
        import websockets

        url = self.base.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],
            origin=self.base,
            max_size=None,
            open_timeout=self.timeout_s,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._ws.close()

    async def open(self, path: str) -> PageRun:
        """Run the page at ``path`` (``"why-valence?why_tab=Statistics"``); wait for its end."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        page, _, query = path.partition("?")
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        t0 = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        exceptions = 0
        status = "timeout"
        deadline = t0 + self.timeout_s
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            try:
                raw = await asyncio.wait_for(self._ws.recv(), left)
            except TimeoutError:
                break
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                exceptions += fwd.delta.new_element.WhichOneof("type") == "exception"
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if status in ("FINISHED_SUCCESSFULLY", "FINISHED_WITH_COMPILE_ERROR"):
                    break  # (fragment runs, and a run ended by st.rerun, are followed by more)
        return PageRun(path, time.perf_counter() - t0, status, exceptions)
