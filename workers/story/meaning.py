"""What an article says apart from the language it says it in (pure): a multilingual sentence
encoder's vector of its title and first words. Two articles in two languages share no words
to compare; their meanings can be compared. Used only across languages, and only when
`story_cross_language` is on (docs/stories.md says why it is off by default); the encoder
itself is an adapter (adapters/sentence_encoder.py).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import Protocol

from workers.story.score import LINK_SCORE, W_HOURS

Meaning = tuple[float, ...]  # a unit vector (empty: none computed)

# Of the body, after the title: the lead and what follows it, where a dispatch's facts stand.
GIST_WORDS = 150
# At this cosine an article joins a story told in other languages: the lowest at which no
# unrelated pair of the cross-language SemEval-2022 Task 8 pairs at odd positions links;
# the pairs at even positions were not fitted on (`make eval-stories` prints both).
CROSS_LINK_COSINE = 0.65
SLOPE = 10.0  # the score's rise per unit of cosine around the link cosine
QUANTUM = 127  # a meaning kept in the index one signed byte a dimension


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> list[Meaning]:
        """One unit vector per text, in their order."""
        ...


def gist(title: str, body: str) -> str:
    """What the encoder reads of an article: its title and the body's first words."""
    return " ".join([title, *body.split()[:GIST_WORDS]]).strip()


def pack_meaning(meaning: Meaning) -> bytes:
    """One byte a dimension: a unit vector's components lie in [-1, 1]."""
    return array("b", (max(-QUANTUM, min(QUANTUM, round(x * QUANTUM))) for x in meaning)).tobytes()


def unpack_meaning(raw: bytes) -> Meaning:
    return unit(tuple(x / QUANTUM for x in array("b", raw)))


def unit(vector: Sequence[float]) -> Meaning:
    length = math.sqrt(sum(x * x for x in vector))
    return tuple(x / length for x in vector) if length else ()


def meaning_cosine(a: Meaning, b: Meaning) -> float:
    """Cosine of two unit vectors; 0.0 when either is missing."""
    if not a or not b:
        return 0.0
    return sum(x * y for x, y in zip(a, b, strict=True))


def merged_meaning(a: Meaning, weight_a: int, b: Meaning, weight_b: int) -> Meaning:
    """The direction of a story's members' meanings: the weighted sum of two groups', as a
    unit vector (either may be missing: a story opened before the encoder was on)."""
    if not a or not b:
        return a or b
    return unit([x * weight_a + y * weight_b for x, y in zip(a, b, strict=True)])


def cross_language_score(cosine: float, hours: float) -> float:
    """How surely an article reports a story told in another language: LINK_SCORE at the
    link cosine, falling with time from the story as the same-language score does."""
    z = (
        math.log(LINK_SCORE / (1 - LINK_SCORE))
        + SLOPE * (cosine - CROSS_LINK_COSINE)
        + W_HOURS * math.log1p(hours)
    )
    return 1.0 / (1.0 + math.exp(-z))
