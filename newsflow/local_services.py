"""Kafka and Redis for `newsflow run`: the configured servers, or local ones we start.

When NEWSFLOW_KAFKA_BOOTSTRAP / NEWSFLOW_REDIS_URL (or the config file) name servers,
those are used and nothing is started. Otherwise a broker and a redis-server are started
under state_dir, their data kept across runs, and stopped when the run ends. The addresses
in use are written to state_dir/services.json so that `newsflow watch` finds them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from adapters.kafka_client import wait_for_kafka
from adapters.redis_access import check_redis_access
from adapters.redis_client import connect_redis, ping_redis
from newsflow.settings import Settings
from services.kafka_broker import BrokerConfig, start_broker
from services.process import ManagedProcess, ServiceStartError, port_is_open
from services.redis_server import RedisConfig, start_redis
from workers.errors import AccessRefused, TransientError

logger = logging.getLogger(__name__)

SERVICES_FILE = "services.json"


@dataclass
class LocalServices:
    kafka_bootstrap: str
    redis_url: str
    started: list[ManagedProcess] = field(default_factory=list)

    def stop(self) -> None:
        for process in reversed(self.started):
            code = process.stop()
            logger.info("service stopped name=%s exit_code=%d", process.name, code)
        self.started.clear()


def _reuse_or_start(
    name: str,
    port: int,
    address: str,
    probe: Callable[[], None],
    start: Callable[[], ManagedProcess],
    started: list[ManagedProcess],
) -> str:
    """A server already answering on our port is reused (a second `newsflow run`, or one
    the user started); a port held by something else is an error; else we start one."""
    if port_is_open(port):
        try:
            probe()
        except TransientError as exc:
            raise ServiceStartError(
                f"port {port} is taken by something that is not {name}: free it or set "
                f"local_{name.split()[0].lower()}_port"
            ) from exc
        logger.info("using running server name=%s address=%s", name, address)
        return address
    logger.info("starting local server name=%s address=%s", name, address)
    started.append(start())
    return address


def _local_kafka(settings: Settings, started: list[ManagedProcess]) -> str:
    cfg = BrokerConfig(
        port=settings.local_kafka_port,
        controller_port=settings.local_kafka_port + 1,
        data_dir=settings.state_dir / "kafka",
        partitions=settings.topic_partitions,
    )
    probe = partial(wait_for_kafka, cfg.bootstrap, timeout_s=10)
    return _reuse_or_start(
        name="Kafka broker",
        port=cfg.port,
        address=cfg.bootstrap,
        probe=probe,
        start=partial(start_broker, cfg),
        started=started,
    )


def _local_redis(settings: Settings, started: list[ManagedProcess]) -> str:
    cfg = RedisConfig(port=settings.local_redis_port, data_dir=settings.state_dir / "redis")
    return _reuse_or_start(
        name="Redis server",
        port=cfg.port,
        address=cfg.url,
        probe=partial(ping_redis, cfg.url),
        start=partial(start_redis, cfg),
        started=started,
    )


def ensure_services(settings: Settings) -> LocalServices:
    started: list[ManagedProcess] = []
    try:
        kafka = settings.kafka_bootstrap or _local_kafka(settings, started)
        redis_url = settings.redis_url or _local_redis(settings, started)
        if settings.kafka_bootstrap:  # a cluster of one's own: its login checked at once
            wait_for_kafka(settings.kafka(), timeout_s=30)
        if settings.redis_url:
            check_redis(settings)
    except (ServiceStartError, TransientError, AccessRefused):
        for process in reversed(started):
            process.stop()
        raise
    services = LocalServices(kafka, redis_url, started)
    write_services_file(settings.state_dir, services)
    return services


def check_redis(settings: Settings) -> None:
    """Redis answers, takes our login, and its ACL grants every command and key newsflow
    uses (AccessRefused naming what is missing, before any article meets it)."""
    ping_redis(settings.redis())
    client = connect_redis(settings.redis())
    try:
        check_redis_access(client, settings.redis_key_prefix)
    finally:
        client.close()


def write_services_file(
    state_dir: Path, services: LocalServices, feeds_file: Path | None = None
) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    data = {"kafka_bootstrap": services.kafka_bootstrap, "redis_url": services.redis_url}
    if feeds_file is not None:
        data["feeds_file"] = str(feeds_file.resolve())
    (state_dir / SERVICES_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def discover(settings: Settings) -> Settings:
    """Fill empty server addresses from the services file a running `newsflow run` wrote."""
    if settings.kafka_bootstrap and settings.redis_url:
        return settings
    path = settings.state_dir / SERVICES_FILE
    if not path.exists():
        raise ServiceStartError(
            f"no Kafka configured and no running pipeline found ({path} is missing): "
            "start one with `make run`, or set NEWSFLOW_KAFKA_BOOTSTRAP"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    found = settings.with_services(
        settings.kafka_bootstrap or data["kafka_bootstrap"], settings.redis_url or data["redis_url"]
    )
    if "feeds_file" in data and not settings.feeds_file.exists():
        found = found.with_feeds_file(Path(data["feeds_file"]))
    return found
