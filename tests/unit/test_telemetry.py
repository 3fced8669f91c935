"""The core's metrics, unbound as in unit tests, refuse what Prometheus would refuse."""

import pytest

from workers.telemetry import DEAD_LETTERS, END_TO_END_SECONDS, METRICS, STAGE_HANDLE_SECONDS


def test_a_wrong_number_of_labels_is_refused() -> None:
    with pytest.raises(ValueError, match="takes labels"):
        DEAD_LETTERS.labels("only-one")
    DEAD_LETTERS.labels("extract", "too_large").inc()


def test_a_histogram_is_observed_and_a_counter_counted() -> None:
    with pytest.raises(AttributeError):
        STAGE_HANDLE_SECONDS.labels("extract").inc()
    with pytest.raises(AttributeError):
        END_TO_END_SECONDS.inc()
    with pytest.raises(AttributeError):
        DEAD_LETTERS.labels("extract", "too_large").observe(1.0)
    STAGE_HANDLE_SECONDS.labels("extract").observe(0.1)


def test_names_are_unique_and_follow_the_conventions() -> None:
    names = [metric.name for metric in METRICS]
    assert len(names) == len(set(names))
    assert all(name.startswith("newsflow_") for name in names)
    assert all(m.name.endswith("_seconds") for m in METRICS if m.kind == "histogram")
