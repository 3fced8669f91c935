"""What the stages count and time: named here, recorded by whatever the process plugs in.

The core says which metrics exist and when they move; adapters/metrics.py binds each to a
Prometheus metric when a stage process starts. Unbound (unit tests, tools), they record
nothing. Names follow Prometheus conventions: unit suffixes, _total counters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal, Protocol


class Recorder(Protocol):
    """A metric (or one of its labelled children) once bound."""

    def inc(self, amount: float = 1) -> None: ...
    def observe(self, amount: float) -> None: ...


class BoundMetric(Recorder, Protocol):
    def labels(self, *values: str) -> Recorder: ...


class _Nothing:
    """Records nothing: a metric that no implementation was bound to."""

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass

    def labels(self, *values: str) -> _Nothing:
        return self


NOTHING = _Nothing()

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
END_TO_END_BUCKETS_S = (0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


@dataclass(eq=False)
class Metric:
    name: str
    doc: str
    kind: Literal["counter", "histogram"]
    label_names: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()
    bound: BoundMetric = field(default=NOTHING, repr=False)

    def labels(self, *values: str) -> Recorder:
        return self.bound.labels(*values)

    def inc(self, amount: float = 1) -> None:
        self.bound.inc(amount)

    def observe(self, amount: float) -> None:
        self.bound.observe(amount)


STAGE_MESSAGES = Metric(
    "newsflow_stage_messages", "Inputs a stage handled, by outcome (ok or dead_letter)",
    "counter", ("stage", "outcome"),
)  # fmt: skip
DEAD_LETTERS = Metric(
    "newsflow_dead_letters", "Inputs sent to the dead-letter topic, by reason",
    "counter", ("stage", "error_type"),
)  # fmt: skip
STAGE_HANDLE_SECONDS = Metric(
    "newsflow_stage_handle_seconds",
    "Time a stage spent on one input (decode to encode; its batch's mean per input)",
    "histogram", ("stage",), LATENCY_BUCKETS_S,
)  # fmt: skip
STAGE_CPU_SECONDS = Metric(
    "newsflow_stage_cpu_seconds",
    "CPU time of a stage's worker thread, by part: kafka (poll, send, flush, commit in the"
    " worker's thread; the producer's own I/O thread is not counted) or handle",
    "counter", ("stage", "part"),
)  # fmt: skip
STAGE_PAUSES = Metric(
    "newsflow_stage_pauses", "Batches rewound because a server was unreachable",
    "counter", ("stage",),
)  # fmt: skip
END_TO_END_SECONDS = Metric(
    "newsflow_end_to_end_seconds", "Feed entry seen by the poller to article processed",
    "histogram", (), END_TO_END_BUCKETS_S,
)  # fmt: skip
DEDUPE_VERDICTS = Metric(
    "newsflow_dedupe_verdicts", "Dedupe verdicts, by relation", "counter", ("relation",)
)
INTERNAL_DUPLICATION = Metric(
    "newsflow_internal_duplication", "Articles whose body repeated its own paragraphs",
    "counter", ("pattern",),
)  # fmt: skip
FEED_POLLS = Metric("newsflow_feed_polls", "Feed polls, by result", "counter", ("status",))
FEED_ENTRIES = Metric(
    "newsflow_feed_entries", "New or changed feed entries sent to Kafka", "counter"
)
FEED_ENTRIES_SKIPPED = Metric(
    "newsflow_feed_entries_skipped",
    "Feed entries that became no message, by reason (ingest/entries.py SkipReason)",
    "counter", ("reason",),
)  # fmt: skip

METRICS = (
    STAGE_MESSAGES, DEAD_LETTERS, STAGE_HANDLE_SECONDS, STAGE_CPU_SECONDS, STAGE_PAUSES,
    END_TO_END_SECONDS, DEDUPE_VERDICTS, INTERNAL_DUPLICATION, FEED_POLLS, FEED_ENTRIES,
    FEED_ENTRIES_SKIPPED,
)  # fmt: skip


def labelled_once(metric: Metric) -> Callable[..., Recorder]:
    """metric.labels, each labelled child looked up once: looking a child up validates the
    values and takes a lock, for a child that never changes. Call it after the metric is
    bound (the children of an unbound metric record nothing, for good)."""
    return cache(metric.labels)
