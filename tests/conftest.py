"""Real servers for the integration and end-to-end tiers.

One Kafka broker and one Redis server per test session, started here (from the project's
own launchers) unless NEWSFLOW_TEST_KAFKA / NEWSFLOW_TEST_REDIS name running ones. When they
cannot be started the tests that need them fail with the reason: they never skip, so a
machine without the servers can never turn the suite green. Unit tests use neither.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from ingest.xpath_guards import install_guards
from services.kafka_broker import BrokerConfig, kafka_version, start_broker
from services.process import ManagedProcess, ServiceStartError, free_port
from services.redis_server import RedisConfig, redis_version, start_redis

# What the integration and e2e tiers ran against, shown at the end of every run.
SERVICES_USED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("services")
    for line in SERVICES_USED or ["no test needed Kafka or Redis"]:
        terminalreporter.write_line(line)


def _server(
    variable: str,
    what: str,
    start: Callable[[], ManagedProcess],
    address: str,
    describe: Callable[[ManagedProcess], str],
) -> Iterator[str]:
    """A running server named by `variable`, or one started here for the whole session."""
    if given := os.environ.get(variable):
        SERVICES_USED.append(f"{what} given by {variable}: {given}")
        yield given
        return
    try:
        server = start()
    except ServiceStartError as exc:
        pytest.fail(f"cannot start the {what} these tests need: {exc}", pytrace=False)
    SERVICES_USED.append(
        f"{describe(server)} started by the tests: pid {server.proc.pid}, {address}"
    )
    yield address
    server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cfg = BrokerConfig(
        port=free_port(), controller_port=free_port(), data_dir=tmp_path_factory.mktemp("kafka")
    )
    yield from _server(
        variable="NEWSFLOW_TEST_KAFKA",
        what="Kafka broker",
        start=partial(start_broker, cfg),
        address=cfg.bootstrap,
        describe=lambda _: f"Kafka {kafka_version(cfg.libs)} broker",
    )


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cfg = RedisConfig(port=free_port(), data_dir=tmp_path_factory.mktemp("redis"), persistent=False)
    yield from _server(
        variable="NEWSFLOW_TEST_REDIS",
        what="Redis server",
        start=partial(start_redis, cfg),
        address=cfg.url,
        describe=lambda _: f"redis-server {redis_version(cfg.url)}",
    )


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


@pytest.fixture(scope="session", autouse=True)
def extraction_as_the_stage_runs_it() -> None:
    """trafilatura's XPath expressions guarded for the whole run, as the extract stage
    installs them: a test's extraction does not depend on which tests ran before it."""
    install_guards()
