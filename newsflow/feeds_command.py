"""`newsflow feeds list | import-opml FILE | export-opml [FILE] | discover URL [--add]`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.discovery import Candidate, feed_candidates
from ingest.feeds import FeedConfig, feeds_toml, load_feeds, merge_feeds
from ingest.fetching import Fetch, FetchFailure
from ingest.opml import feeds_from_opml, opml_from_feeds
from ingest.parse import ParsedFeed, parse_feed


@dataclass(frozen=True)
class FoundFeed:
    url: str  # after redirects
    title: str | None
    language: str | None
    entries: int
    how: str


def discover(page_url: str, fetch: Fetch) -> list[FoundFeed] | str:
    """The feeds a homepage declares or links to, each fetched and parsed; the common CMS
    paths only when the page names none. A string says why nothing could be tried."""
    page = fetch(page_url)
    if isinstance(page, FetchFailure):
        return f"{page_url}: {page.kind}: {page.reason}"
    candidates = feed_candidates(page.body, page.url)
    named = [c for c in candidates if c.how != "common_path"]
    found = _feeds_among(named, fetch)
    return found or _feeds_among([c for c in candidates if c.how == "common_path"], fetch)


def _feeds_among(candidates: list[Candidate], fetch: Fetch) -> list[FoundFeed]:
    found: dict[str, FoundFeed] = {}
    for candidate in candidates:
        response = fetch(candidate.url)
        if isinstance(response, FetchFailure) or response.url in found:
            continue
        parsed = parse_feed(response.body, response.headers, response.url)
        if isinstance(parsed, ParsedFeed) and parsed.entries:
            title = parsed.title or candidate.title
            count = len(parsed.entries)
            found[response.url] = FoundFeed(
                response.url, title, parsed.language, count, candidate.how
            )
    return list(found.values())


def discover_lines(feeds_file: Path, page_url: str, fetch: Fetch, add: bool) -> list[str]:
    found = discover(page_url, fetch)
    if isinstance(found, str):
        return [found]
    if not found:
        return [f"no feed found at {page_url} (declared, linked or at the usual paths)"]
    lines = [f"{len(found)} feeds at {page_url}"]
    lines += [
        f"  {f.url}  {f.title or '(untitled)'}  {f.entries} entries  ({f.how})" for f in found
    ]
    if add:
        new = [
            FeedConfig(url=f.url, outlet=f.title or page_url, language=f.language) for f in found
        ]
        merged, added = merge_feeds(_current(feeds_file), new)
        feeds_file.write_text(feeds_toml(merged), encoding="utf-8")
        lines.append(f"{added} feeds added to {feeds_file} (already there: skipped)")
    return lines


def _current(feeds_file: Path) -> list[FeedConfig]:
    return load_feeds(feeds_file) if feeds_file.exists() else []


def list_lines(feeds_file: Path) -> list[str]:
    feeds = _current(feeds_file)
    lines = [f"{len(feeds)} feeds in {feeds_file}"]
    lines += [f"  {f.outlet:<28} {f.language or '--':<3} {f.url}" for f in feeds]
    return lines


def import_opml(feeds_file: Path, opml: Path) -> str:
    existing = _current(feeds_file)
    merged, added = merge_feeds(existing, feeds_from_opml(opml.read_bytes()))
    feeds_file.write_text(feeds_toml(merged), encoding="utf-8")
    return f"{added} feeds added to {feeds_file} ({len(merged)} in all; already there: skipped)"


def export_opml(feeds_file: Path) -> bytes:
    return opml_from_feeds(_current(feeds_file))
