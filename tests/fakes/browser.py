"""A real ``streamlit run`` server and headless Chromium, for the browser tests and the load bench.

Used by tests/browser, tests/security/test_browser_attacks.py and ``python -m bench load``:

- :func:`launch_options`: how Chromium is launched (Debian's at ``CHROMIUM_PATH``, default
  /usr/bin/chromium); :func:`browser_fixture` is the module-scoped ``browser`` fixture;
- :func:`start_streamlit` and :func:`wait_healthy`: ``streamlit run app.py`` on 127.0.0.1 and
  the wait until it answers; :func:`streamlit_server` does both for a module-scoped fixture;
- :func:`settle` and :func:`open_page`: wait until a page has drawn its sidebar navigation and
  the app has stopped running.

Nothing here imports ``tests.conftest`` (which sets test-only environment variables), so the
bench can import it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def launch_options() -> dict[str, Any]:
    """Keyword arguments of ``playwright``'s ``chromium.launch`` (sync and async alike)."""
    return {"executable_path": CHROMIUM, "headless": True, "args": LAUNCH_ARGS}


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    """Headless Chromium for one test module (skipped without the playwright package)."""
    playwright = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install chromium"
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(**launch_options())
        yield b
        b.close()


def free_port(wanted: int = 0) -> int:
    """``wanted`` when it is free on 127.0.0.1, else (or when 0) a port the system picks."""
    with socket.socket() as s:
        try:
            s.bind((HOST, wanted))
        except OSError:
            s.bind((HOST, 0))
        return s.getsockname()[1]


def browser_port() -> int:
    """``VALENCE_LAB_BROWSER_PORT`` when set, else a free port."""
    return int(os.environ.get("VALENCE_LAB_BROWSER_PORT") or 0) or free_port()


def start_streamlit(
    port: int,
    log: IO[str],
    env: dict[str, str],
    *extra: str,
    nice: int = 0,
    script: str = "app.py",
) -> subprocess.Popen:
    """``streamlit run app.py`` headless on 127.0.0.1:``port``, its output in ``log``.

    ``nice``: the server's niceness, set before it starts (so every thread it starts has it).
    ``script``: another app to serve (the load bench's floor serves a minimal one).
    """
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        HOST,
        "--browser.gatherUsageStats",
        "false",
        *extra,
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )


def stop_streamlit(server: subprocess.Popen) -> None:
    """Terminate a server started by :func:`start_streamlit`; kill it if it lingers 20 s."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def wait_healthy(url: str, timeout_s: float = 60) -> bool:
    """Whether the server at ``url`` answered its health check within ``timeout_s``."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


@contextmanager
def streamlit_server(log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """A started server's URL (on :func:`browser_port`); the test fails if it does not answer.

    ``env`` is added to this process's environment; the server's output goes to ``log_path``.
    """
    port = browser_port()
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("w") as fh:
        proc = start_streamlit(port, fh, {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        url = f"http://{HOST}:{port}"
        if not wait_healthy(url, 60):
            proc.terminate()
            pytest.fail(f"streamlit did not start; log:\n{log_path.read_text()[-3000:]}")
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def settle(page: Any, timeout_s: float = 120, *, anchor: str = "", state: str = "attached") -> None:
    """Wait until the sidebar navigation is drawn and the app has stopped running (1.5 s quiet).

    Streamlit draws no navigation menu while only one page is registered: the default
    ``anchor`` is then the sidebar's own content. ``state="attached"``, not visible: on a phone
    the sidebar starts collapsed.
    """
    if not anchor:
        from ui.registry import registered_pages

        anchor = "stSidebarNav" if len(registered_pages()) > 1 else "stSidebarUserContent"
    page.wait_for_selector(f"[data-testid='{anchor}']", state=state, timeout=timeout_s * 1000)
    deadline = time.time() + timeout_s
    quiet_since = None
    while time.time() < deadline:
        running = page.locator("[data-testid='stStatusWidget']").count() > 0
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since > 1.5:
            return
        time.sleep(0.25)
    raise AssertionError(f"the page kept running: {page.url}")


def scroll_to(locator: Any, tries: int = 5) -> None:
    """Scroll ``locator`` into view, again if a rerun replaced its element meanwhile.

    Playwright finds the element, then waits for it to be stable; a script rerun that redraws
    the page in between detaches it ("Element is not attached to the DOM").
    """
    from playwright.sync_api import Error

    for attempt in range(tries):
        try:
            locator.scroll_into_view_if_needed(timeout=30_000)
            return
        except Error as exc:
            if "not attached" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.5)


@contextmanager
def open_page(
    browser: Any, url: str, width: int = 1440, height: int = 1000, timeout_s: float = 120
) -> Iterator[Any]:
    """A new tab of ``width`` x ``height`` at ``url``, settled; closed afterwards."""
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(url, wait_until="domcontentloaded")
        settle(page, timeout_s)
        yield page
    finally:
        page.close()
