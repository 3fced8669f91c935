"""The plain story reference and the pieces of its evaluation (pure; no shared data)."""

import csv
import gzip
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from evaluation.eval_stories import (
    ACROSS,
    FITTED,
    LABELS,
    NOT_FITTED,
    RatedPair,
    agreement,
    linked_share,
    rated_figures,
    read_semeval,
    semeval_scores,
    semeval_table,
)
from evaluation.story_pairs import BANDS, band_of, draw
from evaluation.story_reference import TfIdf, pearson, words
from evaluation.story_sets import ANT_PAIRS
from evaluation.story_stream import b_cubed
from workers.story.meaning import Meaning
from workers.story.score import LINK_SCORE

DOCNOS = ("docno_a", "docno_b")


def test_words_are_folded_as_the_dedupe_stage_folds_them() -> None:
    assert words("Die Präsidentin SAGTE: „Nein“.") == ["die", "präsidentin", "sagte", "nein"]
    assert words("أعلنت الوزارةُ") == words("اعلنت الوزارة")  # diacritics and alef forms


def test_tf_idf_cosine() -> None:
    tfidf = TfIdf([
        "the harbour reopened after the storm",
        "the harbour reopened after the storm",
        "parliament votes on the budget",
        "",
    ])  # fmt: skip
    assert tfidf.cosine(0, 1) == pytest.approx(1.0)
    assert 0.0 < tfidf.cosine(0, 2) < 0.2  # only "the" in common
    assert tfidf.cosine(0, 3) == 0.0


@pytest.mark.parametrize(
    ("xs", "ys", "expected"),
    [([1, 2, 3], [2, 4, 6], 1.0), ([1, 2, 3], [3, 2, 1], -1.0), ([1, 1, 1], [1, 2, 3], 0.0)],
)
def test_pearson(xs: list[float], ys: list[float], expected: float) -> None:
    assert pearson(xs, ys) == pytest.approx(expected)


def test_rated_figures_count_links_among_very_similar_and_unrelated_pairs() -> None:
    overall = [1.0, 1.5, 2.0, 3.5, 4.0]
    scores = [0.9, 0.1, 0.5, 0.4, 0.0]
    figures = rated_figures(overall, scores, 0.3)
    assert (figures.very_similar, figures.very_similar_linked) == (2, 0.5)
    assert (figures.unrelated, figures.unrelated_linked) == (2, 0.5)
    assert figures.abs_pearson > 0.5
    assert linked_share([], 0.3) == 0.0


