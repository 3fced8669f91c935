"""Redis: the dedupe stage's memory of recent articles, read and written in one atomic step.

One Lua script call per article (a poll's batch of calls pipelined in one round trip) does,
atomically:
  1. give the article a sequence number the first time its id is seen (kept on replays, and
     for as long as the id keeps coming back);
  2. look its exact content hash up in the window's time slots, returning the first article
     in the window that carried it, and claim it in the current slot;
  3. claim each of its LSH band keys and paragraph fingerprints in the current slot (HSETNX:
     a key stays with the first article that had it) and look them up in the older slots,
     returning the earlier articles that hold one, with their signatures and how many of
     this article's paragraphs they carry.
Because Redis runs one script at a time, two workers handling two copies of one story at the
same moment see each other in a fixed order: exactly one of them is the original.

Keys (prefix P; ids and hashes as raw bytes; every key has a TTL, so memory is bounded by
the window):
  {P dedupe}:v4:seq               the sequence counter
  {P dedupe}:v4:r:<seq>           the article's record, packed (see Record)
  {P dedupe}:v4:i:<slot>:<bucket> hash: "a"+id, "x"+content hash, band value, paragraph
                                fingerprint -> sequence number of the first article with it
Layout v4 writes paragraph fingerprints and content hashes in XXH3 (v3: BLAKE2b). A worker
reads only its own layout's keys: across an upgrade, stories seen before it are not matched,
and the old keys expire with their TTL.
Index entries hold a sequence number (a small integer) and live in hashes bucketed by the
field's bytes, so that a small hash (Redis "listpack" encoding) stores each entry in about
15 bytes instead of a key of its own (about 90). Keep a bucket under Redis's
hash-max-listpack-entries (128 by default) by choosing bucket_bits for the window's volume:
about 34 entries an article per slot. Time slots (window / (SLOTS - 1) long) expire one at a
time: there is no cliff at a reset hour.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from redis.exceptions import RedisError, ResponseError

from adapters.redis_client import DirectScript, redis_failure, refused_for_now
from workers.dedupe.index import (
    SLOTS,
    Earlier,
    LookupFailed,
    Observation,
    Probe,
)
from workers.errors import TransientError

logger = logging.getLogger(__name__)

# The keys' layout version (module docstring); its fingerprints are pinned by a unit test.
LAYOUT = "v4"


_OBSERVE = """
local id, digest, record = ARGV[1], ARGV[2], ARGV[3]
-- Numbers that only go back to Redis stay strings: Lua 5.1 turns a number into a string
-- with sprintf("%.14g"), and formatting floats was a fifth of the script's CPU (perf).
local ttl, bucket_ttl = ARGV[4], ARGV[5]
local nb, np, ns, base = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local slot, nbuckets = tonumber(ARGV[10]), tonumber(ARGV[11])
-- Every entry of the index (id -> seq, content hash -> seq, band -> seq, paragraph -> seq)
-- lives in a hash bucket of a time slot. Bucket names are built here rather than sent: a few
-- hundred names per article cost more to send and parse than the lookups themselves. Each
-- slot's part of the name is made once, and each field's bucket number once, with '%d'.
local slots = {}
for s = 0, ns - 1 do slots[s] = base .. 'i:' .. string.format('%d', slot - s) .. ':' end
local function bucket(field)
  return string.format('%d', (string.byte(field, 2) * 256 + string.byte(field, 3)) % nbuckets)
end
-- The value of the field in the newest slot that holds it.
local function find(field, b)
  for s = 0, ns - 1 do
    local value = redis.call('HGET', slots[s] .. b, field)
    if value then return value end
  end
  return false
end
-- The article of the oldest slot that holds the field and whose record is still kept: a
-- slot is searched for a third of the window longer than its articles' records live.
local function first_kept(field, b)
  for s = ns - 1, 0, -1 do
    local owner = redis.call('HGET', slots[s] .. b, field)
    if owner and redis.call('EXISTS', base .. 'r:' .. owner) == 1 then return owner end
  end
  return false
end
-- Claims the field in the current slot unless it is there already (then false). The TTL is
-- set when the claim may have made the bucket: one the field was found in has had its TTL
-- since this script made it, in the same atomic step.
local function claim(field, value, b)
  local key = slots[0] .. b
  if redis.call('HSETNX', key, field, value) == 0 then return false end
  redis.call('EXPIRE', key, bucket_ttl, 'NX')
  return true
end
local id_field = 'a' .. id
local id_bucket = bucket(id_field)
local seq = find(id_field, id_bucket)
local mine = false
if seq then mine = redis.call('GET', base .. 'r:' .. seq) end
if not mine then
  seq = seq or tostring(redis.call('INCR', base .. 'seq'))
  redis.call('SET', base .. 'r:' .. seq, record, 'EX', ttl)
  mine = record
