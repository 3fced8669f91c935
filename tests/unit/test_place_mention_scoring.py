"""How `make eval-tags` scores place mentions against their labels (no data folder: a
document and labels of the test's own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.place_mention_set import (
    AR_STREAM,
    Document,
    Kept,
    Label,
    read_as,
    score,
)
from evaluation.set_counts import Counts
from workers.dedupe.normalize import normalize_paragraphs
from workers.tag.gazetteer import gazetteer
from workers.tag.language import LanguageDetector
from workers.tag.rules_file import RulesFile
from workers.tag.tagger import Tagger

DOC = Document(
    "ant:test-1",
    "ar",
    tuple(normalize_paragraphs(["زيارة", "زار الأمير تركي بن عبدالله روسيا"], casefold=False)),
)
# "زار الامير تركي بن عبدالله روسيا": تركي at 11 (a first name), روسيا at 27 (Russia).
LABELS = [
    Label("ant:test-1:1:11", AR_STREAM, 4, "other", kind="person"),
    Label("ant:test-1:1:27", AR_STREAM, 5, "place", country="RU"),
]


def test_a_label_is_read_as_the_countries_of_the_kept_mentions_over_it() -> None:
    label = Label("d:1:10", AR_STREAM, 4, "place", country="OM")
    inside = Kept(1, 5, 14, frozenset({"OM"}))  # a longer phrase that holds it
    elsewhere = Kept(1, 20, 24, frozenset({"JO"}))
    other_paragraph = Kept(2, 10, 14, frozenset({"SA"}))
    assert read_as(label, [inside, elsewhere, other_paragraph]) == {"OM"}
    assert read_as(label, [elsewhere]) == set()


def test_counts_give_precision_and_recall() -> None:
    counts = Counts()
    counts.add({"RU"}, {"RU"})
    counts.add(set(), {"TR"})
    counts.add({"JO"}, set())
    assert counts.figures() == {"precision": 0.5, "recall": 0.5, "tp": 1, "fp": 1, "fn": 1}


@pytest.fixture(scope="module")
def rules() -> RulesFile:
    return RulesFile(Path(__file__).resolve().parents[2] / "config" / "tag-rules.toml")


def test_the_context_rules_drop_the_first_name_and_keep_the_country(rules: RulesFile) -> None:
    documents = {DOC.id: DOC}
    plain = Tagger(
        LanguageDetector(), rules, places=gazetteer(context_forms=False), context_rules=False
    )
    before, after = (
        score(plain, LABELS, documents),
        score(Tagger(LanguageDetector(), rules), LABELS, documents),
    )
    half = next(iter(before.mentions))[1]
    assert before.mentions[("ar", half)].figures()["fp"] == 1
    assert before.name_only == ["ant:test-1 TR"]
    assert after.mentions[("ar", half)].figures() == {
        "precision": 1.0,
        "recall": 1.0,
        "tp": 1,
        "fp": 0,
        "fn": 0,
    }
    assert after.name_only == []
    assert after.articles[("ar", half)].figures()["tp"] == 1
