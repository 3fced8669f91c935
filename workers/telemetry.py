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
    """Records nothing: a metric that no implementation was bound to. It refuses what a
    bound one would (a counter observed, a histogram counted), so that a unit test run
    without Prometheus meets the same mistakes."""

    def __init__(self, kind: Literal["counter", "histogram"]) -> None:
        self.kind = kind

    def inc(self, amount: float = 1) -> None:
        if self.kind != "counter":
            raise AttributeError(f"a {self.kind} is observed, not counted")

    def observe(self, amount: float) -> None:
        if self.kind != "histogram":
            raise AttributeError(f"a {self.kind} is counted, not observed")

    def labels(self, *values: str) -> _Nothing:
        return self


LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
END_TO_END_BUCKETS_S = (0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


@dataclass(eq=False)
class Metric:
    name: str
    doc: str
    kind: Literal["counter", "histogram"]
    label_names: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()
    # Records nothing until adapters/metrics.py binds the metric to an implementation.
    bound: BoundMetric = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.bound = _Nothing(self.kind)

    @property
    def is_bound(self) -> bool:
        return not isinstance(self.bound, _Nothing)

    def labels(self, *values: str) -> Recorder:
        if len(values) != len(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {values}")
        return self.bound.labels(*values)

    def inc(self, amount: float = 1) -> None:
        self.bound.inc(amount)

    def observe(self, amount: float) -> None:
        self.bound.observe(amount)


STAGE_MESSAGES = Metric(
    name="newsflow_stage_messages",
    doc="Inputs a stage handled, by outcome (ok or dead_letter)",
    kind="counter",
    label_names=("stage", "outcome"),
)
DEAD_LETTERS = Metric(
    name="newsflow_dead_letters",
    doc="Inputs sent to the dead-letter topic, by reason",
    kind="counter",
    label_names=("stage", "error_type"),
)
STAGE_HANDLE_SECONDS = Metric(
    name="newsflow_stage_handle_seconds",
    doc="Time a stage spent on one input (decode to encode; its batch's mean per input)",
    kind="histogram",
    label_names=("stage",),
    buckets=LATENCY_BUCKETS_S,
)
STAGE_CPU_SECONDS = Metric(
    name="newsflow_stage_cpu_seconds",
    doc="CPU time of a stage's worker thread, by part: kafka (poll, send, flush, commit in the"
    " worker's thread; the producer's own I/O thread is not counted) or handle",
    kind="counter",
    label_names=("stage", "part"),
)
STAGE_PAUSES = Metric(
    name="newsflow_stage_pauses",
    doc="Batches rewound because a server was unreachable",
    kind="counter",
    label_names=("stage",),
)
END_TO_END_SECONDS = Metric(
    name="newsflow_end_to_end_seconds",
    doc="Feed entry seen by the poller to article processed",
    kind="histogram",
    label_names=(),
    buckets=END_TO_END_BUCKETS_S,
)
DEDUPE_VERDICTS = Metric(
    name="newsflow_dedupe_verdicts",
    doc="Dedupe verdicts, by relation",
    kind="counter",
    label_names=("relation",),
)
INTERNAL_DUPLICATION = Metric(
    name="newsflow_internal_duplication",
    doc="Articles whose body repeated its own paragraphs",
    kind="counter",
    label_names=("pattern",),
)
FEED_POLLS = Metric(
    name="newsflow_feed_polls",
    doc="Feed polls, by result",
    kind="counter",
    label_names=("status",),
)
FEED_ENTRIES = Metric(
    name="newsflow_feed_entries",
    doc="New or changed feed entries sent to Kafka",
    kind="counter",
)
FEED_ENTRIES_SKIPPED = Metric(
    name="newsflow_feed_entries_skipped",
    doc="Feed entries that became no message, by reason (ingest/entries.py SkipReason)",
    kind="counter",
    label_names=("reason",),
)
FEED_GAPS = Metric(
    name="newsflow_feed_gaps",
    doc="Polls that found every entry new and the feed's window full, and no older page "
    "that closed the gap: entries may have been missed (ingest/pace.py)",
    kind="counter",
    label_names=("feed",),
)
FEED_PAGES = Metric(
    name="newsflow_feed_pages",
    doc="Older pages of feeds read after a probable gap (ingest/paging.py)",
    kind="counter",
)

METRICS = (
    STAGE_MESSAGES,
    DEAD_LETTERS,
    STAGE_HANDLE_SECONDS,
    STAGE_CPU_SECONDS,
    STAGE_PAUSES,
    END_TO_END_SECONDS,
    DEDUPE_VERDICTS,
    INTERNAL_DUPLICATION,
    FEED_POLLS,
    FEED_ENTRIES,
    FEED_ENTRIES_SKIPPED,
    FEED_GAPS,
    FEED_PAGES,
)


def labelled_once(metric: Metric) -> Callable[..., Recorder]:
    """metric.labels, each labelled child looked up once: looking a child up validates the
    values and takes a lock, for a child that never changes. Call it after the metric is
    bound (the children of an unbound metric record nothing, for good)."""
    return cache(metric.labels)
