"""Shared use: a real ``streamlit run`` server and N concurrent headless Chromium sessions.

``python -m bench load``. Steps, all bounded in time:

1. ``python -m core warm`` for every available dataset (the deploy step; a no-op when the artefacts
   are already in ``bench/results/load-cache``, which later runs reuse).
2. Start the server (``BENCH_LOAD_PORT``, default 8640) with the fake ReccoBeats API (50 ms
   latency) and no Spotify credentials; ``BENCH_LOAD_SERVER_NICE`` sets its niceness
   (default 0; e.g. -10 gives it the cores first, as if the browsers ran elsewhere).
3. Alone: one session opens the app, which starts the server's start-up work (the background
   preload of every page's modules); once the server has been idle for a second
   (``server_busy_after_first_session_s``), the first open of every page in a new session,
   then each page again in another new session, and one training (Model lab, XGBoost at the
   defaults) -> ``page_first_open_solo_s``, ``page_open_solo_again_s``, ``train_solo_s``.
4. Under load: N sessions at once (default 8) doing a mixed workload: Explore tabs, Genre map
   (PCA and UMAP), Why valence? tabs, one training, one lookup of 7 ids, one private upload.
   Every page open is a new session; its settle time runs from navigation to the app having
   drawn its title and stopped running -> ``page_settle_p50_s``/``p95``. All tabs share one
   browser context (static files cached, as in a returning visitor's browser).
5. The same load with browserless sessions (``bench.stream_client``: the app's websocket
   protocol, no rendering) beside one browser that trains -> ``server_page_run_p50_s``/``p95``:
   the server's own time per page run, without eight renderers on its cores.
   ``train_job_s``: the server's own time for each of the three trainings (alone, under the
   browser load, in this phase), from the job log lines; a busy browser shows a result later.
   ``train_job_queued_s``: the part of each spent waiting behind other jobs for a core.
6. Close every tab; 15 s later the server's resident memory and CPU use (percent of one core,
   over 3 s) -> ``rss_after_close_mb``, ``cpu_after_close_pct``. ``rss_peak_mb`` is sampled
   every 0.25 s throughout.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.fakes.browser import (
    free_port,
    launch_options,
    start_streamlit,
    stop_streamlit,
    wait_healthy,
)

ROOT = Path(__file__).resolve().parent.parent
LATENCY_S = 0.05
SETTLE_TIMEOUT_S = 150.0
QUIET_S = 1.0
DEADLINE_S = 420.0  # the whole load phase
PAGES = ["explore", "model-lab", "why-valence", "genre-map", "track-lookup"]


class Sampler:
    """Samples a process's resident memory (peak) in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def rss(self) -> int:
        return self.proc.memory_info().rss

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.rss())
            except Exception:  # the process ended
                return
            time.sleep(0.25)

    def stop(self) -> None:
        self._stop.set()

    async def until_idle(
        self, cores: float = 0.1, window_s: float = 1.0, limit_s: float = 60.0
    ) -> float | None:
        """Seconds until the process used under ``cores`` of CPU over a ``window_s`` window.

        After its first page run a server still works in the background for a few seconds (the
        preload imports every page's modules, ~4 s of CPU): a *warm* server is one that is done.
        """
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < limit_s:
            before = self.proc.cpu_times()
            await asyncio.sleep(window_s)
            after = self.proc.cpu_times()
            used = after.user + after.system - before.user - before.system
            if used < cores * window_s:
                return round(time.perf_counter() - t0 - window_s, 1)
        return None


