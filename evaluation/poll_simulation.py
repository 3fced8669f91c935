"""The poller in simulated time: the real Poller (schedule, pace, gap rule, paging, parsing)
polls a feed that lists only its newest `window` entries of a timeline, on a clock that
jumps from one poll to the next, with no network and no broker. What it tells: which
entries were never sent (lost), how many of those a reported gap accounts for, and how
many polls and older pages it took.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

from ingest.canonical_url import article_id
from ingest.feeds import FeedConfig
from ingest.fetching import FetchFailure, FetchResponse
from ingest.memory_feed_state import InMemoryFeedState
from ingest.pace import Gap
from ingest.politeness import HostLimiter
from ingest.poller import Poller
from schemas.records import OutRecord, RefusedRecord
from schemas.topics import Topics

FEED_URL = "https://feed.invalid/rss"


@dataclass
class SimulatedClock:
    now: float  # seconds since the epoch

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


@dataclass
class SimulatedFeed:
    """RSS of the newest `window` entries published by the clock's time (their dates in
    seconds since the epoch, sorted), pages of older ones behind RFC 5005 next links when
    `paged`."""

    published: Sequence[float]
    window: int
    clock: SimulatedClock
    paged: bool = False
    fetches: int = 0
    pages: int = 0

    def __call__(self, url: str, headers: Mapping[str, str]) -> FetchResponse | FetchFailure:
        page = int(parse_qs(urlsplit(url).query).get("page", ["1"])[0])
        self.fetches += 1
        self.pages += page > 1
        out = [i for i, when in enumerate(self.published) if when <= self.clock.now]
        newest_first = out[::-1][(page - 1) * self.window : page * self.window]
        more = len(out) > page * self.window
        return FetchResponse(200, url, {}, self.render(newest_first, page, more))

    def render(self, entries: Sequence[int], page: int, more: bool) -> bytes:
        items = "".join(
            f"<item><title>Entry {i}</title><link>https://feed.invalid/{i}</link>"
            f"<guid>entry-{i}</guid><description>Entry {i} of the timeline.</description>"
            f"<pubDate>{format_datetime(datetime.fromtimestamp(self.published[i], UTC))}"
            "</pubDate></item>"
            for i in entries
        )
        link = (
            f'<atom:link rel="next" href="{FEED_URL}?page={page + 1}"/>'
            if self.paged and more
            else ""
        )
        return (
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f"<title>Simulated</title>{link}{items}</channel></rss>"
        ).encode()


@dataclass
class CountingSink:
    """Keeps the keys (article ids) of what the poller sends; refuses nothing."""

    keys: set[str] = field(default_factory=set)

    def send(self, record: OutRecord) -> RefusedRecord | None:
        if record.key is not None:
            self.keys.add(record.key)
        return None

    def flush(self) -> list[RefusedRecord]:
        return []

    def commit(self) -> None:
        """Nothing to commit: every record counts once sent."""

    def abort(self) -> None:
        """Nothing to drop: the simulation sends nothing it takes back."""


@dataclass(frozen=True)
class Outcome:
    entries: int
    lost: int
    lost_in_gaps: int  # lost entries whose date a reported gap covers
    gaps: int
    polls: int
    pages: int  # older pages read

    @property
    def lost_share(self) -> float:
        return self.lost / self.entries if self.entries else 0.0


@dataclass(frozen=True)
class Schedule:
    interval_s: float = 300.0  # as newsflow's settings default
    min_s: float = 60.0
    max_s: float = 6 * 3600.0


def simulate(
    published: Sequence[float],
    window: int,
    *,
    watch_gaps: bool,
    paged: bool = False,
    schedule: Schedule = Schedule(),
    seed: int = 7,
) -> Outcome:
    """Polls from the time the feed first lists a full window (a feed added to newsflow in
    its life, not at its birth) until a poll after the last entry's."""
    times = sorted(published)
    clock = SimulatedClock(times[min(window, len(times)) - 1])
    feed = SimulatedFeed(times, window, clock, paged)
    state, sink = InMemoryFeedState(), CountingSink()
    poller = Poller(
        feeds=[FeedConfig(FEED_URL, "Simulated")],
        fetch=feed,
        state=state,
        sink=sink,
        topics=Topics(),
        interval_s=schedule.interval_s,
        min_interval_s=schedule.min_s,
        max_interval_s=schedule.max_s,
        unconditional_every_s=0,
        rng=random.Random(seed),
        hosts=HostLimiter(delay_s=0.0),
        watch_gaps=watch_gaps,
        clock=clock,
    )
    gaps: dict[float, Gap] = {}
    polls = 0
    quiet = logging.getLogger("ingest.poller")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # a line a poll, and a warning a gap: counted here instead
    try:
        while True:
            delay = poller.poll_and_log(poller.feeds[0])
            polls += 1
            for gap in state.pace(FEED_URL).gaps:
                gaps[gap.at] = gap
            if clock.now >= times[-1]:
                break
            clock.now += delay
    finally:
        quiet.setLevel(level)
    sent = sink.keys
    # Entries the feed no longer listed when it was added are none of the poller's losses.
    first = max(0, sum(t <= times[min(window, len(times)) - 1] for t in times) - window)
    ids = _article_ids(len(times))
    lost = [i for i in range(first, len(times)) if ids[i] not in sent]
    in_gaps = sum(any(g.may_hold(times[i]) for g in gaps.values()) for i in lost)
    return Outcome(len(times) - first, len(lost), in_gaps, len(gaps), polls, feed.pages)


def _article_ids(count: int) -> list[str]:
    """The article id the poller gives each entry of the timeline (from its link)."""
    return [article_id(f"https://feed.invalid/{i}") for i in range(count)]


def bursts(
    *, count: int, size: int, within_s: float, quiet_s: tuple[float, float], seed: int
) -> list[float]:
    """`count` bursts of `size` entries spread over `within_s` seconds, each after a quiet
    spell drawn uniformly from `quiet_s`; from 2026-01-05 00:00 UTC."""
    rng = random.Random(seed)
    now, times = datetime(2026, 1, 5, tzinfo=UTC).timestamp(), list[float]()
    for _ in range(count):
        now += rng.uniform(*quiet_s)
        times += [float(round(now + within_s * k / max(1, size - 1))) for k in range(size)]
        now += within_s
    return times


def steady(*, count: int, every_s: float, seed: int) -> list[float]:
    """An entry every `every_s` seconds, each moved by up to a third of that at random."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, tzinfo=UTC).timestamp()
    return sorted(
        float(round(start + k * every_s + rng.uniform(-every_s, every_s) / 3)) for k in range(count)
    )
