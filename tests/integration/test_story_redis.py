"""The story step against the real Redis: rewrites share a story, redeliveries get theirs
back, copies join their original's, two workers racing on one story make one story and lose
no growth, a refused write by hand, and every key with a TTL."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from redis import Redis

from adapters.redis_client import connect_redis
from adapters.story_index import RedisStoryIndex
from tests.conftest import Namespace
from tests.story_articles import TALKS_AR, article, article_id, budget, storm
from workers.story.features import StoryReader, StoryText
from workers.story.index import Commit, Committed, Lookup, Seen, StoryObject
from workers.story.match import decide
from workers.story.meaning import unit
from workers.story.state import opened_by
from workers.story.step import StoryStep, commit_of, lookup_of
from workers.story.weights import WordWeights

pytestmark = pytest.mark.integration

WINDOW_S = 86_400
ROUNDS = 25


@pytest.fixture(scope="module")
def reader() -> StoryReader:
    """One reader for the module: each language's word weights are built once (the step's
    threads share it as the stage's would)."""
    reader = StoryReader(WordWeights())
    reader.warm_up(["en", "ar"])
    return reader


@pytest.fixture
def client(redis_url: str) -> Iterator[Redis]:
    client = connect_redis(redis_url)
    yield client
    client.close()


def _index(redis_url: str, prefix: str) -> RedisStoryIndex:
    """An index on a connection of its own, as each worker has."""
    return RedisStoryIndex(connect_redis(redis_url), prefix, window_s=WINDOW_S)


def _step(redis_url: str, prefix: str, reader: StoryReader) -> StoryStep:
    return StoryStep(_index(redis_url, prefix), reader, WINDOW_S)


def _read(reader: StoryReader, article: dict[str, Any]) -> StoryText:
    text = reader.read(article)
    assert isinstance(text, StoryText)
    return text


def test_rewrites_share_a_story_and_unrelated_articles_have_their_own(
    redis_url: str, namespace: Namespace, reader: StoryReader
) -> None:
    step = _step(redis_url, namespace.redis_prefix, reader)
    talks = [
        article(article_id(10 + n), title, body, outlet=f"Arabic{n}", language="ar")
        for n, (title, body) in enumerate(TALKS_AR)
    ]
    stories = [
        *step.assign_batch([storm(0, article_id(1), "Wire")]),
        *step.assign_batch([storm(1, article_id(2), "Gazette")]),
        *step.assign_batch([budget(article_id(3))]),
        *step.assign_batch(talks[:1]),
        *step.assign_batch(talks[1:]),
    ]
    assert [(s["story_id"], s["role"], s["size"]) for s in stories] == [
        (article_id(1), "first", 1),
        (article_id(1), "rewrite", 2),
        (article_id(3), "first", 1),
        (article_id(10), "first", 1),
        (article_id(10), "rewrite", 2),
    ]
    assert stories[1]["score"] >= 0.7
    assert stories[1]["matched"][0]["article_id"] == article_id(1)


def test_a_redelivered_article_gets_exactly_the_story_it_was_emitted_with(
    redis_url: str, namespace: Namespace, reader: StoryReader
) -> None:
    step = _step(redis_url, namespace.redis_prefix, reader)
    first = step.assign_batch([storm(0, article_id(1), "Wire")])
    joined = step.assign_batch([storm(1, article_id(2), "Gazette")])
    step.assign_batch([storm(2, article_id(3), "Courier"), storm(3, article_id(4), "Daily")])

    # redelivered after the story grew, in one batch, and by another worker
    again = _step(redis_url, namespace.redis_prefix, reader).assign_batch(
        [storm(1, article_id(2), "Gazette"), storm(0, article_id(1), "Wire")]
    )

    assert again == [*joined, *first]
    assert (first[0]["size"], joined[0]["size"]) == (1, 2)
    [live] = _index(redis_url, namespace.redis_prefix).live_stories()
    assert live.size == 4  # the redeliveries grew nothing


