"""Feed entries -> entry messages (pure): identity, change detection, the message itself."""

from __future__ import annotations

import hashlib

from ingest.canonical_url import InvalidUrl, article_id, canonical_url
from ingest.feeds import FeedConfig
from ingest.parse import FeedEntry
from schemas.messages import EntryMessage


def entry_fingerprint(entry: FeedEntry) -> str:
    """Changes when the feed says the entry changed: a new title, summary or updated time."""
    parts = (entry.guid or "", entry.link, entry.title, entry.updated or "", entry.summary or "")
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).hexdigest()


def entry_message(
    feed: FeedConfig, entry: FeedEntry, feed_language: str | None, seen_at: str
) -> EntryMessage | None:
    """None when the entry's link is not an http(s) URL (nothing we could fetch)."""
    try:
        url = canonical_url(entry.link)
    except InvalidUrl:
        return None
    return {
        "schema_version": 1,
        "article_id": article_id(url),
        "url": url,
        "entry_url": entry.link,
        "feed_url": feed.url,
        "outlet": feed.outlet,
        "guid": entry.guid,
        "title": entry.title,
        "summary": entry.summary,
        "content": entry.content,
        "published": entry.published or entry.updated,
        "language_hint": feed.language or feed_language,
        "feed_tags": list(feed.tags),
        "obey_robots_txt": feed.robots_txt,
        "seen_at": seen_at,
    }
