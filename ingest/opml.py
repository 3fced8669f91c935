"""OPML (the feed readers' exchange format) <-> feed configs (pure). Parsing goes through
defusedxml: an OPML file comes from elsewhere and may carry an entity-expansion bomb."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ingest.canonical_url import InvalidUrl, canonical_url
from ingest.feeds import FeedConfig


class OpmlError(ValueError):
    """Not an OPML document we can read."""


def feeds_from_opml(document: bytes) -> list[FeedConfig]:
    """Every outline with an http(s) xmlUrl, at any depth (folders are flattened)."""
    try:
        root = SafeET.fromstring(document)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise OpmlError(f"not readable OPML: {exc}") from exc
    feeds = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        try:
            canonical_url(url)
        except InvalidUrl:
            continue
        name = outline.get("title") or outline.get("text") or url
        language = outline.get("language") or None
        feeds.append(FeedConfig(url=url, outlet=name.strip(), language=language))
    return feeds


def opml_from_feeds(feeds: list[FeedConfig], title: str = "newsflow feeds") -> bytes:
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.outlet, "title": feed.outlet, "xmlUrl": feed.url}
        if feed.language:
            attributes["language"] = feed.language
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
