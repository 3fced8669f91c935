"""Given names, for the rule that a place's name beside one is part of a person's name
(workers/tag/place_context.py): "Tyler Hamilton" and "George Washington" hold a city's
name as a family name, "Jordan Spieth" a country's name as a given name.

English only: the given names of Faker's en_US person provider (a list of 690 that ships
inside the package, with how common each name is), but those that are also English words
a sentence may put before a place ("Many Christian Baghdad residents", "This Summer Tokyo
hosts"): stopwords-iso's English list ("Bill", "Don"), the months, and the words below.
"""

from __future__ import annotations

import functools

import stopwordsiso
from faker.providers.person.en_US import Provider as EnglishNames

MONTHS = frozenset(
    {"January", "February", "March", "April", "May", "June", "July", "August"}
    | {"September", "October", "November", "December"}
)
ENGLISH_STOPWORDS = frozenset(w.casefold() for w in stopwordsiso.stopwords("en"))
# Given names that are English nouns or adjectives, common enough to stand capitalised at
# the start of a sentence or in a name of their own.
ENGLISH_WORDS = frozenset(
    {"Christian", "Summer", "Autumn", "Mark", "Grace", "Rose", "Hunter", "Faith", "Joy"}
    | {"Hope", "Chase", "Angel", "Crystal", "Diamond", "Jesus", "Guy", "Major", "Page"}
    | {"Royal", "Dean", "Frank", "Grant", "Miles", "Sage", "Dawn", "Ruby", "Amber", "Jade"}
    | {"Pearl", "Ivy", "Holly", "Daisy", "Lily", "Violet", "Iris", "Heather", "Olive"}
    | {"Destiny", "Harmony", "Melody", "Trinity", "Justice", "Precious", "Patience"}
    | {"Mercy", "Charity", "Prince", "Earl", "Duke", "Sterling", "Ray", "Art", "Sunny"}
    | {"Reed", "Brook", "River", "Forest", "Star", "Storm", "Rain", "Cash", "Price"}
    | {"Bishop", "King", "Marshall", "Walker", "Gay", "Young", "Long", "Rich", "Bright"}
)


@functools.cache
def given_names(language: str | None) -> frozenset[str]:
    """The given names of the language, as written (capitalised); empty when unknown."""
    if language != "en":
        return frozenset()
    names = {*EnglishNames.first_names_male, *EnglishNames.first_names_female}
    words = MONTHS | ENGLISH_WORDS
    return frozenset(n for n in names if n.casefold() not in ENGLISH_STOPWORDS and n not in words)