async def settle(page: Any, timeout_s: float = SETTLE_TIMEOUT_S) -> float:
    """Seconds until the page shows its title and the app has stopped running (-quiet time)."""
    t0 = time.perf_counter()
    deadline = t0 + timeout_s
    await page.wait_for_selector("h1", timeout=timeout_s * 1000)
    quiet_since = None
    while time.perf_counter() < deadline:
        running = await page.locator("[data-testid='stStatusWidget']").count() > 0
        now = time.perf_counter()
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= QUIET_S:
            errors = await page.locator("[data-testid='stException']").count()
            if errors:
                raise RuntimeError("the page showed an exception")
            return quiet_since - t0
        await asyncio.sleep(0.1)
    raise TimeoutError(f"not settled within {timeout_s:.0f} s")


async def open_page(browser: Any, url: str, settles: list[float], errors: list[str]) -> Any:
    """A new tab (new session) at ``url``; its settle time goes into ``settles``."""
    page = await browser.new_page()  # a tab of the shared context: a new server session
    t0 = time.perf_counter()
    try:
        await page.goto(url, wait_until="domcontentloaded", timeout=SETTLE_TIMEOUT_S * 1000)
        loaded = time.perf_counter() - t0
        settles.append(loaded + await settle(page, SETTLE_TIMEOUT_S - loaded))
    except Exception as exc:
        errors.append(f"{url.split('/', 3)[-1]}: {type(exc).__name__}: {exc}"[:300])
    return page


async def wait_text(page: Any, text: str, timeout_s: float = SETTLE_TIMEOUT_S) -> float:
    t0 = time.perf_counter()
    await page.get_by_text(text).first.wait_for(timeout=timeout_s * 1000)
    return time.perf_counter() - t0


async def on_page(
    browser: Any, url: str, what: str, settles: list[float], errors: list[str], action: Any
) -> Any:
    """Open ``url`` (a new session), return what ``action(page)`` returns; close the tab.

    An exception of ``action`` goes into ``errors`` as ``what: …``, and the result is None.
    """
    page = await open_page(browser, url, settles, errors)
    try:
        return await action(page)
    except Exception as exc:
        errors.append(f"{what}: {type(exc).__name__}: {exc}"[:300])
        return None
    finally:
        await page.close()


async def train(browser: Any, base: str, settles: list[float], errors: list[str]) -> float | None:
    """Open the Model lab, press Train (XGBoost defaults); seconds from click to the result."""

    async def press_train(page: Any) -> float:
        t0 = time.perf_counter()
        await page.locator(".st-key-lab_train button").click(timeout=SETTLE_TIMEOUT_S * 1000)
        await wait_text(page, "This model is now used by the other pages")
        return time.perf_counter() - t0

    return await on_page(browser, f"{base}/model-lab", "train", settles, errors, press_train)


async def lookup(
    browser: Any, base: str, ids: list[str], settles: list[float], errors: list[str]
) -> float | None:
    """Paste ids on Track lookup and press Look up; seconds from click to the result table."""

    async def paste_and_look_up(page: Any) -> float:
        box = page.locator(".st-key-look_ids textarea")
        await box.fill("\n".join(ids))
        await box.press("Control+Enter")
        await settle(page)
        t0 = time.perf_counter()
        await page.locator(".st-key-look_paste_go button").click()
        await wait_text(page, "Audio features from")
        await settle(page)
        return time.perf_counter() - t0

    url = f"{base}/track-lookup"
    return await on_page(browser, url, "lookup", settles, errors, paste_and_look_up)


async def upload(browser: Any, base: str, csv: Path, settles: list[float], errors: list) -> None:
    """Upload a private CSV in the sidebar; its settle time counts as a page settle."""

    async def upload_file(page: Any) -> None:
        t0 = time.perf_counter()
        await page.locator(".st-key-upload_file input[type='file']").set_input_files(str(csv))
        await wait_text(page, "Upload:")
        waited = time.perf_counter() - t0
        settles.append(waited + await settle(page))

    await on_page(browser, f"{base}/", "upload", settles, errors, upload_file)


async def browse(browser: Any, base: str, paths: list[str], settles: list, errors: list) -> None:
    for path in paths:
        page = await open_page(browser, f"{base}/{path}", settles, errors)
        await page.close()


