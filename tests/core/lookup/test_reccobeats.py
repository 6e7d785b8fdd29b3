"""core.lookup.reccobeats against a local fake ReccoBeats server."""

from __future__ import annotations

import pytest

from core.lookup.reccobeats import BATCH_SIZE, ReccoBeatsClient, parse_features
from tests.fakes import FAST, fake_apis_fixture  # noqa: F401


def test_reccobeats_batches_of_40_and_reports_missing(fake_apis, records) -> None:
    known = dict(list(records.items())[:80])
    fake_apis.add(known, spotify=False)
    ids = list(records)  # 90: the last 10 are unknown to ReccoBeats
    progress: list[int] = []
    res = ReccoBeatsClient(policy=FAST).audio_features(
        ids, on_progress=lambda p: progress.append(p.step)
    )
    assert set(res.found) == set(known)
    assert sorted(res.missing) == sorted(ids[80:])
    assert fake_apis.reccobeats.requests["/v1/audio-features"] == -(-len(ids) // BATCH_SIZE)
    assert progress == [40, 80, 90]
    first = ids[0]
    assert res.found[first]["valence"] == pytest.approx(records[first]["features"]["valence"])
    meta = ReccoBeatsClient(policy=FAST).tracks(ids[:3]).found
    assert meta[first]["track_name"] == records[first]["name"]


def test_reccobeats_failure_midway_keeps_earlier_batches(fake_apis, records) -> None:
    fake_apis.add(records, spotify=False)
    rb = ReccoBeatsClient(policy=FAST)
    ids = list(records)
    fake_apis.reccobeats.latency_s = 0.0
    res_ok = rb.audio_features(ids[:40])
    assert len(res_ok.found) == 40
    fake_apis.reccobeats.script("/v1/audio-features", 500, times=100)
    res = rb.audio_features(ids)
    assert res.found == {} and len(res.not_tried) == len(ids) and "500" in res.error


def test_reccobeats_parser_maps_href_and_skips_bad_items() -> None:
    tid = "4uLU6hMCjMI75M1A2tKUQC"
    payload = {
        "content": [
            {
                "id": "uuid-1",
                "href": f"https://open.spotify.com/track/{tid}",
                "valence": 0.7,
                "energy": 0.5,
                "key": 2,
            },
            {
                "id": "uuid-2",
                "href": "https://open.spotify.com/album/4uLU6hMCjMI75M1A2tKUQD",
                "valence": 0.1,
            },
            {"id": "uuid-3", "valence": 0.3},
            "junk",
        ]
    }
    parsed = parse_features(payload)
    assert list(parsed) == [tid]
    assert parsed[tid] == {"valence": 0.7, "energy": 0.5, "key": 2.0}
    assert parse_features({"error": "x"}) == {}
    assert parse_features(None) == {}
