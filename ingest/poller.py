"""The feed poller: fetch each feed when due, send its new or changed entries to Kafka.

Order of effects for one feed: fetch -> parse -> (after a probable gap, older pages) -> send
new entries -> flush -> remember them as seen -> save validators and pace. A crash anywhere
before "remember" re-sends the entries on the next poll (at-least-once; downstream verdicts
are idempotent by article id), never loses them.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

import orjson

from ingest.entries import EntryBatch, entry_messages
from ingest.feed_health import FeedHealth, Unseen, Validators
from ingest.feeds import FeedConfig
from ingest.fetching import FetchFailure, FetchResponse
from ingest.pace import FeedPace, Gap, after_poll, after_read, probable_gap
from ingest.paging import next_page_url
from ingest.parse import FeedParseError, ParsedFeed, parse_feed
from ingest.politeness import HostLimiter, host_of
from ingest.schedule import Bounds, adapt_interval, next_poll_s, unconditional_due
from ingest.text_caps import DEFAULT_MAX_BODY_BYTES, cap_entry
from schemas.limits import cut_text, payload_bytes, too_large_reason
from schemas.messages import EntryMessage
from schemas.records import OutRecord, RefusedRecord
from schemas.timestamps import iso_utc, parse_iso
from schemas.topics import Topics
from workers.codec import encode, entry_dead_letter
from workers.errors import Interrupted, PoisonMessage, TransientError
from workers.telemetry import (
    DEAD_LETTERS,
    FEED_ENTRIES,
    FEED_ENTRIES_SKIPPED,
    FEED_GAPS,
    FEED_PAGES,
    FEED_POLLS,
)

logger = logging.getLogger(__name__)

FetchFeed = Callable[[str, Mapping[str, str]], FetchResponse | FetchFailure]


class FeedState(Protocol):
    def validators(self, feed_url: str) -> Validators: ...
    def save_validators(self, feed_url: str, validators: Validators) -> None: ...
    def unseen(self, fingerprints: dict[str, str]) -> Unseen: ...
    def mark_seen(self, fingerprints: dict[str, str]) -> None: ...
    def record_health(self, feed_url: str, health: FeedHealth) -> None: ...
    def pace(self, feed_url: str) -> FeedPace: ...
    def save_pace(self, feed_url: str, pace: FeedPace) -> None: ...


class Robots(Protocol):
    def allows(self, page_url: str) -> bool: ...


class EntrySink(Protocol):
    """As the worker loop's sink: a record refused for good comes back as a value."""

    def send(self, record: OutRecord) -> RefusedRecord | None: ...
    def flush(self) -> list[RefusedRecord]: ...


PollStatus = Literal["new_entries", "not_modified", "error", "gone"]


@dataclass(frozen=True)
class PollResult:
    feed_url: str
    status: PollStatus
    sent: int = 0
    error: str | None = None
    entries: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    ttl_s: float | None = None
    skipped_entries: str = ""  # by reason, as ingest/entries.py skip_summary writes them
    pace: FeedPace | None = None  # the feed's pace after this poll; None when unknown
    gap: Gap | None = None  # the probable gap this poll found (older pages did not close it)
    pages: int = 1  # pages of the feed read (more than 1 only to close a probable gap)


@dataclass(frozen=True)
class FeedToSend:
    """A fetch that gave a feed: its entries to send, then its validators to save."""

    parsed: ParsedFeed
    validators: Validators
    headers: Mapping[str, str]
    moved_to: str | None  # where a permanent redirect led this time, if it did


@dataclass(frozen=True)
class FeedRead:
    """What one poll read of a feed: its entries over the pages read, which of them were
    never seen, the ids listed on the first page, and the entries' dates."""

    batch: EntryBatch
    unseen: Unseen
    first_page_ids: frozenset[str]
    dates: tuple[float, ...]
    pages: int = 1
    visited: frozenset[str] = frozenset()
    gap: bool = False  # a probable gap that older pages did not close

    def with_page(
        self, url: str, batch: EntryBatch, unseen: Unseen, dates: tuple[float, ...]
    ) -> FeedRead:
        """This read and an older page's: a page's entries already read keep their first
        message (the newer page's)."""
        messages = batch.messages | self.batch.messages
        fingerprints = batch.fingerprints | self.batch.fingerprints
        extra = {i for i in batch.fingerprints if i not in self.batch.fingerprints}
        return replace(
            self,
            batch=EntryBatch(messages, fingerprints, self.batch.skipped + batch.skipped),
            unseen=Unseen(
                new=self.unseen.new | (unseen.new & extra),
                changed=self.unseen.changed | (unseen.changed & extra),
            ),
            dates=self.dates + dates,
            pages=self.pages + 1,
            visited=self.visited | {url},
        )


