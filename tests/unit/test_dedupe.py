import json

import pytest

from schemas.contracts import example
from schemas.topics import Topics
from tests.fakes import InMemoryHashStore, record
from workers.dedupe.core import Owner, content_hash, exact_verdict
from workers.dedupe.handler import DedupeStage

A, B = "a" * 32, "b" * 32

VERDICTS = [
    # name, previous owner, expected relation, expected duplicate_of, expected cross_outlet
    ("first-sighting-is-original", None, "original", None, None),
    ("replay-of-itself-is-original", Owner(A, "Gazette"), "original", None, None),
    ("other-article-same-outlet", Owner(B, "Gazette"), "exact_duplicate", B, False),
    ("other-article-other-outlet", Owner(B, "Wire"), "exact_duplicate", B, True),
]


@pytest.mark.parametrize(
    ("previous", "relation", "duplicate_of", "cross"),
    [v[1:] for v in VERDICTS],
    ids=[v[0] for v in VERDICTS],
)
def test_exact_verdict(
    previous: Owner | None, relation: str, duplicate_of: str | None, cross: bool | None
) -> None:
    verdict = exact_verdict(Owner(A, "Gazette"), "h" * 32, previous)
    assert verdict["relation"] == relation
    assert verdict["duplicate_of"] == duplicate_of
    assert verdict["cross_outlet"] == cross
    assert verdict["cluster_id"] == (duplicate_of or A)


def test_owner_round_trips_outlet_names_with_spaces_and_arabic() -> None:
    owner = Owner(A, "صحيفة المرسى Daily")
    assert Owner.decode(owner.encode()) == owner


def test_empty_body_has_no_hash() -> None:
    assert content_hash([]) == ""


def _article(article_id: str, outlet: str, body: str) -> bytes:
    message = dict(example("article.v1"), article_id=article_id, outlet=outlet, body=body)
    return json.dumps(message).encode()


def _verdict(stage: DedupeStage, value: bytes) -> dict[str, object]:
    out = stage.handle(json.loads(value), record(value))
    assert len(out) == 1 and out[0].topic == "news.deduped.v1"
    verdict: dict[str, object] = json.loads(out[0].value)["dedupe"]
    return verdict


def test_stage_flags_a_lightly_reformatted_copy_and_replays_consistently() -> None:
    stage = DedupeStage(InMemoryHashStore(), Topics(), window_s=3600)
    original = _article(A, "Gazette", "Ferries resume, after the storm.")
    copy = _article(B, "Wire", "FERRIES RESUME after the storm!")
    first = _verdict(stage, original)
    second = _verdict(stage, copy)
    replayed_first = _verdict(stage, original)
    replayed_second = _verdict(stage, copy)
    assert first["relation"] == "original"
    assert second["relation"] == "exact_duplicate" and second["duplicate_of"] == A
    assert replayed_first == first
    assert replayed_second == second


def test_stage_never_matches_bodies_without_tokens() -> None:
    stage = DedupeStage(InMemoryHashStore(), Topics(), window_s=3600)
    assert _verdict(stage, _article(A, "Gazette", "…"))["relation"] == "original"
    assert _verdict(stage, _article(B, "Wire", "!!"))["relation"] == "original"
