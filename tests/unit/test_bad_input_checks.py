"""The verdicts of the hostile-input end-to-end test (tests/e2e/bad_input_checks.py): each
holds on what it expects and names what went wrong otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.kafka_client import PartitionLag
from tests.e2e.bad_input_checks import (
    arabic_titles_problem,
    dead_letters_for,
    feed_text_problem,
    good_articles_problem,
    lag_problem,
    memory_problem,
    metric_total,
    oversized_entry_problem,
    oversized_page_problem,
    resent_entries_problem,
    restart_problem,
    skipped_entry_problem,
)
from tests.e2e.pipeline_run import stage_of

A, B = "a" * 32, "b" * 32


def letter(
    error_type: str,
    key: str | None = A,
    carried: dict[str, Any] | None = None,
    stage: str = "extract",
) -> dict[str, Any]:
    text = json.dumps(carried) if carried is not None else "not json"
    return {
        "stage": stage,
        "error_type": error_type,
        "error": "why",
        "key": key,
        "value_text": text,
    }


def article(
    aid: str = A, title: str = "T", body: str = "text", source: str = "page", **extra: Any
) -> dict[str, Any]:
    return {"article_id": aid, "title": title, "body": body, "body_source": source, **extra}


# (name, processed, dead letters, problem expected)
OVERSIZED_PAGE = [
    ("processed-truncated", [article(truncated=True)], [], False),
    ("dead-lettered-too-large", [], [letter("too_large")], False),
    ("processed-whole", [article()], [], True),
    ("processed-twice", [article(truncated=True), article(truncated=True)], [], True),
    ("dead-lettered-otherwise", [], [letter("handler_error")], True),
    ("nowhere", [], [], True),
    ("another-article-dead-lettered", [], [letter("too_large", key=B)], True),
]


@pytest.mark.parametrize(
    ("processed", "letters", "wrong"),
    [c[1:] for c in OVERSIZED_PAGE],
    ids=[c[0] for c in OVERSIZED_PAGE],
)
def test_oversized_page(
    processed: list[dict[str, Any]], letters: list[dict[str, Any]], wrong: bool
) -> None:
    assert (oversized_page_problem(A, processed, letters) is not None) == wrong


def entry(text: str, **extra: Any) -> dict[str, Any]:
    return {"article_id": A, "title": "Big", "summary": text, **extra}


# (name, entries, dead letters, problem expected)
OVERSIZED_ENTRY = [
    ("cut-and-said", [entry("x" * 10, truncated=True)], [], False),
    ("dead-lettered-too-large", [], [letter("too_large", stage="poller")], False),
    ("said-but-not-cut", [entry("x" * 100, truncated=True)], [], True),
    ("cut-but-not-said", [entry("x" * 10)], [], True),
    ("sent-twice", [entry("x", truncated=True), entry("x", truncated=True)], [], True),
    ("nowhere", [], [], True),
    ("dead-lettered-otherwise", [], [letter("invalid_output", stage="poller")], True),
]


@pytest.mark.parametrize(
    ("entries", "letters", "wrong"),
    [c[1:] for c in OVERSIZED_ENTRY],
    ids=[c[0] for c in OVERSIZED_ENTRY],
)
def test_oversized_entry(
    entries: list[dict[str, Any]], letters: list[dict[str, Any]], wrong: bool
) -> None:
    assert (oversized_entry_problem(A, 100, entries, letters) is not None) == wrong


# (name, processed, dead letters, problem expected)
FEED_TEXT = [
    (
        "from-the-summary",
        [article(body="Intro\n\nThe  feed text.", source="feed_summary")],
        [],
        False,
    ),
    ("from-the-content", [article(body="The feed text.", source="feed_content")], [], False),
    ("from-a-page", [article(body="The feed text.", source="page")], [], True),
    ("other-text", [article(body="Something else.", source="feed_summary")], [], True),
    ("dead-lettered", [], [letter("extraction_empty", key=None, carried={"title": "T"})], True),
    (
        "not-processed",
        [article(title="Other", body="The feed text.", source="feed_summary")],
        [],
        True,
    ),
]


@pytest.mark.parametrize(
    ("processed", "letters", "wrong"), [c[1:] for c in FEED_TEXT], ids=[c[0] for c in FEED_TEXT]
)
def test_feed_text(
    processed: list[dict[str, Any]], letters: list[dict[str, Any]], wrong: bool
) -> None:
    assert (feed_text_problem("T", "The feed text.", processed, letters) is not None) == wrong


DEAD_LETTERS_FOR = [
    ("by-key", letter("x", key=A), {"article": A}, True),
    ("by-carried-id", letter("x", key=None, carried={"article_id": A}), {"article": A}, True),
    ("by-carried-title", letter("x", key=None, carried={"title": "T"}), {"title": "T"}, True),
    ("other-key", letter("x", key=B), {"article": A}, False),
    ("not-json", letter("x", key=None), {"title": "T"}, False),
]


@pytest.mark.parametrize(
    ("dead", "which", "found"),
    [c[1:] for c in DEAD_LETTERS_FOR],
    ids=[c[0] for c in DEAD_LETTERS_FOR],
)
def test_dead_letters_for(dead: dict[str, Any], which: dict[str, str], found: bool) -> None:
    assert bool(dead_letters_for([dead], **which)) == found


GOOD = [
    ("each-once", [article(A), article(B)], False),
    ("one-missing", [article(A)], True),
    ("one-twice", [article(A), article(B), article(B)], True),
    ("others-do-not-matter", [article(A), article(B), article("c" * 32), article("c" * 32)], False),
]


@pytest.mark.parametrize(("processed", "wrong"), [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_good_articles_exactly_once(processed: list[dict[str, Any]], wrong: bool) -> None:
    assert (good_articles_problem({A, B}, processed) is not None) == wrong


def test_an_entry_sent_twice_is_named() -> None:
    assert resent_entries_problem([entry("x"), {"article_id": B, "title": "N"}]) is None
    problem = resent_entries_problem([entry("x"), entry("x")])
    assert problem is not None and "'Big' x2" in problem


ARABIC = [
    ("as-written", [article(title="أخبار")], [], False),
    ("mojibake", [article(title="ÃÎÈÇÑ")], [entry("", title="ÃÎÈÇÑ")], True),
    ("missing", [], [], True),
    ("twice", [article(title="أخبار"), article(title="أخبار")], [], True),
]


@pytest.mark.parametrize(
    ("processed", "entries", "wrong"), [c[1:] for c in ARABIC], ids=[c[0] for c in ARABIC]
)
def test_arabic_titles(
    processed: list[dict[str, Any]], entries: list[dict[str, Any]], wrong: bool
) -> None:
    assert (arabic_titles_problem({A: "أخبار"}, processed, entries) is not None) == wrong


SKIPPED = [
    ("counted", 1.0, [], False),
    ("counted-every-poll", 7.0, [], False),
    ("no-metric", None, [], True),
    ("zero", 0.0, [], True),
    ("counted-yet-processed", 1.0, [article(title="Empty")], True),
]


@pytest.mark.parametrize(
    ("total", "processed", "wrong"), [c[1:] for c in SKIPPED], ids=[c[0] for c in SKIPPED]
)
def test_skipped_entry(total: float | None, processed: list[dict[str, Any]], wrong: bool) -> None:
    assert (skipped_entry_problem("Empty", total, processed) is not None) == wrong


MEMORY = [
    ("same", {"extract": 100_000}, False),
    ("at-the-limit", {"extract": 150_000}, False),
    ("over-the-limit", {"extract": 150_001}, True),
    ("gone", {"extract": None}, True),
]


@pytest.mark.parametrize(("after", "wrong"), [c[1:] for c in MEMORY], ids=[c[0] for c in MEMORY])
def test_memory(after: dict[str, int | None], wrong: bool) -> None:
    assert (memory_problem({"extract": 100_000}, after) is not None) == wrong


RESTARTS = [
    ("same-pids", {"extract": 2, "tag": 3}, [], False),
    ("replaced", {"extract": 9, "tag": 3}, [], True),
    ("gone", {"tag": 3}, [], True),
    ("died-in-the-log", {"extract": 2, "tag": 3}, ["ERROR stage died stage=tag"], True),
]


@pytest.mark.parametrize(
    ("after", "died", "wrong"), [c[1:] for c in RESTARTS], ids=[c[0] for c in RESTARTS]
)
def test_restarts(after: dict[str, int], died: list[str], wrong: bool) -> None:
    assert (restart_problem({"extract": 2, "tag": 3}, after, died) is not None) == wrong


def test_lag_names_the_groups_behind() -> None:
    caught_up = {"g-extract": [PartitionLag("t", 0, 5, 5), PartitionLag("t", 1, None, 0)]}
    assert lag_problem(caught_up) is None
    problem = lag_problem({**caught_up, "g-tag": [PartitionLag("d", 2, 3, 10)]})
    assert problem == "g-tag is 7 records behind (d[2] 7)"


EXPOSITION = """# HELP newsflow_feed_entries_skipped_total Entries skipped
# TYPE newsflow_feed_entries_skipped_total counter
newsflow_feed_entries_skipped_total{reason="no_link"} 2.0
newsflow_feed_entries_skipped_total{reason="no_text"} 1.0
# HELP newsflow_feed_polls_total Feed polls
# TYPE newsflow_feed_polls_total counter
newsflow_feed_polls_total{status="ok"} 9.0
"""

METRICS = [
    ("summed-over-labels", "newsflow_feed_entries_skipped_total", 3.0),
    ("absent", "newsflow_missing_total", None),
]


@pytest.mark.parametrize(("sample", "total"), [c[1:] for c in METRICS], ids=[c[0] for c in METRICS])
def test_metric_total(sample: str, total: float | None) -> None:
    assert metric_total(EXPOSITION, sample) == total


STAGE_OF = [
    ("stage", ["python", "-m", "newsflow.cli", "run", "--stage", "extract"], "extract"),
    ("supervisor", ["python", "-m", "newsflow", "run"], None),
    ("cut-short", ["python", "-m", "newsflow.cli", "run", "--stage"], None),
]


@pytest.mark.parametrize(
    ("command", "stage"), [c[1:] for c in STAGE_OF], ids=[c[0] for c in STAGE_OF]
)
def test_stage_of(command: list[str], stage: str | None) -> None:
    assert stage_of(command) == stage
