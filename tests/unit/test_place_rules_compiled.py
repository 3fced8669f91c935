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
    *("Ottawa", "Calgary", "beat", "held", "on", "to", "scored", "11", "2012", "May"),
    *("University", "wife", "Moose", "Jaw", "Gulf", "Chris", "Houston", "visit", "Sea"),
    *("Ocean", "South", "Magazine", "R", "A", "D", "C", "O", "News"),
    *("and", "or", "Egypt", "Niger", "Bermuda", "Stanley", "Texans", "Michael"),
    *("Association", "India", "Indians", "Cleveland", "Chad", "Safe", "Kirk", "Academy"),
    *("California", "club", "Club", "College", "Polytechnic", "Initiative", "Party"),
    *("San", "Diego", "Sue", "Schools", "Marathon", "Tokyo", "by", "posted", "1005", "among"),
    *("Agency", "Street", "Road", "Avenue", "Examiner", "Observer", "Jamaica", "CF", "Syrian"),
    *("Birmingham", "Ala", "Valencia", "Spain", "Venezuela", "Canton", "Ohio", "Jersey", "City"),
    # where Python's and Rust's ideas of a letter, a capital or a case fold could part:
    # ß folds to "ss" ("Leß" to a stopword), a title-case letter, İ, a letter number and
    # a capital beyond the BMP
    *("Leß", "LESS", "Émile", "ǅemal", "İstanbul", "\U00010140", "\U00010400x", "Ωmega"),
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


# Texts where a compiled reading of letters could part from Python's: "Leß" casefolds to
# the stopword "less" (so no family name follows Jordan), and letters beyond the BMP count
# or not in a headline's share of capitals as Python's str methods say.
EDGES = [
    ("Jordan Leß said it", "en"),
    ("Talks on Jordan Smith \U00010140 \U00010140", "en"),
    ("The Chicago \U00010400ions won", "en"),
    ("ǅemal Jordan Smith met", "en"),
    ("Mr İstanbul Tyler Hamilton", "en"),
]


@pytest.mark.parametrize(("text", "language"), EDGES)
def test_the_compiled_rules_read_letters_as_python_does(
    tagger: Tagger, text: str, language: str
) -> None:
    compiled, in_python = _both(tagger, [text], language)
    assert compiled == in_python


def test_a_word_that_casefolds_to_a_stopword_is_no_family_name(tagger: Tagger) -> None:
    compiled, _ = _both(tagger, ["Jordan Leß said it"], "en")
    assert [(j.hit.text, j.rule) for j in compiled] == [("Jordan", "unsupported")]


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


def test_the_reference_path_judges_what_located_makes_of_the_matchers_hits(
    tagger: Tagger,
) -> None:
    """in_python=True: `judge` over `located` of the names' and the adjectives' hits (here
    "British" of both, one mention)."""
    texts = normalize_paragraphs(["British Columbia and Britain"], casefold=False)
    hits = [h for m in (tagger._place_matcher,) for h in m.find(texts)]
    expected = judge(
        texts,
        located(hits),
        [],
        "en",
        tagger.places.country_of,
        tagger.places.overshadowed_capitals,
    )
    assert tagger.place_mentions(texts, "en", in_python=True) == expected
