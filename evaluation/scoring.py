"""Precision, recall and F1 of dedupe verdicts against the labelled set (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DUPLICATE_RELATIONS = ("exact_duplicate", "near_duplicate", "partial_reprint", "update")


@dataclass(frozen=True)
class Outcome:
    expected: str
    expected_cluster: str
    predicted: str  # a relation, or "duplicate" for a method that cannot name relations
    predicted_cluster: str | None


@dataclass(frozen=True)
class Score:
    support: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _right_story(o: Outcome) -> bool:
    return o.predicted_cluster == o.expected_cluster


def relation_score(outcomes: Sequence[Outcome], relation: str) -> Score:
    """A hit names the relation and the right story. A method that only says "duplicate" is
    credited with the relation whenever it finds the right story (generous to it)."""

    def hit(o: Outcome) -> bool:
        named = o.predicted == relation or o.predicted == "duplicate"
        return o.expected == relation and named and _right_story(o)

    support = sum(o.expected == relation for o in outcomes)
    predicted = sum(o.predicted == relation for o in outcomes)
    if relation != "original" and any(o.predicted == "duplicate" for o in outcomes):
        predicted = sum(hit(o) for o in outcomes)  # labels unknown: precision shown overall only
    return Score(support, predicted, sum(hit(o) for o in outcomes))


def overall_score(outcomes: Sequence[Outcome]) -> Score:
    """Duplicate detection as a whole: a positive is any duplicate relation, right when it
    points at the right story."""
    support = sum(o.expected in DUPLICATE_RELATIONS for o in outcomes)
    predicted = [o for o in outcomes if o.predicted != "original"]
    correct = sum(o.expected in DUPLICATE_RELATIONS and _right_story(o) for o in predicted)
    return Score(support, len(predicted), correct)
