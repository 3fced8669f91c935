"""Which of the cities that share a name an article means.

The gazetteer reads a city's name as the one city it keeps (a capital, or a city of a
million): "Birmingham" is England's, "Canton" Guangzhou, "Valencia" Venezuela's. An
article from Alabama, Ohio or Spain means another city of that name, and says so by naming
its state ("BIRMINGHAM, Ala.", "Stark County, Ohio") or its country ("Valencia, Spain").
Such a mention is read as the smaller city when the article names its state (a US city)
or its country (another's), and names the bigger city's country nowhere else.

`NamesakeTable` does it on the place matcher's spots, before the context rules judge them:
a mention re-read is a phrase of its own (the same form, the smaller city's key), so the
rules, compiled or not, judge it as any other city's name.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from workers.tag.gazetteer import City, Gazetteer
from workers.tag.phrase_matcher import Hit, PhraseMatcher, PhraseTable, Spotted


def namesake_meant(
    bigger: City, namesakes: Sequence[City], countries: Collection[str], regions: Collection[str]
) -> City | None:
    """The namesake the article means, if any: `countries` are those the article's other
    place names name, `regions` the US states it names ("US-OH"). The most populous of
    those whose state (or country, outside the US) is named, and only where the bigger
    city's country is not."""
    if bigger.country in countries:
        return None
    meant = [c for c in namesakes if (c.region in regions if c.region else c.country in countries)]
    return max(meant, key=lambda c: c.population) if meant else None


class _Phrase(NamedTuple):
    bigger: City
    namesakes: tuple[City, ...]
    substitutes: tuple[int, ...]  # the namesakes' phrase ids, in the same order


class NamesakeTable:
    """A place matcher's phrases and, after them, one phrase per namesake: `forms` and
    `keys` by phrase id as PhraseMatcher's, which `reread` substitutes in its spots."""

    def __init__(self, matcher: PhraseMatcher, places: Gazetteer) -> None:
        self._places = places
        self.forms: list[str] = list(matcher.forms)
        self.keys: list[tuple[str, ...]] = list(matcher.keys)
        self._phrases: dict[int, _Phrase] = {}
        for phrase, form in enumerate(matcher.forms):
            namesakes = places.namesakes.get(form)
            if not namesakes:
                continue
            bigger = places.cities[int(matcher.keys[phrase][0].partition(":")[2])]
            substitutes = []
            for city in namesakes:
                substitutes.append(len(self.forms))
                self.forms.append(form)
                self.keys.append((f"city:{city.geonameid}",))
            self._phrases[phrase] = _Phrase(bigger, namesakes, tuple(substitutes))

    def hits(self, spotted: Sequence[Spotted]) -> list[Hit]:
        """PhraseMatcher.hits, over these phrases."""
        forms, keys = self.forms, self.keys
        return [Hit(keys[i], forms[i], paragraph, offset) for paragraph, i, offset, _ in spotted]

    def reread(
        self, spotted: list[Spotted], others: Sequence[tuple[PhraseTable, Sequence[Spotted]]] = ()
    ) -> list[Spotted]:
        """The spots, each namesake's form that the article means otherwise (namesake_meant)
        as the namesake's phrase; `spotted` itself when none is. `others`: the other place
        matchers' spots, which name countries too ("Valencia (España)")."""
        phrases = self._phrases
        if phrases.keys().isdisjoint(s[1] for s in spotted):
            return spotted
        countries, regions = self._named([(self, spotted), *others])
        chosen: dict[int, int] = {}
        for phrase in {s[1] for s in spotted} & phrases.keys():
            entry = phrases[phrase]
            meant = namesake_meant(entry.bigger, entry.namesakes, countries, regions)
            if meant is not None:
                chosen[phrase] = entry.substitutes[entry.namesakes.index(meant)]
        if not chosen:
            return spotted
        return [(p, chosen.get(i, i), at, byte_at) for p, i, at, byte_at in spotted]

    def _named(
        self, found: Sequence[tuple[PhraseTable, Sequence[Spotted]]]
    ) -> tuple[set[str], set[str]]:
        """The countries the spots but the namesakes' forms name, and the US states."""
        countries: set[str] = set()
        regions: set[str] = set()
        for table, spotted in found:
            for _, phrase, _, _ in spotted:
                if table is self and phrase in self._phrases:
                    continue
                for key in table.keys[phrase]:
                    kind, _, ident = key.partition(":")
                    if kind == "region":
                        regions.add(ident)
                    elif (country := self._places.country_of(key)) is not None:
                        countries.add(country)
        return countries, regions
