"""Redis: the dedupe stage's memory of recent articles, read and written in one atomic step.

One Lua script per article (one round trip) does, atomically:
  1. give the article a sequence number the first time its id is seen (kept on replays);
  2. claim its exact content hash (SET NX GET), returning the article that claimed it first;
  3. look up its LSH band keys in the window's time slots, returning the earlier articles
     that share a band with their signatures;
  4. add its own band keys (HSETNX: a band stays with the first article that had it).
Because Redis runs one script at a time, two workers handling two copies of one story at the
same moment see each other in a fixed order: exactly one of them is the original.

Keys (prefix P, all with a TTL, so memory is bounded by the window):
  P dedupe:v2:seq                      the sequence counter
  P dedupe:v2:a:<id>                   hash: seq, outlet, first_hash, sig, size, cluster
  P dedupe:v2:x:<content hash>         the id that first carried this exact content
  P dedupe:v2:b:<slot>:<band>:<bucket> hash: band value (raw bytes) -> id
Band entries live in hashes bucketed by the band value's first bytes, so that a small hash
(Redis "listpack" encoding) stores each entry in about 30 bytes instead of a key of its own.
Time slots (window / (SLOTS - 1) long) expire one at a time: no cliff at a reset hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis
from redis.exceptions import RedisError

from adapters.errors import TransientError

SLOTS = 4  # time slots searched: the current one and the three before it

_OBSERVE = """
local id, outlet, digest, sig, size = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ttl, bucket_ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
local nb, ns, rprefix = tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local rec = redis.call('HMGET', KEYS[1], 'seq', 'first_hash', 'cluster', 'sig')
local seq = tonumber(rec[1])
if not seq then
  seq = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'seq', seq, 'outlet', outlet, 'first_hash', digest,
             'sig', sig, 'size', size)
  rec = {seq, digest, false, sig}
end
redis.call('EXPIRE', KEYS[1], ttl)
local exact_owner = ''
if digest ~= '' then
  local prev = redis.call('SET', KEYS[3], id, 'NX', 'GET', 'EX', ttl)
  if prev then exact_owner = prev end
end
local seen, found = {}, {}
if exact_owner ~= '' and exact_owner ~= id then
  seen[exact_owner] = true
  table.insert(found, exact_owner)
end
for b = 1, nb do
  local field = ARGV[10 + b]
  for s = 1, ns do
    local owner = redis.call('HGET', KEYS[3 + nb + (b - 1) * ns + s], field)
    if owner and owner ~= id and not seen[owner] then
      seen[owner] = true
      table.insert(found, owner)
    end
  end
  local key = KEYS[3 + b]
  redis.call('HSETNX', key, field, id)
  redis.call('EXPIRE', key, bucket_ttl, 'NX')
end
local out = {seq, rec[2] or '', rec[3] or '', rec[4] or '', exact_owner}
for _, other in ipairs(found) do
  local r = redis.call('HMGET', rprefix .. other, 'seq', 'outlet', 'cluster', 'size', 'sig')
  local other_seq = tonumber(r[1])
  if other_seq and (other_seq < seq or other == exact_owner) then
    table.insert(out, other)
    table.insert(out, other_seq)
    table.insert(out, r[2] or '')
    table.insert(out, r[3] or '')
    table.insert(out, r[4] or '0')
    table.insert(out, r[5] or '')
  end
end
return out
"""


@dataclass(frozen=True)
class Earlier:
    """An article seen before this one that may carry the same story."""

    article_id: str
    seq: int
    outlet: str
    cluster: str  # "" until its own verdict was recorded
    size: int  # number of shingles
    signature: bytes


@dataclass(frozen=True)
class Observation:
    seq: int
    first_hash: str  # content hash of this id's first version ("" if it had no text)
    cluster: str  # this id's recorded cluster ("" on first sight)
    first_signature: bytes  # signature of this id's first version
    exact_owner: str  # the id that first carried this exact content ("" if none yet)
    earlier: tuple[Earlier, ...]


def _text(value: bytes | str | int) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _raw(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


@dataclass
class RedisDedupeIndex:
    client: redis.Redis
    prefix: str

    def __post_init__(self) -> None:
        self._observe = self.client.register_script(_OBSERVE)
        self.base = f"{self.prefix}dedupe:v2:"

    def observe(
        self, *, article_id: str, outlet: str, digest: str, signature: bytes, size: int,
        band_keys: Sequence[bytes], slot: int, window_s: int, slot_s: int, bucket_bits: int,
    ) -> Observation:  # fmt: skip
        write = [self._bucket(slot, b, key, bucket_bits) for b, key in enumerate(band_keys)]
        read = [
            self._bucket(slot - back, b, key, bucket_bits)
            for b, key in enumerate(band_keys)
            for back in range(SLOTS)
        ]
        keys = [self.base + "a:" + article_id, self.base + "seq", self.base + "x:" + digest]
        args: list[bytes | str | int] = [
            article_id, outlet, digest, signature, size, window_s, window_s + slot_s,
            len(band_keys), SLOTS, self.base + "a:", *band_keys,
        ]  # fmt: skip
        try:
            reply = self._observe(keys=[*keys, *write, *read], args=args)
        except RedisError as exc:
            raise TransientError(f"redis dedupe lookup failed: {exc}") from exc
        return _observation(reply)

    def record_cluster(self, article_id: str, cluster: str) -> None:
        """Remember the article's cluster, once: later copies join the same cluster."""
        try:
            self.client.hsetnx(self.base + "a:" + article_id, "cluster", cluster)
        except RedisError as exc:
            raise TransientError(f"redis write of cluster failed: {exc}") from exc

    def _bucket(self, slot: int, band: int, key: bytes, bits: int) -> str:
        bucket = int.from_bytes(key[:4], "little") >> (32 - bits)
        return f"{self.base}b:{slot}:{band}:{bucket}"


def _observation(reply: list[bytes | int]) -> Observation:
    seq, first_hash, cluster, first_sig, exact_owner = reply[:5]
    rest = reply[5:]
    earlier = tuple(
        Earlier(
            article_id=_text(rest[i]),
            seq=int(rest[i + 1]),
            outlet=_text(rest[i + 2]),
            cluster=_text(rest[i + 3]),
            size=int(rest[i + 4]),
            signature=_raw(rest[i + 5]),  # type: ignore[arg-type]
        )
        for i in range(0, len(rest), 6)
    )
    return Observation(
        seq=int(seq),
        first_hash=_text(first_hash),
        cluster=_text(cluster),
        first_signature=_raw(first_sig),  # type: ignore[arg-type]
        exact_owner=_text(exact_owner),
        earlier=earlier,
    )
