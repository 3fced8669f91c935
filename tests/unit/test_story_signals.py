"""The pieces of `make story-signals` (pure): shared word sequences, the fitted score, the
threshold that lets at most a share of related pairs through, and the two-way protocol."""

import math
import random
from typing import Any

import numpy as np
import pytest

from evaluation.story_signals import (
    as_is,
    containment,
    cross_fitted,
    fit_logistic,
    lowest_cosine_sharing_numbers,
    missing_share,
    threshold_for,
    weighted_cosine,
)


@pytest.mark.parametrize(
    ("a", "b", "n", "expected"),
    [
        ("a b c d", "a b c d e f", 2, 1.0),  # the shorter one held whole
        ("a b c d", "x a b y c d", 2, 2 / 3),
        ("a b c", "c b a", 2, 0.0),  # the same words, no pair in order
        ("a", "a b", 2, 0.0),  # a text too short to have a pair
    ],
)
def test_containment_of_the_shorter_texts_word_sequences(
    a: str, b: str, n: int, expected: float
) -> None:
    assert containment(a.split(), b.split(), n) == pytest.approx(expected)


WEIGHTS = {"ali": 3.0, "omar": 3.0, "riyadh": 3.0, "met": 1.0, "the": 0.0}


def weigh(word: str) -> float:
    return WEIGHTS.get(word, 2.0)


@pytest.mark.parametrize(
    ("lead", "other", "expected"),
    [
        ("ali met omar", "omar and ali met", 0.0),  # every name found
        ("ali met omar", "ali met the minister", 0.5),  # one name of two lacking
        ("the minister met", "ali", 0.0),  # no name in the lead: nothing lacking
        ("ali met ali", "omar", 1.0),
    ],
)
def test_the_share_of_the_leads_names_the_other_lacks(
    lead: str, other: str, expected: float
) -> None:
    assert missing_share(lead.split(), set(other.split()), weigh) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("ali met omar", "omar met ali", 1.0),  # the same words in another order
        ("ali met", "omar the", 0.0),  # nothing shared
        ("the the", "the", 0.0),  # words of no weight say nothing
        ("ali met", "ali riyadh", 9 / (math.sqrt(10) * math.sqrt(18))),
    ],
)
def test_the_cosine_of_every_word_by_weight(a: str, b: str, expected: float) -> None:
    assert weighted_cosine(a.split(), b.split(), weigh) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("scores", "allowed", "linked"),
    [
        ([0.9, 0.5, 0.4, 0.3], 0.25, 1),
        ([0.9, 0.5, 0.4, 0.3], 0.0, 0),
        ([0.9, 0.9, 0.4, 0.3], 0.25, 0),  # a tie at the edge: neither gets through
        ([0.1] * 10, 1.0, 10),
    ],
)
def test_the_threshold_lets_at_most_the_allowed_share_through(
    scores: list[float], allowed: float, linked: int
) -> None:
    threshold = threshold_for(scores, allowed)
    assert sum(s >= threshold for s in scores) == linked


def test_no_threshold_without_related_pairs() -> None:
    with pytest.raises(ValueError, match="no related pairs"):
        threshold_for([], 0.03)


def test_the_fitted_score_orders_by_the_signal_that_tells_the_classes_apart() -> None:
    rng = np.random.default_rng(3)
    telling = np.concatenate([rng.normal(1.0, 0.3, 50), rng.normal(-1.0, 0.3, 50)])
    noise = rng.normal(0.0, 1.0, 100)
    x = np.column_stack([noise, telling])
    y = np.array([True] * 50 + [False] * 50)
    score = fit_logistic(x, y)
    assert score(np.array([[0.0, 1.0]]))[0] > score(np.array([[0.0, -1.0]]))[0]
    assert (score(x)[:50].min() > score(x)[50:].max()) == (telling[:50].min() > telling[50:].max())


def test_a_telling_signal_links_the_same_pairs_and_not_the_others_on_the_unseen_half() -> None:
    rng = random.Random(5)
    labels = ["same"] * 40 + ["related"] * 40 + ["different"] * 20
    level = {"same": 0.8, "related": 0.3, "different": 0.0}
    rows = [{"signal": level[label] + rng.uniform(-0.1, 0.1)} for label in labels]
    halves = [n % 2 for n in range(len(labels))]
    table = cross_fitted(rows, labels, halves, ["signal"])
    assert table["same"] == {"pairs": 40, "linked": 1.0}
    # the threshold sits just over the fitted half's related pairs: an unseen one may pass
    assert table["related"]["linked"] <= 0.05 and table["different"]["linked"] == 0.0
    blind = [{"signal": rng.random()} for _ in labels]
    assert cross_fitted(blind, labels, halves, ["signal"])["same"]["linked"] < 0.5


def test_the_fit_sees_the_same_story_and_related_pairs_of_its_half_only() -> None:
    labels = ["same", "related", "different"] * 4
    rows = [{"signal": float(n)} for n in range(len(labels))]
    halves = [n // 3 % 2 for n in range(len(labels))]
    seen: list[list[float]] = []

    def spy(x: Any, y: Any) -> Any:
        seen.append(sorted(x[:, 0].tolist()))
        return as_is(x, y)

    cross_fitted(rows, labels, halves, ["signal"], spy)
    assert seen == [[0.0, 1.0, 6.0, 7.0], [3.0, 4.0, 9.0, 10.0]]


def test_the_steps_score_is_scored_as_it_is() -> None:
    labels = ["same", "related"] * 10
    rows = [{"score": 0.9 if label == "same" else 0.2} for label in labels]
    halves = [n // 2 % 2 for n in range(len(labels))]
    table = cross_fitted(rows, labels, halves, ["score"], as_is)
    assert table["same"] == {"pairs": 10, "linked": 1.0}
    assert table["same, in the half fitted on"]["linked"] == 1.0


def test_a_half_without_same_story_pairs_is_refused() -> None:
    with pytest.raises(ValueError, match="no same-story pairs"):
        cross_fitted([{"s": 0.0}] * 4, ["related"] * 4, [0, 1, 0, 1], ["s"])


def test_the_lowest_cosine_is_of_a_same_story_pair_sharing_numbers_in_the_fitted_half() -> None:
    rows = [
        {"body": 0.30, "lead": 0.15, "shared_numbers": 1},  # same, fitted half: 0.30
        {"body": 0.05, "lead": 0.20, "shared_numbers": 2},  # same, fitted half: 0.20
        {"body": 0.01, "lead": 0.02, "shared_numbers": 0},  # shares no number
        {"body": 0.10, "lead": 0.10, "shared_numbers": 1},  # the other half
        {"body": 0.03, "lead": 0.04, "shared_numbers": 3},  # a related pair
    ]
    labels = ["same", "same", "same", "same", "related"]
    halves = [1, 1, 1, 0, 1]
    assert lowest_cosine_sharing_numbers(rows, labels, halves) == pytest.approx(0.20)