def _dates(parsed: ParsedFeed) -> tuple[float, ...]:
    """The entries' dates (published, else updated), seconds since the epoch."""
    found = []
    for entry in parsed.entries:
        if when := entry.published or entry.updated:
            try:
                found.append(parse_iso(when).timestamp())
            except ValueError:
                continue
    return tuple(found)


def gap_period(gap: Gap) -> str:
    """What a gap may have lost, for logs and status: the entries published between the
    newest seen before and the oldest the poll found."""
    after = iso_utc(datetime.fromtimestamp(gap.after, UTC)) if gap.after is not None else ""
    before = iso_utc(datetime.fromtimestamp(gap.before, UTC)) if gap.before is not None else ""
    if after and before:
        return f"published {after}..{before}"
    if before:
        return f"published before {before}"
    return "undated entries"


def decide_poll(
    feed_url: str, fetched: FetchResponse | FetchFailure, validators: Validators, now: datetime
) -> PollResult | FeedToSend:
    """What a fetch of a feed means: a result to record (not modified, gone, an error), or a
    feed whose entries are to be sent, with the validators to save once they are."""
    if isinstance(fetched, FetchFailure):
        return PollResult(feed_url, "error", error=f"{fetched.kind}: {fetched.reason}")
    if fetched.status == 304:
        return PollResult(feed_url, "not_modified", headers=fetched.headers)
    if fetched.status == 410:  # RFC 9110 15.5.11: gone for good
        return PollResult(feed_url, "gone", error="HTTP 410 Gone", headers=fetched.headers)
    if fetched.status != 200:
        return PollResult(
            feed_url, "error", error=f"HTTP {fetched.status}", headers=fetched.headers
        )
    parsed = parse_feed(fetched.body, fetched.headers, fetched.url)
    if isinstance(parsed, FeedParseError):
        return PollResult(feed_url, "error", error=parsed.reason)
    saved = Validators(
        etag=fetched.headers.get("etag"),
        last_modified=fetched.headers.get("last-modified"),
        moved_to=fetched.permanent_redirect or validators.moved_to,
        full_fetch_at=iso_utc(now),
    )
    return FeedToSend(parsed, saved, fetched.headers, fetched.permanent_redirect)


def request_headers(
    validators: Validators, now: datetime, unconditional_every_s: float
) -> dict[str, str]:
    """The conditional GET's headers, or none when an unconditional fetch is due (servers
    that answer 304 wrongly would otherwise hide new entries for good)."""
    if unconditional_due(validators.full_fetch_at, now, unconditional_every_s):
        return {}
    return validators.request_headers()


