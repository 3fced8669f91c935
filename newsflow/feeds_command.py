"""`newsflow feeds list | import-opml FILE | export-opml [FILE]`."""

from __future__ import annotations

from pathlib import Path

from ingest.feeds import FeedConfig, feeds_toml, load_feeds, merge_feeds
from ingest.opml import feeds_from_opml, opml_from_feeds


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