#: What the browsing sessions open, one new session per page (tabs through their query names).
TOURS = [
    [
        "?exp_tab=Distributions",
        "?exp_tab=Correlations",
        "?exp_tab=Genre+means",
        "?exp_tab=Scatter",
        "?exp_tab=Over+time",
    ],
    ["genre-map", "genre-map?map_projection=UMAP", "genre-map?map_section=Genre+tree"],
    ["why-valence", "why-valence?why_tab=Statistics", "why-valence?why_tab=Recipe"],
    ["why-valence", "genre-map", ""],
    ["", "why-valence?why_tab=Agreement", "track-lookup"],
]


def _workloads(base: str, ids: list[str], csv: Path, n: int) -> list:
    tours = TOURS
    jobs: list = [
        lambda b, s, e: train(b, base, s, e),
        lambda b, s, e: lookup(b, base, ids, s, e),
        lambda b, s, e: upload(b, base, csv, s, e),
    ]
    i = 0
    while len(jobs) < n:
        tour = tours[i % len(tours)]
        jobs.append(lambda b, s, e, tour=tour: browse(b, base, tour, s, e))
        i += 1
    return jobs[:n]


def _spread(name: str, seconds: list[float]) -> dict[str, float]:
    """``name``'s p50, p95 and max of a non-empty list of timings, rounded to 10 ms."""
    qs = (
        statistics.quantiles(seconds, n=20, method="inclusive")
        if len(seconds) > 1
        else seconds * 19
    )
    return {
        f"{name}_p50_s": round(statistics.median(seconds), 2),
        f"{name}_p95_s": round(qs[18], 2),
        f"{name}_max_s": round(max(seconds), 2),
    }


async def _server_phase(base: str, browser: Any, n: int, errors: list[str]) -> dict[str, Any]:
    """The same load with browserless sessions: the server's own time per page run.

    One real browser trains (the heavy job, through the CPU gate) while ``n - 1`` sessions of
    :class:`bench.stream_client.StreamSession` walk the tours, a new session per page; each run
    is timed from the request to the server's ``script_finished``. No renderer shares the cores,
    so these figures are the server's (on a deployment the browsers are the visitors' machines).
    """
    from bench.stream_client import StreamSession

    runs: list[float] = []
    by_path: dict[str, list[float]] = {}

    async def tour(paths: list[str]) -> None:
        for path in paths:
            try:
                async with StreamSession(base, timeout_s=SETTLE_TIMEOUT_S) as session:
                    run = await session.open(path)
            except Exception as exc:
                errors.append(f"stream {path or '/'}: {type(exc).__name__}: {exc}"[:300])
                continue
            runs.append(run.seconds)
            by_path.setdefault(path or "/", []).append(run.seconds)
            if run.status != "FINISHED_SUCCESSFULLY" or run.exceptions:
                errors.append(f"stream {path or '/'}: {run.status}, {run.exceptions} exceptions")

    tours = [TOURS[i % len(TOURS)] for i in range(max(0, n - 1))]
    t0 = time.perf_counter()
    trained, *_ = await asyncio.wait_for(
        asyncio.gather(train(browser, base, [], errors), *(tour(t) for t in tours)), DEADLINE_S
    )
    out: dict[str, Any] = {
        "server_phase_s": round(time.perf_counter() - t0, 1),
        "server_train_loaded_s": round(trained, 2) if trained is not None else None,
        "server_page_runs": len(runs),
    }
    if runs:
        out |= _spread("server_page_run", runs)
        out["server_page_run_max_by_path_s"] = {p: round(max(t), 2) for p, t in by_path.items()}
    return out


def _cpu_split(sampler: Sampler) -> dict[str, float]:
    """CPU seconds so far: the server process vs the whole machine (the browsers share it)."""
    import psutil

    times = sampler.proc.cpu_times()
    machine = psutil.cpu_times()
    return {
        "server": times.user + times.system,
        "machine": machine.user + machine.system,  # excludes niced work (other jobs)
        "niced": machine.nice,
    }


