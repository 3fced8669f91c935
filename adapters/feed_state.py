"""Redis: what the poller must remember across restarts (validators, entries already sent)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from adapters.redis_client import redis_failure
from ingest.feed_health import FeedHealth, Unseen, Validators
from ingest.pace import FeedPace, pace_fields, pace_from_fields

SEEN_TTL_S = 30 * 24 * 3600  # longer than any feed keeps an entry


def _feed_key(url: str) -> str:
    return hashlib.blake2b(url.encode("utf-8"), digest_size=12).hexdigest()


def _text(value: bytes | str | None) -> str | None:
    if not value:
        return None
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _pace(raw: Mapping[bytes | str, bytes | str]) -> FeedPace:
    return pace_from_fields({_text(k) or "": _text(v) or "" for k, v in raw.items()})


@dataclass
class RedisFeedState:
    client: redis.Redis
    prefix: str

    def remembered(self, feed_url: str) -> tuple[Validators, FeedPace]:
        """The feed's validators and pace, in one round trip."""
        try:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.hgetall(f"{self.prefix}feed:v1:state:{_feed_key(feed_url)}")
                pipe.hgetall(self._pace_key(feed_url))
                raw, pace = pipe.execute()
        except RedisError as exc:
            raise redis_failure(exc, "read of feed state") from exc
        validators = Validators(
            etag=_text(raw.get(b"etag")),
            last_modified=_text(raw.get(b"last_modified")),
            moved_to=_text(raw.get(b"moved_to")),
            full_fetch_at=_text(raw.get(b"full_fetch_at")),
        )
        return validators, _pace(pace)

    def save_validators(self, feed_url: str, validators: Validators) -> None:
        key = f"{self.prefix}feed:v1:state:{_feed_key(feed_url)}"
        fields: dict[FieldT, EncodableT] = {
            "etag": validators.etag or "",
            "last_modified": validators.last_modified or "",
            "moved_to": validators.moved_to or "",
            "full_fetch_at": validators.full_fetch_at or "",
        }
        try:
            self.client.hset(key, mapping=fields)
        except RedisError as exc:
            raise redis_failure(exc, "write of feed state") from exc

    def record_health(self, feed_url: str, health: FeedHealth) -> None:
        try:
            fields: dict[FieldT, EncodableT] = dict(health.fields().items())
            self.client.hset(self._health_key(feed_url), mapping=fields)
        except RedisError as exc:
            raise redis_failure(exc, "write of feed health") from exc

    def health(self, feed_url: str) -> FeedHealth:
        try:
            raw = self.client.hgetall(self._health_key(feed_url))
        except RedisError as exc:
            raise redis_failure(exc, "read of feed health") from exc
        text = {_text(k) or "": _text(v) or "" for k, v in raw.items()}
        return FeedHealth(
            last_poll_at=text.get("last_poll_at", ""),
            last_status=text.get("last_status", ""),
            last_success_at=text.get("last_success_at", ""),
            errors_in_a_row=int(text.get("errors_in_a_row", "0") or 0),
            last_error=text.get("last_error", ""),
            next_poll_at=text.get("next_poll_at", ""),
            skipped_entries=text.get("skipped_entries", ""),
            gaps_last_day=int(text.get("gaps_last_day", "0") or 0),
            last_gap_at=text.get("last_gap_at", ""),
            last_gap_missed=text.get("last_gap_missed", ""),
        )

    def pace(self, feed_url: str) -> FeedPace:
        try:
            raw = self.client.hgetall(self._pace_key(feed_url))
        except RedisError as exc:
            raise redis_failure(exc, "read of feed pace") from exc
        return _pace(raw)

    def save_pace(self, feed_url: str, pace: FeedPace) -> None:
        fields: dict[FieldT, EncodableT] = dict(pace_fields(pace).items())
        try:
            self.client.hset(self._pace_key(feed_url), mapping=fields)
        except RedisError as exc:
            raise redis_failure(exc, "write of feed pace") from exc

    def _pace_key(self, feed_url: str) -> str:
        return f"{self.prefix}feed:v1:pace:{_feed_key(feed_url)}"

    def _health_key(self, feed_url: str) -> str:
        return f"{self.prefix}feed:v1:health:{_feed_key(feed_url)}"

    def unseen(self, fingerprints: dict[str, str]) -> Unseen:
        """Article ids never sent, and those sent with another entry fingerprint."""
        ids = list(fingerprints)
        if not ids:
            return Unseen()
        try:
            stored = self.client.mget([f"{self.prefix}feed:v1:seen:{i}" for i in ids])
        except RedisError as exc:
            raise redis_failure(exc, "read of seen entries") from exc
        pairs = list(zip(ids, stored, strict=True))
        return Unseen(
            new=frozenset(i for i, old in pairs if old is None),
            changed=frozenset(
                i for i, old in pairs if old is not None and old != fingerprints[i].encode()
            ),
        )

    def mark_seen(self, fingerprints: dict[str, str]) -> None:
        """Called only after the entries were acknowledged by the broker."""
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for i, fp in fingerprints.items():
                    pipe.set(f"{self.prefix}feed:v1:seen:{i}", fp, ex=SEEN_TTL_S)
                pipe.execute()
        except RedisError as exc:
            raise redis_failure(exc, "write of seen entries") from exc
