"""Cities that share a name: which one an article means (workers/tag/namesakes.py)."""

from __future__ import annotations

import pytest

from workers.dedupe.normalize import normalize_paragraphs
from workers.tag.gazetteer import City, gazetteer
from workers.tag.language import LanguageDetector
from workers.tag.namesakes import closes_the_name, meant_elsewhere, namesake_meant
from workers.tag.rules_file import RulesFile
from workers.tag.tagger import Tagger

BIGGER = City(1, "Birmingham", "GB", 1_000_000)
ALABAMA = City(2, "Birmingham", "US", 200_000, region="US-AL")
MICHIGAN = City(3, "Birmingham", "US", 20_000, region="US-MI")
SPAIN = City(4, "Valencia", "ES", 800_000)

# (case, namesakes, what the place right after the name names, the one meant)
MEANT = [
    ("nothing-named-next", (ALABAMA,), set(), None),
    ("its-state-next", (ALABAMA, MICHIGAN), {"US-AL"}, ALABAMA),
    ("the-other-state-next", (ALABAMA, MICHIGAN), {"US-MI"}, MICHIGAN),
    ("its-country-is-not-its-state", (ALABAMA,), {"US"}, None),
    ("another-state-next", (ALABAMA,), {"US-OH"}, None),
    ("another-country-s-city-by-its-country", (SPAIN,), {"ES"}, SPAIN),
    ("another-country-s-city-not-by-a-state", (SPAIN,), {"US-AL"}, None),
]


@pytest.mark.parametrize(
    ("namesakes", "named_next", "expected"), [c[1:] for c in MEANT], ids=[c[0] for c in MEANT]
)
def test_the_namesake_meant(
    namesakes: tuple[City, ...], named_next: set[str], expected: City | None
) -> None:
    assert namesake_meant(namesakes, named_next) == expected


# (case, the word after the state or country, whether it closes the city's name)
CLOSES = [
    ("the-text-s-end", "", True),
    ("a-lower-case-word", "went", True),
    ("a-number", "2019", True),
    ("a-call-sign", "WIAT", True),
    ("the-possessive-s", "s", False),
    ("a-capitalised-word", "Gov", False),
]


@pytest.mark.parametrize(("word", "expected"), [c[1:] for c in CLOSES], ids=[c[0] for c in CLOSES])
def test_a_place_closes_the_name_unless_what_follows_opens_a_clause(
    word: str, expected: bool
) -> None:
    assert closes_the_name(word) is expected


# (case, the namesakes the named mentions meant, countries named elsewhere, spread)
ELSEWHERE = [
    ("one-meant-its-country-unnamed", {ALABAMA}, {"US"}, True),
    ("one-meant-the-kept-city-s-country-named", {ALABAMA}, {"US", "GB"}, False),
    ("two-meant", {ALABAMA, MICHIGAN}, set(), False),
]


@pytest.mark.parametrize(
    ("meant", "countries", "expected"), [c[1:] for c in ELSEWHERE], ids=[c[0] for c in ELSEWHERE]
)
def test_the_other_mentions_mean_it_too(
    meant: set[City], countries: set[str], expected: bool
) -> None:
    assert meant_elsewhere(BIGGER, meant, countries) is expected


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Tagger:
    path = tmp_path_factory.mktemp("rules") / "tag-rules.toml"
    path.write_text("", encoding="utf-8")
    return Tagger(LanguageDetector(), RulesFile(path))


# (case, text, the places its mentions are read as: (form, country)); invented text.
READ_AS = [
    (
        "a-dateline-s-state-and-the-mentions-after-it",
        "BIRMINGHAM, Ala. (AP) — Rain fell. The mayor of Birmingham spoke.",
        [("BIRMINGHAM", "US"), ("Birmingham", "US")],
    ),
    ("a-state-by-name", "Voters in Canton, Ohio, went early.", [("Canton", "US")]),
    (
        "a-country-after-the-name",
        "The port of Valencia, Spain, reopened.",
        [("Valencia", "ES"), ("Spain", "ES")],
    ),
    ("nothing-after-the-name", "She moved to Birmingham last year.", [("Birmingham", "GB")]),
    (
        "a-state-named-elsewhere-is-not-enough",
        "A Texas firm opened an office in Paris on Monday.",
        [("Paris", "FR")],
    ),
    (
        "the-kept-city-s-country-named-too",
        "BIRMINGHAM, Ala. — A British tourist recalled Birmingham.",
        [("BIRMINGHAM", "US"), ("British", "GB"), ("Birmingham", "GB")],
    ),
    (
        "an-abbreviation-as-written-only",
        "Members of the Birmingham ALA chapter met.",
        [("Birmingham", "GB")],
    ),
    ("a-name-of-several-words", "St. Petersburg, Fla., police said.", [("St Petersburg", "US")]),
    (
        "a-state-that-opens-a-clause",
        "After the summit in Paris, Texas Gov. Abbott flew home.",
        [("Paris", "FR")],
    ),
    (
        "a-possessive-after-the-name",
        "He spoke in Dublin. California's governor replied.",
        [("Dublin", "IE")],
    ),
    (
        "two-namesakes-meant-no-spread",
        "Birmingham, Mich., and Birmingham, Ala., voted; Birmingham counted last.",
        [("Birmingham", "US"), ("Birmingham", "US"), ("Birmingham", "GB")],
    ),
    (
        "a-part-named-with-a-country",
        "A shooting in Jersey City left two dead.",
        [("Jersey City", "US")],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in READ_AS], ids=[c[0] for c in READ_AS]
)
def test_an_article_s_namesakes_are_read_by_the_place_after_them(
    tagger: Tagger, text: str, expected: list[tuple[str, str]]
) -> None:
    folded = normalize_paragraphs(["", text], casefold=False)
    compiled = tagger.place_mentions(folded, "en")
    assert compiled == tagger.place_mentions(folded, "en", in_python=True)
    read = [(j.hit.text, tagger.places.country_of(k)) for j in compiled for k in j.keys]
    assert read == expected


def test_a_country_in_the_article_s_language_names_it_too(tagger: Tagger) -> None:
    folded = normalize_paragraphs(["", "El puerto de Valencia, España, reabrió."], casefold=False)
    compiled = tagger.place_mentions(folded, "es")
    assert compiled == tagger.place_mentions(folded, "es", in_python=True)
    assert [tagger.places.country_of(k) for j in compiled for k in j.keys] == ["ES", "ES"]


def test_a_namesake_of_another_country_needs_a_third_of_the_kept_city_s_size() -> None:
    """ "LONDON. Japan's Hitachi ...": a country after a city's name may start the next
    sentence, so London, Ontario, is no namesake of London; Valencia, Spain, is one of
    Venezuela's Valencia, and a US city of any size is one (its state must follow)."""
    namesakes = gazetteer().namesakes
    assert "London" not in namesakes
    assert "ES" in {c.country for c in namesakes["Valencia"]}
    assert ("US", "US-TX") in {(c.country, c.region) for c in namesakes["Paris"]}


def test_a_namesake_s_tag_names_the_city_meant(tagger: Tagger) -> None:
    paragraphs = ["BIRMINGHAM, Ala. (AP) — A storm hit Birmingham on Tuesday."]
    article = {
        "title": "Storm",
        "paragraphs": paragraphs,
        "body": paragraphs[0],
        "outlet": "Example",
        "language_hint": "en",
    }
    places = tagger.tag(article)["places"]
    cities = [p for p in places if p["kind"] == "city"]
    assert [(c["name"], c["country"], c["mentions"]) for c in cities] == [("Birmingham", "US", 2)]
