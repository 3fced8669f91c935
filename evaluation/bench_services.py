"""The Kafka broker and Redis a benchmark runs against: the ones given, or its own."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.kafka_broker import BrokerConfig, start_broker
from services.process import free_port
from services.redis_server import RedisConfig, start_redis


@dataclass
class Services:
    kafka: str
    redis: str
    broker_pid: int | None  # None when the servers were given (their CPU is not ours to read)
    redis_pid: int | None


@contextmanager
def services(kafka: str | None, redis_url: str | None) -> Iterator[Services]:
    """The servers given, or a broker and a redis-server of our own on free ports."""
    if kafka and redis_url:
        yield Services(kafka=kafka, redis=redis_url, broker_pid=None, redis_pid=None)
        return
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        broker = start_broker(BrokerConfig(port, free_port(), Path(tmp) / "kafka", heap="1g"))
        redis_cfg = RedisConfig(port=free_port(), data_dir=Path(tmp) / "redis", persistent=False)
        redis_server = start_redis(redis_cfg)
        try:
            yield Services(
                kafka=f"127.0.0.1:{port}",
                redis=redis_cfg.url,
                broker_pid=broker.proc.pid,
                redis_pid=redis_server.proc.pid,
            )
        finally:
            redis_server.stop()
            broker.stop()
