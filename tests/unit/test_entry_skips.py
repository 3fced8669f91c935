"""Every entry of a feed becomes a message or is counted under a skip reason. An entry with
no link that can be fetched still becomes a message when the feed has its text and a guid:
an article of the feed's text, never fetched."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace

import pytest

from ingest.canonical_url import article_id, canonical_url
from ingest.entries import entry_messages, entry_outcome, feed_entry_url, skip_summary
from ingest.extract_stage import ExtractStage
from ingest.feeds import FeedConfig
from ingest.fetching import FetchResponse
from ingest.parse import FeedEntry
from schemas.contracts import problems
from schemas.topics import Topics
from tests.fakes import record

FEED = FeedConfig("https://news.example.org/rss", "Example News", language="en")
SEEN_AT = "2026-11-29T07:41:03.512Z"
TEXT = "<p>The port authority lifted the closure on Sunday morning, after a week of storms.</p>"
MARKUP_WITHOUT_WORDS = "<p><img src='x.png'></p>&nbsp;"


def _entry(link: str | None, guid: str | None = "g-1", **text: str | None) -> FeedEntry:
    return FeedEntry(
        link=link,
        title="Harbour reopens",
        guid=guid,
        summary=text.get("summary"),
        content=text.get("content"),
        published=None,
        updated=None,
    )


# (name, entry, the skip reason or "fetched" or "feed text")
CASES = [
    ("http-link", _entry("https://news.example.org/a?utm_source=rss"), "fetched"),
    ("http-link-without-text-or-guid", _entry("http://news.example.org/a", guid=None), "fetched"),
    ("no-link-with-guid-and-summary", _entry(None, summary=TEXT), "feed text"),
    ("no-link-with-guid-and-content", _entry(None, content=TEXT), "feed text"),
    ("javascript-link-with-text", _entry("javascript:void(0)", summary=TEXT), "feed text"),
    ("no-link", _entry(None), "no_link"),
    ("blank-link-no-text", _entry("   "), "no_link"),
    ("no-link-text-but-no-guid", _entry(None, guid=None, summary=TEXT), "no_link"),
    ("no-link-markup-but-no-words", _entry(None, summary=MARKUP_WITHOUT_WORDS), "no_link"),
    ("javascript-link", _entry("javascript:void(0)"), "unsupported_link_scheme"),
    ("data-link", _entry("data:text/html,<p>hi</p>"), "unsupported_link_scheme"),
    ("file-link", _entry("file:///etc/passwd"), "unsupported_link_scheme"),
    ("mailto-link", _entry("mailto:desk@news.example.org"), "unsupported_link_scheme"),
    ("relative-link", _entry("world/harbour"), "invalid_link"),
    ("http-without-host", _entry("http:///harbour"), "invalid_link"),
    ("bad-port", _entry("https://news.example.org:99999/a"), "invalid_link"),
    ("malformed-ipv6-host", _entry("http://[::1/a"), "invalid_link"),
]


@pytest.mark.parametrize(("entry", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_entry_is_a_message_or_a_skip_reason(entry: FeedEntry, expected: str) -> None:
    outcome = entry_outcome(FEED, entry, None, SEEN_AT)
    if expected not in ("fetched", "feed text"):
        assert outcome == expected
        return
    assert isinstance(outcome, dict)
    assert problems("entry.v1", outcome) == []
    assert outcome["entry_url"] == (entry.link or "")
    if expected == "fetched":
        assert "fetch" not in outcome
        assert outcome["url"] == canonical_url(entry.link or "")
    else:
        assert outcome["fetch"] is False
        assert outcome["url"] == feed_entry_url(FEED.url, "g-1")
    assert outcome["article_id"] == article_id(outcome["url"])


def test_an_entry_without_a_link_is_known_by_its_feed_and_guid() -> None:
    one = entry_outcome(FEED, _entry(None, guid="urn:x:1 /?#", summary=TEXT), None, SEEN_AT)
    again = entry_outcome(FEED, _entry(None, guid="urn:x:1 /?#", summary=TEXT), None, SEEN_AT)
    other_guid = entry_outcome(FEED, _entry(None, guid="urn:x:2", summary=TEXT), None, SEEN_AT)
    other_feed = replace(FEED, url="https://other.example.org/rss")
    same_guid_elsewhere = entry_outcome(
        other_feed, _entry(None, guid="urn:x:1 /?#", summary=TEXT), None, SEEN_AT
    )
    assert isinstance(one, dict) and isinstance(again, dict)
    assert isinstance(other_guid, dict) and isinstance(same_guid_elsewhere, dict)
    assert one["article_id"] == again["article_id"]
    ids = {one["article_id"], other_guid["article_id"], same_guid_elsewhere["article_id"]}
    assert len(ids) == 3
    # Never the id of a page: the feed's own URL, or any URL the guid might spell.
    assert one["url"] == "https://news.example.org/rss#entry=urn%3Ax%3A1%20%2F%3F%23"
    assert one["article_id"] not in {article_id(canonical_url(FEED.url)), article_id("urn:x:1")}


def test_a_batch_counts_what_it_skipped_by_reason() -> None:
    entries = [
        _entry("https://news.example.org/a"),
        _entry("https://news.example.org/a#comments"),  # the same article again
        _entry(None, summary=TEXT),
        _entry(None, guid="g-2"),
        _entry(None, guid=None),
        _entry("javascript:void(0)"),
        _entry("http://[::1/a"),
    ]
    batch = entry_messages(FEED, entries, "en", SEEN_AT)
    assert len(batch.messages) == 2 and batch.messages.keys() == batch.fingerprints.keys()
    assert batch.skipped == Counter(
        no_link=2, unsupported_link_scheme=1, invalid_link=1, duplicate_in_feed=1
    )
    assert sum(batch.skipped.values()) + len(batch.messages) == len(entries)
    assert batch.skipped_summary() == (
        "duplicate_in_feed=1 invalid_link=1 no_link=2 unsupported_link_scheme=1"
    )


def test_an_empty_skip_summary() -> None:
    assert skip_summary(Counter()) == ""


@dataclass
class NeverFetch:
    started: list[str] = field(default_factory=list)

    def start(self, url: str) -> str:
        self.started.append(url)
        return url

    def result(self, started: str) -> FetchResponse:
        raise AssertionError(f"fetched {started}")

    def close(self) -> None:
        pass


def test_the_extract_stage_makes_an_unfetchable_entry_an_article_of_the_feed_text() -> None:
    message = entry_outcome(FEED, _entry("javascript:void(0)", content=TEXT), "en", SEEN_AT)
    assert isinstance(message, dict)
    entry = json.loads(json.dumps(message))
    pages = NeverFetch()
    [outcome] = ExtractStage(pages, Topics()).handle_batch([(entry, record(b"{}"))])
    assert pages.started == []
    assert isinstance(outcome, list)
    article = json.loads(outcome[0].value)
    assert problems("article.v1", article) == []
    assert (article["article_id"], article["body_source"]) == (
        message["article_id"],
        "feed_content",
    )
    assert article["fetched_url"] is None and "robots_disallowed" not in article
    assert "lifted the closure" in article["body"]
