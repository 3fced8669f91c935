"""Redis: the story step's index of live stories (workers/story/index.py says the protocol).

Two scripts, each run atomically, a batch's calls pipelined in one round trip:
  read    the story an article got before (a redelivery), else the stories posted under
          its keys (most shared keys first) with their states, and its original's story;
  commit  refuses when the article has a story already (answers it), when a story not found
          at the read is now under one of its keys, or when the joined story's version moved;
          else writes the story's new state, posts the story under the article's keys, and
          keeps the article's story object for its redeliveries; when the article brings
          two stories together, marks the absorbed one (refused if it moved meanwhile).

Keys (prefix P; each but the counter with a TTL, so memory is bounded by the window):
  {P story}:v1:n                  the story counter (kept: expired, it would number new
                                  stories as live ones are numbered)
  {P story}:v1:s:<seq>            hash: v version, h header (JSON), b/l/t centroids (packed),
                                  e its meaning (when matched across languages), i the
                                  story it was merged into (read as that one)
  {P story}:v1:a:<article id>     "<story number>|<the article's story object (JSON)>"
  {P story}:v1:p:<slot>:<bucket>  hash: key -> "seq,seq,..." the stories posted under it
  {P story}:v1:pb:<slot>          the slot's bucket bits;  ...:pc:<slot>  articles posted in it
Postings live in time slots (window / 3 long; four searched) and in hash buckets, as the
dedupe index's do (adapters/dedupe_index.py says why: small hashes are compact). A slot's
bucket count is chosen when it opens, from the articles posted in the slot before (about
64 fields a hash, at most 2^bucket_bits hashes): below that cap (about 5 * 2^bucket_bits
articles a slot) memory stays near its least with no setting to tune to the volume. A
slot far busier than the one before fills hashes past Redis's listpack limit (128
fields), which then cost more, as a slot over the cap does.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from functools import cached_property
from typing import Any, overload

import orjson
import redis
import xxhash
from redis.exceptions import RedisError, ResponseError

from adapters.redis_client import DirectScript, redis_failure, refused_for_now
from workers.errors import TransientError
from workers.story.index import Commit, Committed, Lookup, Seen, StoryObject
from workers.story.meaning import pack_meaning, unpack_meaning
from workers.story.state import Member, StoryState
from workers.story.step import story_object
from workers.story.vectors import PackedVector, pack

LAYOUT = "v1"
SLOTS = 4
MAX_CANDIDATES = 10  # stories read for one article: those sharing the most keys
POSTED_PER_KEY = 16  # the latest stories under one key (a common name's list stays short)

_LIB = """
local base = ARGV[1]
local slot, ns, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function named(kind, s) return base .. kind .. ':' .. string.format('%d', slot - s) end
-- A slot's postings spread over 2^bits hashes, the bits chosen when the slot opened
-- (open_slot); a slot opened before the bits were kept has the configured ones.
local buckets_of = {}
local function buckets(s)
  if buckets_of[s] == nil then
    buckets_of[s] = 2 ^ tonumber(redis.call('GET', named('pb', s)) or cap)
  end
  return buckets_of[s]
end
local function posting(s, hash)
  return named('p', s) .. ':' .. string.format('%d', hash % buckets(s))
