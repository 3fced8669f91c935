"""The whole tagger on invented articles, and its small parts (script, keywords)."""

import math
import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.tag.keywords import KeywordWindow, candidate_terms
from workers.tag.language import LanguageDetector
from workers.tag.rules_file import RulesFile
from workers.tag.script import script_of
from workers.tag.tagger import Tagger, casefolded

RULES = """
[[watch]]
name = "Vladimir Putin"
aliases = ["Putin", "بوتين", "Путин"]

[[watch]]
name = "NATO"
kind = "organization"
aliases = ["حلف شمال الأطلسي", "الناتو", "NATO"]

[[watch]]
name = "Theresa May"
aliases = ["May"]

[[topic]]
id = "diplomacy"
any = { ar = ["محادثات", "مفاوضات"], en = ["talks"] }
"""

# Invented for the tests, in the manner of a wire story.
ARABIC_STORY = [
    "أعلن الكرملين أن الرئيس الروسي فلاديمير بوتين مستعد لإجراء محادثات جديدة مع واشنطن.",
    "وقال مسؤولون في موسكو إن المفاوضات مع الولايات المتحدة وحلف شمال الأطلسي قد تبدأ قريبا.",
    "وأشار البيان إلى الوضع في أوكرانيا، فيما دعا المبعوث الصيني إلى التهدئة.",
]


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Tagger:
    rules = tmp_path_factory.mktemp("rules") / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    return Tagger(LanguageDetector(), RulesFile(rules))


def _article(title: str, paragraphs: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "paragraphs": paragraphs,
        "body": "\n\n".join(paragraphs),
        "outlet": "Example",
        **extra,
    }


def test_arabic_story_gets_every_kind_of_tag(tagger: Tagger) -> None:
    tags = tagger.tag(_article("بوتين يعرض محادثات", ARABIC_STORY, feed_tags=["region:world"]))
    assert (tags["language"], tags["script"], tags["direction"]) == ("ar", "Arab", "rtl")
    countries = [p["id"] for p in tags["places"] if p["kind"] == "country"]
    assert set(countries) == {"RU", "US", "UA", "CN"}
    china = next(p for p in tags["places"] if p["id"] == "CN")
    assert china["evidence"][0]["matched_as"] == "demonym"
    assert china["evidence"][0]["paragraph"] == 2
    assert [e["name"] for e in tags["entities"]] == ["Vladimir Putin", "NATO"]
    putin = tags["entities"][0]
    assert putin["mentions"] == 2
    assert putin["evidence"][0]["field"] == "title"
    assert [t["id"] for t in tags["topics"]] == ["diplomacy"]
    assert tags["source"] == {"outlet": "Example", "feed_tags": ["region:world"]}
    assert 0 < len(tags["keywords"]) <= 5


def test_watch_list_aliases_keep_their_case(tagger: Tagger) -> None:
    body = ["Prices may rise in May, Theresa May said, as NATO and Putin watched."]
    tags = tagger.tag(_article("A spring of talks", body))
    names = {e["name"]: e["mentions"] for e in tags["entities"]}
    assert names == {"Theresa May": 2, "NATO": 1, "Vladimir Putin": 1}


def test_russian_inflected_alias(tagger: Tagger) -> None:
    tags = tagger.tag(
        _article("Заявление Путина", ["Кремль ответил Путину вчера вечером в Москве."])
    )
    assert tags["entities"][0]["mentions"] == 2
    assert {p["id"] for p in tags["places"]} >= {"RU"}


def test_short_text_takes_the_feed_hint(tagger: Tagger) -> None:
    tags = tagger.tag(_article("Oui", [], language_hint="fr-FR"))
    assert (tags["language"], tags["language_source"]) == ("fr", "feed_hint")
    assert tags["places"] == [] and tags["entities"] == []


SCRIPTS = [
    ("latin", "Hello there, world", ("Latn", "ltr")),
    ("arabic", "مرحبا بالعالم", ("Arab", "rtl")),
    ("hebrew", "שלום עולם", ("Hebr", "rtl")),
    ("cyrillic", "Привет, мир", ("Cyrl", "ltr")),
    ("chinese", "你好世界", ("Hani", "ltr")),
    ("japanese-kana-with-han", "東京で会議", ("Jpan", "ltr")),
    ("no-letters", "12 345 !!", (None, None)),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in SCRIPTS], ids=[c[0] for c in SCRIPTS]
)
def test_script_of(text: str, expected: tuple[str | None, str | None]) -> None:
    assert script_of(text) == expected


def test_candidate_terms_drop_stopwords_numbers_and_the_arabic_article() -> None:
    assert candidate_terms("the harbour of the city 2026 harbour", "en") == Counter(
        {"harbour": 2, "city": 1}
    )
    assert candidate_terms("الحكومة والحكومة بالحكومة للحكومة التي", "ar") == Counter({"حكومة": 4})


def test_keywords_prefer_words_rare_in_the_window() -> None:
    window = KeywordWindow(size=3)
    for _ in range(3):
        window.keywords(Counter({"said": 3, "minister": 1}))
    best = window.keywords(Counter({"said": 3, "earthquake": 2, "rescue": 2}), k=2)
    assert best == ["earthquake", "rescue"]


