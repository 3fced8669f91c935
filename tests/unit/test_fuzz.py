"""Property-based fuzzing (hypothesis, bounded budget) of the functions that read untrusted
bytes and text: feed parsing, URL canonicalization, normalization, internal duplication."""

from __future__ import annotations

import json
import os
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.canonical_url import InvalidUrl, canonical_url
from ingest.parse import FeedParseError, ParsedFeed, parse_feed
from workers.dedupe.internal_duplication import internal_duplication
from workers.dedupe.normalize import normalize_paragraphs, normalize_text, tokens

# In CI the examples are fixed (derandomized), so a submission cannot fail on a new random
# draw; a developer's runs explore new ones and keep failures in .hypothesis/.
BUDGET = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
FEED_PIECES = st.sampled_from(
    [
        b"<?xml version='1.0'?>",
        b"<rss version='2.0'>",
        b"<channel>",
        b"<item>",
        b"</item>",
        b"<title>",
        b"</title>",
        b"<link>http://x.example/a</link>",
        b"<![CDATA[",
        b"]]>",
        b"&amp;",
        b"&bogus;",
        b"&#xD800;",
        b"\x00",
        b"\xff\xfe",
        b"<entry>",
        b"<feed xmlns='http://www.w3.org/2005/Atom'>",
    ]
)


@BUDGET
@given(st.lists(st.one_of(FEED_PIECES, st.binary(max_size=40)), max_size=30))
def test_any_bytes_parse_to_a_feed_or_a_per_feed_error(pieces: list[bytes]) -> None:
    result = parse_feed(b"".join(pieces), {}, "https://feeds.example/x")
    assert isinstance(result, ParsedFeed | FeedParseError)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
JSON_FEED_KEYS = st.sampled_from(
    [
        "title",
        "items",
        "language",
        "url",
        "id",
        "content_html",
        "content_text",
        "date_published",
        "date_modified",
        "external_url",
    ]
)


@BUDGET
@given(
    st.dictionaries(JSON_FEED_KEYS, JSON_VALUES, max_size=6),
    st.lists(st.dictionaries(JSON_FEED_KEYS, JSON_VALUES, max_size=6), max_size=4),
)
def test_any_json_feed_shape_parses_to_a_feed_or_a_per_feed_error(
    top: dict[str, object], items: list[dict[str, object]]
) -> None:
    document = {**top, "version": "https://jsonfeed.org/version/1.1"}
    if items:
        document["items"] = items
    body = json.dumps(document).encode()
    result = parse_feed(body, {}, "https://feeds.example/feed.json")
    assert isinstance(result, ParsedFeed | FeedParseError)
    if isinstance(result, ParsedFeed):
        assert all(entry.link is None or entry.link.strip() for entry in result.entries)


@BUDGET
@given(st.text(max_size=200))
def test_canonical_url_either_refuses_or_is_idempotent(text: str) -> None:
    try:
        once = canonical_url(text)
    except InvalidUrl:
        return
    assert canonical_url(once) == once


@BUDGET
@given(st.text(max_size=300))
def test_normalization_is_idempotent_and_agrees_across_paths(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert once.split() == tokens(text)
    assert normalize_paragraphs([text]) == [once]


@BUDGET
@given(
    st.lists(
        st.sampled_from(["a b c d e f g h i", "j k l m n o p q r", "short", "s t u v w x y z aa"]),
        max_size=25,
    )
)
def test_repair_keeps_first_occurrences_and_never_grows(paragraphs: list[str]) -> None:
    found = internal_duplication(paragraphs)
    assert len(found.repaired) == len(paragraphs) - len(found.repeats)
    assert all(p in paragraphs for p in found.repaired)
    assert internal_duplication(list(found.repaired)).repeats == ()


def test_an_entity_expansion_bomb_in_a_feed_is_bounded() -> None:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>'
        f'<rss version="2.0"><channel><title>&l9;</title></channel></rss>'
    ).encode()
    started = time.monotonic()
    result = parse_feed(bomb, {}, "https://feeds.example/bomb")
    assert time.monotonic() - started < 5
    assert isinstance(result, FeedParseError) or len(result.title or "") < 10_000_000
