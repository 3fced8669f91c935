"""Feed discovery from a homepage (pure): which URLs may be feeds, in the order to try them.

1. `<link rel="alternate">` with a feed media type in the page's head: the site says so
   (the RSS autodiscovery convention, and JSON Feed's application/feed+json).
2. Links in the page whose address looks like a feed (…/feed, …/rss.xml, …atom…).
3. The paths CMSs serve feeds at (WordPress /feed, Blogger /feeds/posts/default, ...).
The caller fetches each candidate and keeps those that parse as feeds with entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "text/xml",
        "application/xml",
    }
)
_FEEDISH = re.compile(r"(?:/feed/?$|/rss/?$|rss\.xml$|atom\.xml$|feed\.xml$|\.rss$|/atom/?$)", re.I)
COMMON_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/posts/default",
    "/feed.json",
)


@dataclass(frozen=True)
class Candidate:
    url: str
    title: str | None
    how: str  # declared | linked | common_path


def feed_candidates(html: bytes, page_url: str) -> list[Candidate]:
    """Every candidate once, the page's own declarations first."""
    found: dict[str, Candidate] = {}
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        root = None
    if root is not None:
        for link in root.iter("link"):
            rel = (link.get("rel") or "").lower().split()
            kind = (link.get("type") or "").lower().split(";")[0].strip()
            if "alternate" in rel and kind in FEED_TYPES and link.get("href"):
                _add(
                    found,
                    urljoin(page_url, link.get("href").strip()),
                    link.get("title"),
                    "declared",
                )
        for anchor in root.iter("a"):
            href = (anchor.get("href") or "").strip()
            if href and _FEEDISH.search(urlsplit(href).path):
                url = urljoin(page_url, href)
                if _same_site(url, page_url):
                    _add(found, url, (anchor.text_content() or "").strip() or None, "linked")
    for path in COMMON_PATHS:
        _add(found, urljoin(page_url, path), None, "common_path")
    return list(found.values())


def _add(found: dict[str, Candidate], url: str, title: str | None, how: str) -> None:
    if urlsplit(url).scheme in ("http", "https") and url not in found:
        found[url] = Candidate(url, title.strip() if title else None, how)


def _same_site(url: str, page_url: str) -> bool:
    return urlsplit(url).hostname == urlsplit(page_url).hostname