def _edited(article: dict[str, Any]) -> dict[str, Any]:
    """A reprint with its last sentence changed (what the dedupe stage calls near)."""
    head, _, _ = article["body"].rpartition(".")
    head, _, _ = head.rpartition(".")
    return {**article, "body": head + ". The port reopens on Thursday, the authority said."}


@pytest.mark.parametrize(
    ("relation", "make_copy", "role"),
    [
        pytest.param("near_duplicate", _edited, "copy", id="near-duplicate"),
        pytest.param("exact_duplicate", lambda a: a, "copy", id="exact-duplicate"),
        # no key of its own leads to the story: it is found through its original alone
        pytest.param(
            "partial_reprint", lambda a: {**a, **budget("")}, "copy", id="found-by-original"
        ),
        pytest.param("original", lambda a: {**a, **budget("")}, "first", id="no-copy"),
    ],
)
def test_a_copy_joins_its_originals_story(
    redis_url: str,
    namespace: Namespace,
    reader: StoryReader,
    relation: str,
    make_copy: Callable[[dict[str, Any]], dict[str, Any]],
    role: str,
) -> None:
    step = _step(redis_url, namespace.redis_prefix, reader)
    step.assign_batch([storm(0, article_id(1), "Wire")])
    original = storm(1, article_id(2), "Gazette")  # the story's second member
    step.assign_batch([original])

    copied: dict[str, Any] = make_copy(original)
    copy = {
        **copied,
        "article_id": article_id(3),
        "outlet": "Daily",
        "dedupe": {"relation": relation, "duplicate_of": article_id(2)},
    }
    [story] = step.assign_batch([copy])

    assert story["role"] == role
    expected = (article_id(1), 3) if role == "copy" else (article_id(3), 1)
    assert (story["story_id"], story["size"]) == expected


class ReadTogether:
    """A worker's index whose first read waits for the other worker's (when `together` is
    given): both decide from the same state of the stories before either writes, the race
    at its worst. Counts the writes refused."""

    def __init__(self, index: RedisStoryIndex, together: threading.Barrier | None) -> None:
        self.index = index
        self.together = together
        self.conflicts = 0

    def read_many(self, lookups: Sequence[Lookup]) -> list[Seen]:
        seen = self.index.read_many(lookups)
        if self.together is not None:
            self.together.wait(timeout=30)
            self.together = None  # a read again after a refused write waits for no one
        return seen

    def commit_many(self, commits: Sequence[Commit]) -> list[Committed]:
        out = self.index.commit_many(commits)
        self.conflicts += sum(c.outcome == "conflict" for c in out)
        return out


def _race(
    redis_url: str,
    prefix: str,
    reader: StoryReader,
    pair: tuple[dict[str, Any], dict[str, Any]],
    read_together: bool,
) -> tuple[list[StoryObject], int]:
    """Two workers, each with an index on a connection of its own, handle one article each,
    started at the same moment: their stories, and how many writes were refused."""
    start = threading.Barrier(2)
    after_read = threading.Barrier(2) if read_together else None
    indexes = [ReadTogether(_index(redis_url, prefix), after_read) for _ in pair]

    def work(n: int) -> StoryObject:
        step = StoryStep(indexes[n], reader, WINDOW_S)
        start.wait(timeout=30)
        [story] = step.assign_batch([pair[n]])
        return story

    with ThreadPoolExecutor(2) as pool:
        stories = list(pool.map(work, range(2)))
    return stories, sum(i.conflicts for i in indexes)


