"""Redis connections: one place that knows how to open one and check it answers."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import hiredis
import redis
from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.errors import TransientError


def connect_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def ping_redis(url: str) -> None:
    client = connect_redis(url)
    try:
        client.ping()
    except RedisError as exc:
        raise TransientError(f"redis not reachable at {url}: {exc}") from exc
    finally:
        client.close()


class DirectScript:
    """One Lua script called over a connection of its own, for a stage's one call per
    article. redis-py's client layer (pool checkout and its timing hooks, the retry wrapper,
    reply callbacks) cost more CPU than the round trip it wraps: a PING took 100 us through
    the client and 46 us on a connection (`make bench-dedupe` measures the whole stage).
    The connection is redis-py's own (auth, TLS, hiredis parser); a Redis that forgot the
    script (restart, SCRIPT FLUSH) gets its source (EVAL, which caches it again). One
    connection: call it from one thread (a stage's worker thread)."""

    def __init__(self, client: redis.Redis, source: str) -> None:
        self._client = client
        self._source = source
        self._sha = hashlib.sha1(source.encode("utf-8")).hexdigest()
        self._connection: Connection | None = None

    def __call__(self, keys: Sequence[str], args: Sequence[bytes | str | int]) -> Any:
        """The script's reply; RedisError as redis-py raises it. A connection that broke
        (a restarted Redis, an idle connection closed) is opened again and the call sent
        once more: the scripts called this way give the same answer when run twice."""
        if self._connection is None:
            self._connection = self._client.connection_pool.get_connection()
        try:
            return self._run(self._connection, keys, args)
        except (RedisConnectionError, RedisTimeoutError):
            return self._run(self._connection, keys, args)

    def _run(
        self, connection: Connection, keys: Sequence[str], args: Sequence[bytes | str | int]
    ) -> Any:
        try:
            try:
                return self._send(connection, "EVALSHA", self._sha, keys, args)
            except NoScriptError:
                return self._send(connection, "EVAL", self._source, keys, args)
        except (RedisConnectionError, RedisTimeoutError):
            connection.disconnect()  # type: ignore[no-untyped-call]  # half-read replies go
            raise

    @staticmethod
    def _send(
        connection: Connection, command: str, script: str, keys: Sequence[str],
        args: Sequence[bytes | str | int],
    ) -> Any:  # fmt: skip
        # hiredis's packer, called directly: redis-py's wrapper around it checks every
        # argument in Python (20 us for the dedupe script's call, 6 us without).
        # (hiredis's stub types the argument as a tuple of one: its own typo.)
        packed = hiredis.pack_command((command, script, len(keys), *keys, *args))  # type: ignore[arg-type]
        connection.send_packed_command([packed])  # type: ignore[no-untyped-call]
        return connection.read_response()
