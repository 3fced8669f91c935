"""Given names, for the rule that a place's name beside one is part of a person's name
(workers/tag/place_context.py): "Tyler Hamilton" and "George Washington" hold a city's
name as a family name, "Leon Panetta" a city's name as a given name.

English only: the 690 given names of Faker's en_US person provider (a list that ships
inside the package, with how common each name is), but those that are English words a
sentence may start with ("Bill", "Don", "Jo": stopwords-iso's English list) and the
months ("April", "June").
"""

from __future__ import annotations

import functools

import stopwordsiso
from faker.providers.person.en_US import Provider as EnglishNames

MONTHS = frozenset(
    {"January", "February", "March", "April", "May", "June", "July", "August"}
    | {"September", "October", "November", "December"}
)


@functools.cache
def given_names(language: str | None) -> frozenset[str]:
    """The given names of the language, as written (capitalised); empty when unknown."""
    if language != "en":
        return frozenset()
    words = {w.casefold() for w in stopwordsiso.stopwords("en")}
    names = {*EnglishNames.first_names_male, *EnglishNames.first_names_female}
    return frozenset(n for n in names if n.casefold() not in words and n not in MONTHS)