def test_semeval_pairs_are_read_and_grouped_by_language(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv.gz"
    rows = [
        ("1_2", "en", "en", "harbour reopens after storm", "harbour reopens after the storm", 1.0),
        ("3_4", "en", "en", "harbour reopens after storm", "parliament passes budget", 4.0),
        ("5_6", "de", "en", "Hafen wieder offen", "harbour reopens", 1.5),
    ]
    with gzip.open(path, "wt", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["pair_id", "lang1", "lang2", "text1", "text2", "Overall"])
        writer.writerows(rows)
    pairs = read_semeval(path)
    assert [p.languages for p in pairs] == ["en-en", "en-en", "de-en"]
    scores = semeval_scores(pairs, None)
    assert set(scores) == {"reference", "stories"}  # no encoder: nothing across languages
    assert len(scores["reference"]) == len(scores["stories"]) == 3
    table = semeval_table(pairs, scores)["reference"]
    assert table["all"].pairs == 3 and table["en-en"].pairs == 2
    assert table["same language"].very_similar_linked == 1.0
    assert table["same language"].unrelated_linked == 0.0
    assert table["across languages"].very_similar_linked == 0.0  # no word in common


@pytest.mark.parametrize(
    ("cosine", "band"), [(0.01, None), (0.05, 0), (0.12, 1), (0.35, 4), (0.99, len(BANDS) - 1)]
)
def test_band_of(cosine: float, band: int | None) -> None:
    assert band_of(cosine) == band


def test_the_draw_takes_as_many_from_every_band_and_an_article_at_most_twice() -> None:
    found = {
        0: [(1, 2, 0.06), (1, 3, 0.07), (1, 4, 0.08), (5, 6, 0.09)],
        1: [(7, 8, 0.11), (9, 10, 0.12)],
    }
    drawn = draw(found, per_band=2, seed=1)
    assert sum(1 for _, _, c in drawn if c < 0.1) == 2
    assert sum(1 for _, _, c in drawn if c >= 0.1) == 2
    assert draw(found, per_band=2, seed=1) == drawn  # seeded
    ones = [x for a, b, _ in draw(found, per_band=4, seed=2) for x in (a, b) if x == 1]
    assert len(ones) <= 2


def test_the_labelled_ant_pairs_are_well_formed() -> None:
    """The committed labels: corpus ids and a label each, at least 300 pairs across the
    range, and no text of the articles (they belong to their publishers)."""
    with ANT_PAIRS.open(encoding="utf-8", newline="") as rows:
        pairs = list(csv.DictReader(rows, delimiter="\t"))
    assert len(pairs) >= 300
    assert {p["label"] for p in pairs} == set(LABELS)
    assert all(re.fullmatch(r"[A-Z]{2}-\w+-\d+-\d{8}", p[k]) for p in pairs for k in DOCNOS)
    assert len({(p["docno_a"], p["docno_b"]) for p in pairs}) == len(pairs)
    assert all(p["docno_a"][:2] != p["docno_b"][:2] for p in pairs)  # two outlets
    assert not any(re.search("[\u0600-\u06ff]", p["note"]) for p in pairs)
    bands = {band_of(float(p["cosine"])) for p in pairs}
    assert bands == set(range(len(BANDS)))


def test_agreement_of_the_two_labellers() -> None:
    pairs = [
        {"label": "same", "second_label": "same"},
        {"label": "related", "second_label": "related"},
        {"label": "different", "second_label": "related"},
        {"label": "same", "second_label": ""},
    ]
    agreed = agreement(pairs)
    assert agreed["pairs"] == 3 and agreed["agreement"] == pytest.approx(2 / 3)
    assert 0 < agreed["kappa"] < agreed["agreement"]


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ({"a": "1", "b": "1", "c": "2", "d": "3"}, (1.0, 1.0)),  # the gold partition renamed
        ({"a": "x", "b": "x", "c": "x", "d": "x"}, (0.375, 1.0)),  # everything in one
        ({"a": "a", "b": "b", "c": "c", "d": "d"}, (1.0, 0.75)),  # everything alone
        ({"a": "x", "b": "y", "c": "x", "d": "z"}, (0.75, 0.75)),  # one wrong join, one miss
    ],
    ids=["same", "one-cluster", "singletons", "swapped"],
)
def test_b_cubed_against_a_gold_grouping(
    found: dict[str, str], expected: tuple[float, float]
) -> None:
    gold = {"a": "s", "b": "s", "c": "t", "d": "u"}
    assert b_cubed(found, gold) == pytest.approx(expected)


class OneMeaning:
    """Every text means the same: across languages, every pair is near in meaning."""

    def encode(self, texts: Sequence[str]) -> list[Meaning]:
        return [(1.0, 0.0)] * len(texts)


def test_with_an_encoder_only_pairs_across_languages_are_scored_by_meaning() -> None:
    long = " ".join(["harbour", "reopens", "after", "storm", "ferries", "sail"] * 5)
    pairs = [
        RatedPair("en-en", 4.0, long, " ".join(["budget", "vote", "council"] * 10)),
        RatedPair("de-en", 1.0, " ".join(["Hafen", "wieder", "offen", "Sturm"] * 8), long),
    ]
    scores = semeval_scores(pairs, OneMeaning())
    assert scores[ACROSS][0] == scores["stories"][0] < LINK_SCORE
    assert scores["stories"][1] < LINK_SCORE <= scores[ACROSS][1]
    table = semeval_table(pairs, scores)
    assert table[ACROSS]["across languages"].very_similar_linked == 1.0
    assert NOT_FITTED not in table[ACROSS] and table[ACROSS][FITTED].pairs == 1  # row 1: odd
