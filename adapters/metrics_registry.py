"""What /metrics serves: in `newsflow run`, the stage processes' metrics (each writes its own
files, prometheus_client's multiprocess mode) plus consumer lag, read from Kafka per scrape."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from adapters.connections import KafkaAddress
from adapters.kafka_client import consumer_lag
from workers.errors import TransientError

logger = logging.getLogger(__name__)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(eq=False)  # registries keep collectors in a dict: identity, not equality
class LagCollector(Collector):
    """newsflow_consumer_lag{group, topic, partition}: records not yet committed by a group."""

    bootstrap: KafkaAddress
    groups: Sequence[tuple[str, str]]  # (consumer group, its input topic)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "newsflow_consumer_lag",
            "Records on a topic not yet committed by its consumer group",
            labels=["group", "topic", "partition"],
        )
        for group, topic in self.groups:
            try:
                lags = consumer_lag(self.bootstrap, group, [topic])
            except (TransientError, OSError) as exc:
                logger.warning("lag not read group=%s error=%s", group, exc)
                continue
            for lag in lags:
                family.add_metric([group, lag.topic, str(lag.partition)], lag.lag)
        yield family


def fresh_multiprocess_dir(path: Path) -> Path:
    """An empty folder for the stage processes' metric files (stale files would add up)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def supervisor_registry(metrics_dir: Path, lag: LagCollector) -> CollectorRegistry:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))  # type: ignore[no-untyped-call]
    registry.register(lag)
    return registry


def process_registry() -> CollectorRegistry:
    """This process's own metrics: what a stage run alone serves."""
    return REGISTRY
