"""Real servers for the integration and end-to-end tiers.

One Kafka broker and one Redis server per test session, started here (from the project's
own launchers) unless NEWSFLOW_TEST_KAFKA / NEWSFLOW_TEST_REDIS name running ones. When they
cannot be started the tests that need them fail with the reason: they never skip, so a
machine without the servers can never turn the suite green. Unit tests use neither.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.kafka_broker import BrokerConfig, kafka_version, start_broker
from services.process import ServiceStartError, free_port
from services.redis_server import RedisConfig, redis_version, start_redis

# What the integration and e2e tiers ran against, shown at the end of every run.
SERVICES_USED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("services")
    for line in SERVICES_USED or ["no test needed Kafka or Redis"]:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if given := os.environ.get("NEWSFLOW_TEST_KAFKA"):
        SERVICES_USED.append(f"Kafka broker given by NEWSFLOW_TEST_KAFKA: {given}")
        yield given
        return
    cfg = BrokerConfig(
        port=free_port(), controller_port=free_port(), data_dir=tmp_path_factory.mktemp("kafka")
    )
    try:
        broker = start_broker(cfg)
    except ServiceStartError as exc:
        pytest.fail(f"cannot start the Kafka broker these tests need: {exc}", pytrace=False)
    SERVICES_USED.append(
        f"Kafka {kafka_version(cfg.libs)} broker started by the tests: pid {broker.proc.pid}, "
        f"{cfg.bootstrap}"
    )
    yield cfg.bootstrap
    broker.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if given := os.environ.get("NEWSFLOW_TEST_REDIS"):
        SERVICES_USED.append(f"Redis given by NEWSFLOW_TEST_REDIS: {given}")
        yield given
        return
    cfg = RedisConfig(port=free_port(), data_dir=tmp_path_factory.mktemp("redis"), persistent=False)
    try:
        server = start_redis(cfg)
    except ServiceStartError as exc:
        pytest.fail(f"cannot start the Redis server these tests need: {exc}", pytrace=False)
    SERVICES_USED.append(
        f"redis-server {redis_version(cfg.url)} started by the tests: "
        f"pid {server.proc.pid}, {cfg.url}"
    )
    yield cfg.url
    server.stop()


@dataclass(frozen=True)
class Namespace:
    """Names no other test uses: topics, consumer groups and Redis keys."""

    token: str

    @property
    def topic_prefix(self) -> str:
        return f"t{self.token}."

    @property
    def group_prefix(self) -> str:
        return f"g{self.token}."

    @property
    def redis_prefix(self) -> str:
        return f"test:{self.token}:"


@pytest.fixture
def namespace() -> Namespace:
    return Namespace(uuid.uuid4().hex[:12])


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
