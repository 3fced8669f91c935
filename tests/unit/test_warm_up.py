"""Each worker stage's warm-up (run before it serves /readyz) builds its tables and nothing
else: no fetch, no lookup, no keyword window entry, so no verdict or tag changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.extract_stage import ExtractStage, FetchOnDemand
from ingest.fetching import FetchFailure, FetchResponse
from schemas.topics import Topics
from workers.dedupe.handler import DedupeStage
from workers.dedupe.index import Observation, Probe
from workers.tag.language import LanguageDetector
from workers.tag.rules_file import RulesFile
from workers.tag.tagger import Tagger

RULES = Path(__file__).resolve().parents[2] / "config" / "tag-rules.toml"


class Untouchable:
    """A dedupe index and a fetcher that fail the test when they are used."""

    def observe_many(
        self, lookups: Sequence[tuple[Probe, int]], *, window_s: int, slot_s: int
    ) -> list[Observation]:
        raise AssertionError("warm-up looked something up")

    def record_clusters(self, clusters: Sequence[tuple[int, str]]) -> None:
        raise AssertionError("warm-up wrote a cluster")

    def fetch(self, url: str) -> FetchResponse | FetchFailure:
        raise AssertionError(f"warm-up fetched {url}")


def test_dedupe_warm_up_looks_nothing_up() -> None:
    DedupeStage(Untouchable(), Topics(), window_s=3600).warm_up()


def test_extract_warm_up_fetches_nothing() -> None:
    ExtractStage(FetchOnDemand(Untouchable().fetch), Topics()).warm_up()


def _article(title: str, paragraphs: list[str]) -> dict[str, Any]:
    body = "\n\n".join(paragraphs)
    return {"title": title, "paragraphs": paragraphs, "body": body, "outlet": "Example"}


def test_tag_warm_up_leaves_the_keyword_window_as_it_was() -> None:
    warmed, cold = (Tagger(LanguageDetector(), RulesFile(RULES)) for _ in range(2))
    warmed.warm_up()
    assert len(warmed.window) == 0
    articles = [
        _article("Talks in Geneva", ["Diplomats from Russia and Ukraine met in Geneva."] * 2),
        _article("Geneva again", ["The Geneva talks resumed on Friday with the diplomats."]),
    ]
    # The second article's keywords depend on the window's document frequencies: had the
    # warm-up article joined the window, they could differ from the cold tagger's.
    assert [warmed.tag(a) for a in articles] == [cold.tag(a) for a in articles]
    assert len(warmed.window) == len(cold.window) == 2
