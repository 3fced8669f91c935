"""How likely an article reports the same news item as a story (pure): a score from several
signals, each of the article against the story as a whole (its centroid), never against one
member alone, so that A~B and B~C do not make A~C.

The weights are a logistic regression's, fitted on half of the hand-labelled ANT pairs (the
odd-numbered ones) and rounded; the other half, the SemEval-2022 Task 8 pairs and the
hand-grouped day are the sets it was not fitted on (docs/evaluation.md, `make eval-stories`),
though two choices of the step came from reading SemEval pairs it linked (a wire dateline
is no word; shared numbers need shared words within a language: match.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LINK_SCORE = 0.7  # at or above: the same story
INTERCEPT = -0.57
W_BODY, W_LEAD, W_TITLE, W_NUMBERS, W_HOURS = 2.6, 2.3, 2.1, 1.2, -1.0
NUMBERS_CAP = 3  # shared numbers beyond three say no more


@dataclass(frozen=True)
class Signals:
    body: float  # cosine of the weighted words of the whole texts
    lead: float  # cosine of the leads' words (the first sentence: who did what)
    title: float  # cosine of the titles' words
    numbers: int  # numbers the article shares with most of the story
    hours: float  # time from the story's span (first seen to last growth), in hours
    # cosine of the meanings (workers/story/meaning.py), compared only across languages
    meaning: float | None = None

    def rounded(self) -> dict[str, float]:
        out = {
            "body": round(self.body, 3),
            "lead": round(self.lead, 3),
            "title": round(self.title, 3),
            "numbers": self.numbers,
            "hours": round(self.hours, 1),
        }
        if self.meaning is not None:
            out["meaning"] = round(self.meaning, 3)
        return out


def score(s: Signals) -> float:
    z = (
        INTERCEPT
        + W_BODY * s.body
        + W_LEAD * s.lead
        + W_TITLE * s.title
        + W_NUMBERS * min(s.numbers, NUMBERS_CAP) / NUMBERS_CAP
        + W_HOURS * math.log1p(s.hours)
    )
    return 1.0 / (1.0 + math.exp(-z))
