"""In-memory stand-ins for the adapters, for unit tests of pure logic and of the loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ingest.fetching import FetchFailure, FetchResponse
from schemas.limits import too_large_reason
from schemas.records import InRecord, OutRecord, RefusedRecord
from workers.errors import TransientError


@dataclass
class FakeSource:
    batches: list[list[InRecord]]
    committed: list[InRecord] = field(default_factory=list)
    rewound: list[InRecord] = field(default_factory=list)
    handed_back: list[InRecord] = field(default_factory=list)
    idle_commits: int = 0
    timeouts: list[float] = field(default_factory=list)  # of each poll, in order

    def poll(self, timeout_s: float) -> list[InRecord]:
        self.timeouts.append(timeout_s)
        return self.batches.pop(0) if self.batches else []

    def commit(self, batch: Sequence[InRecord]) -> None:
        self.committed.extend(batch)

    def commit_idle(self) -> None:
        """Nothing moves past the last record here (no transaction markers): counted only."""
        self.idle_commits += 1

    def rewind(self, batch: Sequence[InRecord]) -> None:
        self.rewound.extend(batch)
        self.batches.insert(0, list(batch))

    def hand_back(self, batch: Sequence[InRecord]) -> None:
        """As rewind, but what was sent stays (a real source would abort nothing)."""
        self.handed_back.extend(batch)
        self.batches.insert(0, list(batch))


@dataclass
class FakeSink:
    sent: list[OutRecord] = field(default_factory=list)
    fail_flushes: int = 0
    pending: list[OutRecord] = field(default_factory=list)

    # Records the broker refuses for good once flushed (by topic), as a broker over its limit.
    refuse_topics: frozenset[str] = frozenset()
    commits: int = 0  # transactions committed (a plain producer's would be out already)

    def send(self, record: OutRecord) -> RefusedRecord | None:
        """As the real producer: a record over the limit is refused at once."""
        if (too_large := too_large_reason(record)) is not None:
            return RefusedRecord(record, "too_large", too_large)
        self.pending.append(record)
        return None

    def flush(self) -> list[RefusedRecord]:
        if self.fail_flushes:
            self.fail_flushes -= 1
            self.pending.clear()
            raise TransientError("broker unreachable (fake)")
        refused = [
            RefusedRecord(r, "rejected", f"{r.topic} refused it (fake)")
            for r in self.pending
            if r.topic in self.refuse_topics
        ]
        self.sent.extend(r for r in self.pending if r.topic not in self.refuse_topics)
        self.pending.clear()
        return refused

    def commit(self) -> None:
        self.commits += 1

    def abort(self) -> None:
        self.pending.clear()


@dataclass
class ScriptedFetch:
    """Answers from a table url -> response; records the request headers it was given."""

    responses: dict[str, FetchResponse | FetchFailure]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __call__(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> FetchResponse | FetchFailure:
        self.requests.append((url, dict(headers or {})))
        return self.responses.get(url, FetchFailure(url, "no such page (fake)", "http_status", 404))


def record(value: bytes, offset: int = 0, topic: str = "in", key: bytes | None = b"k") -> InRecord:
    return InRecord(topic=topic, partition=0, offset=offset, key=key, value=value)
