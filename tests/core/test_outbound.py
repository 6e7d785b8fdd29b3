"""core.outbound: per-call deadlines, the shared time budget and bounded bodies.

Calls go to the fake ReccoBeats server on 127.0.0.1 (tests/fakes), and to a silent one
(tests/security/drip.py) for deadlines; tests/security/test_deadlines.py drives the same
session against dripping servers with timing checks.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from core import outbound
from core.outbound import Budget, DeadlineExceeded, DeadlineSession, default_deadline, watched
from tests.conftest import make_synthetic_tracks
from tests.fakes import FakeReccoBeats, records_from_frame
from tests.security.drip import HostileServer

TRACKS = make_synthetic_tracks(3, 2, seed=21)
IDS = TRACKS["track_id"].tolist()


@pytest.fixture
def recco() -> Iterator[FakeReccoBeats]:
    server = FakeReccoBeats(records_from_frame(TRACKS))
    yield server
    server.close()


def _features_url(server: FakeReccoBeats, ids: list[str]) -> str:
    return f"{server.api_base}/audio-features?ids={','.join(ids)}"


def test_budget_counts_down_and_never_goes_negative():
    long = Budget(3600)
    assert not long.spent and 3599 < long.remaining() <= 3600 and long.elapsed >= 0
    assert long.seconds == 3600.0
    assert Budget(0).spent and Budget(0).remaining() == 0.0
    assert Budget(-5).remaining() == 0.0 and Budget(-5).spent


def test_call_limit_is_the_deadline_cut_to_the_budget():
    assert DeadlineSession(7.5).call_limit() == 7.5
    assert DeadlineSession(7.5, budget=Budget(3600)).call_limit() == 7.5
    assert 0 < DeadlineSession(7.5, budget=Budget(2)).call_limit() <= 2
    assert DeadlineSession(7.5, budget=Budget(0)).call_limit() == 0


def test_a_call_reads_the_whole_body_within_its_deadline(recco):
    session = DeadlineSession(10.0)
    resp = session.get(_features_url(recco, IDS))
    assert resp.status_code == 200
    content = resp.json()["content"]
    assert [item["href"].rsplit("/", 1)[1] for item in content] == IDS
    assert content[0]["valence"] == pytest.approx(TRACKS["valence"].iloc[0])
    assert resp._content_consumed  # noqa: SLF001 - read here, not by the caller
    assert recco.requests["/v1/audio-features"] == 1


def test_error_statuses_are_returned_not_raised(recco):
    resp = DeadlineSession(10.0).get(f"{recco.api_base}/nowhere")
    assert resp.status_code == 404 and resp.json()["error"]["status"] == 404
    recco.script("/v1/audio-features", 429, {"Retry-After": "7"})
    limited = DeadlineSession(10.0).get(_features_url(recco, IDS))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"


def test_a_streamed_call_leaves_the_body_to_the_caller(recco):
    resp = DeadlineSession(10.0).get(_features_url(recco, IDS[:1]), stream=True)
    assert not resp._content_consumed  # noqa: SLF001
    assert resp.json()["content"][0]["href"].endswith(IDS[0])


def test_a_body_over_the_limit_fails_the_call(recco):
    session = DeadlineSession(10.0, max_body=50)
    with pytest.raises(requests.ConnectionError, match="larger than 50 bytes") as err:
        session.get(_features_url(recco, IDS))
    assert not isinstance(err.value, DeadlineExceeded)
    assert DeadlineSession(10.0, max_body=10_000).get(_features_url(recco, IDS)).ok


def test_a_spent_budget_blocks_the_call_before_it_is_sent(recco):
    session = DeadlineSession(10.0, budget=Budget(0))
    with pytest.raises(DeadlineExceeded, match="the time budget of 0 s is spent") as err:
        session.get(_features_url(recco, IDS))
    assert isinstance(err.value, requests.Timeout)  # callers catching Timeout see it too
    with pytest.raises(DeadlineExceeded, match=r"no time left to call http://127\.0\.0\.1$"):
        DeadlineSession(0).get(f"{recco.api_base}/track?ids=x&token=secret")
    assert sum(recco.requests.values()) == 0


@pytest.fixture
def silent() -> Iterator[HostileServer]:
    """A server that reads the request and never answers."""
    server = HostileServer("never")
    yield server
    server.close()


def test_a_server_slower_than_the_deadline_fails_with_a_deadline_message(silent):
    with pytest.raises(DeadlineExceeded, match=r"http://127\.0\.0\.1 did not finish answering"):
        DeadlineSession(1.0).get(f"{silent.root}/v1/audio-features?ids=x")
    assert silent.wait_all_closed(5.0)  # the socket was let go


def test_a_refused_connection_is_not_called_a_deadline():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(requests.ConnectionError) as err:
        DeadlineSession(10.0).get(f"http://127.0.0.1:{port}/v1")
    assert not isinstance(err.value, DeadlineExceeded)


def test_watched_block_cuts_off_calls_inside_it(silent, recco):
    session = DeadlineSession(30.0)
    with pytest.raises(requests.RequestException), watched(1.0):
        session.get(f"{silent.root}/v1/track")
    assert silent.wait_all_closed(5.0)
    assert session.get(_features_url(recco, IDS)).ok  # a later call is not cut off


@pytest.mark.parametrize(
    ("value", "expected"),
    [((2, 7), 7.0), ([1, 2.5], 2.5), (4, 4.0), (0.5, 0.5), (None, None), (0, None),
     (-1, None), ((3, None), None), ("5", None)],
)  # fmt: skip
def test_read_timeout_takes_the_read_part_of_what_the_caller_asked(value, expected):
    assert outbound._read_timeout(value) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [(None, 10.0), ("30", 30.0), ("0.5", 0.5), ("600", 600.0), ("601", 10.0), ("0", 10.0),
     ("-3", 10.0), ("soon", 10.0), ("", 10.0)],
)  # fmt: skip
def test_default_deadline_from_the_environment(monkeypatch, env, expected):
    if env is None:
        monkeypatch.delenv("VALENCE_LAB_HTTP_DEADLINE_S", raising=False)
    else:
        monkeypatch.setenv("VALENCE_LAB_HTTP_DEADLINE_S", env)
    assert default_deadline() == expected


def test_messages_name_only_scheme_and_host():
    assert outbound._describe("https://api.example.com:8443/v1/x?token=abc") == (
        "https://api.example.com"
    )
    assert outbound._describe("not a url") == "the server"