@pytest.mark.parametrize("read_together", [True, False], ids=["reads-together", "free-timing"])
def test_two_workers_racing_on_one_story_make_one_story_and_lose_no_growth(
    redis_url: str, namespace: Namespace, reader: StoryReader, read_together: bool
) -> None:
    refused = []
    for n in range(ROUNDS):
        prefix = f"{namespace.redis_prefix}round{n}:"
        ids = [article_id(100 * n + k) for k in range(4)]
        outlets = ["Wire", "Gazette", "Courier", "Daily"]
        articles = [storm(k, ids[k], outlets[k]) for k in range(4)]

        opened, conflicts_opening = _race(
            redis_url, prefix, reader, (articles[0], articles[1]), read_together
        )
        grown, conflicts_growing = _race(
            redis_url, prefix, reader, (articles[2], articles[3]), read_together
        )

        stories = opened + grown
        assert len({s["story_id"] for s in stories}) == 1, (n, stories)
        assert sorted(s["size"] for s in opened) == [1, 2], n
        assert sorted(s["size"] for s in grown) == [3, 4], n
        [live] = _index(redis_url, prefix).live_stories()
        assert live.size == 4, n
        assert sorted(m.article_id for m in live.members) == sorted(ids)
        refused.append((conflicts_opening, conflicts_growing))
    if read_together:
        # both decided from the same state every time: one of each pair was refused
        assert refused == [(1, 1)] * ROUNDS


def test_a_refused_write_by_hand(redis_url: str, namespace: Namespace, reader: StoryReader) -> None:
    """Two workers' reads and writes interleaved by hand: the second write is refused when
    the first opened a story under its keys, and when the first grew the story it joined."""
    one, two = _index(redis_url, namespace.redis_prefix), _index(redis_url, namespace.redis_prefix)
    texts = [_read(reader, storm(k, article_id(k + 1), f"Outlet{k}")) for k in range(4)]

    def commit(index: RedisStoryIndex, text: StoryText, seen: Seen) -> Committed:
        decision = decide(text, seen.candidates, window_s=WINDOW_S, copy_story=seen.copy_story)
        [done] = index.commit_many([commit_of(text, seen, decision)])
        return done

    def read(index: RedisStoryIndex, text: StoryText) -> Seen:
        [seen] = index.read_many([lookup_of(text)])
        return seen

    # both open a story: the second is refused, reads again and joins the first's
    seen_one, seen_two = read(one, texts[0]), read(two, texts[1])
    assert (seen_one.candidates, seen_two.candidates) == ([], [])
    assert commit(one, texts[0], seen_one).outcome == "written"
    assert commit(two, texts[1], seen_two).outcome == "conflict"
    seen_two = read(two, texts[1])
    assert [s.size for s in seen_two.candidates] == [1]
    assert commit(two, texts[1], seen_two).outcome == "written"

    # both join it: the second is refused (its version moved), reads again and joins
    seen_one, seen_two = read(one, texts[2]), read(two, texts[3])
    assert commit(one, texts[2], seen_one).outcome == "written"
    assert commit(two, texts[3], seen_two).outcome == "conflict"
    assert commit(two, texts[3], read(two, texts[3])).outcome == "written"

    [live] = one.live_stories()
    assert (live.story_id, live.size, live.version) == (article_id(1), 4, 4)

    # a write for an article that has its story is answered with that story
    again = commit(one, texts[0], seen_one)
    assert again.outcome == "replay"
    assert again.story is not None and again.story["story_id"] == article_id(1)


def test_an_article_linking_two_stories_of_one_news_item_merges_them(
    redis_url: str, namespace: Namespace, reader: StoryReader, client: Redis
) -> None:
    """Two stories of one news item opened apart (the second's first article did not join
    the first then); an article linking both merges the younger into the older: from then
    on the younger is read as the older, for a new article and for a copy of its member,
    and its first article's answer lives on with the story it is part of."""
    index = _index(redis_url, namespace.redis_prefix)
    wire, gazette = (
        _read(reader, storm(k, article_id(k + 1), o)) for k, o in ((0, "Wire"), (1, "Gazette"))
    )
    for text in (wire, gazette):
        [seen] = index.read_many([lookup_of(text)])
        opened = Commit(
            text.article_id,
            seen.found,
            text.keys,
            opened_by(text),
            0,
            {"story_id": text.article_id},
        )
        assert index.commit_many([opened]) == [Committed("written", None)]
    assert len(index.live_stories()) == 2

    absorbed_answer = f"{{{namespace.redis_prefix}story}}:v1:a:{article_id(2)}"
    client.expire(absorbed_answer, 100)  # as if its story had last grown long ago
    step = StoryStep(index, reader, WINDOW_S)
    bridge = storm(2, article_id(3), "Courier")
    [story] = step.assign_batch([bridge])
    assert client.ttl(absorbed_answer) > WINDOW_S - 60
    assert (story["story_id"], story["merged"], story["size"]) == (
        article_id(1),
        [article_id(2)],
        3,
    )
    [live] = index.live_stories()
    assert (live.story_id, live.size, live.outlet_count) == (article_id(1), 3, 3)

    # the younger story's keys now lead to the older one, once
    [seen] = index.read_many([Lookup(article_id(9), "", gazette.keys)])
    assert [c.story_id for c in seen.candidates] == [article_id(1)]
    copy = {"relation": "exact_duplicate", "duplicate_of": article_id(2)}
    [copied] = step.assign_batch([storm(1, article_id(4), "Herald", dedupe=copy)])
    assert (copied["story_id"], copied["role"]) == (article_id(1), "copy")
    assert step.assign_batch([bridge]) == [story]


