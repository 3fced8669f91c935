"""Feed bytes -> entries (pure). feedparser gets bytes only, never a URL or a path.

feedparser treats a str as a URL, a file name or a document and may do I/O; wrapping the
bytes in BytesIO keeps parsing pure (feedparser's own docs advise it for untrusted input).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import feedparser

from ingest.json_feed import json_feed_items, looks_like_json_feed
from schemas.timestamps import from_struct_time


@dataclass(frozen=True)
class FeedEntry:
    link: str
    title: str
    guid: str | None
    summary: str | None
    content: str | None
    published: str | None
    updated: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    language: str | None
    entries: tuple[FeedEntry, ...]
    warning: str | None  # feedparser's bozo reason when entries were still found
    ttl_s: float | None = None  # how long the feed says it stays fresh (<ttl>, sy:update*)


@dataclass(frozen=True)
class FeedParseError:
    """The body is not a feed we can read: a per-feed error, never a crash."""

    reason: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _entry(raw: dict[str, Any]) -> FeedEntry | None:
    link = _text(raw.get("link"))
    if link is None:
        return None  # nothing to fetch and nothing to identify the article by
    contents = raw.get("content") or []
    content = _text(contents[0].get("value")) if contents else None
    return FeedEntry(
        link=link.strip(),
        title=(_text(raw.get("title")) or "").strip(),
        guid=_text(raw.get("id")),
        summary=_text(raw.get("summary")),
        content=content,
        # dict.get, not FeedParserDict.get: the latter maps a missing updated_parsed to
        # published_parsed with a DeprecationWarning (feedparser issue 310).
        published=from_struct_time(dict.get(raw, "published_parsed")),
        updated=from_struct_time(dict.get(raw, "updated_parsed")),
    )


def _json_feed(body: bytes) -> ParsedFeed | FeedParseError:
    read = json_feed_items(body)
    if isinstance(read, str):
        return FeedParseError(read)
    feed, items = read
    entries = tuple(
        FeedEntry(link=item["link"], title=item["title"] or "", guid=item["id"],
                  summary=item["summary"], content=item["content"],
                  published=item["published"], updated=item["updated"])
        for item in items if item["link"]
    )  # fmt: skip
    return ParsedFeed(title=feed["title"], language=feed["language"], entries=entries, warning=None)


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed | FeedParseError:
    if looks_like_json_feed(body):
        return _json_feed(body)
    response_headers = {k.lower(): v for k, v in headers.items()}
    response_headers["content-location"] = url  # base for relative links
    try:
        parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
    except Exception as exc:
        # feedparser 6.0.x raises UnicodeEncodeError on a character reference to a lone
        # surrogate (&#xD800;) in its lenient parser; found by tests/unit/test_fuzz.py.
        return FeedParseError(f"the feed parser failed on this body: {type(exc).__name__}: {exc}")
    entries = tuple(e for e in map(_entry, parsed.entries) if e is not None)
    reason = repr(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not entries and reason is not None:
        return FeedParseError(f"not a readable feed: {reason}")
    feed = parsed.get("feed", {})
    return ParsedFeed(
        title=_text(feed.get("title")),
        language=_text(feed.get("language")),
        entries=entries,
        warning=reason,
        ttl_s=feed_ttl_s(feed),
    )


SY_PERIOD_S = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}


def feed_ttl_s(feed: Mapping[str, Any]) -> float | None:
    """RSS 2.0 <ttl> (minutes), else the syndication module's updatePeriod / updateFrequency."""
    ttl = str(feed.get("ttl", "")).strip()
    if ttl.isdigit():
        return int(ttl) * 60.0
    period = SY_PERIOD_S.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period is None:
        return None
    frequency = str(feed.get("sy_updatefrequency", "1")).strip()
    return period / max(1, int(frequency)) if frequency.isdigit() else float(period)
