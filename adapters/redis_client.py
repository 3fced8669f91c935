"""Redis connections: one place that knows how to open one and check it answers."""

from __future__ import annotations

import redis
from redis.exceptions import RedisError

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