def test_a_storys_languages_and_meaning_are_kept_and_read_back(
    redis_url: str, namespace: Namespace, reader: StoryReader
) -> None:
    """Across languages (workers/story/meaning.py): the story's meaning one byte a dimension,
    its languages in its header; a story without a meaning reads back without one."""
    index = _index(redis_url, namespace.redis_prefix)
    meaning = unit([math.sin(k) for k in range(512)])
    text = replace(_read(reader, storm(0, article_id(1), "Wire", places=["GB"])), meaning=meaning)
    plain = _read(reader, budget(article_id(2)))
    for t in (text, plain):
        commit = Commit(
            t.article_id, frozenset(), t.keys, opened_by(t), 0, {"story_id": t.article_id}
        )
        assert index.commit_many([commit]) == [Committed("written", None)]

    [seen, seen_plain] = index.read_many(
        [Lookup(article_id(8), "", ["pGB"]), Lookup(article_id(9), "", plain.keys)]
    )
    [story] = seen.candidates  # found by its place alone
    assert story.languages == ("en",)
    assert story.meaning == pytest.approx(meaning, abs=2 / 127)
    assert seen_plain.candidates[0].meaning == ()


def test_every_key_but_the_counter_expires_within_the_window(
    redis_url: str, namespace: Namespace, reader: StoryReader, client: Redis
) -> None:
    step = _step(redis_url, namespace.redis_prefix, reader)
    step.assign_batch([storm(0, article_id(1), "Wire"), budget(article_id(2))])
    step.assign_batch([storm(1, article_id(3), "Gazette")])

    base = f"{{{namespace.redis_prefix}story}}:v1:"
    keys = [key.decode() for key in client.scan_iter(match=base + "*")]
    kinds = {key.removeprefix(base).split(":")[0] for key in keys}
    assert kinds == {"n", "s", "a", "p", "pb", "pc"}
    slot_s = WINDOW_S // 3
    for key in keys:
        ttl = client.ttl(key)
        if key == base + "n":
            # the story counter stays: expired, it would number new stories as live ones
            assert ttl == -1
        else:
            assert 0 < ttl <= WINDOW_S + slot_s, key


def test_the_first_articles_answer_lives_as_long_as_its_story(
    redis_url: str, namespace: Namespace, reader: StoryReader, client: Redis
) -> None:
    """Redelivered while its story is kept, the story's first article must keep the story
    id: else it would open a second story under the same id."""
    step = _step(redis_url, namespace.redis_prefix, reader)
    step.assign_batch([storm(0, article_id(1), "Wire")])
    first_answer = f"{{{namespace.redis_prefix}story}}:v1:a:{article_id(1)}"
    client.expire(first_answer, 5)  # as if the story had grown long after it
    step.assign_batch([storm(1, article_id(2), "Gazette")])
    assert client.ttl(first_answer) > WINDOW_S // 2


