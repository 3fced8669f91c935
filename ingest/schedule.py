"""When to poll a feed next (pure): the adaptive interval, the feed's pace, the server's
own hints, bounds, backoff on errors, and jitter so that feeds added together do not stay in
step.

next = clamp(max(min(adaptive, pace limit), feed <ttl> or sy:updatePeriod, Cache-Control
max-age, Expires, Retry-After), min, max) * jitter — the server's hints can only lengthen
the wait, never make us poll faster than our own interval. The pace limit
(ingest/pace.py) only shortens it: the wait in which the feed fills half its window. Right
after a probable gap the next poll is as soon as the bounds allow, whatever the feed's
TTL and cache headers say (a Retry-After is still obeyed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from schemas.timestamps import parse_iso
from workers.backoff import backoff_delay_s

GONE_PROBE_S = 7 * 24 * 3600.0  # a 410 feed is muted, yet probed weekly: never silently dead
ERROR_CAP_S = 6 * 3600.0


@dataclass(frozen=True)
class Bounds:
    min_s: float
    max_s: float

    def clamp(self, seconds: float) -> float:
        return min(self.max_s, max(self.min_s, seconds))


def adapt_interval(interval_s: float, new: int, total: int, bounds: Bounds) -> float:
    """Shorter when a poll brought new entries (more so the larger their share), longer by a
    quarter when it brought none: the interval follows how often the feed really changes."""
    if total and new:
        return bounds.clamp(interval_s * (1.0 - 0.5 * new / total))
    return bounds.clamp(interval_s * 1.25)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _until(http_date: str | None, now: datetime) -> float | None:
    if not http_date:
        return None
    try:
        return (parsedate_to_datetime(http_date) - now).total_seconds()
    except (TypeError, ValueError):
        return None


def retry_after_s(headers: Mapping[str, str], now: datetime) -> float | None:
    """Retry-After: seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    retry = headers.get("retry-after")
    return _seconds(retry) if retry and retry.strip().isdigit() else _until(retry, now)


def server_hint_s(headers: Mapping[str, str], now: datetime) -> float | None:
    """The longest wait the response asks for: Retry-After, Cache-Control max-age (RFC 9111
    section 5.2.2.1), Expires."""
    hints = [retry_after_s(headers, now)]
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age":
            hints.append(_seconds(value.strip('"')))
    hints.append(_until(headers.get("expires"), now))
    found = [h for h in hints if h is not None and h > 0]
    return max(found) if found else None


def next_poll_s(
    *,
    interval_s: float,
    bounds: Bounds,
    status: str,
    errors: int,
    headers: Mapping[str, str],
    feed_ttl_s: float | None,
    now: datetime,
    jitter: float,
    pace_s: float | None = None,
    after_gap: bool = False,
) -> float:
    """`jitter` in [0, 1): the delay is spread over +-10 % of its value. `pace_s`: the pace
    limit, None when the pace bounds nothing; `after_gap`: this poll found a probable gap."""
    if status == "gone":
        return GONE_PROBE_S
    hint = server_hint_s(headers, now)
    if status == "error":
        wait = backoff_delay_s(errors - 1, interval_s, ERROR_CAP_S, jitter)
        return max(wait, hint or 0.0)  # 429/503 with Retry-After: never sooner than asked
    if after_gap:
        wanted = max(bounds.min_s, retry_after_s(headers, now) or 0.0)
    else:
        own = interval_s if pace_s is None else min(interval_s, pace_s)
        wanted = max(own, feed_ttl_s or 0.0, hint or 0.0)
    return bounds.clamp(wanted) * (0.9 + 0.2 * jitter)


def unconditional_due(last_full_fetch_at: str | None, now: datetime, every_s: float) -> bool:
    """Whether to fetch without validators this time. Some servers answer 304 to every
    conditional GET, changed or not (a stale ETag behind a cache); a full fetch now and then
    bounds how long such a feed can look unchanged. Never fetched in full: due."""
    if every_s <= 0:
        return False
    if not last_full_fetch_at:
        return True
    try:
        return (now - parse_iso(last_full_fetch_at)).total_seconds() >= every_s
    except ValueError:
        return True
