"""What the poller remembers of a feed across restarts, and what `newsflow status` shows of
it (pure data: adapters/feed_state.py keeps them in Redis)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ingest.pace import FeedPace
from schemas.timestamps import iso_utc


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # where a chain of permanent redirects led (fetched from now on)
    full_fetch_at: str | None = None  # last 200 answer, ISO UTC (see schedule.unconditional_due)

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Unseen:
    """A poll's entries not sent before, by article id: never seen at all, or seen with
    another fingerprint (the feed changed them)."""

    new: frozenset[str] = field(default_factory=frozenset)
    changed: frozenset[str] = field(default_factory=frozenset)

    @property
    def to_send(self) -> frozenset[str]:
        return self.new | self.changed


# Room for a whole error with its context (a URL, a parser's message); the cap only keeps
# a runaway message (a whole response body in an exception) out of Redis.
LAST_ERROR_MAX_CHARS = 2000


@dataclass(frozen=True)
class FeedHealth:
    """What `newsflow status` shows of a feed; times are ISO 8601 UTC, "" when never."""

    last_poll_at: str = ""
    last_status: str = ""
    last_success_at: str = ""
    errors_in_a_row: int = 0
    last_error: str = ""
    next_poll_at: str = ""
    # Entries of the last poll that became no message, by reason, as
    # ingest/entries.py skip_summary writes them: "invalid_link=1 no_link=2".
    skipped_entries: str = ""
    gaps_last_day: int = 0  # probable gaps (ingest/pace.py) found in the last 24 hours
    last_gap_at: str = ""
    # What the last gap may have lost: "entries published 10:02:11..10:05:40 UTC".
    last_gap_missed: str = ""

    def fields(self) -> dict[str, str]:
        """What is stored of it, by field name (a Redis hash)."""
        return {
            "last_poll_at": self.last_poll_at,
            "last_status": self.last_status,
            "last_success_at": self.last_success_at,
            "errors_in_a_row": str(self.errors_in_a_row),
            "last_error": self.last_error[:LAST_ERROR_MAX_CHARS],
            "next_poll_at": self.next_poll_at,
            "skipped_entries": self.skipped_entries,
            "gaps_last_day": str(self.gaps_last_day),
            "last_gap_at": self.last_gap_at,
            "last_gap_missed": self.last_gap_missed,
        }

    @property
    def skipped_count(self) -> int:
        """How many entries the last poll skipped, whatever the reasons."""
        counts = (part.rpartition("=")[2] for part in self.skipped_entries.split())
        return sum(int(n) for n in counts if n.isdigit())


def with_gaps(health: FeedHealth, pace: FeedPace, now: float) -> FeedHealth:
    """The health with the feed's gaps of the last 24 hours as its pace keeps them."""
    gaps = pace.recent_gaps(now)
    if not gaps:
        return replace(health, gaps_last_day=0, last_gap_at="", last_gap_missed="")
    return replace(
        health,
        gaps_last_day=len(gaps),
        last_gap_at=iso_utc(datetime.fromtimestamp(gaps[-1].at, UTC)),
        last_gap_missed=gaps[-1].period(),
    )