else
  redis.call('EXPIRE', base .. 'r:' .. seq, ttl)
end
-- In the current slot too: an article that keeps coming back (new versions of its URL)
-- keeps its sequence number beyond the window, and so never meets its own earlier fields
-- as another article's.
claim(id_field, seq, id_bucket)
local exact_owner = ''
if digest ~= '' then
  local field = 'x' .. digest
  local b = bucket(field)
  -- The first article in the window that carried it; and the claim in the current slot, so
  -- that copies keep finding an exact owner after the first one has left the window.
  exact_owner = first_kept(field, b) or ''
  claim(field, seq, b)
end
local found, shared = {}, {}
local function note(owner)
  if shared[owner] == nil then
    shared[owner] = 0
    table.insert(found, owner)
  end
end
if exact_owner ~= '' and exact_owner ~= seq then note(exact_owner) end
-- nb LSH band values, then np paragraph fingerprints, 8 bytes each in one argument (one
-- argument, not 44: fewer to pack, send and parse): earlier owners, and our own claim.
local fields = ARGV[12]
for k = 1, nb + np do
  local field = string.sub(fields, k * 8 - 7, k * 8)
  local seen_in = {}
  local b = bucket(field)
  -- The claim first: most fields are new, and a new one needs no lookup in the current slot.
  local owner = false
  if not claim(field, seq, b) then owner = redis.call('HGET', slots[0] .. b, field) end
  for s = 0, ns - 1 do
    if s > 0 then owner = redis.call('HGET', slots[s] .. b, field) end
    if owner and owner ~= seq and not seen_in[owner] then
      seen_in[owner] = true
      note(owner)
      if k > nb then shared[owner] = shared[owner] + 1 end
    end
  end
end
local out = {seq, mine, exact_owner}
for _, other in ipairs(found) do
  if tonumber(other) < tonumber(seq) or other == exact_owner then
    local r = redis.call('GET', base .. 'r:' .. other)
    if r then
      table.insert(out, other)
      table.insert(out, r)
      table.insert(out, shared[other])
    end
  end