async def _drive(base: str, n: int, ids: list[str], csv: Path, sampler: Sampler) -> dict:
    from playwright.async_api import async_playwright

    out: dict[str, Any] = {}
    async with async_playwright() as p:
        chromium = await p.chromium.launch(**launch_options())
        # One context for every tab, as one visitor's browser: the app's static bundle is
        # fetched and compiled once (HTTP and code caches), while each tab still opens its own
        # websocket, so every page open is a new server session with empty session state.
        browser = await chromium.new_context(viewport={"width": 1400, "height": 900})
        warmup: list[float] = []
        errors: list[str] = []
        await (await open_page(browser, f"{base}/", warmup, errors)).close()
        out["server_first_session_s"] = round(warmup[0], 2) if warmup else None
        # a warm server has finished its start-up work too (the first run starts it), so the
        # solo opens are not measured beside the preload's imports (~2x on the first of them)
        out["server_busy_after_first_session_s"] = await sampler.until_idle()
        solo: dict[str, float | None] = {}
        for path in PAGES:
            got: list[float] = []
            await (await open_page(browser, f"{base}/{path}", got, errors)).close()
            solo[path] = round(got[0], 2) if got else None
        out["page_first_open_solo_s"] = solo
        # the same pages again, each in a new session: what every later visitor of a warm server
        # gets, without the once-per-process costs above (the server's first use of a page's
        # code and stored parts; the browser's first chart of a kind, e.g. its first WebGL one)
        again: dict[str, float | None] = {}
        for path in PAGES:
            got = []
            await (await open_page(browser, f"{base}/{path}", got, errors)).close()
            again[path] = round(got[0], 2) if got else None
        out["page_open_solo_again_s"] = again
        t = await train(browser, base, [], errors)
        out["train_solo_s"] = round(t, 2) if t is not None else None

        settles: list[float] = []
        cpu0 = _cpu_split(sampler)
        t0 = time.perf_counter()
        jobs = _workloads(base, ids, csv, n)
        results = await asyncio.wait_for(
            asyncio.gather(*(job(browser, settles, errors) for job in jobs)), DEADLINE_S
        )
        out["load_phase_s"] = round(time.perf_counter() - t0, 1)
        out["load_phase_cpu_s"] = {k: round(v - cpu0[k], 1) for k, v in _cpu_split(sampler).items()}
        out["train_loaded_s"] = round(results[0], 2) if results[0] is not None else None
        if n > 1:
            out["lookup_loaded_s"] = round(results[1], 2) if results[1] is not None else None
        out["page_opens"] = len(settles)
        if settles:
            out |= _spread("page_settle", settles)
        out |= await _server_phase(base, browser, n, errors)
        out["errors"] = errors
        await browser.close()
        await chromium.close()
    return out


