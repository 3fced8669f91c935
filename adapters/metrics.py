"""Prometheus metrics of every stage. Defined once here; `newsflow run` serves them
aggregated over its stage processes (prometheus_client's multiprocess mode), a stage run
alone serves its own. Names follow Prometheus conventions: unit suffixes, _total counters."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from prometheus_client import Counter, Histogram

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
END_TO_END_BUCKETS_S = (0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)

STAGE_MESSAGES = Counter(
    "newsflow_stage_messages", "Inputs a stage handled, by outcome (ok or dead_letter)",
    ["stage", "outcome"],
)  # fmt: skip
DEAD_LETTERS = Counter(
    "newsflow_dead_letters", "Inputs sent to the dead-letter topic, by reason",
    ["stage", "error_type"],
)  # fmt: skip
STAGE_HANDLE_SECONDS = Histogram(
    "newsflow_stage_handle_seconds",
    "Time a stage spent on one input (decode to encode; its batch's mean per input)",
    ["stage"], buckets=LATENCY_BUCKETS_S,
)  # fmt: skip
STAGE_CPU_SECONDS = Counter(
    "newsflow_stage_cpu_seconds",
    "CPU time of a stage's worker thread, by part: kafka (poll, send, flush, commit in the"
    " worker's thread; the producer's own I/O thread is not counted) or handle",
    ["stage", "part"],
)  # fmt: skip
STAGE_PAUSES = Counter(
    "newsflow_stage_pauses", "Batches rewound because a server was unreachable", ["stage"]
)
END_TO_END_SECONDS = Histogram(
    "newsflow_end_to_end_seconds", "Feed entry seen by the poller to article processed",
    buckets=END_TO_END_BUCKETS_S,
)  # fmt: skip
DEDUPE_VERDICTS = Counter("newsflow_dedupe_verdicts", "Dedupe verdicts, by relation", ["relation"])
INTERNAL_DUPLICATION = Counter(
    "newsflow_internal_duplication", "Articles whose body repeated its own paragraphs", ["pattern"]
)
FEED_POLLS = Counter("newsflow_feed_polls", "Feed polls, by result", ["status"])
FEED_ENTRIES = Counter("newsflow_feed_entries", "New or changed feed entries sent to Kafka")
FEED_ENTRIES_SKIPPED = Counter(
    "newsflow_feed_entries_skipped",
    "Feed entries that became no message, by reason (ingest/entries.py SkipReason)",
    ["reason"],
)  # fmt: skip


def remembered_children(counter: Counter) -> Callable[..., Counter]:
    """counter.labels, each labelled child looked up once: labels() validates the values and
    takes a lock, 2.6 µs a call here (`timeit`), for a child that never changes."""
    return cache(counter.labels)
