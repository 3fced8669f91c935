"""Prometheus behind the stages' metrics (workers/telemetry.py names them). `newsflow run`
serves them aggregated over its stage processes (prometheus_client's multiprocess mode), a
stage run alone serves its own."""

from __future__ import annotations

from typing import cast

from prometheus_client import Counter, Histogram

from workers.telemetry import METRICS, BoundMetric, Metric


def _prometheus(metric: Metric) -> BoundMetric:
    # A Counter has no observe and a Histogram no inc: the core calls each as its kind allows.
    if metric.kind == "histogram":
        labels = list(metric.label_names)
        return cast(BoundMetric, Histogram(metric.name, metric.doc, labels, buckets=metric.buckets))
    return cast(BoundMetric, Counter(metric.name, metric.doc, list(metric.label_names)))


def bind_prometheus() -> None:
    """Every metric of the core recorded by Prometheus from now on, in this process (a
    second call finds them bound and changes nothing)."""
    for metric in METRICS:
        if not metric.is_bound:
            metric.bound = _prometheus(metric)
