"""Every feed of the shared data folder through our parse path: no crash, and every failure a
clear per-feed error. Runs when ../shared/data is beside the checkout (as on the project's
machines and in CI); the folder is never copied into the repository."""

from __future__ import annotations

import tarfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.parse import FeedParseError, ParsedFeed, parse_feed

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "feeds"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"no shared feed data at {DATA}"),
]


def _cases() -> Iterator[tuple[str, bytes]]:
    with tarfile.open(DATA / "feedparser-cases" / "feedparser-cases.tar.gz") as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is not None:
                yield member.name, handle.read()
    for path in sorted((DATA / "real").rglob("*")):
        if path.is_file() and path.suffix.lower() in {
            ".xml",
            ".rss",
            ".atom",
            ".json",
            ".html",
            ".txt",
            "",
        }:
            yield str(path.relative_to(DATA)), path.read_bytes()


def test_every_shared_feed_parses_or_fails_as_a_per_feed_error() -> None:
    outcomes: Counter[str] = Counter()
    real_with_entries = 0
    for name, body in _cases():
        result = parse_feed(
            body, {"content-type": "application/xml"}, f"https://feeds.invalid/{name}"
        )
        assert isinstance(result, ParsedFeed | FeedParseError), name
        if isinstance(result, FeedParseError):
            assert result.reason, f"{name}: an error without a reason"
            outcomes["error"] += 1
        else:
            outcomes["with entries" if result.entries else "no entries"] += 1
            outcomes["warnings"] += result.warning is not None
            real_with_entries += name.startswith("real/") and bool(result.entries)
    print(f"\nshared feeds: {dict(outcomes)}, real feeds with entries: {real_with_entries}")
    # Most feedparser cases test one element and have no entry with a link; the real captured
    # feeds (about 200, a few of them deliberately not feeds) must nearly all give entries.
    assert real_with_entries >= 180
