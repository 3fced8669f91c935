"""Redis: content-hash claims for the dedupe worker.

One round trip per claim: `SET key owner NX EX ttl GET` (Redis >= 7.0) both claims a free
hash and returns the owner of a taken one, so two workers racing on one story see one winner.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class RedisHashStore:
    client: redis.Redis
    prefix: str

    def claim(self, namespace: str, digest: str, owner: str, ttl_s: int) -> str | None:
        """Claim `digest` for `owner`; return the previous owner, or None if it was free.

        NX: a taken key keeps its owner and its expiry, so the window of a story counts
        from the first article that carried it.
        """
        key = f"{self.prefix}{namespace}:{digest}"
        try:
            previous = self.client.set(key, owner, nx=True, ex=ttl_s, get=True)
        except RedisError as exc:
            raise TransientError(f"redis claim failed for {key}: {exc}") from exc
        if previous is None:
            return None
        return previous.decode("utf-8") if isinstance(previous, bytes) else str(previous)
