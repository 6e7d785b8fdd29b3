from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.lookup.trackids import (
    BASE62,
    is_local_uri,
    parse_id_text,
    parse_track_id,
    track_uri,
    track_url,
)

ids = st.text(alphabet=BASE62, min_size=22, max_size=22)
locales = st.sampled_from(["", "intl-de/", "intl-pt/", "intl-ja/", "embed/"])
queries = st.sampled_from(
    ["", "?si=abc123", "?si=Zx_9-q&context=spotify%3Aplaylist%3A1", "#t=30", "/"]
)
schemes = st.sampled_from(["https://", "http://", ""])


@given(ids)
def test_bare_id_round_trips(track_id: str) -> None:
    assert parse_track_id(track_id) == track_id
    assert parse_track_id(f"  {track_id}\t") == track_id


@given(ids)
def test_uri_round_trips(track_id: str) -> None:
    assert parse_track_id(track_uri(track_id)) == track_id


@given(ids, schemes, locales, queries)
def test_link_round_trips(track_id: str, scheme: str, locale: str, query: str) -> None:
    link = f"{scheme}open.spotify.com/{locale}track/{track_id}{query}"
    assert parse_track_id(link) == track_id
    assert parse_track_id(track_url(track_id)) == track_id


@given(st.text(alphabet=BASE62, min_size=1, max_size=40).filter(lambda s: len(s) != 22))
def test_wrong_length_is_rejected(text: str) -> None:
    assert parse_track_id(text) is None
    assert parse_track_id(f"spotify:track:{text}") is None
    assert parse_track_id(f"https://open.spotify.com/track/{text}") is None


@given(ids, st.sampled_from(["album", "artist", "playlist", "episode"]))
def test_other_spotify_objects_are_rejected(track_id: str, kind: str) -> None:
    assert parse_track_id(f"https://open.spotify.com/{kind}/{track_id}") is None
    assert parse_track_id(f"spotify:{kind}:{track_id}") is None


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_junk_never_yields_an_id_it_does_not_contain(text: str) -> None:
    found = parse_track_id(text)
    if found is not None:  # only possible when the text really is an id / uri / link
        assert found in text
        assert len(found) == 22
        assert set(found) <= set(BASE62)


def test_near_misses_are_rejected() -> None:
    good = "4uLU6hMCjMI75M1A2tKUQC"
    for junk in (
        good + "x",
        good[:-1] + "!",
        f"https://evil.example/track/{good}",
        f"https://open.spotify.com.evil.example/track/{good}",
        f"spotify:track:{good}:extra",
        f"{good} {good}",
        "",
        None,
    ):
        assert parse_track_id(junk) is None, junk


def test_parse_id_text_reports_lines_duplicates_and_local_files() -> None:
    a, b = "4uLU6hMCjMI75M1A2tKUQC", "7ouMYWpwJ422jRcDASZB7P"
    text = f"{a}, spotify:track:{b}\nnonsense\n\nhttps://open.spotify.com/intl-fr/track/{a}?si=1\nspotify:local:A:B:C:200"
    parsed = parse_id_text(text)
    assert parsed.ids == [a, b]
    assert parsed.invalid == [(2, "nonsense")]
    assert parsed.duplicates == 1
    assert parsed.local_files == 1
    assert is_local_uri("spotify:local:Artist:Album:Title:180")


def test_parse_id_text_caps_ids() -> None:
    many = "\n".join(f"{i:022d}" for i in range(30))
    assert len(parse_id_text(many, max_ids=10).ids) == 10