@dataclass
class Poller:
    feeds: Sequence[FeedConfig]
    fetch: FetchFeed
    state: FeedState
    sink: EntrySink
    topics: Topics
    interval_s: float
    stop: threading.Event = field(default_factory=threading.Event)
    min_interval_s: float = 60.0
    max_interval_s: float = 6 * 3600.0
    errors: dict[str, int] = field(default_factory=dict)
    last_success: dict[str, str] = field(default_factory=dict)
    intervals: dict[str, float] = field(default_factory=dict)  # adaptive, per feed
    paces: dict[str, FeedPace] = field(default_factory=dict)  # as last read or saved
    rng: random.Random = field(default_factory=random.Random)
    concurrency: int = 16
    hosts: HostLimiter = field(default_factory=HostLimiter)
    unconditional_every_s: float = 6 * 3600.0  # 0: never
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # an entry's summary and content each
    max_pages: int = 10  # pages of a feed read in one poll at most, the feed's own included
    robots: Robots | None = None  # robots.txt for the feeds' older pages; None: not read
    # False: the poller as it was before it watched for gaps: no gap rule, no older pages,
    # an interval that follows new entries only (evaluation/poll_simulation.py compares).
    watch_gaps: bool = True
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # The poll threads share the sink, whose flush judges every record sent since the last:
    # one feed's entries are sent and flushed at a time.
    _sending: threading.Lock = field(default_factory=threading.Lock)

    def poll_feed(self, feed: FeedConfig) -> PollResult:
        """Fetch, decide, and for a feed with entries: send the new ones, then save the
        validators (a crash before that fetches the feed whole again: nothing is lost)."""
        validators = self.state.validators(feed.url)
        pace = self.state.pace(feed.url)
        now = self.clock()
        headers = request_headers(validators, now, self.unconditional_every_s)
        feed_url = validators.moved_to or feed.url
        fetched = self.fetch(feed_url, headers)
        decided = decide_poll(feed.url, fetched, validators, now)
        if isinstance(decided, PollResult):
            if decided.status != "not_modified":
                return replace(decided, pace=pace)
            polled = after_poll(pace, now.timestamp())
            self.state.save_pace(feed.url, polled)
            return replace(decided, pace=polled)
        if decided.parsed.warning:
            logger.info(
                "feed parsed with warning feed=%s warning=%s", feed.url, decided.parsed.warning
            )
        if decided.moved_to:
            logger.info("feed moved feed=%s to=%s", feed.url, decided.moved_to)
        read = self._read_feed(feed, decided.parsed, fetched.url, pace)
        with self._sending:
            sent = self._send_new_entries(read)
        self.state.save_validators(feed.url, decided.validators)
        listed = len(read.first_page_ids)
        new_on_first_page = len(read.unseen.new & read.first_page_ids)
        read_pace = after_read(
            pace,
            now=now.timestamp(),
            listed=listed,
            new=len(read.unseen.new),
            dates=read.dates,
            gap=read.gap,
        )
        self.state.save_pace(feed.url, read_pace)
        gap = read_pace.gaps[-1] if read.gap else None
        if gap is not None:
            self._report_gap(feed, gap, listed, new_on_first_page)
        return PollResult(
            feed.url,
            "new_entries",
            sent=sent,
            entries=len(read.batch.messages),
            headers=decided.headers,
            ttl_s=decided.parsed.ttl_s,
            skipped_entries=read.batch.skipped_summary(),
            pace=read_pace,
            gap=gap,
            pages=read.pages,
        )

    def _read_feed(
        self, feed: FeedConfig, parsed: ParsedFeed, page_url: str, pace: FeedPace
    ) -> FeedRead:
        """The feed's entries, and which were never seen. When every entry of the first
        page is new and the page is as full as the feed was (a probable gap), the older
        pages the feed offers are read too, until one lists an entry seen before."""
        batch = entry_messages(feed, parsed.entries, parsed.language, iso_utc(self.clock()))
        self._count_skipped(feed, batch)
        unseen = self.state.unseen(batch.fingerprints)
        read = FeedRead(batch, unseen, frozenset(batch.fingerprints), _dates(parsed))
        if not self.watch_gaps or not probable_gap(pace, len(batch.fingerprints), len(unseen.new)):
            return read
        feed_url = page_url
        for page in range(1, self.max_pages):
            older = self._older_page(feed, parsed, page_url, feed_url, page, read.visited)
            if older is None:
                break
            page_url, parsed = older
            page_batch = entry_messages(
                feed, parsed.entries, parsed.language, iso_utc(self.clock())
            )
            page_unseen = self.state.unseen(page_batch.fingerprints)
            read = read.with_page(page_url, page_batch, page_unseen, _dates(parsed))
            if len(page_unseen.new) < len(page_batch.fingerprints):
                logger.info("feed gap closed by older pages feed=%s pages=%d", feed.url, read.pages)
                return replace(read, gap=False)
        return replace(read, gap=True)

    def _older_page(
        self,
        feed: FeedConfig,
        parsed: ParsedFeed,
        page_url: str,
        feed_url: str,
        page: int,
        visited: frozenset[str],
    ) -> tuple[str, ParsedFeed] | None:
        """The feed's page after `page`, fetched and parsed as the feed is (same fetcher:
        the same address guard and size caps), after the host's pause and only where
        robots.txt allows; None when there is none to read or it cannot be read."""
        url = next_page_url(parsed, page_url, feed_url, page, feed.page_param)
        if url is None or url in visited:
            return None
        if self.robots is not None and feed.robots_txt and not self.robots.allows(url):
            logger.info("feed page not read: robots.txt disallows it feed=%s url=%s", feed.url, url)
            return None
        if self.stop.wait(self.hosts.delay_s):  # as between any two requests to one host
            raise Interrupted(f"stopped before the older page {url} of {feed.url}")
        FEED_PAGES.inc()
        fetched = self.fetch(url, {})
        if isinstance(fetched, FetchFailure) or fetched.status != 200:
            why = fetched.reason if isinstance(fetched, FetchFailure) else f"HTTP {fetched.status}"
            logger.info("feed page not read feed=%s url=%s error=%s", feed.url, url, why)
            return None
        older = parse_feed(fetched.body, fetched.headers, fetched.url)
        if isinstance(older, FeedParseError):
            logger.info("feed page not read feed=%s url=%s error=%s", feed.url, url, older.reason)
            return None
        return fetched.url, older

    def _report_gap(self, feed: FeedConfig, gap: Gap, listed: int, new: int) -> None:
        FEED_GAPS.labels(feed.url).inc()
        logger.warning(
            "feed gap: entries may be missing feed=%s listed=%d new=%d missing=%s",
            feed.url,
            listed,
            new,
            gap_period(gap),
        )

    def _send_new_entries(self, read: FeedRead) -> int:
        """Send the entries not sent before (or changed), then remember them; how many were
        sent. An entry too big to send even with its text capped is dead-lettered and
        remembered like a sent one: it is not sent again on every poll."""
        batch, fresh = read.batch, read.unseen.to_send
        dead: list[str] = []  # the error types of the entries dead-lettered
        for i in fresh:
            message = cap_entry(batch.messages[i], self.max_body_bytes)
            record = encode(self.topics.entries, i, message, "entry.v1")
            too_large = too_large_reason(record)
            refused = (
                RefusedRecord(record, "too_large", too_large)
                if too_large is not None
                else self.sink.send(record)
            )
            if refused is not None:
                dead.append(self._dead_letter(message, refused))
        for refused in self.sink.flush():
            if refused.record.topic == self.topics.dead_letter:
                raise TransientError(f"the dead-letter topic refused a record: {refused.reason}")
            entry: EntryMessage = orjson.loads(refused.record.value)
            dead.append(self._dead_letter(entry, refused))
        self._flush_dead_letters()
        self.state.mark_seen({i: batch.fingerprints[i] for i in fresh})
        for error_type in dead:  # counted once delivered: a poll that fails is done again
            DEAD_LETTERS.labels("poller", error_type).inc()
        return len(fresh)

    def _dead_letter(self, entry: EntryMessage, refused: RefusedRecord) -> str:
        """The entry whose record was refused, sent to the dead-letter topic; its error type."""
        logger.warning(
            "entry dead-lettered feed=%s article_id=%s url=%s error_type=%s error=%s",
            entry["feed_url"],
            entry["article_id"],
            cut_text(entry["url"], 200),
            refused.error_type,
            refused.reason,
        )
        poison = PoisonMessage(refused.reason, error_type=refused.error_type)
        size = payload_bytes(refused.record)
        if self.sink.send(entry_dead_letter(entry, poison, self.topics.dead_letter, size)):
            raise TransientError(
                f"the dead-letter topic refused an entry's dead letter: {refused.reason}"
            )
        return refused.error_type

    def _flush_dead_letters(self) -> None:
        if refused := self.sink.flush():
            raise TransientError(f"the dead-letter topic refused a record: {refused[0].reason}")

    def _count_skipped(self, feed: FeedConfig, batch: EntryBatch) -> None:
        """Counted and logged once a poll: an entry with nothing to fetch and no text of its
        own becomes no message, but never vanishes without trace."""
        for reason, count in batch.skipped.items():
            FEED_ENTRIES_SKIPPED.labels(reason).inc(count)
        if batch.skipped:
            logger.info("feed entries skipped feed=%s %s", feed.url, batch.skipped_summary())

    def bounds_of(self, feed: FeedConfig) -> Bounds:
        """The feed's own bounds, else the poller's; never so tight that the base is outside."""
        low = feed.min_interval_s if feed.min_interval_s is not None else self.min_interval_s
        high = feed.max_interval_s if feed.max_interval_s is not None else self.max_interval_s
        return Bounds(min(low, self.interval_s), max(high, self.interval_s))

    def next_delay_s(self, feed: FeedConfig, result: PollResult | None = None) -> float:
        bounds = self.bounds_of(feed)
        interval = self.intervals.get(feed.url, self.interval_s)
        if result is not None and result.status in ("new_entries", "not_modified"):
            interval = adapt_interval(interval, result.sent, result.entries, bounds)
            self.intervals[feed.url] = interval
        now = self.clock()
        pace = result.pace if result is not None else None
        return next_poll_s(
            interval_s=interval,
            bounds=bounds,
            status=result.status if result else "not_modified",
            errors=self.errors.get(feed.url, 0),
            headers=result.headers if result else {},
            feed_ttl_s=result.ttl_s if result else None,
            now=now,
            jitter=self.rng.random(),
            pace_s=pace.wait_limit_s(now.timestamp()) if pace and self.watch_gaps else None,
            after_gap=self.watch_gaps and result is not None and result.gap is not None,
        )

    def run(self) -> None:
        """Polls due feeds on a pool of threads, so one slow server holds only its own feeds;
        the host limiter keeps us polite to each server."""
        due = {feed.url: 0.0 for feed in self.feeds}
        in_flight: dict[str, Future[float]] = {}
        logger.info(
            "poller started feeds=%d interval_s=%.0f concurrency=%d",
            len(self.feeds),
            self.interval_s,
            self.concurrency,
        )
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="poll") as pool:
            while not self.stop.is_set():
                self._collect(in_flight, due)
                self._start_due(pool, in_flight, due)
                self.stop.wait(0.05)
            for future in in_flight.values():
                future.cancel()
        logger.info("poller stopped")

    def _start_due(
        self, pool: ThreadPoolExecutor, in_flight: dict[str, Future[float]], due: dict[str, float]
    ) -> None:
        now = time.monotonic()
        for feed in self.feeds:  # every 50 ms: look at the host only of a feed that is due
            if feed.url in in_flight or due[feed.url] > now or len(in_flight) >= self.concurrency:
                continue
            if self.hosts.may_start(host := host_of(feed.url), now):
                self.hosts.started(host, now)
                in_flight[feed.url] = pool.submit(self.poll_and_log, feed)

    def _collect(self, in_flight: dict[str, Future[float]], due: dict[str, float]) -> None:
        for url, future in list(in_flight.items()):
            if future.done():
                del in_flight[url]
                self.hosts.finished(host_of(url))
                due[url] = time.monotonic() + future.result()

    def poll_and_log(self, feed: FeedConfig) -> float:
        polled_at = iso_utc(self.clock())
        try:
            result = self.poll_feed(feed)
        except Interrupted:
            # The poller stops mid-fetch: not the feed's failure; it is polled after the restart.
            logger.info("feed poll interrupted by the stop feed=%s", feed.url)
            return 0.0
        except TransientError as exc:
            result = PollResult(feed.url, "error", error=f"transient: {exc}")
        except Exception as exc:
            # A bug met on one feed's content: logged with its traceback, and that feed backs
            # off like any failing feed while the others keep being polled.
            logger.exception("feed poll crashed feed=%s", feed.url)
            result = PollResult(feed.url, "error", error=f"{type(exc).__name__}: {exc}")
        FEED_POLLS.labels(result.status).inc()
        FEED_ENTRIES.inc(result.sent)
        if result.status in ("error", "gone"):
            self.errors[feed.url] = self.errors.get(feed.url, 0) + 1
            logger.warning(
                "feed poll failed feed=%s errors=%d error=%s",
                feed.url,
                self.errors[feed.url],
                result.error,
            )
        else:
            self.errors.pop(feed.url, None)
            self.last_success[feed.url] = polled_at
            logger.info(
                "feed polled feed=%s status=%s sent=%d", feed.url, result.status, result.sent
            )
        delay = self.next_delay_s(feed, result)
        self._record_health(feed, result, polled_at, delay)
        return delay

    def _record_health(
        self, feed: FeedConfig, result: PollResult, polled_at: str, delay: float
    ) -> None:
        if result.pace is not None:
            self.paces[feed.url] = result.pace
        pace = self.paces.get(feed.url, FeedPace())
        gaps = pace.recent_gaps(parse_iso(polled_at).timestamp())
        health = FeedHealth(
            last_poll_at=polled_at,
            last_status=result.status,
            last_success_at=self.last_success.get(feed.url, ""),
            errors_in_a_row=self.errors.get(feed.url, 0),
            last_error=result.error or "",
            next_poll_at=iso_utc(parse_iso(polled_at) + timedelta(seconds=delay)),
            skipped_entries=result.skipped_entries,
            gaps_last_day=len(gaps),
            last_gap_at=iso_utc(datetime.fromtimestamp(gaps[-1].at, UTC)) if gaps else "",
            last_gap_missed=gap_period(gaps[-1]) if gaps else "",
        )
        try:
            self.state.record_health(feed.url, health)
        except TransientError as exc:
            logger.warning("feed health not saved feed=%s error=%s", feed.url, exc)
