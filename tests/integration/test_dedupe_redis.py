"""The dedupe stage against the real Redis: verdicts, replays, races, and bounded memory."""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
from datetime import timedelta
from typing import Any

import pytest
from redis import Redis

from adapters.dedupe_index import Record, RedisDedupeIndex
from adapters.redis_client import connect_redis
from schemas.contracts import example
from schemas.messages import DedupeVerdict
from schemas.timestamps import iso_utc, parse_iso
from schemas.topics import Topics
from tests.conftest import Namespace
from tests.fakes import record
from workers.dedupe.handler import DedupeStage
from workers.errors import TransientError

pytestmark = pytest.mark.integration

STORY = [
    "The regional parliament approved a new water law on Tuesday after a debate that lasted almost nine hours.",
    "The law obliges every town of more than ten thousand people to publish its water losses once a year.",
    "Opposition members said the deadlines were too short for small towns with old pipes and few engineers.",
    "The minister replied that the state would pay half of the cost of new meters for the poorest districts.",
    "Farmers' unions welcomed the rules on irrigation but asked for a transition period of three seasons.",
    "Environmental groups called the vote a first step and promised to watch how the law is enforced.",
    "The law comes into force in January, and the first reports are due before the end of next year.",
    "A commission of experts will check the figures that towns publish and can order independent audits.",
]
OTHER = [
    "A new ferry line between the two largest islands will open in the spring, the transport office said.",
    "The crossing will take forty minutes, half the time of the current route through the northern port.",
    "Tickets will be sold online only, and residents of the islands will get a discount of one third.",
]


def _stage(redis_url: str, ns: Namespace) -> DedupeStage:
    index = RedisDedupeIndex(connect_redis(redis_url), ns.redis_prefix)
    return DedupeStage(index, Topics(), window_s=3600)


def _article(article_id: str, outlet: str, paragraphs: list[str]) -> dict[str, Any]:
    return dict(
        example("article.v1"),
        article_id=article_id,
        outlet=outlet,
        paragraphs=paragraphs,
        body="\n\n".join(paragraphs),
        page_paragraphs=[],
    )


def _verdict(stage: DedupeStage, article: dict[str, Any]) -> DedupeVerdict:
    [out] = stage.handle(article, record(b""))
    verdict: DedupeVerdict = json.loads(out.value)["dedupe"]
    return verdict


def _id(n: int) -> str:
    return f"{n:032x}"


def test_relations_and_replays(redis_url: str, namespace: Namespace) -> None:
    stage = _stage(redis_url, namespace)
    edited = [p.replace("nine hours", "eight hours") for p in STORY[:-1]] + [
        STORY[-1] + " It said so."
    ]
    articles = {
        "first": _article(_id(1), "Gazette", STORY),
        "exact": _article(_id(2), "Wire", [p.upper() for p in STORY]),
        "near": _article(_id(3), "Wire", edited),
        "partial": _article(_id(4), "Daily", STORY[:5]),
        "other": _article(_id(5), "Daily", OTHER),
    }
    first = {name: _verdict(stage, a) for name, a in articles.items()}
    assert {k: v["relation"] for k, v in first.items()} == {
        "first": "original",
        "exact": "exact_duplicate",
        "near": "near_duplicate",
        "partial": "partial_reprint",
        "other": "original",
    }
    for name in ("exact", "near", "partial"):
        assert first[name]["duplicate_of"] == _id(1) and first[name]["cluster_id"] == _id(1)
        assert first[name]["cross_outlet"] is True
    # Every article handled again (a redelivery after a crash), in reverse order: same verdicts.
    again = {name: _verdict(stage, a) for name, a in reversed(list(articles.items()))}
    assert again == first


def test_new_content_at_the_same_url_is_an_update(redis_url: str, namespace: Namespace) -> None:
    stage = _stage(redis_url, namespace)
    assert _verdict(stage, _article(_id(7), "Gazette", STORY))["relation"] == "original"
    changed = _article(
        _id(7), "Gazette", [*STORY[:6], "Correction: the vote took place on Wednesday."]
    )
    verdict = _verdict(stage, changed)
    assert verdict["relation"] == "update" and verdict["duplicate_of"] == _id(7)
    assert _verdict(stage, changed) == verdict


