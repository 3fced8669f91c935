"""Cities that share a name: which one an article means (workers/tag/namesakes.py)."""

from __future__ import annotations

import pytest

from workers.dedupe.normalize import normalize_paragraphs
from workers.tag.gazetteer import City
from workers.tag.language import LanguageDetector
from workers.tag.namesakes import namesake_meant
from workers.tag.rules_file import RulesFile
from workers.tag.tagger import Tagger

BIGGER = City(1, "Birmingham", "GB", 1_000_000)
ALABAMA = City(2, "Birmingham", "US", 200_000, region="US-AL")
MICHIGAN = City(3, "Birmingham", "US", 20_000, region="US-MI")
SPAIN = City(4, "Valencia", "ES", 800_000)

# (case, namesakes, countries the article names, states it names, the one meant)
MEANT = [
    ("named-by-nothing", (ALABAMA,), set(), set(), None),
    ("its-state-named", (ALABAMA, MICHIGAN), set(), {"US-AL"}, ALABAMA),
    ("the-other-state-named", (ALABAMA, MICHIGAN), set(), {"US-MI"}, MICHIGAN),
    ("both-states-named-the-bigger-wins", (ALABAMA, MICHIGAN), set(), {"US-AL", "US-MI"}, ALABAMA),
    ("its-country-alone-is-not-its-state", (ALABAMA,), {"US"}, set(), None),
    ("the-bigger-city-s-country-named-too", (ALABAMA,), {"GB"}, {"US-AL"}, None),
    ("another-country-s-city-by-its-country", (SPAIN,), {"ES"}, set(), SPAIN),
    ("another-country-s-city-not-by-a-state", (SPAIN,), set(), {"US-AL"}, None),
]


@pytest.mark.parametrize(
    ("namesakes", "countries", "regions", "expected"),
    [c[1:] for c in MEANT],
    ids=[c[0] for c in MEANT],
)
def test_the_namesake_meant(
    namesakes: tuple[City, ...], countries: set[str], regions: set[str], expected: City | None
) -> None:
    assert namesake_meant(BIGGER, namesakes, countries, regions) == expected


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Tagger:
    path = tmp_path_factory.mktemp("rules") / "tag-rules.toml"
    path.write_text("", encoding="utf-8")
    return Tagger(LanguageDetector(), RulesFile(path))


# (case, text, the places its mentions are read as: (form, country))
READ_AS = [
    ("dateline-abbreviation", "BIRMINGHAM, Ala. (AP) — Rain fell.", [("BIRMINGHAM", "US")]),
    (
        "state-named-later",
        "Canton voted early. Stark County, Ohio, is a bellwether.",
        [("Canton", "US")],
    ),
    ("by-its-country", "A model agency in Valencia, Spain.", [("Valencia", "ES"), ("Spain", "ES")]),
    ("alone-the-bigger-city", "She moved to Birmingham last year.", [("Birmingham", "GB")]),
    (
        "the-bigger-one-s-country-named",
        "The British city of Birmingham is far from Alabama.",
        [("British", "GB"), ("Birmingham", "GB")],
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
def test_an_article_s_namesakes_are_read_by_its_other_places(
    tagger: Tagger, text: str, expected: list[tuple[str, str]]
) -> None:
    folded = normalize_paragraphs(["", text], casefold=False)
    compiled = tagger.place_mentions(folded, "en")
    assert compiled == tagger.place_mentions(folded, "en", in_python=True)
    read = [(j.hit.text, tagger.places.country_of(k)) for j in compiled for k in j.keys]
    assert read == expected


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
