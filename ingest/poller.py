"""The feed poller: fetch each feed when due, send its new or changed entries to Kafka.

Order of effects for one feed: fetch -> parse -> (after a probable gap, older pages) -> send
new entries (with the other feeds waiting, in one transaction) -> flush -> remember them as
seen -> save validators and pace. A crash anywhere
before "remember" re-sends the entries on the next poll (at-least-once; downstream verdicts
are idempotent by article id), never loses them.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

import orjson

from ingest.entries import EntryBatch, entry_messages
from ingest.feed_health import FeedHealth, Unseen, Validators, with_gaps
from ingest.feeds import FeedConfig
from ingest.fetching import FetchFailure, FetchResponse
from ingest.pace import FeedPace, Gap, after_read, closes_gap, probable_gap
from ingest.paging import next_page_url, origin
from ingest.parse import FeedParseError, ParsedFeed, parse_feed
from ingest.politeness import HostLimiter, host_of
from ingest.schedule import Bounds, adapt_interval, next_poll_s, unconditional_due
from ingest.text_caps import DEFAULT_MAX_BODY_BYTES, cap_entry
from schemas.limits import cut_text, payload_bytes, too_large_reason
from schemas.messages import EntryMessage
from schemas.records import OutRecord, RefusedRecord
from schemas.timestamps import iso_utc, parse_iso
from schemas.topics import Topics
from workers.backoff import Backoff
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
    def remembered(self, feed_url: str) -> tuple[Validators, FeedPace]: ...
    def save_validators(self, feed_url: str, validators: Validators) -> None: ...
    def unseen(self, fingerprints: dict[str, str]) -> Unseen: ...
    def mark_seen(self, fingerprints: dict[str, str]) -> None: ...
    def record_health(self, feed_url: str, health: FeedHealth) -> None: ...
    def save_pace(self, feed_url: str, pace: FeedPace) -> None: ...


class Robots(Protocol):
    def allows(self, page_url: str) -> bool: ...


class EntrySink(Protocol):
    """As the worker loop's sink: a record refused for good comes back as a value. A
    transactional sink shows what was sent once `commit` returns, and never after `abort`."""

    def send(self, record: OutRecord) -> RefusedRecord | None: ...
    def flush(self) -> list[RefusedRecord]: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


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
    never seen (by any feed), the ids its first page listed, and the entries' dates."""

    batch: EntryBatch
    unseen: Unseen
    first_page_ids: tuple[str, ...]
    dates: dict[str, float]  # by article id, of the entries that have one
    visited: frozenset[str]  # the pages read, the feed's own included
    gap: bool = False  # a probable gap that older pages did not close

    @property
    def pages(self) -> int:
        return len(self.visited)

    def add_page(self, url: str, batch: EntryBatch, unseen: Unseen) -> FeedRead:
        """This read and an older page's: an entry already read keeps its first message
        (the newer page's)."""
        extra = {i for i in batch.fingerprints if i not in self.batch.fingerprints}
        return replace(
            self,
            batch=EntryBatch(
                batch.messages | self.batch.messages,
                batch.fingerprints | self.batch.fingerprints,
                self.batch.skipped + batch.skipped,
            ),
            unseen=Unseen(
                new=self.unseen.new | (unseen.new & extra),
                changed=self.unseen.changed | (unseen.changed & extra),
            ),
            dates=entry_dates(batch) | self.dates,
            visited=self.visited | {url},
        )


def entry_dates(batch: EntryBatch) -> dict[str, float]:
    """The entries' dates (published, else updated), seconds since the epoch, by id."""
    found = {}
    for article, message in batch.messages.items():
        if when := message.get("published"):
            try:
                found[article] = parse_iso(when).timestamp()
            except ValueError:
                continue
    return found