def test_the_window_spans_the_older_slots_and_ends(redis_url: str, namespace: Namespace) -> None:
    """The script claims a field in the current time slot and looks it up in the three
    before: copies two slots later are matched by every field kind (the content hash, the
    bands, the paragraphs); four slots later the window has moved past the first article."""
    stage = _stage(redis_url, namespace)  # window 3600 s: slots of 1200 s
    start = parse_iso(example("article.v1")["seen_at"])

    def seen(article: dict[str, Any], slots_later: int) -> dict[str, Any]:
        return dict(article, seen_at=iso_utc(start + timedelta(seconds=1200 * slots_later)))

    edited = [p.replace("nine hours", "eight hours") for p in STORY]
    assert _verdict(stage, _article(_id(21), "Gazette", STORY))["relation"] == "original"
    later = {
        "exact_duplicate": _article(_id(22), "Wire", STORY),
        "near_duplicate": _article(_id(23), "Wire", edited),
        "partial_reprint": _article(_id(24), "Daily", STORY[:5]),
    }
    for relation, article in later.items():
        verdict = _verdict(stage, seen(article, 2))
        assert (verdict["relation"], verdict["duplicate_of"]) == (relation, _id(21))
    # The copies two slots later claimed their fields in their own slot: four slots after
    # the first article, a new copy finds the exact copy among them, no longer the first.
    verdict = _verdict(stage, seen(_article(_id(25), "Post", STORY), 4))
    assert (verdict["relation"], verdict["duplicate_of"]) == ("exact_duplicate", _id(22))
    assert verdict["cluster_id"] == _id(21)
    assert _verdict(stage, seen(_article(_id(26), "Post", OTHER), 5))["relation"] == "original"
    verdict = _verdict(stage, seen(_article(_id(27), "Post", OTHER), 9))
    assert verdict["relation"] == "original"
    # A slot is searched longer than its records are kept: with the first copy's record gone
    # (as its TTL would have it), the exact owner is the next copy that is still kept.
    client = connect_redis(redis_url)
    [first_copy] = [
        k
        for k in client.scan_iter(match=f"{{{namespace.redis_prefix}dedupe}}:v4:r:*")
        if _stored(client, k).article_id == _id(22)
    ]
    client.delete(first_copy)
    verdict = _verdict(stage, seen(_article(_id(28), "Post", STORY), 5))
    assert (verdict["relation"], verdict["duplicate_of"]) == ("exact_duplicate", _id(25))


def test_an_article_seen_again_and_again_is_never_a_duplicate_of_itself(
    redis_url: str, namespace: Namespace
) -> None:
    """Versions of one URL two slots apart, for longer than the window: each is an update
    of the article, never a duplicate of its own earlier version."""
    stage = _stage(redis_url, namespace)  # window 3600 s: slots of 1200 s
    start = parse_iso(example("article.v1")["seen_at"])
    relations = []
    for version in range(4):
        paragraphs = [*STORY[:-1], f"{STORY[-1]} Updated {version} times."]
        article = dict(
            _article(_id(31), "Gazette", paragraphs),
            seen_at=iso_utc(start + timedelta(seconds=2400 * version)),
        )
        verdict = _verdict(stage, article)
        relations.append((verdict["relation"], verdict["duplicate_of"], verdict["cluster_id"]))
    assert relations[0] == ("original", None, _id(31))
    assert relations[1:] == [("update", _id(31), _id(31))] * 3


def _race(args: tuple[str, str, int, threading.Barrier]) -> DedupeVerdict:
    url, prefix, n, barrier = args
    stage = _stage(url, Namespace(prefix))
    article = _article(_id(100 + n), f"Outlet {n}", STORY if n % 2 else [p.lower() for p in STORY])
    barrier.wait()
    return _verdict(stage, article)


def test_racing_workers_produce_exactly_one_original(redis_url: str, namespace: Namespace) -> None:
    workers = 6
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(workers)
        args = [(redis_url, namespace.token, n, barrier) for n in range(workers)]
        with ctx.Pool(workers) as pool:
            verdicts = pool.map(_race, args)
    originals = [v for v in verdicts if v["relation"] == "original"]
    assert len(originals) == 1
    winner = originals[0]["cluster_id"]
    assert all(v["cluster_id"] == winner for v in verdicts)
    assert all(v["duplicate_of"] == winner for v in verdicts if v is not originals[0])


def test_every_key_expires(redis_url: str, namespace: Namespace) -> None:
    stage = _stage(redis_url, namespace)
    for n in range(3):
        _verdict(stage, _article(_id(200 + n), "Gazette", STORY[n:]))
    client = connect_redis(redis_url)
    keys = list(client.scan_iter(match=f"{{{namespace.redis_prefix}dedupe}}*"))
    assert keys
    assert all(client.ttl(k) > 0 for k in keys if not k.endswith(b":v4:seq"))


