"""A feed's pace (pure): how fast it publishes, whether a poll came too late to see all it
published, and how long the poller may wait before the feed's window overflows.

A feed lists only its newest N entries (its window). When more than N are published
between two polls, the oldest of them leave the window unseen. The poller cannot know
what it never saw, but it can see that it may have missed some: a poll whose entries are
all new to this feed (none of them listed by its last read), as many as the window held,
and none dated before the newest entry read before, did not reach back to the last read
(a *probable gap*). Whether an entry was seen through another feed does not matter here:
outlets list one story in several feeds. And the poller can keep such polls rare: wait no
longer than the time the feed takes, at its pace, to fill a share of its window.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas.timestamps import iso_utc

# The rate from polls is a count of new entries decaying with this time constant: a burst
# weighs for about an hour, then the feed's quiet brings the rate (and the polls) down.
RATE_HORIZON_S = 3600.0
# The wait before the next poll keeps the entries expected in it under this share of the
# window: room for a feed publishing faster than its pace so far.
WINDOW_SHARE = 0.5
GAP_MEMORY_S = 24 * 3600.0  # gaps shown by `newsflow status`: those of the last day
# The dates' rate is taken over at least the same hour: a window listing one burst alone
# would otherwise say the feed publishes at the burst's speed all the time.
MIN_DATED_SPAN_S = RATE_HORIZON_S
# An entry listed by the last read is known by this many hex digits of its article id:
# enough to tell a window's entries apart, small enough to keep every feed's last listing.
LISTING_KEY_HEX = 12


def listing_keys(article_ids: Iterable[str]) -> frozenset[str]:
    return frozenset(i[:LISTING_KEY_HEX] for i in article_ids)


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

    def period(self) -> str:
        """What the gap may have lost, for logs and status: the entries published between
        the newest read before and the oldest the poll found."""
        after, before = _iso(self.after), _iso(self.before)
        if after and before:
            return f"published {after}..{before}"
        if before:
            return f"published before {before}"
        return "undated"


def _iso(epoch_s: float | None) -> str:
    return "" if epoch_s is None else iso_utc(datetime.fromtimestamp(epoch_s, UTC))


@dataclass(frozen=True)
class FeedPace:
    """What the poller keeps of a feed's pace across polls and restarts. Times are seconds
    since the epoch: entries' dates are wall-clock times."""

    window: int = 0  # entries the feed listed when last read; 0: never read
    # The last poll that read the feed (a 200). A 304 changes nothing here: the rate from
    # the polls decays from this time, which comes to the same as decaying at every poll.
    read_at: float | None = None
    rate_per_s: float = 0.0  # new entries a second at read_at, from the polls (decaying)
    dated: int = 0  # entries with a date in the last read
    oldest: float | None = None  # the oldest of those dates
    newest: float | None = None  # the newest entry date ever read
    gaps: tuple[Gap, ...] = ()  # those of the last GAP_MEMORY_S, oldest first
    listed: frozenset[str] = field(default_factory=frozenset)  # listing_keys of the last read
    gaps_in_a_row: int = 0  # reads in a row that were probable gaps

    def rate_at(self, now: float) -> float:
        """New entries a second, by the polls or by the dates the feed lists, whichever says
        more: the listed dates see a burst the polls saw only the window of."""
        from_polls = self.rate_per_s
        if self.read_at is not None:
            from_polls *= math.exp(-max(0.0, now - self.read_at) / RATE_HORIZON_S)
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


def probable_gap(pace: FeedPace, article_ids: Collection[str], oldest: float | None) -> bool:
    """Whether a read listing these entries (the oldest dated `oldest`) may have missed
    some: none of them listed by the last read, at least as many as the window held then,
    and none dated before the newest entry read before. Never on a feed's first read
    (everything in it is new, and nothing was missed), nor when the feed was empty last
    time (no window known: its first entries are no gap)."""
    if pace.read_at is None or pace.window <= 0 or len(article_ids) < pace.window:
        return False
    if listing_keys(article_ids) & pace.listed:
        return False
    return not reaches_back(pace, oldest)


def reaches_back(pace: FeedPace, oldest: float | None) -> bool:
    """Whether a listing whose oldest entry is dated `oldest` goes back before the newest
    entry read before: then nothing between the two reads was pushed out unseen."""
    return oldest is not None and pace.newest is not None and oldest < pace.newest


def closes_gap(pace: FeedPace, article_ids: Collection[str], oldest: float | None) -> bool:
    """Whether an older page reaches back to the last read: it lists an entry the last read
    listed, or one dated before the newest entry read then."""
    return bool(listing_keys(article_ids) & pace.listed) or reaches_back(pace, oldest)


def _decayed_rate(pace: FeedPace, now: float, new: int) -> float:
    if pace.read_at is None:
        return 0.0  # a first read's entries were published over an unknown time
    elapsed = max(0.0, now - pace.read_at)
    return pace.rate_per_s * math.exp(-elapsed / RATE_HORIZON_S) + new / RATE_HORIZON_S


def after_read(
    pace: FeedPace,
    *,
    now: float,
    listed: Collection[str],
    new: int,
    dates: Iterable[float],
    gap: bool,
) -> FeedPace:
    """A poll that read the feed: the article ids its first page listed, how many entries
    were new over every page read, their dates (future dates are read as now: a wrong clock
    must not make the rate negative), and whether it was a probable gap left open."""
    known = sorted(min(d, now) for d in dates)
    found = Gap(now, after=pace.newest, before=known[0] if known else None) if gap else None
    gaps = tuple(g for g in pace.gaps if now - g.at < GAP_MEMORY_S)
    newest = [d for d in (pace.newest, *known[-1:]) if d is not None]
    return FeedPace(
        window=len(listed),
        read_at=now,
        rate_per_s=_decayed_rate(pace, now, new),
        dated=len(known),
        oldest=known[0] if known else None,
        newest=max(newest) if newest else None,
        gaps=(*gaps, found) if found else gaps,
        listed=listing_keys(listed),
        gaps_in_a_row=pace.gaps_in_a_row + 1 if gap else 0,
    )


def pace_fields(pace: FeedPace) -> dict[str, str]:
    """The pace as text fields (a Redis hash); gaps as "at:after:before" triples."""

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.3f}"

    return {
        "window": str(pace.window),
        "read_at": number(pace.read_at),
        "rate_per_s": repr(pace.rate_per_s),
        "dated": str(pace.dated),
        "oldest": number(pace.oldest),
        "newest": number(pace.newest),
        "gaps": " ".join(":".join(number(v) for v in (g.at, g.after, g.before)) for g in pace.gaps),
        "listed": " ".join(sorted(pace.listed)),
        "gaps_in_a_row": str(pace.gaps_in_a_row),
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
        rate_per_s=number("rate_per_s") or 0.0,
        dated=count("dated"),
        oldest=number("oldest"),
        newest=number("newest"),
        gaps=tuple(gaps),
        listed=frozenset(fields.get("listed", "").split()),
        gaps_in_a_row=count("gaps_in_a_row"),
    )
