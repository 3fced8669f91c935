"""Start Debian's redis-server on its own port: AOF on for `newsflow run`, off for tests;
TLS only and ACL users where asked (the tests of a secured deployment)."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from adapters.connections import RedisConnection
from adapters.redis_client import connect_redis, ping_redis
from services.process import ManagedProcess, ServiceStartError
from workers.errors import TransientError


@dataclass(frozen=True)
class RedisTls:
    """The server's certificate and key, and the authority whose client certificates it
    takes (required when `client_certificates` names the one the launcher itself shows:
    its certificate and key)."""

    cert: Path
    key: Path
    ca: Path
    client_certificates: tuple[Path, Path] | None = None


@dataclass(frozen=True)
class RedisConfig:
    port: int
    data_dir: Path
    persistent: bool = True
    tls: RedisTls | None = None  # TLS only: no plaintext port
    default_password: str = ""  # the default (all-powerful) user's; empty: no password
    users: tuple[str, ...] = ()  # ACL rules, as ACL SETUSER takes them

    @property
    def url(self) -> str:
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://127.0.0.1:{self.port}/0"

    def admin(self) -> RedisConnection:
        """A connection as the default user (the launcher's own checks)."""
        shown = self.tls.client_certificates if self.tls else None
        return RedisConnection(
            self.url,
            password=self.default_password,
            ssl_cafile=str(self.tls.ca) if self.tls else "",
            ssl_certfile=str(shown[0]) if shown else "",
            ssl_keyfile=str(shown[1]) if shown else "",
        )


HASH_MAX_LISTPACK_VALUE = 1024


def redis_args(cfg: RedisConfig) -> list[str]:
    args = ["--bind", "127.0.0.1", "--dir", str(cfg.data_dir)]
    if cfg.tls is None:
        args += ["--port", str(cfg.port)]
    else:
        args += [
            *("--port", "0", "--tls-port", str(cfg.port)),
            *("--tls-cert-file", str(cfg.tls.cert), "--tls-key-file", str(cfg.tls.key)),
            *("--tls-ca-cert-file", str(cfg.tls.ca)),
            *("--tls-auth-clients", "yes" if cfg.tls.client_certificates else "no"),
        ]
    if cfg.default_password:
        args += ["--requirepass", cfg.default_password]
    for rule in cfg.users:
        args += ["--user", *rule.split()]
    # A story's hash holds values of up to a few hundred bytes (its header, its centroids):
    # over the default 64, Redis keeps a hash as a table, a quarter larger than the compact
    # listpack (docs/stories.md, "Speed and memory"). The setting's older name, which Redis
    # 6 knows too (7 reads it as hash-max-listpack-value).
    args += ["--hash-max-ziplist-value", str(HASH_MAX_LISTPACK_VALUE)]
    if cfg.persistent:
        # AOF fsynced every second: a crash loses at most one second of claims.
        return [*args, "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    return [*args, "--appendonly", "no", "--save", ""]


def redis_version(address: RedisConnection | str) -> str:
    client = connect_redis(address)
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
            ping_redis(cfg.admin())
            return server
        except TransientError:
            time.sleep(0.1)
    server.stop()
    raise server.failure(f"did not answer PING at {cfg.url}")
