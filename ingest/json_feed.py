"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/) -> feed entries (pure).

feedparser 6.0 reads the XML formats only, so JSON Feed gets its own small reader here:
the format is plain JSON with a handful of fields, no library needed beyond json.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from schemas.timestamps import iso_utc, parse_iso

VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json_feed(body: bytes) -> bool:
    """A JSON object whose start names a JSON Feed version: cheap, before any parsing."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b"jsonfeed.org/version/" in body[:4096]


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _when(value: Any) -> str | None:
    """RFC 3339 as the spec requires; anything else is dropped, not guessed."""
    if not isinstance(value, str):
        return None
    try:
        moment = parse_iso(value.strip())
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return iso_utc(moment.astimezone(UTC))


def json_feed_items(body: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]] | str:
    """(feed fields, item fields) in feedparser's vocabulary, or why it is not a JSON Feed."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"not JSON: {exc}"
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(VERSION_PREFIX):
        return "not a JSON Feed: no https://jsonfeed.org/version/ in `version`"
    items = data.get("items")
    if not isinstance(items, list):
        return "not a JSON Feed: `items` is not a list"
    feed = {
        "title": _text(data.get("title")),
        "language": _text(data.get("language")),
        "next_page": _text(data.get("next_url")),  # 1.1: the next page of older items
    }
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        guid = _text(item.get("id")) if not isinstance(item.get("id"), int) else str(item["id"])
        link = _text(item.get("url")) or _text(item.get("external_url"))
        if link is None and guid and guid.startswith(("http://", "https://")):
            link = guid  # 1.1: id may be the URL when url is absent
        entries.append(
            {
                "link": link,
                "id": guid,
                "title": _text(item.get("title")),
                "summary": _text(item.get("summary")),
                "content": _text(item.get("content_html")) or _text(item.get("content_text")),
                "published": _when(item.get("date_published")),
                "updated": _when(item.get("date_modified")),
            }
        )
    return feed, entries
