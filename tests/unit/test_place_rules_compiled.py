"""The compiled place rules (native/src/place_rules.rs) held to the Python rule
(workers/tag/place_context.judge and tagger.place_tags): the same mentions, rules and
places on the table cases and on generated texts of place names among the words the rules
look at."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.dedupe.normalize import normalize_paragraphs
from workers.tag.language import LanguageDetector
from workers.tag.place_context import CompiledRules, judge, located
from workers.tag.rules_file import RulesFile
from workers.tag.tagger import Tagger, place_tags

from .test_place_context import CASES, RULES

BUDGET = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

# Place names and the words around them that the rules read, in both languages the rules
# know, with forms found inside Chinese runs and words the rules do not know.
WORDS = [
    *("تركي", "السعودية", "السعودي", "مدريد", "ريال", "عمان", "الاردنية", "جدة", "الرياض"),
    *("بن", "بنت", "ابو", "ال", "الامير", "للامير", "والشيخ", "العقيد", "في", "وفد"),
    *("Jordan", "Sydney", "Hamilton", "Washington", "Chicago", "American", "Americans"),
    *("Russia", "China", "Britain", "North", "New", "York", "Cubs", "FC", "Lions", "Times"),
    *("Post", "Society", "Alliance", "Center", "for", "of", "in", "Mr", "King", "Prince"),
    *("Tyler", "Leon", "Panetta", "Tuesday", "July", "the", "said", "talks", "Valley"),
    *("River", "Henderson", "Real", "Madrid", "Dutch", "oven", "NSW", "Scientific"),
    *("中国", "日本の", "北京で", "東京", "x", "3"),
]
LANGUAGES = ["ar", "en", "fr", "zh", None]
TEXTS = st.lists(st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join), max_size=4)


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Tagger:
    path = tmp_path_factory.mktemp("rules") / "tag-rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return Tagger(LanguageDetector(), RulesFile(path))


def _both(tagger: Tagger, texts: list[str], language: str | None) -> tuple[Any, Any]:
    folded = normalize_paragraphs(texts, casefold=False)
    compiled = tagger.place_mentions(folded, language)
    in_python = tagger.place_mentions(folded, language, in_python=True)
    return compiled, in_python


@pytest.mark.parametrize(("language", "text"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_the_compiled_rules_judge_the_table_cases_as_python_does(
    tagger: Tagger, language: str, text: str
) -> None:
    compiled, in_python = _both(tagger, [text], language)
    assert compiled == in_python


@BUDGET
@given(TEXTS, st.sampled_from(LANGUAGES))
def test_the_compiled_rules_judge_generated_texts_as_python_does(
    tagger: Tagger, texts: list[str], language: str | None
) -> None:
    compiled, in_python = _both(tagger, texts, language)
    assert compiled == in_python


@BUDGET
@given(TEXTS, st.sampled_from(LANGUAGES))
def test_the_compiled_tally_is_place_tags_of_the_python_mentions(
    tagger: Tagger, texts: list[str], language: str | None
) -> None:
    title, paragraphs = (texts[0] if texts else ""), texts[1:]
    article = {
        "title": title,
        "paragraphs": paragraphs,
        "body": "\n\n".join(paragraphs),
        "outlet": "test",
        "language_hint": language,
    }
    folded = normalize_paragraphs([title, *paragraphs], casefold=False)
    tags = tagger.tag(article)
    mentions = tagger.place_mentions(folded, tags["language"], in_python=True)
    assert tags["places"] == place_tags(mentions, tagger.places)


def test_a_hit_not_where_it_says_is_refused(tagger: Tagger) -> None:
    rules = CompiledRules([tagger._place_matcher], tagger.places)
    texts = normalize_paragraphs(["Talks in Russia resumed."], casefold=False)
    spotted = tagger._place_matcher.spot(texts)
    assert [j.hit.text for j in rules.mentions(texts, [(0, spotted)], [], "en")] == ["Russia"]
    paragraph, phrase, offset, byte = spotted[0]
    with pytest.raises(ValueError, match="not where it says"):
        rules.mentions(texts, [(0, [(paragraph, phrase, offset, byte + 1)])], [], "en")


def test_the_python_path_reads_the_matchers_hits_as_the_compiled_one(tagger: Tagger) -> None:
    """The reference path judges what `located` makes of the same matchers' hits."""
    texts = normalize_paragraphs(["British Columbia and Britain"], casefold=False)
    hits = [h for m in (tagger._place_matcher,) for h in m.find(texts)]
    expected = judge(texts, located(hits), [], "en", tagger.places.country_of)
    assert tagger.place_mentions(texts, "en", in_python=True) == expected
