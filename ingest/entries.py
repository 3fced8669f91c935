"""Feed entries -> entry messages (pure): identity, change detection, the message itself.

Every entry of a feed either becomes a message or is counted under a skip reason: none
vanishes without trace. An entry whose link cannot be fetched (none, javascript:, data:,
a malformed URL) still becomes a message when the feed carries its text and a guid to know
it by: its article is the feed's text, and it is never fetched.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit

from ingest.canonical_url import article_id, canonical_url
from ingest.feeds import FeedConfig
from ingest.parse import FeedEntry
from schemas.messages import EntryMessage

SkipReason = Literal[
    "no_link",  # no link, and no guid with a summary or content to stand in for the page
    "unsupported_link_scheme",  # javascript:, data:, file:, mailto:, ... and no text
    "invalid_link",  # not an absolute URL, a malformed or overlong http(s) one, and no text
    "duplicate_in_feed",  # the same article as an earlier entry of the same feed
]

_TAG = re.compile(r"<[^>]*>")
# Longer than any link browsers and servers take (RFC 9110 section 4.1 asks for at least
# 8,000 octets): a link this long is a feed's error or an attack, never an article.
MAX_LINK_CHARS = 16_384
# A guid longer than this names the entry by its hash in the URL that stands in for a link.
MAX_GUID_IN_URL_CHARS = 512


@dataclass(frozen=True)
class EntryBatch:
    """A feed's entries as messages, by article id in feed order, and what was skipped."""

    messages: dict[str, EntryMessage]
    fingerprints: dict[str, str]  # by article id, as entry_fingerprint gives them
    skipped: Counter[SkipReason]

    def skipped_summary(self) -> str:
        return skip_summary(self.skipped)


def skip_summary(skipped: Counter[SkipReason]) -> str:
    """The form feed health stores and status shows: "invalid_link=1 no_link=2"."""
    return " ".join(f"{reason}={skipped[reason]}" for reason in sorted(skipped) if skipped[reason])


def entry_fingerprint(entry: FeedEntry) -> str:
    """Changes when the feed says the entry changed: a new title, summary or updated time."""
    parts = (
        entry.guid or "",
        entry.link or "",
        entry.title,
        entry.updated or "",
        entry.summary or "",
    )
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Unfetchable:
    """Why a link cannot be fetched: the skip reason, should the entry have no text."""

    reason: SkipReason


def fetchable_url(link: str | None) -> str | Unfetchable:
    """The canonical http(s) URL of the link, or why there is none to fetch."""
    if link is None or not link.strip():
        return Unfetchable("no_link")
    if len(link) > MAX_LINK_CHARS:
        return Unfetchable("invalid_link")
    try:
        scheme = urlsplit(link.strip()).scheme.lower()
        if scheme and scheme not in ("http", "https"):
            return Unfetchable("unsupported_link_scheme")
        # InvalidUrl is a ValueError, as is urlsplit's refusal of a malformed IPv6 host.
        return canonical_url(link)
    except ValueError:
        return Unfetchable("invalid_link")


def has_text(entry: FeedEntry) -> bool:
    """A guid to know the entry by, and a summary or content with words in it: what the
    extract stage can make an article of without a page (ingest/extract.py choose_body)."""
    if entry.guid is None or not entry.guid.strip():
        return False
    texts = (entry.content, entry.summary)
    return any(value and html.unescape(_TAG.sub(" ", value)).split() for value in texts)


def feed_entry_url(feed_url: str, guid: str) -> str:
    """The URL that names an entry without a fetchable link: the feed's canonical URL with
    the guid as its fragment. Unique within the feed, stable across polls, and never equal
    to a canonical page URL (those never have a fragment), so its article id is distinct from
    every id derived from a page URL."""
    try:
        base = canonical_url(feed_url)
    except ValueError:
        base = feed_url.strip()
    name = guid.strip()
    if len(name) > MAX_GUID_IN_URL_CHARS:
        name = "blake2b-" + hashlib.blake2b(name.encode("utf-8"), digest_size=16).hexdigest()
    return f"{base}#entry={quote(name, safe='')}"


def entry_outcome(
    feed: FeedConfig, entry: FeedEntry, feed_language: str | None, seen_at: str
) -> EntryMessage | SkipReason:
    """The entry's message, or why it was skipped."""
    found = fetchable_url(entry.link)
    if isinstance(found, Unfetchable) and not has_text(entry):
        return found.reason
    fetch = isinstance(found, str)
    url = found if isinstance(found, str) else feed_entry_url(feed.url, entry.guid or "")
    message: EntryMessage = {
        "schema_version": 1,
        "article_id": article_id(url),
        "url": url,
        "entry_url": (entry.link or "")[:MAX_LINK_CHARS],
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
    if not fetch:
        message["fetch"] = False
    return message


def entry_messages(
    feed: FeedConfig, entries: Iterable[FeedEntry], feed_language: str | None, seen_at: str
) -> EntryBatch:
    """Every entry of one poll of a feed: its message, or a count under its skip reason.
    When two entries are one article, the first (the feed's newest, usually) is kept."""
    messages: dict[str, EntryMessage] = {}
    fingerprints: dict[str, str] = {}
    skipped: Counter[SkipReason] = Counter()
    for entry in entries:
        outcome = entry_outcome(feed, entry, feed_language, seen_at)
        if isinstance(outcome, str):
            skipped[outcome] += 1
        elif outcome["article_id"] in messages:
            skipped["duplicate_in_feed"] += 1
        else:
            messages[outcome["article_id"]] = outcome
            fingerprints[outcome["article_id"]] = entry_fingerprint(entry)
    return EntryBatch(messages, fingerprints, skipped)