def run(ctx: dict) -> dict:
    import psutil

    from tests.fakes.servers import FakeReccoBeats, records_from_frame

    n = int(os.environ.get("BENCH_LOAD_SESSIONS", "3" if ctx.get("quick") else "8"))
    data_dir = os.environ.get("VALENCE_LAB_DATA_DIR") or str(ROOT.parent / "shared" / "data")
    cache = Path(
        os.environ.get("BENCH_LOAD_CACHE_DIR") or ROOT / "bench" / "results" / "load-cache"
    )
    cache.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "VALENCE_LAB_DATA_DIR": data_dir,
        "VALENCE_LAB_CACHE_DIR": str(cache),
        "PYTHONUNBUFFERED": "1",
    }
    for key in ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "SPOTIFY_API_BASE"):
        env.pop(key, None)
    out: dict[str, Any] = {"sessions": n, "cpus": os.cpu_count(), "latency_s": LATENCY_S}

    t0 = time.perf_counter()
    warm = subprocess.run(
        # every source the server's background warmer would build (the deploy step), so the
        # solo first opens below are not measured beside a server still building one
        [sys.executable, "-m", "core", "warm"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    out["warm_cli_s"] = round(time.perf_counter() - t0, 1)
    if warm.returncode != 0:
        out["warm_cli_error"] = warm.stderr.strip().splitlines()[-1:]

    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    sys.path.insert(0, str(ROOT))
    os.environ["VALENCE_LAB_CACHE_DIR"] = str(cache)
    from core.catalog import data

    base_df = data.load_catalog(_default_source(env), allow_download=False).df
    fresh = base_df.sample(7, random_state=3).copy()
    fresh["track_id"] = [f"{i:02d}benchLoadTrack{i:07d}"[:22] for i in range(7)]
    recco = FakeReccoBeats(records_from_frame(fresh), latency_s=LATENCY_S)
    env["RECCOBEATS_API_BASE"] = recco.api_base
    csv = tmp / "my_tracks.csv"
    base_df.sample(2000, random_state=4).drop(columns=["primary_artist", "genres"]).to_csv(
        csv, index=False
    )

    port = free_port(int(os.environ.get("BENCH_LOAD_PORT", "8640")))
    log = (tmp / "server.log").open("w")
    nice = int(os.environ.get("BENCH_LOAD_SERVER_NICE", "0"))
    out["server_nice"] = nice
    server = start_streamlit(port, log, env, "--server.fileWatcherType", "none", nice=nice)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(base, 60):
            raise RuntimeError("the streamlit server did not start")
        sampler = Sampler(server.pid)
        out |= asyncio.run(_drive(base, n, list(fresh["track_id"]), csv, sampler))
        closed = time.perf_counter()
        time.sleep(max(0.0, 15.0 - (time.perf_counter() - closed)))
        proc = psutil.Process(server.pid)
        out["rss_after_close_mb"] = round(proc.memory_info().rss / 2**20, 1)
        proc.cpu_percent(None)
        time.sleep(3.0)
        out["cpu_after_close_pct"] = round(proc.cpu_percent(None), 1)
        sampler.stop()
        out["rss_peak_mb"] = round(sampler.peak / 2**20, 1)
    finally:
        stop_streamlit(server)
        recco.close()
        log.close()
    text = (tmp / "server.log").read_text()
    out["server_tracebacks"] = text.count("Traceback")
    # the server's own time of each training (core.jobs logs it), in order: alone, under the
    # browser load, beside the browserless sessions; the browser shows each result later
    found = re.findall(
        r"job train-\S+ finished in ([0-9.]+) s(?:, ([0-9.]+) s of it queued)?", text
    )
    trained = [float(took) for took, _ in found]
    out["train_job_s"] = trained
    out["train_job_queued_s"] = [float(q) if q else None for _, q in found]
    if len(trained) >= 2:
        out["train_job_loaded_over_solo"] = round(trained[1] / trained[0], 2)
    out["warm_built_by_server"] = text.count("core.warm INFO precomputed")
    out["targets"] = (
        "page_settle_p95_s <= 5; train_loaded_s / train_solo_s <= 3; rss_after_close_mb <= 1000;"
        " cpu_after_close_pct <= 5; Why valence? first open (warm server, alone) <= 2 s"
    )
    if out.get("train_solo_s") and out.get("train_loaded_s"):
        out["train_loaded_over_solo"] = round(out["train_loaded_s"] / out["train_solo_s"], 2)
    return out


def _default_source(env: dict[str, str]) -> str:
    """The dataset a visitor gets first: the 114k set when on disk, else the first available."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        sys.path.insert(0, str(ROOT))
        from core.catalog import sources

        found = sources.available_sources()
        return sources.DEFAULT_SOURCE if sources.DEFAULT_SOURCE in found else next(iter(found))
    finally:
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    print(json.dumps(run({}), indent=2))
