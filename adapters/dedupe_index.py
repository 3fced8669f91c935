"""Redis: the dedupe stage's memory of recent articles, read and written in one atomic step.

One Lua script per article (one round trip) does, atomically:
  1. give the article a sequence number the first time its id is seen (kept on replays);
  2. claim its exact content hash (SET NX GET), returning the article that claimed it first;
  3. look up its LSH band keys and its paragraph fingerprints in the window's time slots,
     returning the earlier articles that share one, with their signatures and how many of
     this article's paragraphs they carry;
  4. add its own keys (HSETNX: a key stays with the first article that had it).
Because Redis runs one script at a time, two workers handling two copies of one story at the
same moment see each other in a fixed order: exactly one of them is the original.

Keys (prefix P, all with a TTL, so memory is bounded by the window):
  P dedupe:v2:seq                      the sequence counter
  P dedupe:v2:a:<id>                   hash: seq, outlet, first_hash, sig, size, paras, cluster
  P dedupe:v2:x:<content hash>         the id that first carried this exact content
  P dedupe:v2:i:<slot>:<index>:<bucket> hash: band value or paragraph fingerprint -> id
Index entries live in hashes bucketed by the value's first bytes, so that a small hash
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
local id, outlet, digest, sig, size, paras = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ttl, bucket_ttl = tonumber(ARGV[7]), tonumber(ARGV[8])
local nb, np, ns, rprefix = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12]
local rec = redis.call('HMGET', KEYS[1], 'seq', 'first_hash', 'cluster', 'sig')
local seq = tonumber(rec[1])
if not seq then
  seq = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'seq', seq, 'outlet', outlet, 'first_hash', digest,
             'sig', sig, 'size', size, 'paras', paras)
  rec = {seq, digest, false, sig}
end
redis.call('EXPIRE', KEYS[1], ttl)
local exact_owner = ''
if digest ~= '' then
  local prev = redis.call('SET', KEYS[3], id, 'NX', 'GET', 'EX', ttl)
  if prev then exact_owner = prev end
end
local found, shared = {}, {}
local function note(owner)
  if shared[owner] == nil then
    shared[owner] = 0
    table.insert(found, owner)
  end
end
if exact_owner ~= '' and exact_owner ~= id then note(exact_owner) end
-- Index keys: nb LSH bands, then np paragraph fingerprints. Each has one bucket to write
-- (the current slot) and ns buckets to read (the current slot and the ones before it).
local write_at, read_at = 3, 3 + nb + np
for k = 1, nb + np do
  local field = ARGV[12 + k]
  local owners = {}
  for s = 1, ns do
    local owner = redis.call('HGET', KEYS[read_at + (k - 1) * ns + s], field)
    if owner and owner ~= id and not owners[owner] then
      owners[owner] = true
      note(owner)
      if k > nb then shared[owner] = shared[owner] + 1 end
    end
  end
  local key = KEYS[write_at + k]
  redis.call('HSETNX', key, field, id)
  redis.call('EXPIRE', key, bucket_ttl, 'NX')
end
local out = {seq, rec[2] or '', rec[3] or '', rec[4] or '', exact_owner}
for _, other in ipairs(found) do
  local r = redis.call('HMGET', rprefix .. other,
                       'seq', 'outlet', 'cluster', 'size', 'sig', 'paras')
  local other_seq = tonumber(r[1])
  if other_seq and (other_seq < seq or other == exact_owner) then
    for _, v in ipairs({other, other_seq, r[2] or '', r[3] or '', r[4] or '0', r[5] or '',
                        r[6] or '0', shared[other]}) do
      table.insert(out, v)
    end
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
    paragraphs: int  # number of paragraph fingerprints it has
    shared_paragraphs: int  # how many of this article's paragraph fingerprints it owns


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


@dataclass(frozen=True)
class Probe:
    """What the dedupe stage asks about one article."""

    article_id: str
    outlet: str
    digest: str  # content hash of the normalized body
    signature: bytes  # MinHash signature, little-endian uint32s
    size: int  # number of shingles
    band_keys: Sequence[bytes]  # LSH band values
    paragraph_keys: Sequence[bytes]  # fingerprints of its substantial paragraphs


@dataclass
class RedisDedupeIndex:
    client: redis.Redis
    prefix: str
    bucket_bits: int = 10

    def __post_init__(self) -> None:
        self._observe = self.client.register_script(_OBSERVE)
        self.base = f"{self.prefix}dedupe:v2:"

    def observe(self, probe: Probe, *, slot: int, window_s: int, slot_s: int) -> Observation:
        index_keys = [(f"b{n}", key) for n, key in enumerate(probe.band_keys)]
        index_keys += [("p", key) for key in probe.paragraph_keys]
        write = [self._bucket(slot, name, key) for name, key in index_keys]
        read = [
            self._bucket(slot - back, name, key)
            for name, key in index_keys
            for back in range(SLOTS)
        ]
        record = self.base + "a:" + probe.article_id
        keys = [record, self.base + "seq", self.base + "x:" + probe.digest]
        args: list[bytes | str | int] = [
            probe.article_id, probe.outlet, probe.digest, probe.signature, probe.size,
            len(probe.paragraph_keys), window_s, window_s + slot_s, len(probe.band_keys),
            len(probe.paragraph_keys), SLOTS, self.base + "a:",
            *(key for _, key in index_keys),
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

    def _bucket(self, slot: int, index: str, key: bytes) -> str:
        bucket = int.from_bytes(key[:4], "little") >> (32 - self.bucket_bits)
        return f"{self.base}i:{slot}:{index}:{bucket}"


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
            paragraphs=int(rest[i + 6]),
            shared_paragraphs=int(rest[i + 7]),
        )
        for i in range(0, len(rest), 8)
    )
    return Observation(
        seq=int(seq),
        first_hash=_text(first_hash),
        cluster=_text(cluster),
        first_signature=_raw(first_sig),  # type: ignore[arg-type]
        exact_owner=_text(exact_owner),
        earlier=earlier,
    )
