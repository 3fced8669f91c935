"""Verdicts from what the index returned (pure): table cases with hand-made signatures; the
stage's batch handling over an in-memory index; and which error replies of Redis stop a
batch to be retried."""

from collections.abc import Sequence

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError, ResponseError

from adapters.dedupe_index import Record, RedisDedupeIndex
from workers.dedupe.index import Earlier, LookupFailed, Observation, Probe
from workers.dedupe.minhash import (
    CompactSignature,
    MinHasher,
    compact,
    shingle_hashes,
    signature_bytes,
)
from workers.dedupe.normalize import tokens
from workers.dedupe.verdicts import Article, Thresholds, content_hash, decide
from workers.errors import TransientError

ME, OLD, OLDER = "a" * 32, "b" * 32, "c" * 32
HASHER = MinHasher()
STORY = " ".join(
    f"paragraph {i} of the harbour story with its own words number {i}" for i in range(12)
)


def _signature(text: str) -> CompactSignature:
    return compact(HASHER.signature(shingle_hashes(tokens(text))))


def _me(text: str = STORY, outlet: str = "Gazette") -> Article:
    words = tokens(text)
    hashes = shingle_hashes(words)
    signature = signature_bytes(compact(HASHER.signature(hashes)))
    return Article(ME, outlet, content_hash(words), signature, int(hashes.size), 12)


def _earlier(
    article_id: str,
    text: str,
    seq: int,
    outlet: str = "Wire",
    cluster: str = "",
    paragraphs: int = 0,
    shared: int = 0,
) -> Earlier:
    hashes = shingle_hashes(tokens(text))
    signature = signature_bytes(_signature(text))
    return Earlier(
        article_id, seq, outlet, cluster, int(hashes.size), signature, paragraphs, shared
    )


def _seen(
    *earlier: Earlier, exact_owner: str = "", first_hash: str = "", cluster: str = ""
) -> Observation:
    return Observation(9, first_hash, cluster, b"", exact_owner, tuple(earlier))


