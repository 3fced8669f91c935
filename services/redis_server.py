"""Start Debian's redis-server on its own port: AOF on for `newsflow run`, off for tests."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from adapters.redis_client import connect_redis, ping_redis
from services.process import ManagedProcess, ServiceStartError
from workers.errors import TransientError


@dataclass(frozen=True)
class RedisConfig:
    port: int
    data_dir: Path
    persistent: bool = True

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def redis_args(cfg: RedisConfig) -> list[str]:
    args = ["--port", str(cfg.port), "--bind", "127.0.0.1", "--dir", str(cfg.data_dir)]
    if cfg.persistent:
        # AOF fsynced every second: a crash loses at most one second of claims.
        return [*args, "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    return [*args, "--appendonly", "no", "--save", ""]


def redis_version(url: str) -> str:
    client = connect_redis(url)
    try:
        return str(client.info("server").get("redis_version", "unknown"))
    finally:
        client.close()


def start_redis(cfg: RedisConfig, timeout_s: float = 20.0) -> ManagedProcess:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceStartError(
            "redis-server not found: install it (`apt-get install redis-server`, or `make deps`)"
        )
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = cfg.data_dir / "redis.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [binary, *redis_args(cfg)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = ManagedProcess("redis", proc, log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not server.is_running():
            raise server.failure("exited while starting")
        try:
            ping_redis(cfg.url)
            return server
        except TransientError:
            time.sleep(0.1)
    server.stop()
    raise server.failure(f"did not answer PING at {cfg.url}")