def test_the_script_survives_a_script_flush_and_a_dropped_connection(
    redis_url: str, namespace: Namespace
) -> None:
    client = connect_redis(redis_url)
    stage = DedupeStage(RedisDedupeIndex(client, namespace.redis_prefix), Topics(), window_s=3600)
    first = _verdict(stage, _article(_id(1), "a.example", STORY))
    client.script_flush()  # as after a Redis restart: the script must be sent again
    copies = [_article(_id(n), f"{n}.example", STORY) for n in (2, 3)]
    outcomes = stage.handle_batch([(a, record(b"")) for a in copies])  # pipelined: all resent
    verdicts = [json.loads(outs[0].value)["dedupe"] for outs in outcomes]  # type: ignore[index]
    assert [v["duplicate_of"] for v in verdicts] == [_id(1), _id(1)]
    # Every client connection dropped under the stage: its next call reconnects.
    client.client_kill_filter(_type="normal", skipme=True)
    again = _verdict(stage, _article(_id(1), "a.example", STORY))
    assert again == first


def test_a_batch_gets_the_verdicts_of_its_articles_one_at_a_time(
    redis_url: str, namespace: Namespace
) -> None:
    """A batch's lookups go to Redis together, before any verdict of the batch is known: the
    copy of a copy must still join the first article's cluster, as it does one at a time."""
    articles = [
        _article(_id(1), "Gazette", STORY),
        _article(_id(2), "Wire", STORY[:5]),  # a partial reprint of 1: cluster 1
        _article(_id(3), "Daily", [p.upper() for p in STORY[:5]]),  # an exact copy of 2
        _article(_id(4), "Daily", OTHER),
        _article(_id(2), "Wire", STORY[:5]),  # 2 redelivered within the batch
        {"article_id": _id(5)},  # a broken input: its own outcome, not the batch's
    ]
    one_by_one = _stage(redis_url, Namespace(namespace.token + "-single"))
    expected = [_verdict(one_by_one, a) for a in articles[:-1]]
    outcomes = _stage(redis_url, namespace).handle_batch([(a, record(b"")) for a in articles])
    assert isinstance(outcomes[-1], KeyError)
    batched = [json.loads(outs[0].value)["dedupe"] for outs in outcomes[:-1]]  # type: ignore[index]
    assert batched == expected
    assert [v["relation"] for v in batched] == [
        "original",
        "partial_reprint",
        "exact_duplicate",
        "original",
        "partial_reprint",
    ]
    assert batched[2]["duplicate_of"] == _id(2) and batched[2]["cluster_id"] == _id(1)


def _stored(client: Redis, key: str | bytes) -> Record:
    raw = client.get(key)
    assert isinstance(raw, bytes), raw
    return Record.unpack(raw)


def test_a_cluster_write_refused_for_good_is_logged_and_the_others_land(
    redis_url: str, namespace: Namespace, caplog: pytest.LogCaptureFixture
) -> None:
    """A key of another type where a record should be (another program's, in our
    namespace) would refuse the write on every retry: it is logged, not retried forever,
    and the batch's other clusters are written."""
    client = connect_redis(redis_url)
    index = RedisDedupeIndex(client, namespace.redis_prefix)
    client.rpush(f"{index.base}r:1", "not a record")
    client.set(f"{index.base}r:2", Record(_id(2), "", "", 40, 3, "Wire", b"").pack())
    with caplog.at_level(logging.WARNING, logger="adapters.dedupe_index"):
        index.record_clusters([(1, _id(7)), (2, _id(7))])
    assert _stored(client, f"{index.base}r:2").cluster == _id(7)
    assert [r.getMessage() for r in caplog.records if "not written" in r.getMessage()] == [
        f"cluster of {index.base}r:1 not written, redis refused it: "
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    ]


def test_a_cluster_write_refused_for_now_is_retried(redis_url: str, namespace: Namespace) -> None:
    """Out of memory passes: the stage waits and writes again (SETRANGE twice is the same)."""
    client = connect_redis(redis_url)
    index = RedisDedupeIndex(client, namespace.redis_prefix)
    client.set(f"{index.base}r:1", Record(_id(1), "", "", 40, 3, "Wire", b"").pack())
    saved = client.config_get("maxmemory*")
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", 1)
    try:
        with pytest.raises(TransientError, match="for now"):
            index.record_clusters([(1, _id(7))])
    finally:
        client.config_set("maxmemory", str(saved["maxmemory"]))
        client.config_set("maxmemory-policy", str(saved["maxmemory-policy"]))
    index.record_clusters([(1, _id(7))])
    assert _stored(client, f"{index.base}r:1").cluster == _id(7)