HALF = " ".join(STORY.split()[: len(STORY.split()) // 2])
EDITED = STORY.replace("number 3", "number three").replace("number 7", "number seven")
OTHER = " ".join(
    f"a different report {i} about the council budget and sea wall {i}" for i in range(12)
)

CASES = [
    # name, observation, relation, duplicate_of, cluster
    ("nothing-earlier", _seen(), "original", None, ME),
    ("unrelated-candidate", _seen(_earlier(OLD, OTHER, 3)), "original", None, ME),
    ("exact-owner", _seen(_earlier(OLD, STORY, 3), exact_owner=OLD), "exact_duplicate", OLD, OLD),
    ("exact-owner-joins-its-cluster",
     _seen(_earlier(OLD, STORY, 3, cluster=OLDER), exact_owner=OLD), "exact_duplicate", OLD, OLDER),
    ("light-edit-is-near", _seen(_earlier(OLD, EDITED, 3)), "near_duplicate", OLD, OLD),
    ("earliest-near-wins",
     _seen(_earlier(OLD, EDITED, 5), _earlier(OLDER, EDITED, 2)), "near_duplicate", OLDER, OLDER),
    ("exact-beats-an-earlier-near",
     _seen(_earlier(OLDER, EDITED, 2), _earlier(OLD, STORY, 5), exact_owner=OLD),
     "exact_duplicate", OLD, OLD),
    ("half-the-story-is-a-partial-reprint", _seen(_earlier(OLD, HALF, 3)), "partial_reprint", OLD, OLD),
    ("shared-paragraphs-make-a-partial-reprint-that-minhash-misses",
     _seen(_earlier(OLD, OTHER, 3, paragraphs=4, shared=3)), "partial_reprint", OLD, OLD),
    ("one-shared-paragraph-is-not-enough",
     _seen(_earlier(OLD, OTHER, 3, paragraphs=1, shared=1)), "original", None, ME),
    ("same-id-new-content-is-an-update",
     _seen(first_hash="f" * 32, cluster=OLDER), "update", ME, OLDER),
    ("its-own-earlier-record-is-no-duplicate",
     _seen(_earlier(ME, STORY, 3), exact_owner=ME), "original", None, ME),
    ("its-own-earlier-record-beside-another",
     _seen(_earlier(ME, STORY, 2), _earlier(OLD, EDITED, 3)), "near_duplicate", OLD, OLD),
]  # fmt: skip


@pytest.mark.parametrize(
    ("seen", "relation", "duplicate_of", "cluster"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decide(seen: Observation, relation: str, duplicate_of: str | None, cluster: str) -> None:
    verdict = decide(_me(), seen, Thresholds())
    assert (verdict["relation"], verdict["duplicate_of"], verdict["cluster_id"]) == (
        relation,
        duplicate_of,
        cluster,
    )


def test_replay_of_the_first_version_is_original_again() -> None:
    me = _me()
    assert decide(me, _seen(first_hash=me.digest), Thresholds())["relation"] == "original"


def test_cross_outlet_and_scores_are_reported() -> None:
    verdict = decide(
        _me(outlet="Gazette"), _seen(_earlier(OLD, EDITED, 3, outlet="Wire")), Thresholds()
    )
    assert verdict["cross_outlet"] is True and verdict["method"] == "minhash"
    assert 0.6 <= verdict["score"] < 1.0
    same = decide(_me(outlet="Wire"), _seen(_earlier(OLD, EDITED, 3, outlet="Wire")), Thresholds())
    assert same["cross_outlet"] is False


def test_empty_body_has_no_hash() -> None:
    assert content_hash([]) == ""


class OneBadReply:
    """A dedupe index whose reply about one article cannot be read (a bug, not Redis down)."""

    def __init__(self, bad_id: str) -> None:
        self.bad_id, self.calls = bad_id, 0
        self.clusters: list[tuple[int, str]] = []

    def observe_many(
        self, lookups: Sequence[tuple[Probe, int]], *, window_s: int, slot_s: int
    ) -> list[Observation]:
        self.calls += 1
        if any(probe.article_id == self.bad_id for probe, _ in lookups):
            raise ValueError("unreadable reply")
        return [Observation(self.calls, probe.digest, "", b"", "", ()) for probe, _ in lookups]

    def record_clusters(self, clusters: Sequence[tuple[int, str]]) -> None:
        self.clusters += clusters


def test_one_unreadable_lookup_fails_its_article_not_the_batch() -> None:
    from schemas.contracts import example
    from schemas.topics import Topics
    from tests.fakes import record
    from workers.dedupe.handler import DedupeStage

    text = ["A regional parliament approved a new water law on Tuesday after a long debate."]
    articles = [
        dict(example("article.v1"), article_id=f"{n:032x}", paragraphs=text, body=text[0])
        for n in range(3)
    ]
    index = OneBadReply(bad_id=f"{1:032x}")
    outcomes = DedupeStage(index, Topics(), window_s=3600).handle_batch(
        [(a, record(b"")) for a in articles]
    )
    assert isinstance(outcomes[1], ValueError)
    assert all(isinstance(o, list) and len(o) == 1 for o in (outcomes[0], outcomes[2]))
    assert index.calls == 4  # the batch, then each article alone


class Refusing:
    """Stands in for the index's script: every call answered with one error reply."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def many(self, keys: Sequence[str], calls: Sequence[Sequence[object]]) -> list[object]:
        raise self.error


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ResponseError("user_script:98: Script attempted to access nonexistent global"), False),
        (ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"), False),
        (OutOfMemoryError("command not allowed when used memory > 'maxmemory'."), True),
        (ResponseError("BUSY Redis is busy running a script."), True),
        (
            ResponseError("MISCONF Redis is configured to save RDB snapshots, but it's failing"),
            True,
        ),
        (ReadOnlyError("You can't write against a read only replica."), True),
        (RedisConnectionError("Connection refused"), True),
    ],
    ids=["script error", "wrong type", "out of memory", "busy", "misconf", "read-only", "down"],
)
def test_a_lookup_error_stalls_the_batch_only_when_retrying_can_help(
    error: Exception, transient: bool
) -> None:
    index = RedisDedupeIndex(redis.Redis(), "test:")
    index._observe = Refusing(error)  # type: ignore[assignment]
    probe = Probe("a" * 32, "Gazette", "b" * 32, b"\0" * 4, 1, [b"\0" * 8], [])
    expected = TransientError if transient else LookupFailed
    with pytest.raises(expected):
        index.observe_many([(probe, 0)], window_s=60, slot_s=10)


@pytest.mark.parametrize(
    "record",
    [
        Record("ab" * 16, "cd" * 16, "ef" * 16, 700, 20, "Wire", bytes(range(120))),
        Record("01" * 16, "", "", 0, 0, "", b""),  # no text yet, no cluster, no outlet
        Record("02" * 16, "cd" * 16, "", 5, 1, "الجزيرة نت" * 30, b"\x01\x02"),  # cut at 255
    ],
)
def test_first_version_and_cluster_read_alone_is_what_unpacking_it_whole_gives(
    record: Record,
) -> None:
    raw = record.pack()
    whole = Record.unpack(raw)
    assert Record.first_version_and_cluster(raw) == (
        whole.first_hash,
        whole.cluster,
        whole.signature,
    )
    assert (whole.first_hash, whole.cluster, whole.signature) == (
        record.first_hash,
        record.cluster,
        record.signature,
    )