end
return out
"""


@dataclass(frozen=True)
class Record:
    """What the index keeps of one article, packed into one string (a Redis hash of named
    fields cost about 700 bytes an article here; this is about 200):
    id 16 | first content hash 16 | cluster 16 | shingles u32 | paragraphs u16 |
    outlet length u8 | outlet (UTF-8, at most 255 bytes) | signature (little-endian u16s)."""

    article_id: str
    first_hash: str  # "" when the article had no text
    cluster: str  # "" until the article's verdict was recorded
    size: int
    paragraphs: int
    outlet: str
    signature: bytes

    CLUSTER_OFFSET = 32
    _COUNTS_OFFSET = 48  # shingles, paragraphs, outlet length
    _OUTLET_OFFSET = 55  # the outlet's length is the byte before it

    def pack(self) -> bytes:
        outlet = self.outlet.encode("utf-8")[:255]
        return b"".join(
            (
                bytes.fromhex(self.article_id),
                _id_bytes(self.first_hash),
                _id_bytes(self.cluster),
                struct.pack("<IHB", self.size, self.paragraphs, len(outlet)),
                outlet,
                self.signature,
            )
        )

    @classmethod
    def unpack(cls, raw: bytes) -> Record:
        size, paragraphs, outlet_length = struct.unpack_from("<IHB", raw, cls._COUNTS_OFFSET)
        outlet_end = cls._OUTLET_OFFSET + outlet_length
        first_hash, cluster, signature = cls.first_version_and_cluster(raw)
        return cls(
            article_id=raw[:16].hex(),
            first_hash=first_hash,
            cluster=cluster,
            size=size,
            paragraphs=paragraphs,
            outlet=raw[cls._OUTLET_OFFSET : outlet_end].decode("utf-8", errors="replace"),
            signature=signature,
        )

    @classmethod
    def first_version_and_cluster(cls, raw: bytes) -> tuple[str, str, bytes]:
        """First content hash, cluster and signature alone: what a lookup needs of the
        article's own record. Unpacked whole, it took longer than the rest of the reply,
        which for most articles holds no earlier one."""
        outlet_end = cls._OUTLET_OFFSET + raw[cls._OUTLET_OFFSET - 1]
        return (
            _id_text(raw[16 : cls.CLUSTER_OFFSET]),
            _id_text(raw[cls.CLUSTER_OFFSET : cls._COUNTS_OFFSET]),
            raw[outlet_end:],
        )


def _id_bytes(hex_id: str) -> bytes:
    return bytes.fromhex(hex_id) if hex_id else bytes(16)


def _id_text(raw: bytes) -> str:
    return "" if raw == bytes(16) else raw.hex()


def _raw(value: bytes | str | int) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("latin-1")


@dataclass
class RedisDedupeIndex:
    client: redis.Redis
    prefix: str
    bucket_bits: int = 14

    def __post_init__(self) -> None:
        self._observe = DirectScript(self.client, _OBSERVE)
        # One hash tag for every dedupe key: on Redis Cluster they all live in one slot, as a
        # script's keys must (the state then lives on one shard; Kafka spreads the workers).
        self.base = f"{{{self.prefix}dedupe}}:{LAYOUT}:"

    def observe_many(
        self, lookups: Sequence[tuple[Probe, int]], *, window_s: int, slot_s: int
    ) -> list[Observation]:
        """The script once per (probe, time slot), in order, all sent in one round trip (a
        pipeline: each call still runs atomically, and sees the ones before it)."""
        if not lookups:
            return []
        calls = [self._args(probe, slot, window_s, slot_s) for probe, slot in lookups]
        try:
            # The script builds its keys' names itself, all under the one hash tag; the one
            # declared key routes the call to that slot's node on Redis Cluster.
            replies = self._observe.many(keys=[self.base + "seq"], calls=calls)
        except ResponseError as exc:
            if refused_for_now(exc):
                raise TransientError(f"redis refused the dedupe lookups for now: {exc}") from exc
            # Retrying would fail the same way and stall the partition: the stage looks its
            # articles up one by one and dead-letters the one that fails.
            raise LookupFailed(f"redis dedupe lookup failed: {exc}") from exc
        except RedisError as exc:
            raise redis_failure(exc, "dedupe lookup") from exc
        return [_observation(reply) for reply in replies]

    def _args(self, probe: Probe, slot: int, window_s: int, slot_s: int) -> list[bytes | str | int]:
        record = Record(
            article_id=probe.article_id,
            first_hash=probe.digest,
            cluster="",
            size=probe.size,
            paragraphs=len(probe.paragraph_keys),
            outlet=probe.outlet,
            signature=probe.signature,
        )
        fields = b"".join((*probe.band_keys, *probe.paragraph_keys))
        return [
            bytes.fromhex(probe.article_id),
            _id_bytes(probe.digest),
            record.pack(),
            window_s,
            window_s + slot_s,
            len(probe.band_keys),
            len(probe.paragraph_keys),
            SLOTS,
            self.base,
            slot,
            2**self.bucket_bits,
            fields,
        ]

    def record_clusters(self, clusters: Sequence[tuple[int, str]]) -> None:
        """Remember each article's cluster (sequence number, cluster id), once: later copies
        join the same cluster. One round trip for all of them."""
        if not clusters:
            return
        keys = [f"{self.base}r:{seq}" for seq, _ in clusters]
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for key, (_, cluster) in zip(keys, clusters, strict=True):
                    pipe.setrange(key, Record.CLUSTER_OFFSET, _id_bytes(cluster))
                replies = pipe.execute(raise_on_error=False)
        except RedisError as exc:
            raise redis_failure(exc, "write of clusters") from exc
        refused = [
            (key, r) for key, r in zip(keys, replies, strict=True) if isinstance(r, ResponseError)
        ]
        for_now = [error for _, error in refused if refused_for_now(error)]
        if for_now:  # the batch's writes go again: SETRANGE twice leaves the same bytes
            raise TransientError(f"redis refused the cluster writes for now: {for_now[0]}")
        for key, error in refused:
            # Another program's key of another type where a record should be: writing again
            # would fail the same way and stall the partition. The article's verdict is out
            # already; a later copy of its story may name a cluster of its own.
            logger.warning("cluster of %s not written, redis refused it: %s", key, error)


def _observation(reply: list[bytes | int]) -> Observation:
    seq, exact_owner_seq = int(reply[0]), _raw(reply[2])
    first_hash, cluster, own_signature = Record.first_version_and_cluster(_raw(reply[1]))
    rest = reply[3:]
    records = [
        (int(rest[i]), Record.unpack(_raw(rest[i + 1])), int(rest[i + 2]))
        for i in range(0, len(rest), 3)
    ]
    earlier = tuple(
        Earlier(
            article_id=r.article_id,
            seq=other_seq,
            outlet=r.outlet,
            cluster=r.cluster,
            size=r.size,
            signature=r.signature,
            paragraphs=r.paragraphs,
            shared_paragraphs=shared,
        )
        for other_seq, r, shared in records
    )
    exact_owner = next(
        (r.article_id for other_seq, r, _ in records if str(other_seq).encode() == exact_owner_seq),
        "",
    )
    return Observation(
        seq=seq,
        first_hash=first_hash,
        cluster=cluster,
        first_signature=own_signature,
        exact_owner=exact_owner,
        earlier=earlier,
    )
