"""Track lookup: resolving uploaded ids against fake Spotify/ReccoBeats servers (50 ms latency)
and against the catalog only. Targets (DESIGN §5): 1,000 ids not in the catalog < 30 s; 5,000
ids all in the catalog < 2 s."""

from __future__ import annotations

import os
import time

import pandas as pd

from bench.common import timed

TIDY = "tidytuesday-spotify-songs"
LATENCY_S = 0.05


def _fresh_tracks(base: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` catalog-like tracks with new random ids (so none is in the catalog)."""
    import numpy as np

    from core.lookup.trackids import BASE62

    rng = np.random.default_rng(seed)
    df = base.sample(n, random_state=seed, replace=n > len(base)).reset_index(drop=True)
    alphabet = np.array(list(BASE62))
    df["track_id"] = ["".join(row) for row in alphabet[rng.integers(0, 62, size=(n, 22))]]
    return df


def _upload_bytes(ids: list[str]) -> bytes:
    return (
        pd.DataFrame({"Track URI": [f"spotify:track:{t}" for t in ids]})
        .to_csv(index=False)
        .encode()
    )


def run(ctx: dict) -> dict:
    from core.catalog import data
    from core.lookup.idupload import read_id_upload
    from core.lookup.reccobeats import ReccoBeatsClient
    from core.lookup.resolve import ProviderState, resolve_tracks
    from core.lookup.spotify import Credentials, SpotifyClient
    from tests.fakes.servers import FakeReccoBeats, FakeSpotify, records_from_frame

    quick = bool(ctx.get("quick"))
    n_outside, n_inside = (200, 1000) if quick else (1000, 5000)
    cat = data.load_catalog(TIDY, allow_download=False)
    out: dict = {"catalog_rows": len(cat.df), "latency_s": LATENCY_S}

    outside = _fresh_tracks(cat.df, n_outside, seed=1)
    records = records_from_frame(outside)
    spotify = FakeSpotify(records, "bench-id", "bench-secret", latency_s=LATENCY_S)
    recco = FakeReccoBeats(records, latency_s=LATENCY_S)
    saved = {
        k: os.environ.get(k)
        for k in ("SPOTIFY_API_BASE", "SPOTIFY_AUTH_URL", "RECCOBEATS_API_BASE")
    }
    os.environ.update(
        SPOTIFY_API_BASE=spotify.api_base,
        SPOTIFY_AUTH_URL=spotify.token_url,
        RECCOBEATS_API_BASE=recco.api_base,
    )
    try:
        raw = _upload_bytes(outside["track_id"].tolist())
        t0 = time.perf_counter()
        upload = read_id_upload(raw, "bench.csv")
        out["outside_parse_s"] = round(time.perf_counter() - t0, 3)

        def with_credentials():
            sp = SpotifyClient(Credentials("bench-id", "bench-secret"), max_workers=8)
            return resolve_tracks(
                upload.ids, cat.df, spotify=sp, reccobeats=ReccoBeatsClient(), state=ProviderState()
            )

        secs, res = timed(with_credentials)
        out[f"outside_{n_outside}_with_credentials_s"] = round(secs, 2)
        out["outside_with_credentials_counts"] = res.counts
        out["outside_with_credentials_covers"] = int(res.table["image_url"].notna().sum())

        secs, res = timed(lambda: resolve_tracks(upload.ids, cat.df, reccobeats=ReccoBeatsClient()))
        out[f"outside_{n_outside}_no_credentials_s"] = round(secs, 2)
        out["outside_no_credentials_counts"] = res.counts
        out["requests"] = {
            "spotify": spotify.requests.total(),
            "reccobeats": recco.requests.total(),
        }

        # All in the catalog: no feature lookups; the fake ReccoBeats stays up so the few
        # catalog rows without a title ask it (offline, the real host would cost retries).
        inside_ids = cat.df["track_id"].sample(n_inside, random_state=2).tolist()
        raw = _upload_bytes(inside_ids)

        def inside():
            up = read_id_upload(raw, "bench.csv")
            return resolve_tracks(up.ids, cat.df, reccobeats=ReccoBeatsClient())

        before = recco.requests.total()
        secs, res = timed(inside, repeat=3)
        out[f"inside_{n_inside}_parse_and_resolve_s"] = round(secs, 3)
        out["inside_counts"] = res.counts
        out["inside_reccobeats_requests_per_run"] = (recco.requests.total() - before) // 3
    finally:
        spotify.close()
        recco.close()
        for key, val in saved.items():
            if val is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = val

    out["targets"] = {"outside_1000_s": 30, "inside_5000_s": 2}
    return out
