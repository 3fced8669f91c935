"""Places in many languages: names, demonyms, cities, clitics and case endings."""

from typing import Any

import pytest

from workers.dedupe.normalize import normalize_paragraphs
from workers.tag.gazetteer import gazetteer
from workers.tag.name_forms import arabic_forms, arabic_nisba_stem, russian_forms
from workers.tag.phrase_matcher import PhraseMatcher
from workers.tag.place_context import judge, located
from workers.tag.tagger import place_tags


@pytest.fixture(scope="module")
def find_countries():  # type: ignore[no-untyped-def]
    """Countries in a text of a given language: every article's forms, and its language's."""
    places = gazetteer()
    common = PhraseMatcher(places.forms)
    local = {language: PhraseMatcher(forms) for language, forms in places.by_language.items()}

    def countries(text: str, language: str) -> set[str]:
        texts = normalize_paragraphs([text], casefold=False)
        hits = common.find(texts) + (local[language].find(texts) if language in local else [])
        mentions = judge(
            texts,
            list(located(hits)),
            [],
            language,
            places.country_of,
            places.overshadowed_capitals,
        )
        return {t["id"] for t in place_tags(mentions, places) if t["kind"] == "country"}

    return countries


# (name, text, countries a reader sees in it)
CASES = [
    ("en-names", "Talks between Russia and Ukraine resumed in Geneva.", {"RU", "UA"}),
    ("en-demonym", "The Chinese delegation met American officials.", {"CN", "US"}),
    ("en-short-form", "The U.S. and the UK signed the pact.", {"US", "GB"}),
    ("en-possessive", "Brazil's president spoke.", {"BR"}),
    ("en-city-implies-country", "Protests in Kyiv and Moscow on Sunday.", {"UA", "RU"}),
    ("en-longest-match-wins", "Papua New Guinea", {"PG"}),
    ("en-headline-capitals", "RUSSIA AND CHINA SIGN DEAL", {"RU", "CN"}),
    ("en-common-word-lowercase", "She bought a turkey and fine china.", set()),
    ("ar-names", "قالت روسيا إن الولايات المتحدة وأوكرانيا", {"RU", "US", "UA"}),
    ("ar-clitics", "وروسيا ولروسيا بالصين للصين والهند", {"RU", "CN", "IN"}),
    ("ar-nisba-demonym", "قال الرئيس الصيني والمسؤولون الأمريكيون", {"CN", "US"}),
    ("ar-nisba-feminine", "الحكومة الفرنسية والخارجية الروسية", {"FR", "RU"}),
    ("ar-vowelled-and-tatweel", "زارَ رُوسْيا وفرنـــسا", {"RU", "FR"}),
    ("ar-city", "اجتماع في القاهرة وبكين", {"EG", "CN"}),
    ("ar-mali-means-financial", "دعم مالي للمشروع", set()),
    ("fr-names", "La France et l'Allemagne soutiennent l'Ukraine.", {"FR", "DE", "UA"}),
    ("es-names", "España y Estados Unidos firmaron con México.", {"ES", "US", "MX"}),
    ("de-genitive", "Die Politik Russlands und Chinas.", {"RU", "CN"}),
    ("ru-cases", "Визит в Россию и переговоры с Украиной и Китаем.", {"RU", "UA", "CN"}),
    ("ru-city", "Встреча в Москве.", {"RU"}),
    ("zh-no-spaces", "中国和俄罗斯在北京会谈", {"CN", "RU"}),
    ("zh-traditional", "美國與日本", {"US", "JP"}),
    ("en-german-name-is-not-english", "Island ferries run again.", set()),
    ("de-german-name-in-german", "Island und Norwegen", {"IS", "NO"}),
    ("ar-medina-is-also-the-city", "وصل الوفد إلى المدينة أمس", set()),
    ("ar-far-city-name-that-is-a-word", "تجمع المحتجون في ميدان التحرير", set()),
    ("ar-capital", "وصل الوفد إلى الرياض", {"SA"}),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_countries_found(
    find_countries: Any, request: pytest.FixtureRequest, text: str, expected: set[str]
) -> None:
    language = request.node.callspec.id.split("-")[0]  # the case's name starts with it
    assert find_countries(text, language) == expected


def test_evidence_says_where_and_how() -> None:
    places = gazetteer()
    texts = normalize_paragraphs(["Talks in Moscow", "The Russian side agreed."], casefold=False)
    found = list(located(PhraseMatcher(places.forms).find(texts)))
    tags = {
        t["id"]: t
        for t in place_tags(
            judge(texts, found, [], "en", places.country_of, places.overshadowed_capitals),
            places,
        )
    }
    assert [(e["field"], e["matched_as"]) for e in tags["RU"]["evidence"]] == [
        ("title", "city"),
        ("body", "demonym"),
    ]
    assert tags["RU"]["mentions"] == 2
    assert tags["geonames:524901"]["name"] == "Moscow"
    # A place is as sure as its surest mention; each piece of evidence names its rule.
    assert (tags["RU"]["confidence"], tags["RU"]["rule"]) == (1.0, "city")
    assert [e.get("rule") for e in tags["RU"]["evidence"]] == ["city", "demonym"]


NISBA = [
    ("drops-ya", "روسيا", "روس"),
    ("drops-al", "الصين", "صين"),
    ("drops-alef", "فرنسا", "فرنس"),
    ("drops-iyya", "السعودية", "سعود"),
    ("keeps-whole", "مصر", "مصر"),
    ("several-words", "الولايات المتحدة", None),
    ("too-short", "تشا", None),
]


@pytest.mark.parametrize(("name", "stem"), [c[1:] for c in NISBA], ids=[c[0] for c in NISBA])
def test_arabic_nisba_stem(name: str, stem: str | None) -> None:
    assert arabic_nisba_stem(name) == stem


def test_arabic_li_before_al_becomes_lil() -> None:
    forms = arabic_forms("الصين")
    assert {"للصين", "والصين", "بالصين"} <= forms
    assert "لالصين" not in forms


def test_russian_forms_cover_cases_of_the_last_word() -> None:
    assert {"Путина", "Путину", "Путиным"} <= russian_forms("Путин")
    assert {"России", "Россию", "Россией"} <= russian_forms("Россия")
    assert "Владимира Путина" not in russian_forms("Владимир Путин")  # first word kept
    assert "Владимир Путина" in russian_forms("Владимир Путин")


def test_the_white_house_is_not_casablanca(find_countries: Any) -> None:
    assert find_countries("The White House said on Monday that talks would resume.", "en") == set()


def test_a_capital_named_like_a_bigger_city_elsewhere_is_overshadowed() -> None:
    places = gazetteer()
    names = {places.cities[int(k.partition(":")[2])].name for k in places.overshadowed_capitals}
    assert {"Hamilton", "Stanley", "Douglas"} <= names
    assert not {"London", "Paris", "Riyadh", "Amman", "Washington"} & names
    assert not gazetteer(context_forms=False).overshadowed_capitals