def test_keyword_window_forgets_the_oldest_article() -> None:
    window = KeywordWindow(size=2)
    for terms in ({"a": 1}, {"b": 1}, {"c": 1}):
        window.keywords(Counter(terms))
    assert len(window) == 2
    assert [window.frequency(t) for t in "abc"] == [0, 1, 1]


# (name, title, paragraph, countries) — adjectives apply in their own language only.
ADJECTIVES = [
    (
        "fr-adjective",
        "Visite officielle",
        "Le président russe a reçu la délégation chinoise.",
        {"RU", "CN"},
    ),
    ("fr-feminine-en-ne", "Armée", "L'armée ukrainienne a reçu des chars allemands.", {"UA", "DE"}),
    (
        "es-adjective",
        "Gobierno",
        "El gobierno chino y los diplomáticos estadounidenses hablaron.",
        {"CN", "US"},
    ),
    ("de-adjective", "Armee", "Die ukrainische Armee meldete russische Angriffe.", {"UA", "RU"}),
    (
        "ru-adjective",
        "Делегация",
        "Китайская делегация встретилась с американскими дипломатами.",
        {"CN", "US"},
    ),
    (
        "en-china-is-porcelain",
        "Auction",
        "The auction sold fine china and silver from the old house.",
        set(),
    ),
    (
        "en-region-not-country",
        "Trade",
        "Exports to South America and Latin America grew this year.",
        set(),
    ),
]


@pytest.mark.parametrize(
    ("title", "paragraph", "expected"), [c[1:] for c in ADJECTIVES], ids=[c[0] for c in ADJECTIVES]
)
def test_adjectives_of_the_article_language(
    tagger: Tagger, title: str, paragraph: str, expected: set[str]
) -> None:
    tags = tagger.tag(_article(title, [paragraph]))
    assert {p["id"] for p in tags["places"] if p["kind"] == "country"} == expected


def reference_keywords(history: list[Counter[str]], terms: Counter[str], k: int) -> list[str]:
    """TF-IDF as the keywords module states it, by brute force over the window's articles."""
    n = len(history)

    def score(term: str) -> tuple[float, str]:
        df = sum(term in earlier for earlier in history)
        return (-terms[term] * (math.log((n + 1) / (df + 1)) + 1.0), term)

    repeated = [t for t, count in terms.items() if count > 1]
    return sorted(repeated if len(repeated) >= k else terms, key=score)[:k]


@settings(max_examples=60, deadline=None, derandomize=os.environ.get("CI") == "true")
@given(
    st.lists(
        st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 4), max_size=6).map(Counter),
        max_size=12,
    ),
    st.integers(1, 4),
)
def test_keyword_window_is_tf_idf_over_its_last_articles(
    stream: list[Counter[str]], size: int
) -> None:
    window = KeywordWindow(size=size)
    for i, terms in enumerate(stream):
        expected = reference_keywords(stream[max(0, i - size) : i], terms, 3)
        assert window.keywords(terms, k=3) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وال", {"وال": 1}),  # the article alone: nothing would be left, it stays
        ("والتي الذي", {"والتي": 1}),  # two letters would be left: whole, and not a stopword
        ("والعالم كالعالم فالعالم للعالم العالم", {"عالم": 5}),
        ("الف لله", {"لله": 1}),  # one letter would be left: whole (الف is a stopword)
        ("٣٤٥ 2026 ²³⁴ x2026", {"x2026": 1}),  # numbers in any script are not terms
    ],
    ids=["article-alone", "short-stopwords", "every-prefix", "too-short", "numbers"],
)
def test_candidate_terms_table(text: str, expected: dict[str, int]) -> None:
    assert candidate_terms(text, "ar") == Counter(expected)


# Letters case folding changes and letters it leaves, in and beyond the BMP (Deseret).
CASES = st.text(alphabet=st.sampled_from(list("aZßİΣςЖжقال中文 ,.😀𐐀𐐨ǅﬁ")), max_size=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(CASES, max_size=5))
def test_casefolded_is_each_texts_casefold(texts: list[str]) -> None:
    assert casefolded(texts) == [text.casefold() for text in texts]


PARAGRAPHS = st.lists(
    st.lists(
        st.sampled_from(["ministry", "والحكومة", "الحكومة", "2024", "said", "oil"]), max_size=8
    ).map(" ".join),
    max_size=4,
)


@settings(max_examples=60, deadline=None, derandomize=os.environ.get("CI") == "true")
@given(st.lists(PARAGRAPHS, min_size=1, max_size=6), st.sampled_from(["ar", "en", None]))
def test_keywords_of_paragraphs_are_those_of_their_joined_text(
    articles: list[list[str]], language: str | None
) -> None:
    by_paragraphs, joined = KeywordWindow(size=3), KeywordWindow(size=3)
    for paragraphs in articles:
        terms = candidate_terms(" ".join(paragraphs), language)
        assert by_paragraphs.keywords_in(paragraphs, language) == joined.keywords(terms)
