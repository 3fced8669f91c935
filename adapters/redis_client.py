"""Redis connections: one place that knows how to open one and check it answers."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import hiredis
import redis
from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.error_classes import redis_error_class
from workers.errors import TransientError


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


def refused_for_now(error: ResponseError) -> bool:
    """Whether the server's error reply says to try again later (every other reply, such as
    a script's runtime error, would say the same again)."""
    return redis_error_class(error) == "transient"


Calls = Sequence[Sequence[bytes | str | int]]  # one script call's arguments, per call


class DirectScript:
    """One Lua script called over a connection of its own, for a stage's call per article (a
    batch of them pipelined). redis-py's client layer (pool checkout and its timing hooks,
    the retry wrapper, reply callbacks) cost more CPU than the round trip it wraps, about
    twice a PING's on a bare connection (`make bench-dedupe` measures the whole stage).
    The connection is redis-py's own (auth, TLS, hiredis parser); a Redis that forgot the
    script (restart, SCRIPT FLUSH) gets its source (EVAL, which caches it again). One
    connection: call it from one thread (a stage's worker thread)."""

    def __init__(self, client: redis.Redis, source: str) -> None:
        self._client = client
        self._source = source
        self._sha = hashlib.sha1(source.encode("utf-8")).hexdigest()
        self._connection: Connection | None = None

    def many(self, keys: Sequence[str], calls: Calls) -> list[Any]:
        """The script run once per argument list, in order, sent in one write and read back
        in one go (pipelining); the replies in order, RedisError as redis-py raises it. A
        connection that broke (a restarted Redis, an idle connection closed) is opened again
        and the calls sent once more: the scripts called this way give the same answers when
        run twice."""
        if self._connection is None:
            self._connection = self._client.connection_pool.get_connection()
        try:
            return self._run(self._connection, keys, calls)
        except (RedisConnectionError, RedisTimeoutError):
            return self._run(self._connection, keys, calls)

    def _run(self, connection: Connection, keys: Sequence[str], calls: Calls) -> list[Any]:
        try:
            replies = self._send(connection, "EVALSHA", self._sha, keys, calls)
            forgotten = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            if forgotten:  # a Redis that lost its scripts ran none of these: EVAL caches it
                resend = [calls[i] for i in forgotten]
                again = self._send(connection, "EVAL", self._source, keys, resend)
                for i, reply in zip(forgotten, again, strict=True):
                    replies[i] = reply
        except (RedisConnectionError, RedisTimeoutError):
            connection.disconnect()  # type: ignore[no-untyped-call]  # half-read replies go
            raise
        if errors := [reply for reply in replies if isinstance(reply, RedisError)]:
            raise errors[0]
        return replies

    @staticmethod
    def _send(
        connection: Connection, command: str, script: str, keys: Sequence[str], calls: Calls
    ) -> list[Any]:
        """Every call written at once, then every reply read, error replies as values (the
        connection stays in step with the server whatever a call answered)."""
        # hiredis's packer, called directly: redis-py's wrapper around it checks every
        # argument in Python, which cost more than the packing itself.
        # (hiredis's stub types the argument as a tuple of one: its own typo.)
        packed = [
            hiredis.pack_command((command, script, len(keys), *keys, *args))  # type: ignore[arg-type]
            for args in calls
        ]
        connection.send_packed_command([b"".join(packed)])  # type: ignore[no-untyped-call]
        replies: list[Any] = []
        for _ in calls:
            try:
                replies.append(connection.read_response())
            except ResponseError as exc:
                replies.append(exc)
        return replies
