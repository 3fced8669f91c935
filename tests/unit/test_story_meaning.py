"""Stories across languages (pure): meanings packed as the index keeps them, a story's
meaning as its members', the cross-language score, and decide() joining an article to a
story told in another language by meaning alone, never a story in its own language."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pytest

from tests.story_articles import ListedWeights, article, article_id, storm
from tests.unit.test_story_match import BUDGET, STORM, WINDOW, story, text
from tests.unit.test_story_step import MemoryStoryIndex
from workers.story.features import StoryReader, StoryText
from workers.story.match import decide, signals_of
from workers.story.meaning import (
    CROSS_LINK_COSINE,
    GIST_WORDS,
    Meaning,
    cross_language_score,
    gist,
    meaning_cosine,
    merged_meaning,
    pack_meaning,
    unit,
    unpack_meaning,
)
from workers.story.score import LINK_SCORE
from workers.story.state import StoryState, grown_by
from workers.story.step import StoryStep

NORTH: Meaning = (1.0, 0.0, 0.0, 0.0)


def at_cosine(c: float) -> Meaning:
    """A unit vector at cosine c from NORTH."""
    return (c, math.sqrt(1 - c * c), 0.0, 0.0)


def test_a_meaning_packs_to_a_byte_a_dimension_and_back() -> None:
    meaning = unit([0.3, -0.8, 0.05, 0.5])
    raw = pack_meaning(meaning)
    assert len(raw) == 4
    back = unpack_meaning(raw)
    assert back == pytest.approx(meaning, abs=1 / 127)
    assert math.fsum(x * x for x in back) == pytest.approx(1.0)


def test_meaning_cosine_of_unit_vectors_and_of_none() -> None:
    assert meaning_cosine(NORTH, at_cosine(0.6)) == pytest.approx(0.6)
    assert meaning_cosine((), NORTH) == 0.0


def test_a_storys_meaning_weighs_its_members() -> None:
    east = (0.0, 1.0, 0.0, 0.0)
    three_north_one_east = merged_meaning(NORTH, 3, east, 1)
    assert three_north_one_east == pytest.approx(unit([3.0, 1.0, 0.0, 0.0]))
    # a story opened before meanings were computed takes its first member's
    assert merged_meaning((), 5, east, 1) == east
    assert merged_meaning(NORTH, 2, (), 1) == NORTH


def test_the_cross_language_score_is_the_link_score_at_the_link_cosine() -> None:
    assert cross_language_score(CROSS_LINK_COSINE, 0.0) == pytest.approx(LINK_SCORE)
    assert cross_language_score(CROSS_LINK_COSINE + 0.05, 0.0) > LINK_SCORE
    assert cross_language_score(CROSS_LINK_COSINE - 0.01, 0.0) < LINK_SCORE
    # time from the story counts as it does within a language
    assert cross_language_score(0.9, 48.0) < cross_language_score(0.9, 0.0)


def test_the_gist_is_the_title_and_the_bodys_first_words() -> None:
    body = " ".join(f"w{n}" for n in range(200))
    words = gist("A title", body).split()
    assert words[:2] == ["A", "title"]
    assert words[2:] == [f"w{n}" for n in range(GIST_WORDS)]
    assert gist("", "short body") == "short body"


def arabic(meaning: Meaning, seq: int = 1) -> StoryState:
    return story(replace(text("a", BUDGET), language="ar", meaning=meaning), seq=seq)


@pytest.mark.parametrize(
    ("cosine", "joins"),
    [
        pytest.param(CROSS_LINK_COSINE + 0.1, True, id="near-in-meaning"),
        pytest.param(CROSS_LINK_COSINE - 0.1, False, id="far-in-meaning"),
    ],
)
def test_an_article_joins_a_story_in_another_language_by_meaning(
    cosine: float, joins: bool
) -> None:
    told_in_arabic = arabic(NORTH)
    english = replace(text("b", STORM), language="en", meaning=at_cosine(cosine))
    assert signals_of(english, told_in_arabic).body == 0.0  # no word in common
    decision = decide(english, [told_in_arabic], window_s=WINDOW)
    assert (decision.joined == told_in_arabic) == joins
    if joins:
        assert signals_of(english, told_in_arabic).meaning == pytest.approx(cosine)
        assert decision.evidence["signals"] == signals_of(english, told_in_arabic).rounded()
        assert decision.state.languages == ("ar", "en")
        assert decision.state.meaning == pytest.approx(
            unit([1 + cosine, math.sqrt(1 - cosine**2), 0, 0])
        )


def test_within_one_language_meaning_is_not_compared() -> None:
    """Same-language articles are matched by their words (better figures there: meaning
    alone would link related stories): the same meaning, other words, no link."""
    told_in_arabic = arabic(NORTH)
    same_language = replace(text("b", STORM), language="ar", meaning=NORTH)
    sig = signals_of(same_language, told_in_arabic)
    assert sig.meaning is None
    assert decide(same_language, [told_in_arabic], window_s=WINDOW).joined is None


def test_a_story_with_a_member_in_the_articles_language_is_compared_by_meaning_too() -> None:
    mixed = grown_by(arabic(NORTH), replace(text("c", BUDGET), language="en", meaning=NORTH))
    english = replace(text("b", STORM), language="en", meaning=NORTH)
    assert signals_of(english, mixed).meaning == pytest.approx(1.0)


def test_places_are_keys_only_when_stories_are_matched_across_languages() -> None:
    plain = replace(text("a", STORM), places=frozenset({"GB", "geonames:2643743"}))
    with_meaning = replace(plain, meaning=NORTH)
    assert not [k for k in plain.keys if k.startswith("p")]
    assert [k for k in with_meaning.keys if k.startswith("p")] == ["pGB", "pgeonames:2643743"]
    assert set(plain.keys) < set(with_meaning.keys)


class ListedEncoder:
    """Meanings given by hand per gist's first word; every call recorded."""

    def __init__(self, meanings: dict[str, Meaning]) -> None:
        self.meanings = meanings
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> list[Meaning]:
        self.calls.append(list(texts))
        return [self.meanings[t.split()[0]] for t in texts]


def test_the_step_encodes_a_batchs_comparable_articles_in_one_call() -> None:
    encoder = ListedEncoder({"Storm": NORTH, "Tempête": at_cosine(0.9)})
    index = MemoryStoryIndex()
    step = StoryStep(index, StoryReader(ListedWeights()), WINDOW_S, encoder=encoder)
    # Two languages share no word: the story is found by the place both name.
    english = storm(0, article_id(1), "Wire", places=["geonames:1"])
    french = article(
        article_id(2),
        "Tempête",
        " ".join(["la", "tempête", "ferme", "le", "port", "et", "les", "bacs"] * 4),
        outlet="Journal",
        language="fr",
        places=["geonames:1"],
    )
    short = article(article_id(3), "Storm", "too short to compare")
    stories = step.assign_batch([english, short, french])

    assert len(encoder.calls) == 1 and len(encoder.calls[0]) == 2  # the short one is not read
    assert encoder.calls[0][0].startswith(english["title"])
    assert [s["story_id"] for s in stories] == [article_id(1), article_id(3), article_id(1)]
    assert stories[2]["evidence"]["signals"]["meaning"] == pytest.approx(0.9, abs=1e-3)
    assert index.story_of(article_id(2)).languages == ("en", "fr")


WINDOW_S = int(WINDOW)


def test_a_read_text_carries_its_language() -> None:
    read = StoryReader(ListedWeights()).read(storm(0, article_id(1), "Wire", language="en"))
    assert isinstance(read, StoryText) and read.language == "en" and read.meaning == ()