end
-- Every story number under the keys (fields, 32-bit hashes from ARGV[first..]), with how
-- many keys name it, in first-found order.
local function posted(first, nk)
  local counts, order = {}, {}
  for k = 0, nk - 1 do
    local field, hash = ARGV[first + 2 * k], tonumber(ARGV[first + 2 * k + 1])
    for s = 0, ns - 1 do
      local v = redis.call('HGET', posting(s, hash), field)
      if v then
        for seq in string.gmatch(v, '%d+') do
          if not counts[seq] then counts[seq] = 0; order[#order + 1] = seq end
          counts[seq] = counts[seq] + 1
        end
      end
    end
  end
  return counts, order
end
"""

_READ = (
    _LIB
    + """
local id, copy_of, maxc, nk = ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local mine = redis.call('GET', base .. 'a:' .. id)
if mine then return {string.match(mine, '|(.*)$')} end
local copy_seq = '0'
if copy_of ~= '' then
  local original = redis.call('GET', base .. 'a:' .. copy_of)
  if original then copy_seq = string.match(original, '^(%d+)|') end
end
local counts, order = posted(9, nk)
local out = {false, copy_seq, table.concat(order, ',')}  -- every story found, as the commit checks
-- Then the most shared keys first, the newest story among equals.
table.sort(order, function(x, y)
  if counts[x] ~= counts[y] then return counts[x] > counts[y] end
  return tonumber(x) > tonumber(y)
end)
local taken, given = 0, {}
-- A story merged into another (field i) answers as that one, each story once.
local function add(seq)
  for _ = 1, 8 do
    if given[seq] then return false end
    local st = redis.call('HMGET', base .. 's:' .. seq, 'v', 'h', 'b', 'l', 't', 'e', 'i')
    if not st[1] then return false end
    if not st[7] then
      given[seq] = true
      out[#out + 1] = seq
      for i = 1, 5 do out[#out + 1] = st[i] end
      out[#out + 1] = st[6] or ''
      return seq
    end
    seq = st[7]
  end
  return false
end
if copy_seq ~= '0' then out[2] = add(copy_seq) or '0' end
-- Postings outlive their stories by up to a slot: a story gone from the index takes no
-- candidate's place, and the lookups stay bounded.
local tried = 0
for _, seq in ipairs(order) do
  if taken >= maxc or tried >= 3 * maxc then break end
  if not given[seq] then
    tried = tried + 1
    if add(seq) then taken = taken + 1 end
  end
end
return out
"""
)

_COMMIT = (
    _LIB
    + """
-- The current slot's bits, chosen when its first story is posted: hashes enough for the
-- articles posted in the slot before to come about PER_HASH to a hash (some 13 keys each:
-- about 64 fields, and a small hash is compact: adapters/dedupe_index.py), the configured
-- bits at most, and those with no slot before to go by (a new index, or one that slept).
local PER_HASH = 5
local function open_slot(ttl)
  local bits_key, count_key = named('pb', 0), named('pc', 0)
  if not redis.call('GET', bits_key) then
    local before = tonumber(redis.call('GET', named('pc', 1)) or '-1')
    local bits = cap
    if before >= 0 then
      bits = 0
      while bits < cap and before > PER_HASH * 2 ^ bits do bits = bits + 1 end
    end
    redis.call('SET', bits_key, bits, 'EX', ttl)
    buckets_of[0] = 2 ^ bits
  end
  redis.call('INCR', count_key)
  redis.call('EXPIRE', count_key, ttl)
end
local id, seq, version, ttl, bucket_ttl = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local known, out = ARGV[10], ARGV[11]
local h, b, l, t, e = ARGV[12], ARGV[13], ARGV[14], ARGV[15], ARGV[16]
local keep, nk, first_id = tonumber(ARGV[17]), tonumber(ARGV[18]), ARGV[19]
local merged, merged_version, merged_first = ARGV[20], ARGV[21], ARGV[22]
local akey = base .. 'a:' .. id
local mine = redis.call('GET', akey)
if mine then return {'replay', string.match(mine, '|(.*)$')} end
if seq == '-' then  -- a story of its own, in no story's index: only the article's answer
  redis.call('SET', akey, '0|' .. out, 'EX', ttl)
  return {'written', '0'}
end
local was = {}
for seq_known in string.gmatch(known, '%d+') do was[seq_known] = true end
local _, order = posted(23, nk)
for _, other in ipairs(order) do
  if not was[other] then return {'conflict'} end
end
if seq == '0' then
  seq = tostring(redis.call('INCR', base .. 'n'))
  version = '0'
elseif redis.call('HGET', base .. 's:' .. seq, 'v') ~= version then
  return {'conflict'}
end
if merged ~= '0' then  -- absorbed by the story joined: it answers as that one from now on
  local mkey = base .. 's:' .. merged
  if redis.call('HGET', mkey, 'v') ~= merged_version then return {'conflict'} end
  redis.call('HSET', mkey, 'v', tostring(tonumber(merged_version) + 1), 'i', seq)
  redis.call('EXPIRE', mkey, ttl)  -- its postings lead to the story it is part of now
  -- and its first article keeps its answer as long, as the joined story's first does
  redis.call('EXPIRE', base .. 'a:' .. merged_first, ttl)
end
local skey = base .. 's:' .. seq
redis.call('HSET', skey, 'v', tostring(tonumber(version) + 1), 'h', h, 'b', b, 'l', l, 't', t)
if e ~= '' then redis.call('HSET', skey, 'e', e) end
redis.call('EXPIRE', skey, ttl)
-- The first article's answer lives as long as its story: redelivered while the story is
-- kept, it keeps the story id it gave the story, which no other story may then take.
redis.call('EXPIRE', base .. 'a:' .. first_id, ttl)
open_slot(bucket_ttl)
for k = 0, nk - 1 do
  local field, hash = ARGV[23 + 2 * k], tonumber(ARGV[24 + 2 * k])
  local key = posting(0, hash)
  local v = redis.call('HGET', key, field)
  local list = {}
  if v then
    for other in string.gmatch(v, '%d+') do
      if other ~= seq then list[#list + 1] = other end
    end
  end
  list[#list + 1] = seq
  while #list > keep do table.remove(list, 1) end
  redis.call('HSET', key, field, table.concat(list, ','))
  redis.call('EXPIRE', key, bucket_ttl)
end
redis.call('SET', akey, seq .. '|' .. out, 'EX', ttl)
return {'written', seq}
"""
)


def pack_header(state: StoryState) -> bytes:
    """The story's header (JSON). Its members under "mb": the story's own id written as ""
    (the first member's, while it is among the latest) and each lead in base64, a third
    shorter than the hex of "m", which headers written before it hold."""
    header = {
        "id": state.story_id,
        "n": state.size,
        "o": list(state.outlets),
        "f": round(state.first_seen, 1),
        "g": round(state.last_growth, 1),
        "ti": state.title,
        "nu": state.numbers,
        "pl": state.places,
        "mb": [
            [
                "" if m.article_id == state.story_id else m.article_id,
                m.outlet,
                base64.b64encode(m.packed_lead).decode(),
            ]
            for m in state.members
        ],
        "la": list(state.languages),
    }
    return orjson.dumps(header)


# What most articles' stories say (a story of their own): kept only when they say otherwise.
ANSWER_DEFAULTS: dict[str, Any] = {
    "role": "first",
    "matched": [],
    "evidence": {},
    "size": 1,
    "outlets": 1,
    "reason": None,
    "merged": [],
}


def pack_answer(article_id: str, story: StoryObject) -> bytes:
    """The article's story object as kept for its redeliveries, without what unpack_answer
    restores (its own id as story id, the defaults): about 20 bytes instead of 150 for an
    article that opened its story, most of them."""
    kept = {k: v for k, v in story.items() if ANSWER_DEFAULTS.get(k, ...) != v}
    if kept.get("story_id") == article_id:
        del kept["story_id"]
    return orjson.dumps(kept)


def unpack_answer(article_id: str, raw: bytes) -> StoryObject:
    """The story object pack_answer kept, whole and in the order it was emitted (an answer
    kept whole, as before it was packed, reads the same)."""
    kept = orjson.loads(raw)
    full = {"story_id": article_id, **ANSWER_DEFAULTS, **kept}
    return story_object(
        full["story_id"],
        full["role"],
        full["score"],
        full["matched"],
        full["evidence"],
        full["size"],
        full["outlets"],
        full["reason"],
        full["merged"],
    )


class EncodedMembers(Sequence[Member]):
    """A story's members as its header lists them, decoded when first read: only the story
    an article joins is (for `matched` and its new header)."""

    def __init__(self, header: dict[str, Any]) -> None:
        self._story_id = header["id"]
        self._encoded: list[list[str]] = header["mb"] if "mb" in header else header["m"]
        self._hex = "mb" not in header

    @cached_property
    def _members(self) -> tuple[Member, ...]:
        decode = bytes.fromhex if self._hex else base64.b64decode
        return tuple(Member(a or self._story_id, o, decode(v)) for a, o, v in self._encoded)

    @overload
    def __getitem__(self, i: int) -> Member: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Member]: ...

    def __getitem__(self, i: int | slice) -> Member | Sequence[Member]:
        return self._members[i]

    def __len__(self) -> int:
        return len(self._encoded)


def unpack_state(
    seq: int,
    version: int,
    header: bytes,
    b: bytes,
    l: bytes,  # noqa: E741
    t: bytes,
    e: bytes = b"",
) -> StoryState:
    h = orjson.loads(header)
    return StoryState(
        seq=seq,
        story_id=h["id"],
        version=version,
        size=h["n"],
        outlets=tuple(h["o"]),
        first_seen=h["f"],
        last_growth=h["g"],
        title=h["ti"],
        body=PackedVector(b),
        lead=PackedVector(l),
        title_terms=PackedVector(t),
        numbers=h["nu"],
        places=h["pl"],
        members=EncodedMembers(h),
        languages=tuple(h.get("la", ())),  # absent from stories written before it was kept
        meaning=unpack_meaning(e) if e else (),
    )


class RedisStoryIndex:
    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        *,
        window_s: int,
        bucket_bits: int = 10,
        clock: Any = time.time,
    ) -> None:
        self.client = client
        self.base = f"{{{prefix}story}}:{LAYOUT}:"
        self.window_s = window_s
        self.slot_s = max(1, window_s // (SLOTS - 1))
        self.bucket_bits = bucket_bits
        self._clock = clock
        self._read = DirectScript(client, _READ)
        self._commit = DirectScript(client, _COMMIT)

    def read_many(self, lookups: Sequence[Lookup]) -> list[Seen]:
        if not lookups:
            return []
        slot = self._slot()
        calls = [
            [
                *self._common(slot),
                lookup.article_id,
                lookup.copy_of,
                MAX_CANDIDATES,
                len(lookup.keys),
                *self._fields(lookup.keys),
            ]
            for lookup in lookups
        ]
        replies = self._run(self._read, calls, "read")
        return [
            _seen(lookup.article_id, reply) for lookup, reply in zip(lookups, replies, strict=True)
        ]

    def commit_many(self, commits: Sequence[Commit]) -> list[Committed]:
        if not commits:
            return []
        slot = self._slot()
        calls = [self._commit_args(slot, c) for c in commits]
        replies = self._run(self._commit, calls, "write")
        return [_committed(c.article_id, reply) for c, reply in zip(commits, replies, strict=True)]

    def _commit_args(self, slot: int, c: Commit) -> list[Any]:
        story = pack_answer(c.article_id, c.story)
        ttls = [self.window_s, self.window_s + self.slot_s]
        if c.state is None:  # a story of its own: the article's answer alone
            return [*self._common(slot), c.article_id, "-", 0, *ttls, "", story]
        return [
            *self._common(slot),
            c.article_id,
            c.state.seq,
            c.joined_version,
            *ttls,
            ",".join(map(str, sorted(c.found))),
            story,
            pack_header(c.state),
            pack(c.state.body),
            pack(c.state.lead),
            pack(c.state.title_terms),
            pack_meaning(c.state.meaning),
            POSTED_PER_KEY,
            len(c.keys),
            c.state.story_id,
            c.merged_seq,
            c.merged_version,
            c.merged_first,
            *self._fields(c.keys),
        ]

    def _common(self, slot: int) -> list[str | int]:
        return [self.base, slot, SLOTS, self.bucket_bits]

    def _slot(self) -> int:
        return int(self._clock() // self.slot_s)

    def _fields(self, keys: Sequence[str]) -> list[str | int]:
        out: list[str | int] = []
        for key in keys:
            out += [key, xxhash.xxh32_intdigest(key.encode())]
        return out

    def _run(self, script: DirectScript, calls: list[list[Any]], what: str) -> list[Any]:
        try:
            return script.many(keys=[self.base + "n"], calls=calls)
        except ResponseError as exc:
            if refused_for_now(exc):
                raise TransientError(f"redis refused the story {what} for now: {exc}") from exc
            raise
        except RedisError as exc:
            raise redis_failure(exc, f"story {what}") from exc

    def live_stories(self, limit: int = 1000) -> list[StoryState]:
        """Stories in the window, biggest first (a scan: for the operator's command)."""
        try:
            return self._live_stories(limit)
        except RedisError as exc:
            raise redis_failure(exc, "scan of live stories") from exc

    def _live_stories(self, limit: int) -> list[StoryState]:
        states: list[StoryState] = []
        for key in self.client.scan_iter(match=f"{self.base}s:*", count=1000):
            version, header, body, lead, title, meaning, into = self.client.hmget(
                key, ["v", "h", "b", "l", "t", "e", "i"]
            )
            if into is not None or not (
                isinstance(version, bytes)
                and isinstance(header, bytes)
                and isinstance(body, bytes)
                and isinstance(lead, bytes)
                and isinstance(title, bytes)
            ):
                continue  # merged into another, or expired between the scan and the read
            seq = int(key.decode().rsplit(":", 1)[1])
            states.append(
                unpack_state(
                    seq,
                    int(version),
                    header,
                    body,
                    lead,
                    title,
                    meaning if isinstance(meaning, bytes) else b"",
                )
            )
        states.sort(key=lambda s: (-s.size, -s.last_growth))
        return states[:limit]


def _seen(article_id: str, reply: list[Any]) -> Seen:
    if len(reply) == 1:
        return Seen(frozenset(), unpack_answer(article_id, reply[0]), (), 0)
    found = frozenset(int(x) for x in reply[2].split(b",") if x) if reply[2] else frozenset()
    rest = reply[3:]
    candidates = [
        unpack_state(int(rest[i]), int(rest[i + 1]), *rest[i + 2 : i + 7])
        for i in range(0, len(rest), 7)
    ]
    return Seen(found, None, candidates, int(reply[1]))


def _committed(article_id: str, reply: list[Any]) -> Committed:
    outcome = reply[0].decode()
    if outcome == "replay":
        return Committed("replay", unpack_answer(article_id, reply[1]))
    if outcome == "written":
        return Committed("written", None)
    return Committed("conflict", None)