def oldest(dates: dict[str, float], ids: Iterable[str]) -> float | None:
    return min((dates[i] for i in ids if i in dates), default=None)


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
    # one thread at a time sends, for every feed waiting, in one transaction (_send_together).
    _turn: threading.Condition = field(default_factory=threading.Condition)
    _waiting: list[tuple[FeedRead, Future[int]]] = field(default_factory=list)
    _sending: bool = False

    def poll_feed(self, feed: FeedConfig) -> PollResult:
        """Fetch, decide, and for a feed with entries: send the new ones, then save the
        validators (a crash before that fetches the feed whole again: nothing is lost)."""
        validators, pace = self.state.remembered(feed.url)
        now = self.clock()
        headers = request_headers(validators, now, self.unconditional_every_s)
        feed_url = validators.moved_to or feed.url
        fetched = self.fetch(feed_url, headers)
        decided = decide_poll(feed.url, fetched, validators, now)
        if isinstance(decided, PollResult):  # nothing read: the pace stands as it was
            return replace(decided, pace=pace)
        if decided.parsed.warning:
            logger.info(
                "feed parsed with warning feed=%s warning=%s", feed.url, decided.parsed.warning
            )
        if decided.moved_to:
            logger.info("feed moved feed=%s to=%s", feed.url, decided.moved_to)
        read = self._read_feed(feed, decided.parsed, fetched.url, pace)
        sent = self._send_together(read)
        self.state.save_validators(feed.url, decided.validators)
        read_pace = after_read(
            pace,
            now=now.timestamp(),
            listed=read.first_page_ids,
            new=len(read.unseen.new),
            dates=read.dates.values(),
            gap=read.gap,
        )
        self.state.save_pace(feed.url, read_pace)
        gap = read_pace.gaps[-1] if read.gap else None
        if gap is not None:
            self._report_gap(feed, gap, len(read.first_page_ids))
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
        self, feed: FeedConfig, parsed: ParsedFeed, first_page_url: str, pace: FeedPace
    ) -> FeedRead:
        """The feed's entries, and which were never seen. When the first page lists nothing
        of the feed's last read and is as full as it was (a probable gap), the older pages
        the feed offers are read too, until one reaches back to the last read."""
        batch = self._batch(feed, parsed)
        ids = tuple(batch.fingerprints)
        unseen = self.state.unseen(batch.fingerprints)
        read = FeedRead(batch, unseen, ids, entry_dates(batch), frozenset({first_page_url}))
        if not self.watch_gaps or not probable_gap(pace, ids, oldest(read.dates, ids)):
            return read
        page_url = first_page_url
        for page in range(1, self.max_pages):
            older = self._older_page(feed, parsed, page_url, first_page_url, page, read.visited)
            if older is None:
                break
            page_url, parsed = older
            page_batch = self._batch(feed, parsed)
            read = read.add_page(page_url, page_batch, self.state.unseen(page_batch.fingerprints))
            page_ids = tuple(page_batch.fingerprints)
            if closes_gap(pace, page_ids, oldest(read.dates, page_ids)):
                logger.info("feed gap closed by older pages feed=%s pages=%d", feed.url, read.pages)
                return read
        return replace(read, gap=True)

    def _batch(self, feed: FeedConfig, parsed: ParsedFeed) -> EntryBatch:
        batch = entry_messages(feed, parsed.entries, parsed.language, iso_utc(self.clock()))
        self._count_skipped(feed, batch)
        return batch

    def _older_page(
        self,
        feed: FeedConfig,
        parsed: ParsedFeed,
        page_url: str,
        first_page_url: str,
        page: int,
        visited: frozenset[str],
    ) -> tuple[str, ParsedFeed] | None:
        """The feed's page after `page`, fetched and parsed as the feed is (same fetcher:
        the same address guard and size caps), after the host's pause, only where robots.txt
        allows and only on the feed's origin, redirects included; None when there is none
        to read or it cannot be read."""
        url = next_page_url(parsed, page_url, first_page_url, page, feed.page_param)
        if url is None or url in visited:
            return None
        if not self._may_read_page(feed, url):
            return None
        fetched = self.fetch(url, {})
        if isinstance(fetched, FetchFailure) or fetched.status != 200:
            why = fetched.reason if isinstance(fetched, FetchFailure) else f"HTTP {fetched.status}"
            logger.info("feed page not read feed=%s url=%s error=%s", feed.url, url, why)
            return None
        if origin(fetched.url) != origin(first_page_url) or fetched.url in visited:
            logger.info(
                "feed page not read: redirected off the feed's origin or to a page read "
                "feed=%s url=%s to=%s",
                feed.url,
                url,
                fetched.url,
            )
            return None
        older = parse_feed(fetched.body, fetched.headers, fetched.url)
        if isinstance(older, FeedParseError):
            logger.info("feed page not read feed=%s url=%s error=%s", feed.url, url, older.reason)
            return None
        FEED_PAGES.inc()
        return fetched.url, older

    def _may_read_page(self, feed: FeedConfig, url: str) -> bool:
        """After the host's pause (a robots.txt fetch is a request to the host too): whether
        robots.txt lets the poller read this older page of the feed."""
        if self.stop.wait(self.hosts.delay_s):
            raise Interrupted(f"stopped before the older page {url} of {feed.url}")
        if self.robots is None or not feed.robots_txt:
            return True
        if not self.robots.allows(url):
            logger.info("feed page not read: robots.txt disallows it feed=%s url=%s", feed.url, url)
            return False
        if self.stop.wait(self.hosts.delay_s):
            raise Interrupted(f"stopped before the older page {url} of {feed.url}")
        return True

    def _report_gap(self, feed: FeedConfig, gap: Gap, listed: int) -> None:
        FEED_GAPS.labels(feed.url).inc()
        logger.warning(
            "feed gap: entries may be missing feed=%s listed=%d missing=%s",
            feed.url,
            listed,
            gap.period(),
        )

    def _send_together(self, read: FeedRead) -> int:
        """Send the feed's new entries; how many were sent. Group commit: the feeds polled
        while a transaction is under way wait for it to end, and one of them then sends all
        that waits in one transaction. One transaction a feed, one feed at a time, made each
        feed wait for every other's commit, one slow commit holding up every feed polled
        meanwhile. A failure fails every feed of the transaction, the innocent ones too: none
        is remembered as seen nor has its validators saved, so each is polled again whole."""
        mine: Future[int] = Future()
        group: list[tuple[FeedRead, Future[int]]] = []
        try:
            with self._turn:
                self._waiting.append((read, mine))
                while self._sending and not mine.done():
                    self._turn.wait()
                if not mine.done():  # no transaction under way: this thread sends what waits
                    self._sending = True
                    group, self._waiting = self._waiting, []
            if group:
                self._send_group(group)
        finally:
            if group:
                for _, future in group:  # never leave a feed waiting for good
                    if not future.done():
                        future.set_exception(TransientError("the poller's send ended early"))
                with self._turn:
                    self._sending = False
                    self._turn.notify_all()
        return mine.result()

    def _send_group(self, group: list[tuple[FeedRead, Future[int]]]) -> None:
        try:
            sent = self._send_new_entries([read for read, _ in group])
        except BaseException as exc:
            try:
                self.sink.abort()
            finally:  # an abort that fails too (the broker gone) still ends every wait
                for _, future in group:
                    future.set_exception(exc)
            return
        for (_, future), count in zip(group, sent, strict=True):
            future.set_result(count)

    def _send_new_entries(self, reads: Sequence[FeedRead]) -> list[int]:
        """Send the feeds' entries not sent before (or changed) in one transaction, then
        remember them; how many each feed sent (an entry two feeds list alike goes once; a
        changed version goes too, and is the one remembered). An entry
        too big to send even with its text capped is dead-lettered and remembered like a sent
        one: it is not sent again on every poll."""
        dead: list[str] = []  # the error types of the entries dead-lettered
        sent: dict[str, str] = {}  # article id -> fingerprint, of every entry sent
        counts = []
        for read in reads:
            fresh = [i for i in read.unseen.to_send if sent.get(i) != read.batch.fingerprints[i]]
            for i in fresh:
                sent[i] = read.batch.fingerprints[i]
                dead += self._send_entry(i, read.batch.messages[i])
            counts.append(len(fresh))
        for refused in self.sink.flush():
            if refused.record.topic == self.topics.dead_letter:
                raise TransientError(f"the dead-letter topic refused a record: {refused.reason}")
            entry: EntryMessage = orjson.loads(refused.record.value)
            dead.append(self._dead_letter(entry, refused))
        self._flush_dead_letters()
        self.sink.commit()
        self._remember(sent)
        for error_type in dead:  # counted once delivered: a poll that fails is done again
            DEAD_LETTERS.labels("poller", error_type).inc()
        return counts

    def _send_entry(self, article_id: str, entry: EntryMessage) -> list[str]:
        """The entry sent; the error type of its dead letter when it was refused at once."""
        message = cap_entry(entry, self.max_body_bytes)
        record = encode(self.topics.entries, article_id, message, "entry.v1")
        too_large = too_large_reason(record)
        refused = (
            RefusedRecord(record, "too_large", too_large)
            if too_large is not None
            else self.sink.send(record)
        )
        return [self._dead_letter(message, refused)] if refused is not None else []

    def _remember(self, fingerprints: dict[str, str]) -> None:
        """Mark the committed entries seen, trying until Redis answers: they are out for
        good, and a poll that gave up here would send them again (the same articles twice
        on the output). Only the stop ends the wait."""
        backoff = Backoff(base_s=0.2, cap_s=5.0)
        while True:
            try:
                self.state.mark_seen(fingerprints)
                return
            except TransientError as exc:
                delay = backoff.next_delay_s()
                logger.warning(
                    "sent entries not yet remembered entries=%d error=%s retry_in_s=%.1f",
                    len(fingerprints),
                    exc,
                    delay,
                )
                if self.stop.wait(delay):
                    raise Interrupted("stopped before sent entries were remembered") from exc

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
        """The wait before the feed's next poll. The adaptive interval goes on from the wait
        the pace allowed (it does not climb above the pace while the pace binds); the poll
        right after a gap comes at the shortest, once, and the interval goes on from there."""
        bounds = self.bounds_of(feed)
        now = self.clock()
        pace = result.pace if result is not None and self.watch_gaps else None
        pace_s = pace.wait_limit_s(now.timestamp()) if pace is not None else None
        # Hurry after the first gap only: a feed that lists nothing of its last read every
        # time (ids that change on each fetch) must not be polled at the minimum for good.
        after_gap = (
            result is not None
            and result.gap is not None
            and pace is not None
            and pace.gaps_in_a_row == 1
        )
        interval = self.intervals.get(feed.url, self.interval_s)
        if pace_s is not None:
            interval = min(interval, bounds.clamp(pace_s))
        if result is not None and result.status in ("new_entries", "not_modified"):
            interval = adapt_interval(interval, result.sent, result.entries, bounds)
            self.intervals[feed.url] = interval
        return next_poll_s(
            interval_s=interval,
            bounds=bounds,
            status=result.status if result else "not_modified",
            errors=self.errors.get(feed.url, 0),
            headers=result.headers if result else {},
            feed_ttl_s=result.ttl_s if result else None,
            now=now,
            jitter=self.rng.random(),
            pace_s=pace_s,
            after_gap=after_gap,
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
        health = FeedHealth(
            last_poll_at=polled_at,
            last_status=result.status,
            last_success_at=self.last_success.get(feed.url, ""),
            errors_in_a_row=self.errors.get(feed.url, 0),
            last_error=result.error or "",
            next_poll_at=iso_utc(parse_iso(polled_at) + timedelta(seconds=delay)),
            skipped_entries=result.skipped_entries,
        )
        if pace := self.paces.get(feed.url):
            health = with_gaps(health, pace, parse_iso(polled_at).timestamp())
        try:
            self.state.record_health(feed.url, health)
        except TransientError as exc:
            logger.warning("feed health not saved feed=%s error=%s", feed.url, exc)
