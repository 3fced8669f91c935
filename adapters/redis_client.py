"""Redis connections: one place that knows how to open one and check it answers."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import hiredis
import redis
from redis.connection import Connection
from redis.exceptions import (
    AuthenticationError,
    NoPermissionError,
    NoScriptError,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.connections import RedisAddress, check_tls, redis_connection
from adapters.error_classes import redis_error_class
from workers.errors import AccessRefused, TransientError

ACL_DOC = "docs/operations.md, section Redis ACL"


def connect_redis(address: RedisAddress) -> redis.Redis:
    connection = redis_connection(address)
    return redis.Redis.from_url(
        connection.url, socket_timeout=5, socket_connect_timeout=5, **connection.client_options()
    )


def ping_redis(address: RedisAddress) -> None:
    """PING answered, or why not: AccessRefused for a refused certificate or login (an
    operator must change a setting), TransientError for a server not reachable now."""
    connection = redis_connection(address)
    _check_tls(address)
    client = connect_redis(connection)
    try:
        client.ping()
    except AuthenticationError as exc:
        user = connection.username or "default"
        raise AccessRefused(
            f"redis at {connection} refused the login of user {user!r} ({exc}): check "
            "redis_username and redis_password (or redis_password_file)"
        ) from exc
    except NoPermissionError as exc:
        raise AccessRefused(
            f"redis at {connection}: the ACL user may not run PING ({exc}); grant the "
            f"commands of {ACL_DOC}"
        ) from exc
    except RedisError as exc:
        raise TransientError(f"redis not reachable at {connection}: {exc}") from exc
    finally:
        client.close()


def _check_tls(address: RedisAddress) -> None:
    """The TLS handshake once by hand, for an error that names the certificate at fault
    (redis-py reports it as a connection error, which would be retried)."""
    connection = redis_connection(address)
    if connection.uses_tls:
        parts = urlsplit(connection.url)
        host, port = parts.hostname or "localhost", parts.port or 6379
        check_tls("redis", connection, host, port, timeout_s=5.0)


# How Redis 7 words an ACL refusal: NOPERM from a command, this from a command in a script.
_ACL_REFUSALS = ("NOPERM", "The user executing the script can't")


def is_acl_refusal(error: ResponseError) -> bool:
    """redis-py raises NoPermissionError for a command's NOPERM reply (the code left out
    of its text); a script's own command comes back as a plain error with Redis's words."""
    return isinstance(error, NoPermissionError) or any(m in str(error) for m in _ACL_REFUSALS)


def redis_failure(error: RedisError, what: str) -> AccessRefused | TransientError:
    """What a failed Redis call means for the caller: AccessRefused for a refused login (a
    password rotated under a running stage) or an ACL refusal, which no retry mends;
    TransientError for the rest (a server unreachable or busy)."""
    if isinstance(error, AuthenticationError):
        return AccessRefused(
            f"redis refused our login during {what} ({error}): check redis_username and "
            "redis_password (or redis_password_file)"
        )
    if isinstance(error, ResponseError) and (refusal := refused_access(error)):
        return refusal
    return TransientError(f"redis {what} failed: {error}")


def refused_access(error: ResponseError) -> AccessRefused | None:
    """An ACL refusal, met by a command or inside a script, as AccessRefused: no retry
    mends it, and dead-lettering the input would blame the article."""
    if not is_acl_refusal(error):
        return None
    return AccessRefused(f"redis ACL refused a command ({error}); grant {ACL_DOC}")


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
            if isinstance(errors[0], ResponseError) and (refusal := refused_access(errors[0])):
                raise refusal
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
