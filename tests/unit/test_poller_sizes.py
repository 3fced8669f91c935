"""A feed entry too big for a message: its text capped, or dead-lettered once with its id,
URL and size; its neighbours are sent once, and the feed keeps being polled."""

import json

from ingest.feeds import FeedConfig
from ingest.fetching import FetchResponse
from ingest.memory_feed_state import InMemoryFeedState
from ingest.poller import Poller
from ingest.text_caps import DEFAULT_MAX_BODY_BYTES
from schemas.contracts import problems
from schemas.topics import Topics
from tests.fakes import FakeSink, ScriptedFetch

FEED_URL = "http://feeds.example/rss"


def _item(name: str, description: str = "short", link: str | None = None) -> str:
    link = link if link is not None else f"https://example.org/{name}"
    return (
        f"<item><title>{name}</title><link>{link}</link><guid>{name}</guid>"
        f"<description>{description}</description></item>"
    )


def _feed(*items: str) -> FetchResponse:
    body = f'<rss version="2.0"><channel><title>X</title>{"".join(items)}</channel></rss>'
    return FetchResponse(200, FEED_URL, {}, body.encode())


def _poller(
    feed: FetchResponse,
    state: InMemoryFeedState,
    sink: FakeSink,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Poller:
    return Poller(
        feeds=[FeedConfig(FEED_URL, "Example")],
        fetch=ScriptedFetch({FEED_URL: feed}),
        state=state,
        sink=sink,
        topics=Topics(),
        interval_s=60,
        max_body_bytes=max_body_bytes,
    )


def _poll_twice(feed: FetchResponse, max_body_bytes: int) -> tuple[FakeSink, InMemoryFeedState]:
    sink, state = FakeSink(), InMemoryFeedState()
    poller = _poller(feed, state, sink, max_body_bytes=max_body_bytes)
    for _ in range(2):
        assert poller.poll_feed(poller.feeds[0]).status == "new_entries"
    return sink, state


def test_an_entry_with_two_megabytes_of_text_goes_out_once_capped() -> None:
    sink, state = _poll_twice(_feed(_item("a"), _item("big", "word " * 400_000)), 64 * 1024)
    entries = [json.loads(o.value) for o in sink.sent]
    assert [e["title"] for e in entries].count("a") == 1
    [big] = [e for e in entries if e["title"] == "big"]
    assert big["truncated"] is True and len(big["summary"].encode()) <= 64 * 1024
    assert all(problems("entry.v1", e) == [] for e in entries)
    assert len(state.seen) == 2


def test_an_entry_still_too_big_is_dead_lettered_once_and_remembered() -> None:
    # A guid of 5 MB: no text field to cap, so the entry cannot be sent.
    huge = _item("huge").replace("<guid>huge</guid>", f"<guid>{'g' * 5 * 1024 * 1024}</guid>")
    sink, state = _poll_twice(_feed(_item("a"), huge), 64 * 1024)
    topics = [o.topic for o in sink.sent]
    assert topics.count("news.entries.v1") == 1 and topics.count("news.dlq.v1") == 1
    [dead] = [json.loads(o.value) for o in sink.sent if o.topic == "news.dlq.v1"]
    assert (dead["stage"], dead["error_type"]) == ("poller", "too_large")
    assert dead["url"] == "https://example.org/huge" and dead["size_bytes"] > 5_000_000
    assert dead["source_topic"] == FEED_URL and dead["value_text"] is None
    assert problems("dead_letter.v1", dead) == []
    assert len(state.seen) == 2


def test_entries_with_nothing_to_fetch_and_no_text_are_counted_in_the_feed_health() -> None:
    sink, state = FakeSink(), InMemoryFeedState()
    feed = _feed(
        _item("a"),
        "<item><title>no link, no text</title></item>",
        _item("js", "", link="javascript:alert(1)"),
    )
    poller = _poller(feed, state, sink)
    poller.poll_and_log(poller.feeds[0])
    health = state.health[FEED_URL]
    assert health.skipped_entries == "no_link=1 unsupported_link_scheme=1"
    assert len(sink.sent) == 1


def test_a_link_of_megabytes_is_no_link_to_fetch() -> None:
    huge_link = "https://example.org/" + "p" * (5 * 1024 * 1024)
    sink, _ = _poll_twice(_feed(_item("a"), _item("huge", link=huge_link)), 64 * 1024)
    entries = [json.loads(o.value) for o in sink.sent]
    assert [o.topic for o in sink.sent] == ["news.entries.v1", "news.entries.v1"]
    [huge] = [e for e in entries if e["title"] == "huge"]
    assert huge["fetch"] is False and huge["url"].startswith(FEED_URL + "#entry=")
    assert len(huge["entry_url"]) <= 16_384
