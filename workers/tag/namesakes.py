"""Which of the cities that share a name an article means.

The gazetteer reads a city's name as the one city it keeps (a capital, or a city of a
million): "Birmingham" is England's, "Canton" Guangzhou, "Valencia" Venezuela's. An
article from Alabama, Ohio or Spain means another city of that name, and says so where it
names it: the state or the country right after the city's name ("BIRMINGHAM, Ala.",
"Canton, Ohio", "Valencia, Spain"), where that place closes the name rather than opens
what comes next (folding loses commas and full stops: "in Paris, Texas Gov. Abbott said",
"in Dublin. California's governor"). Such a mention is read as that city, and so are the
article's other mentions of the name ("... the mayor of Birmingham"), unless the article
names the kept city's country too. Evidence anywhere else in the article is not enough: a
Texas article that mentions Paris mostly means France's, and "Ohio" forty paragraphs
before a man whose family name is Medina says nothing of him.

`NamesakeTable` does it on the place matcher's spots, before the context rules judge them:
a mention re-read is a phrase of its own (the same form, the other city's key), so the
rules, compiled or not, judge it as any other city's name.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from workers.tag.gazetteer import City, Gazetteer
from workers.tag.phrase_matcher import Hit, PhraseMatcher, PhraseTable, Spotted, table_hits
from workers.tag.place_context import word_after


def namesake_meant(namesakes: Sequence[City], named_next: Collection[str]) -> City | None:
    """The namesake a mention means from the place named right after it: `named_next`
    holds what that place's keys name, a US state as its region ("US-OH"), a country as
    its code ("ES"). The most populous of the namesakes in that state (a US city) or that
    country (another's); None when the place after it names none of theirs."""
    meant = [c for c in namesakes if (c.region if c.region else c.country) in named_next]
    return max(meant, key=lambda c: c.population) if meant else None


def closes_the_name(word_after: str) -> bool:
    """Whether a state's or a country's name, followed by `word_after` (the next word of
    the folded text, "" at its end), closes the city's name before it ("Canton, Ohio, went
    early", "BIRMINGHAM, Ala. (AP)": a lower-case word, a number, a call sign in capitals)
    rather than opens a clause or a name of its own, which a lost full stop or comma put
    after the city ("Dublin. California's governor": the possessive's "s"; "Paris, Texas
    Gov. Abbott", "PARIS - Texas Instruments": a capitalised word)."""
    if word_after == "s":
        return False
    return not word_after[:1].isupper() or word_after.isupper()


def meant_elsewhere(bigger: City, meant: Collection[City], countries: Collection[str]) -> bool:
    """Whether the article's other mentions of the name mean the namesake its named
    mentions meant: only one namesake was meant, and the article names the kept city's
    country nowhere (`countries`: those its other place names name)."""
    return len(meant) == 1 and bigger.country not in countries


def _named(keys: Sequence[str]) -> set[str]:
    """What a place's keys name as namesake_meant reads it: a US state as "US-OH", a
    country by its name as "ES" (not by its demonym: "Valencia Spanish" says nothing)."""
    named = set()
    for key in keys:
        kind, _, ident = key.partition(":")
        if kind == "country" or (kind == "region" and ident.startswith("US-")):
            named.add(ident)
    return named


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
        return table_hits(self, spotted)

    def reread(
        self,
        texts: Sequence[str],
        spotted: list[Spotted],
        others: Sequence[tuple[PhraseTable, Sequence[Spotted]]] = (),
    ) -> list[Spotted]:
        """The spots of the folded `texts`, each mention of a namesake's name that the
        article means otherwise (namesake_meant, closes_the_name, meant_elsewhere) as the
        namesake's phrase; `spotted` itself when none is. `others`: the other place
        matchers' spots, which name places too ("Valencia (España)")."""
        phrases = self._phrases
        if phrases.keys().isdisjoint(s[1] for s in spotted):
            return spotted
        found = [(self, spotted), *others]
        next_at = {  # a namesake's mention (index in spotted) -> where a place after it starts
            i: (paragraph, offset + len(self.forms[phrase]) + 1)
            for i, (paragraph, phrase, offset, _) in enumerate(spotted)
            if phrase in phrases
        }
        wanted = set(next_at.values())
        after: dict[tuple[int, int], set[str]] = {}  # (paragraph, offset) -> what it names
        for table, spots in found:
            for paragraph, phrase, offset, _ in spots:
                if (paragraph, offset) not in wanted:
                    continue
                end = offset + len(table.forms[phrase])
                if closes_the_name(word_after(texts[paragraph], end)):
                    after.setdefault((paragraph, offset), set()).update(_named(table.keys[phrase]))
        by_spot: dict[int, City] = {}  # index in spotted -> the namesake it means
        meant: dict[City, set[City]] = {}  # kept city -> the namesakes its named mentions meant
        for i, at in next_at.items():
            entry = phrases[spotted[i][1]]
            named_next = after.get(at, ())
            city = namesake_meant(entry.namesakes, named_next) if named_next else None
            if city is not None:
                by_spot[i] = city
                meant.setdefault(entry.bigger, set()).add(city)
        if not meant:
            return spotted
        # "BIRMINGHAM, Ala. ... in Birmingham": two forms, two phrases, one city
        countries = self._countries(found)
        spread = {
            bigger: next(iter(chosen))
            for bigger, chosen in meant.items()
            if meant_elsewhere(bigger, chosen, countries)
        }
        reread = list(spotted)
        for i in next_at:
            paragraph, phrase, offset, byte_at = spotted[i]
            entry = phrases[phrase]
            city = by_spot.get(i, spread.get(entry.bigger))
            if city in entry.namesakes:
                substitute = entry.substitutes[entry.namesakes.index(city)]
                reread[i] = (paragraph, substitute, offset, byte_at)
        return reread

    def _countries(self, found: Sequence[tuple[PhraseTable, Sequence[Spotted]]]) -> set[str]:
        """The countries the spots name, but those of the namesakes' names."""
        countries: set[str] = set()
        for table, spotted in found:
            for _, phrase, _, _ in spotted:
                if table is self and phrase in self._phrases:
                    continue
                for key in table.keys[phrase]:
                    if (country := self._places.country_of(key)) is not None:
                        countries.add(country)
        return countries
