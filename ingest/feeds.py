"""The feeds file (TOML): which feeds to poll, and per-feed options.

[[feed]]
url = "https://news.example.org/rss.xml"
outlet = "Example News"
language = "en"          # hint for short texts; optional
tags = ["region:north"]  # passed through to the articles; optional
enabled = true           # optional, default true
robots_txt = true        # optional, default true: obey the site's robots.txt for its pages
                         # (and for the feed's older pages, read after a probable gap)
min_interval_s = 60      # optional: this feed's own bounds on its polling interval
max_interval_s = 3600
page_param = "page"      # optional: the query parameter that numbers the feed's older pages,
                         # for a CMS that pages its feeds by number (ingest/paging.py)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from ingest.canonical_url import InvalidUrl, canonical_url
from workers.errors import ConfigFileError


class FeedsFileError(ConfigFileError):
    """Every problem found in a feeds file, reported at once."""


@dataclass(frozen=True)
class FeedConfig:
    url: str
    outlet: str
    language: str | None = None
    tags: tuple[str, ...] = field(default=())
    enabled: bool = True
    min_interval_s: float | None = None  # None: the poller's poll_min_interval_s
    max_interval_s: float | None = None
    robots_txt: bool = True  # False: fetch this feed's pages even where robots.txt says no
    page_param: str | None = None  # None: paging as the feed itself says (ingest/paging.py)


def _feed(index: int, raw: Any, problems: list[str]) -> FeedConfig | None:
    where = f"feed #{index + 1}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: not a table")
        return None
    url, outlet = raw.get("url"), raw.get("outlet")
    if not isinstance(url, str):
        problems.append(f"{where}: url is missing")
        return None
    try:
        canonical_url(url)
    except InvalidUrl as exc:
        problems.append(f"{where}: {exc}")
        return None
    if not isinstance(outlet, str) or not outlet.strip():
        problems.append(f"{where} ({url}): outlet is missing")
        return None
    unknown = set(raw) - {
        "url",
        "outlet",
        "language",
        "tags",
        "enabled",
        "min_interval_s",
        "max_interval_s",
        "robots_txt",
        "page_param",
    }
    if unknown:
        problems.append(f"{where} ({url}): unknown keys {sorted(unknown)}")
    return FeedConfig(
        url=url,
        outlet=outlet.strip(),
        language=raw.get("language"),
        tags=tuple(raw.get("tags", ())),
        enabled=bool(raw.get("enabled", True)),
        min_interval_s=_seconds(raw.get("min_interval_s"), where, problems),
        max_interval_s=_seconds(raw.get("max_interval_s"), where, problems),
        robots_txt=bool(raw.get("robots_txt", True)),
        page_param=_page_param(raw.get("page_param"), where, problems),
    )


_PARAM_NAME = re.compile(r"[A-Za-z0-9_.~-]+")  # RFC 3986 unreserved characters: no = & # ?


def _page_param(value: object, where: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and _PARAM_NAME.fullmatch(value.strip()):
        return value.strip()
    problems.append(f"{where}: page_param is a query parameter's name, not {value!r}")
    return None


def _seconds(value: object, where: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    problems.append(f"{where}: intervals are positive numbers of seconds, not {value!r}")
    return None


def parse_feeds(text: str, path: Path) -> list[FeedConfig]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeedsFileError(path, [f"not valid TOML: {exc}"]) from exc
    problems: list[str] = []
    feeds = [f for i, raw in enumerate(data.get("feed", [])) if (f := _feed(i, raw, problems))]
    if problems:
        raise FeedsFileError(path, problems)
    return [f for f in feeds if f.enabled]


def load_feeds(path: Path) -> list[FeedConfig]:
    return parse_feeds(path.read_text(encoding="utf-8"), path)


def feeds_toml(feeds: list[FeedConfig]) -> str:
    """The feeds file for these feeds (optional keys written only when set)."""
    tables = []
    for feed in feeds:
        table: dict[str, object] = {"url": feed.url, "outlet": feed.outlet}
        if feed.language:
            table["language"] = feed.language
        if feed.tags:
            table["tags"] = list(feed.tags)
        if not feed.enabled:
            table["enabled"] = False
        if not feed.robots_txt:
            table["robots_txt"] = False
        if feed.min_interval_s is not None:
            table["min_interval_s"] = feed.min_interval_s
        if feed.max_interval_s is not None:
            table["max_interval_s"] = feed.max_interval_s
        if feed.page_param:
            table["page_param"] = feed.page_param
        tables.append(table)
    return tomli_w.dumps({"feed": tables})


def merge_feeds(existing: list[FeedConfig], new: list[FeedConfig]) -> tuple[list[FeedConfig], int]:
    """Existing feeds first, then the new ones whose canonical URL is not there yet."""
    seen = {canonical_url(f.url) for f in existing}
    added = []
    for feed in new:
        key = canonical_url(feed.url)
        if key not in seen:
            seen.add(key)
            added.append(feed)
    return [*existing, *added], len(added)