def test_a_short_version_first_then_the_full_text_keep_one_story_id(
    redis_url: str, namespace: Namespace, reader: StoryReader
) -> None:
    step = _step(redis_url, namespace.redis_prefix, reader)
    step.assign_batch([storm(0, article_id(1), "Wire")])
    [short] = step.assign_batch([article(article_id(9), "Storm", "Ferries stop.")])
    [full] = step.assign_batch([storm(1, article_id(9), "Courier")])
    assert short["reason"] == "too_short"
    assert full == short


def _index_at(redis_url: str, prefix: str, now: list[float]) -> RedisStoryIndex:
    """An index of 2^10 posting hashes at most, on a clock the test moves (now[0])."""
    return RedisStoryIndex(
        connect_redis(redis_url), prefix, window_s=WINDOW_S, bucket_bits=10, clock=lambda: now[0]
    )


def test_a_slot_spreads_its_postings_as_the_slot_before_needed(
    redis_url: str, namespace: Namespace, reader: StoryReader, client: Redis
) -> None:
    """A new index posts its first slot over the configured hashes; the next slot opens
    with as few as the first one's articles need (a small hash is compact); a story is
    found through a slot of either size."""
    now = [float(WINDOW_S * 1000)]
    index = _index_at(redis_url, namespace.redis_prefix, now)
    step = StoryStep(index, reader, WINDOW_S)
    base, slot = index.base, int(now[0] // index.slot_s)

    step.assign_batch([storm(0, article_id(1), "Wire")])
    now[0] += index.slot_s
    [joined] = step.assign_batch([storm(1, article_id(2), "Gazette")])

    assert client.get(f"{base}pb:{slot}") == b"10"
    assert client.get(f"{base}pb:{slot + 1}") == b"0"  # one article's postings: one hash
    assert client.get(f"{base}pc:{slot}") == b"1"  # articles posted
    assert (joined["story_id"], joined["role"]) == (article_id(1), "rewrite")
    assert len(list(client.scan_iter(match=f"{base}p:{slot + 1}:*"))) == 1

    # A story posted only in the one-hash slot is found through it.
    step.assign_batch([article(article_id(10), *TALKS_AR[0], outlet="Arabic0", language="ar")])
    now[0] += index.slot_s
    [talks] = step.assign_batch(
        [article(article_id(11), *TALKS_AR[1], outlet="Arabic1", language="ar")]
    )
    assert (talks["story_id"], talks["role"]) == (article_id(10), "rewrite")


def test_a_slot_without_its_bits_is_read_with_the_configured_ones(
    redis_url: str, namespace: Namespace, reader: StoryReader, client: Redis
) -> None:
    """Slots posted before their bits were kept beside them have none: read as they were
    written, with the configured bits."""
    now = [float(WINDOW_S * 1000)]
    index = _index_at(redis_url, namespace.redis_prefix, now)
    step = StoryStep(index, reader, WINDOW_S)
    step.assign_batch([storm(0, article_id(1), "Wire")])
    client.delete(f"{index.base}pb:{int(now[0] // index.slot_s)}")
    now[0] += index.slot_s
    [joined] = step.assign_batch([storm(1, article_id(2), "Gazette")])
    assert (joined["story_id"], joined["role"]) == (article_id(1), "rewrite")


def test_a_story_is_kept_as_a_compact_hash(
    redis_url: str, namespace: Namespace, reader: StoryReader, client: Redis
) -> None:
    """Its header and centroids are over Redis's default hash-max-listpack-value: the
    launcher raises it, so that the story's hash stays a listpack (a quarter smaller)."""
    if os.environ.get("NEWSFLOW_TEST_REDIS"):
        pytest.skip("a Redis not started by the launcher: its settings are its operator's")
    step = _step(redis_url, namespace.redis_prefix, reader)
    step.assign_batch([storm(0, article_id(1), "Wire")])
    [key] = client.scan_iter(match=f"{{{namespace.redis_prefix}story}}:v1:s:*")
    assert max(len(v) for v in client.hgetall(key).values()) > 64
    assert client.object("encoding", key) == b"listpack"
