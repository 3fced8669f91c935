"""A feed's pace (pure): how fast it publishes, whether a poll came too late to see all it
published, and how long the poller may wait before the feed's window overflows.

A feed lists only its newest N entries (its window). When more than N are published
between two polls, the oldest of them leave the window unseen. The poller cannot know
what it never saw, but it can see that it may have missed some: a poll whose entries are
all new, as many as the window holds, found no entry it had seen before, so the window
did not reach back to the last poll (a *probable gap*). And it can keep such polls rare:
wait no longer than the time the feed takes, at its pace, to fill a share of its window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

# The rate from polls is a count of new entries decaying with this time constant: a burst
# weighs for about an hour, then the feed's quiet brings the rate (and the polls) down.
RATE_HORIZON_S = 3600.0
# The wait before the next poll keeps the entries expected in it under this share of the
# window: room for a feed publishing faster than its pace so far.
WINDOW_SHARE = 0.5
GAP_MEMORY_S = 24 * 3600.0  # gaps shown by `newsflow status`: those of the last day
# A span of dates shorter than this says nothing of a rate (one entry, or a burst listed
# alone): the dates' rate is taken over at least this long.
MIN_DATED_SPAN_S = 60.0


@dataclass(frozen=True)
class Gap:
    """A poll that may have missed entries: those published after `after` (the newest entry
    seen before) and before `before` (the oldest entry this poll found), when the feed
    dates its entries; None where it does not."""

    at: float  # when the poll found it, seconds since the epoch
    after: float | None
    before: float | None

    def may_hold(self, published: float) -> bool:
        """Whether an entry published then could be one this gap lost: both ends included,
        feeds date their entries to the second and bursts put several in one."""
        after = self.after if self.after is not None else -math.inf
        before = self.before if self.before is not None else self.at
        return after <= published <= before


@dataclass(frozen=True)
class FeedPace:
    """What the poller keeps of a feed's pace across polls and restarts. Times are seconds
    since the epoch: entries' dates are wall-clock times."""

    window: int = 0  # entries the feed listed when last read; 0: never read
    read_at: float | None = None  # the last poll that read the feed (a 200)
    polled_at: float | None = None  # the last poll, read or not (a 304 too)
    rate_per_s: float = 0.0  # new entries a second, from the polls (decaying count)
    dated: int = 0  # entries with a date in the last read
    oldest: float | None = None  # the oldest of those dates
    newest: float | None = None  # the newest entry date ever read
    gaps: tuple[Gap, ...] = ()  # those of the last GAP_MEMORY_S, oldest first

    def rate_at(self, now: float) -> float:
        """New entries a second, by the polls or by the dates the feed lists, whichever says
        more: the listed dates see a burst the polls saw only the window of."""
        from_polls = self.rate_per_s
        if self.polled_at is not None:
            from_polls *= math.exp(-max(0.0, now - self.polled_at) / RATE_HORIZON_S)
        from_dates = 0.0
        if self.dated and self.oldest is not None:
            from_dates = self.dated / max(MIN_DATED_SPAN_S, now - self.oldest)
        return max(from_polls, from_dates)

    def wait_limit_s(self, now: float) -> float | None:
        """The longest wait that keeps the entries expected before the next poll under a
        share of the window; None when nothing bounds it (never read, nothing published)."""
        rate = self.rate_at(now)
        if self.window <= 0 or rate <= 0:
            return None
        return WINDOW_SHARE * self.window / rate

    def recent_gaps(self, now: float) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if now - g.at < GAP_MEMORY_S)


def probable_gap(pace: FeedPace, listed: int, never_seen: int) -> bool:
    """Whether a poll that read `listed` entries, `never_seen` of them new to us, may have
    missed some: every entry new, and at least as many as the window held when last read.
    Never on a feed's first read (everything in it is new, and nothing was missed), nor
    when the feed was empty last time (no window known: its first entries are no gap)."""
    return pace.read_at is not None and pace.window > 0 and never_seen == listed >= pace.window


def _decayed_rate(pace: FeedPace, now: float, new: int) -> float:
    if pace.polled_at is None:
        return 0.0  # a first poll's entries were published over an unknown time
    elapsed = max(0.0, now - pace.polled_at)
    return pace.rate_per_s * math.exp(-elapsed / RATE_HORIZON_S) + new / RATE_HORIZON_S


def after_poll(pace: FeedPace, now: float) -> FeedPace:
    """A poll that read nothing new (a 304): time passed and nothing came."""
    return replace(pace, polled_at=now, rate_per_s=_decayed_rate(pace, now, 0))


def after_read(
    pace: FeedPace, *, now: float, listed: int, new: int, dates: Iterable[float], gap: bool
) -> FeedPace:
    """A poll that read the feed: `listed` entries, `new` of them never seen, the entries'
    dates (future dates are read as now: a wrong clock must not make the rate negative)."""
    known = sorted(min(d, now) for d in dates)
    found = Gap(now, after=pace.newest, before=known[0] if known else None) if gap else None
    gaps = tuple(g for g in pace.gaps if now - g.at < GAP_MEMORY_S)
    newest = [d for d in (pace.newest, *known[-1:]) if d is not None]
    return FeedPace(
        window=listed,
        read_at=now,
        polled_at=now,
        rate_per_s=_decayed_rate(pace, now, new),
        dated=len(known),
        oldest=known[0] if known else None,
        newest=max(newest) if newest else None,
        gaps=(*gaps, found) if found else gaps,
    )


def pace_fields(pace: FeedPace) -> dict[str, str]:
    """The pace as text fields (a Redis hash); gaps as "at:after:before" triples."""

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.3f}"

    return {
        "window": str(pace.window),
        "read_at": number(pace.read_at),
        "polled_at": number(pace.polled_at),
        "rate_per_s": repr(pace.rate_per_s),
        "dated": str(pace.dated),
        "oldest": number(pace.oldest),
        "newest": number(pace.newest),
        "gaps": " ".join(":".join(number(v) for v in (g.at, g.after, g.before)) for g in pace.gaps),
    }


def pace_from_fields(fields: Mapping[str, str]) -> FeedPace:
    """The pace `pace_fields` wrote; fields missing or unreadable read as unknown (a feed
    kept by an older version is read as never read: no gap can be claimed on it)."""

    def number(name: str) -> float | None:
        try:
            return float(fields[name]) if fields.get(name) else None
        except ValueError:
            return None

    def count(name: str) -> int:
        text = fields.get(name, "")
        return int(text) if text.isdigit() else 0

    gaps = []
    for triple in fields.get("gaps", "").split():
        parts = triple.split(":")
        try:
            at, after, before = (float(p) if p else None for p in parts)
        except ValueError:
            continue
        if at is not None:
            gaps.append(Gap(at, after, before))
    return FeedPace(
        window=count("window"),
        read_at=number("read_at"),
        polled_at=number("polled_at"),
        rate_per_s=number("rate_per_s") or 0.0,
        dated=count("dated"),
        oldest=number("oldest"),
        newest=number("newest"),
        gaps=tuple(gaps),
    )
