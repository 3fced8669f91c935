"""The sentence encoder of stories across languages, the real model from its package: unit
vectors of its size, one per text in order, and one news item told in Arabic, English and
French nearer to itself than to other news."""

from __future__ import annotations

import math

import pytest

from adapters.sentence_encoder import UniversalSentenceEncoder
from workers.story.meaning import meaning_cosine

pytestmark = pytest.mark.integration

# One made-up news item in three languages, and two others.
FLOOD = {
    "en": "Floods close the main road to the port of Tartus after two days of heavy rain; "
    "the army evacuates three hundred families from the coastal villages.",
    "ar": "الفيضانات تغلق الطريق الرئيسي إلى ميناء طرطوس بعد يومين من الأمطار الغزيرة، "
    "والجيش يجلي ثلاثمئة عائلة من القرى الساحلية.",
    "fr": "Des inondations coupent la route principale du port de Tartous après deux jours "
    "de fortes pluies ; l'armée évacue trois cents familles des villages côtiers.",
}
OTHERS = [
    "The central bank raises its interest rate by half a point to slow inflation.",
    "The national football team wins the cup final on penalties after a goalless draw.",
]


@pytest.fixture(scope="module")
def encoder() -> UniversalSentenceEncoder:
    return UniversalSentenceEncoder()


def test_one_unit_vector_per_text_in_order(encoder: UniversalSentenceEncoder) -> None:
    meanings = encoder.encode([FLOOD["en"], OTHERS[0], FLOOD["en"]])
    assert len(meanings) == 3
    assert all(len(m) == 512 for m in meanings)
    assert all(math.fsum(x * x for x in m) == pytest.approx(1.0, abs=1e-4) for m in meanings)
    assert meanings[0] == pytest.approx(meanings[2], abs=1e-5)
    assert encoder.encode([]) == []


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_one_news_item_in_two_languages_is_nearer_than_other_news(
    encoder: UniversalSentenceEncoder, language: str
) -> None:
    english, other_language, *others = encoder.encode([FLOOD["en"], FLOOD[language], *OTHERS])
    across = meaning_cosine(english, other_language)
    assert all(across > meaning_cosine(english, o) + 0.2 for o in others)
    assert all(across > meaning_cosine(other_language, o) + 0.2 for o in others)
