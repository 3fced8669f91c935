"""Which of the place names found are places here: the context rules where names meet
places (pure).

The place matcher finds every form of a country's name or demonym and of a big city's
name. On real news a few of those are something else: a first name (الأمير تركي, "Turki"
is also "Turkish"), a club (ريال مدريد), a name two places share (عمان: Oman, and Amman,
Jordan's capital). Each mention found is judged here in its words, and the rule that
decided is kept with it:

- `club` / `organisation` / `word`: inside a phrase of the rules file's masks ([[mask]]),
  or, in English, before a word that makes it an event's, a paper's (not after a
  country's name) or an institution's name, right after it or after one or two
  capitalised words ("Melbourne Cup", "Washington Post", "Amsterdam Light Festival"),
  after "University of" or "Gulf of", or a city's name before a street's head
  ("Washington Avenue"), before a team's ("Detroit Lions", "Sydney FC"), after "FC"
  ("FC Dallas") or in a game's result ("Columbus beat Montreal", "scored for Ottawa");
- `person_name`: inside a watch-list person's name, or in a name's pattern: after a title
  (الأمير, الشيخ, الملك, "Prince", "Mr") when it is no adjective (Arabic: without the
  article ال), after بن / بنت / ابن / أبو / أم, before بن / بنت / آل; in English after a
  given name ("Tyler Hamilton"), or a given name itself before a capitalised word that
  starts no place ("Jordan Spieth"), and then wherever the article names that person alone;
- `unsupported`: a name that stands for several places, or that is also a common first
  name, counts only where the article names its country in another way (another name or
  demonym of it, one of its cities), or, in English, after a preposition of place ("of
  Jordan"); otherwise it is dropped;
- `supported`: such a name that the article supports (its other places dropped);
- `name`, `demonym`, `city`: an ordinary mention.

A mention kept carries a confidence: 1.0 for a name or a city, 0.9 for a demonym (an
adjective is vaguer about the place), 0.8 for a supported ambiguous name.
"""

from __future__ import annotations

import functools
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, NamedTuple, get_args

from newsflow_native import PlaceRules

from schemas.messages import MatchedAs
from workers.tag.gazetteer import Gazetteer, Named
from workers.tag.given_names import ENGLISH_STOPWORDS, MONTHS, given_names
from workers.tag.name_forms import written_forms
from workers.tag.phrase_matcher import Hit, PhraseTable, Spotted

PlaceRule = Literal[
    "name",
    "demonym",
    "city",
    "supported",
    "person_name",
    "club",
    "organisation",
    "word",
    "unsupported",
]
# The rules by their code in the compiled rules (native/src/place_rules.rs numbers them
# alike; CompiledRules checks it).
RULES: tuple[PlaceRule, ...] = get_args(PlaceRule)
KEPT_RULES = frozenset({"name", "demonym", "city", "supported"})
CONFIDENCE: Mapping[str, float] = {"name": 1.0, "city": 1.0, "demonym": 0.9, "supported": 0.8}

# Words (as folded: no hamza on alef, no vowel marks) after which a word is a person's name.
TITLES: Mapping[str, frozenset[str]] = {
    "ar": frozenset(
        {"الامير", "الاميرة", "الشيخ", "الشيخة", "الملك", "الملكة", "السيد", "السيدة"}
        # military ranks and professional titles: "العقيد تركي المالكي"
        | {"العقيد", "اللواء", "العميد", "الفريق", "المقدم", "الرائد", "النقيب", "الدكتور"}
        | {"المهندس", "الاستاذ", "الكابتن"}
    ),
    "en": frozenset(
        {"Mr", "Mrs", "Ms", "Miss", "Dr", "Prince", "Princess", "King", "Queen", "Sir", "Lady"}
    ),
}
# Arabic names' links: بن / بنت / ابن "son, daughter of", أبو / أم "father, mother of"
# before a name; بن / بنت and آل "family of" (folded ال) after one.
NAME_BEFORE_AR = frozenset({"بن", "بنت", "ابن", "ابو", "ام"})
NAME_AFTER_AR = frozenset({"بن", "بنت", "ال"})
# English: a place's name before one of these words, right before it or one or two
# capitalised words before it, is the name of an event or an institution ("Melbourne
# Cup", "American Enterprise Institute"), not the place.
ORGANISATION_HEADS_EN = frozenset(
    {"Cup", "Open", "Festival"}
    | {"Conference", "Institute", "Technologies", "Foundation", "Society", "Association"}
    | {"Federation", "Observatory", "Conservancy", "Review", "Initiative"}
    | {"Dictionary", "Dictionaries", "Zoo", "Legion", "Awards"}
)
# ...and so is a city's name or a demonym before one of these, a paper's ("Washington
# Post", "Saudi Gazette"); a paper named by the country itself is the country's, as the
# labelling guidelines read "USA Today" ("the Jamaica Observer").
PAPER_HEADS_EN = frozenset(
    {"Post", "Times", "Herald", "Tribune", "Chronicle", "Journal", "Gazette", "Globe"}
    | {"Magazine", "News", "Trib", "Examiner", "Telegraph", "Inquirer", "Observer"}
)

ORGANISATION_HEAD_REACH = 3  # words after the place's name: the head, or two before it
# ...and heads that count right after a demonym ("American Academy of Dermatology") but
# after a place's name only with a word of the name between ("Hong Kong Polytechnic
# University"): right after a name, a lost full stop may have put them there ("in Paris.
# University officials said", "in Nairobi. Party officials said"). A party is no state's
# ("Chinese Communist Party").
NAME_AFTER_HEADS_EN = frozenset({"University", "College", "Academy", "Party"})
# English: the heads of associations' names that go on after "for" or "of" ("Alliance for
# American Manufacturing", "Society of American Archivists"): a place's name there, with
# the name going on after it, is the association's, not the place.
ASSOCIATION_HEADS_EN = frozenset(
    {"Alliance", "Center", "Centre", "Coalition", "Committee", "Campaign", "Fund", "League"}
    | {"Foundation", "Institute", "Society", "Association", "Federation", "Council"}
    | {"Confederation"}
)
# English: the heads of names that end with "of" and a place, the place being theirs,
# however the sentence goes on: a university's ("University of Toronto") or a private
# association's ("Self Employed Women's Association of India", "Boys & Girls Clubs of
# America"). Not "Federation" or "Fund": a state's bodies end so too ("Federation of
# Bosnia and Herzegovina", "Pension Fund of Russia"), and they are the place's.
NAMED_FOR_A_PLACE_EN = frozenset(
    {"University", "College", "Association", "Society", "Alliance", "Coalition", "Foundation"}
    | {"Club", "Clubs", "Academy"}
)
# English: a sea's or a gulf's name after which a place's name is the water's ("Gulf of
# Aden", "Sea of Japan"): no mention of the place, as the labelling guidelines read it.
WATER_HEADS_EN = frozenset({"Gulf", "Sea", "Bay", "Strait", "Straits"})
# ...and the heads after which it is too, the water's name going on before the place's
# ("South China Sea", "the Indian Ocean"); only after "the" or a capitalised word, since a
# lost full stop puts a sentence's first word after a place ("in Bangladesh. Sea levels"),
# and not after a capitalised word in a headline in Title Case ("Floods Hit Bangladesh Sea
# Levels Rise").
WATER_HEADS_AFTER_EN = frozenset({"Sea", "Ocean"})
# English: a city's name in a game's result is its team's: between two capitalised names
# and one of these verbs ("Columbus beat Montreal", "Ottawa held on to beat Detroit": a
# few words of a result between), or after "scored for". Only a city's: a country's name
# is left to be read as the country. Two names on both sides keep out "Police in Tehran
# beat protesters" and "Washington hopes to beat Beijing".
GAME_VERBS_EN = frozenset({"beat", "beats", "defeated", "defeats", "edged", "blanked"})
RESULT_WORDS_EN = frozenset({"held", "on", "to", "rallied", "narrowly", "easily", "again"})
GAME_VERB_REACH = 4  # words after the city's name: the verb, or three result words before it
PLAYED_FOR_EN = frozenset({"scored", "played", "plays"})
# English: a relative's word before a given name or a city's name makes it a person's
# ("her son Jordan"); a demonym after one stays ("his wife, American actress ...").
RELATIVES_EN = frozenset(
    {"wife", "husband", "son", "daughter", "brother", "sister", "mother", "father"}
    | {"uncle", "aunt", "cousin", "nephew", "niece", "grandson", "granddaughter"}
    | {"fiance", "fiancee", "widow", "widower", "boyfriend", "girlfriend"}
)
# English: words before a plural demonym that count people, not name a campaign.
COUNTED_EN = frozenset({"of", "among", "hundred", "thousand", "million", "millions"})
# English: a byline's verbs, before "by" and a name ("posted by Sofia"): a city's or a given
# name there is the author's.
BYLINE_VERBS_EN = frozenset({"posted", "written", "reported", "edited", "photographed"})
# English: a city's name right before one of these is a team's ("Sydney FC", "Detroit
# Lions"): the nicknames of North American leagues' teams, which are named by their city.
# (A list, not "any capitalised plural": folded text has lost its full stops, and "in
# Berlin. Analysts said" reads as "Berlin Analysts"; and without the nicknames that
# other names often hold after a city's: "Ahmedabad Heat Action Plan", "London Athletics
# Grand Prix", "Chicago Blues".)
TEAM_HEADS_EN = frozenset(
    {"FC", "Lions", "Bears", "Bulls", "Cubs", "Jets", "Rangers", "Knicks", "Lakers"}
    | {"Celtics", "Raptors", "Warriors", "Capitals", "Senators", "Canadiens", "Flames"}
    | {"Oilers", "Penguins", "Flyers", "Bruins", "Blackhawks", "Seahawks", "Patriots"}
    | {"Packers", "Steelers", "Cowboys", "Chiefs", "Raiders", "Broncos", "Chargers"}
    | {"Texans", "Colts", "Titans", "Dolphins", "Saints", "Falcons", "Buccaneers", "Rams"}
    | {"49ers", "Vikings", "Browns", "Bengals", "Ravens", "Jaguars", "Yankees", "Mets"}
    | {"Dodgers", "Astros", "Braves", "Brewers", "Marlins", "Nationals", "Orioles", "Padres"}
    | {"Phillies", "Pirates", "Rockies", "Mariners", "Nets", "Hornets", "Pistons", "Pacers"}
    | {"Bucks", "Cavaliers", "Grizzlies", "Pelicans", "Spurs", "Rockets", "Mavericks"}
    | {"Nuggets", "Timberwolves", "Clippers", "76ers", "Wizards", "Sabres", "Canucks"}
    | {"Ducks", "Sharks", "Predators", "Coyotes", "Hurricanes", "Islanders", "Devils"}
    | {"Redskins", "Giants", "Eagles", "Diamondbacks", "Rays", "Suns", "Angels", "Stars"}
    | {"Kraken", "Sixers", "Reds", "Tigers", "Royals", "Guardians"}
    | {"Bills", "Commanders", "Sounders", "Timbers", "Whitecaps", "Dynamo", "Rapids"}
)
# English: a city's name right after one of these is a team's ("FC Dallas", "FC Porto"),
# but after a team's name that ends with it ("joined Toronto FC. Toronto's mayor").
TEAM_PREFIXES_EN = frozenset({"FC", "CF"})
# English: a city's name right before one of these is a street's ("Washington Avenue"),
# which the labelling guidelines read as no mention of the place; but after a preposition
# of place, where a lost full stop puts a sentence's first word ("in London. Road
# works"). A country's name or a demonym stays the country's ("Uganda Road Fund", "the
# Great American Road Trip").
STREET_HEADS_EN = frozenset({"Street", "Avenue", "Road", "Boulevard", "Ave", "Blvd"})
# English: words after a place's name that keep it a place when it is also a given name
# ("Jordan Valley", "Sydney Harbour"), beside the heads above; and words no family name
# is, which a lost full stop or comma puts after a place ("in Sydney. Tuesday's ...").
PLACE_HEADS_EN = frozenset(
    {"River", "Valley", "Sea", "Bay", "Basin", "Strait", "Gulf", "Harbour", "Harbor"}
)
NOT_A_FAMILY_NAME_EN = (
    PLACE_HEADS_EN
    | ORGANISATION_HEADS_EN
    | PAPER_HEADS_EN
    | NAME_AFTER_HEADS_EN
    | {"Marathon"}  # no head (a city's marathon is the city's) and no family name either
    | {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
    | MONTHS
)
TITLE_CASE_SHARE = 0.75  # of a paragraph's words capitalised: a headline in Title Case
# English: a capital letter alone between two names is a middle initial ("Stanley R
# Crooks"); but for these, which are words ("in Houston A Texas judge said": a lost full
# stop) or what a lost apostrophe leaves ("O Hare").
NOT_AN_INITIAL_EN = frozenset({"A", "I", "O"})
# Forms that are common first names besides a place's name or demonym, by language: they
# count only with support (see above).
FIRST_NAMES: Mapping[str, frozenset[str]] = {
    "ar": frozenset({"تركي"}),
    "en": frozenset({"Jordan", "Chad"}),
}
# English: such a name right after one of these is the place ("King Abdullah of Jordan",
# "troops in Jordan"), which needs no other support.
PLACE_PREPOSITIONS_EN = frozenset(
    {"in", "of", "from", "into", "across", "throughout", "near", "within"}
    | {"visit", "visited", "visiting"}
)
# ...and after or before one of these with another place's name on its other side.
LIST_WORDS_EN = frozenset({"and", "or"})


def end_of(hit: Hit) -> int:
    """Where the hit's form ends in its paragraph's text."""
    return hit.offset + len(hit.text)


class Span(NamedTuple):
    paragraph: int
    start: int
    end: int
    what: str  # the mask's kind, or "person"

    def holds(self, hit: Hit) -> bool:
        return (
            hit.paragraph == self.paragraph and self.start <= hit.offset and end_of(hit) <= self.end
        )


class Judged(NamedTuple):  # tuples: cheaper to build than frozen dataclasses, dozens an article
    hit: Hit
    keys: tuple[str, ...]  # the places it stands for here; empty when dropped
    rule: PlaceRule

    @property
    def kept(self) -> bool:
        return self.rule in KEPT_RULES

    @property
    def confidence(self) -> float:
        return CONFIDENCE.get(self.rule, 0.0)


def located(hits: Iterable[Hit]) -> list[Hit]:
    """Each hit as a mention but one that overlaps a hit before it in its paragraph: a
    phrase two matchers find alike (a name that is also the language's adjective, "British"
    in "British Columbia") is one mention, the first matcher's. (One matcher's hits never
    overlap: the longest phrase wins and the search goes on after it, so "Guinea" in "Papua
    New Guinea" is no hit of its own.)"""
    taken: dict[int, list[tuple[int, int]]] = defaultdict(list)
    kept: list[Hit] = []
    # While hits come in text order (the first matcher's), none can overlap one before.
    in_order, last = True, (-1, 0)
    for hit in hits:
        at, end = hit.offset, end_of(hit)
        spans_taken = taken[hit.paragraph]
        in_order = in_order and (hit.paragraph, at) >= last
        if in_order:
            last = (hit.paragraph, end)
        elif any(start < end and at < stop for start, stop in spans_taken):
            continue
        spans_taken.append((at, end))
        kept.append(hit)
    return kept


def spans(hits: Iterable[Hit], what: Callable[[Hit], str]) -> list[Span]:
    return [Span(h.paragraph, h.offset, end_of(h), what(h)) for h in located(hits)]


def _word_before(text: str, offset: int) -> str:
    """The word before the one at `offset` (folded text: one space between words)."""
    if offset < 2:
        return ""
    return text[text.rfind(" ", 0, offset - 1) + 1 : offset - 1]


def _word_before_that(text: str, offset: int, before: str) -> str:
    """The word before `before`, the word before the one at `offset`."""
    return _word_before(text, offset - len(before) - 1)


def word_after(text: str, end: int) -> str:
    """The word after the one that ends at `end`."""
    if end + 1 >= len(text):
        return ""
    stop = text.find(" ", end + 1)
    return text[end + 1 : stop if stop >= 0 else len(text)]


# The Arabic titles with their proclitics too ("والأمير تركي", "للأمير").
TITLE_FORMS_AR = frozenset(form for title in TITLES["ar"] for form in written_forms(title))


def in_name_pattern(text: str, hit: Hit, language: str | None) -> bool:
    """Whether the words around a one-word mention make it a person's name."""
    form = hit.text
    if " " in form:
        return False
    before = _word_before(text, hit.offset)
    if language == "ar":
        # "الأمير السعودي" is "the Saudi prince": only a word without the article is a name.
        return (
            before in NAME_BEFORE_AR
            or (before in TITLE_FORMS_AR and not form.startswith("ال"))
            or word_after(text, end_of(hit)) in NAME_AFTER_AR
        )
    return before in TITLES.get(language or "", frozenset())


def _words_after(text: str, end: int, count: int) -> list[str]:
    """Up to `count` words after the one that ends at `end`."""
    words: list[str] = []
    while len(words) < count and (word := word_after(text, end)):
        words.append(word)
        end += 1 + len(word)
    return words


def _title_case(text: str) -> bool:
    """A headline in Title Case, where "China Open To Talks" is a country that is open."""
    words = [w for w in text.split(" ") if w[:1].isalpha()]
    return sum(w[:1].isupper() for w in words) >= TITLE_CASE_SHARE * len(words)


def _capitalised(word: str) -> bool:
    """A word written as a name: a capital, then lower case letters ("Lions", not "NSW")."""
    return word[:1].isupper() and word.isalpha() and not word.isupper()


def _names_an_event(text: str, hit: Hit) -> bool:
    """An English place name before an event's or an institution's head word, or a city's
    name or a demonym before a paper's, with at most two capitalised words between (before
    a university's or a party's, after a demonym or one word at least, and not after "in":
    "In Cairo, Al-Azhar University said" has lost its comma), outside a headline in Title
    Case; "News" is no head before "Agency" (a national news agency is the state's)."""
    words = _words_after(text, end_of(hit), ORGANISATION_HEAD_REACH + 1)
    for i, word in enumerate(words[:ORGANISATION_HEAD_REACH]):
        if word == "News" and words[i + 1 : i + 2] == ["Agency"]:
            return False  # a national news agency is the state's ("Kuwait News Agency")
        if (
            (word in PAPER_HEADS_EN and not _names_a_country(hit))
            or word in ORGANISATION_HEADS_EN
            or (
                word in NAME_AFTER_HEADS_EN
                and (
                    _only_demonyms(hit)
                    or (i > 0 and _word_before(text, hit.offset).lower() != "in")
                )
            )
        ):
            return not _title_case(text)
        if not _capitalised(word):
            return False
    return False


def _inside_an_association(text: str, hit: Hit) -> bool:
    """An English place name after the head of a name that ends with "of" and a place
    ("University of Toronto", "Association of India"), in a headline too; or after an
    association's head and "for" or "of" before a capitalised word ("Center for American
    Progress") outside a headline in Title Case."""
    before = _word_before(text, hit.offset)
    if before not in ("for", "of"):
        return False
    head = _word_before_that(text, hit.offset, before)
    if before == "of" and head in NAMED_FOR_A_PLACE_EN:
        return True  # a name in a headline too ("Sapienza University of Rome")
    return (
        head in ASSOCIATION_HEADS_EN
        and _capitalised(word_after(text, end_of(hit)))
        and not _title_case(text)
    )


def _names_a_campaign(text: str, hit: Hit) -> bool:
    """A plural demonym that opens a campaign's name, before "for" and a name ("Americans
    for Safe Access", "Americans for Prosperity"), outside a headline in Title Case; not
    after a count ("a poll of 1,005 Americans for Reuters")."""
    if not (hit.text.endswith("s") and _only_demonyms(hit)):
        return False
    before = _word_before(text, hit.offset)
    if (before.isascii() and before.isdigit()) or before.lower() in COUNTED_EN:
        return False
    end = end_of(hit)
    if word_after(text, end) != "for":
        return False
    return _a_name(word_after(text, end + len(" for"))) and not _title_case(text)


def _names_a_team(text: str, hit: Hit) -> bool:
    """An English city's name right before a team's head word ("Detroit Lions"), outside
    a headline in Title Case, right after "FC" but after a name ("FC Dallas"), or in a
    game's result."""
    if not _is_city(hit):
        return False
    before = _word_before(text, hit.offset)
    if before in TEAM_PREFIXES_EN and not _capitalised(_word_before_that(text, hit.offset, before)):
        return True
    if word_after(text, end_of(hit)) in TEAM_HEADS_EN and not _title_case(text):
        return True
    return _in_a_game(text, hit)


def _is_city(hit: Hit) -> bool:
    """Some of the places the form stands for is a city."""
    return any(k.startswith("city:") for k in hit.keys)


def _names_a_country(hit: Hit) -> bool:
    """Some of the places the form stands for is a country by its name ("Jamaica")."""
    return any(k.startswith("country:") for k in hit.keys)


def _only_cities(hit: Hit) -> bool:
    """Every place the form stands for is a city (no country's name or demonym)."""
    return all(k.startswith("city:") for k in hit.keys)


def _only_demonyms(hit: Hit) -> bool:
    """Every place the form stands for is a demonym's country ("Indians")."""
    return all(k.startswith("demonym:") for k in hit.keys)


def _names_a_water_or_street(text: str, hit: Hit) -> bool:
    """An English place name after a sea's or a gulf's head and "of" ("Gulf of Aden"), or
    before "Sea" or "Ocean" after "the", or after a capitalised word outside a headline in
    Title Case ("South China Sea"); or a city's name before a street's head, but after a
    preposition of place, outside a headline in Title Case ("Washington Avenue")."""
    before, after = _word_before(text, hit.offset), word_after(text, end_of(hit))
    if (
        after in STREET_HEADS_EN
        and _is_city(hit)
        and not _names_a_country(hit)
        and before.lower() not in PLACE_PREPOSITIONS_EN
    ):
        return not _title_case(text)
    if after in WATER_HEADS_AFTER_EN:
        return before == "the" or (_capitalised(before) and not _title_case(text))
    return before == "of" and _word_before_that(text, hit.offset, before) in WATER_HEADS_EN


def _a_name(word: str) -> bool:
    """A capitalised word that is no stopword: a team's or a place's name ("They" is not)."""
    return _capitalised(word) and word.casefold() not in ENGLISH_STOPWORDS


def _in_a_game(text: str, hit: Hit) -> bool:
    """An English city's name in a game's result: after a verb of one that has a name
    before it ("Columbus beat Montreal"), before one that has a name after it, with only
    words of a result between ("Ottawa held on to beat Detroit"), or after "scored for"."""
    before = _word_before(text, hit.offset)
    if before in GAME_VERBS_EN:
        return _a_name(_word_before_that(text, hit.offset, before))
    if before == "for" and _word_before_that(text, hit.offset, before) in PLAYED_FOR_EN:
        return True
    end = end_of(hit)
    for word in _words_after(text, end, GAME_VERB_REACH):
        end += 1 + len(word)
        if word in GAME_VERBS_EN:
            return _a_name(word_after(text, end))
        if word not in RESULT_WORDS_EN:
            return False
    return False


def _before_a_middle_initial(text: str, end: int) -> bool:
    """Before a capital letter alone and a capitalised word that is no stopword: the place's
    name is a person's first name ("Stanley R Crooks"; not "Washington D C")."""
    initial = word_after(text, end)
    if len(initial) != 1 or not initial.isupper() or initial in NOT_AN_INITIAL_EN:
        return False
    return _a_name(word_after(text, end + 2))


def _in_english_name(text: str, hit: Hit, starts: frozenset[tuple[int, int]]) -> bool:
    """A one-word English city's name after a given name that is no place's (a family
    name: "Tyler Hamilton"), in a headline in Title Case only as a byline ("Kirk
    Hamilton"); or a place's name that is a given name itself, before a capitalised word that
    starts no place and that no family name is ("Jordan Spieth"; not "Jordan Valley", not
    "Sydney Tuesday"), unless a preposition of place comes before it ("in Jordan. The
    ..."), never in a headline in Title Case. Or a given name or a city's name after a
    relative's word ("her son Jordan") or a byline's "posted by", in a headline too; or a
    given name's before a middle initial ("Stanley R Crooks"; not "Chicago O Hare", "Berlin
    S Bahn")."""
    form, given = hit.text, given_names("en")
    if " " in form or not _capitalised(form):
        return False
    before = _word_before(text, hit.offset)
    cities = _only_cities(hit)
    if before in RELATIVES_EN or (
        before == "by" and _word_before_that(text, hit.offset, before) in BYLINE_VERBS_EN
    ):
        return cities or form in given
    if form in given and _before_a_middle_initial(text, end_of(hit)):
        return True
    if before in given and cities:
        # A city's name: a country's is no family name ("Alexandria Egypt"), and neither
        # is a given name that is a place's too. In a headline in Title Case, only a
        # byline's: the paragraph's first words, the city's name last or before a word in
        # lower case ("Kirk Hamilton", "Daniel Honan on November 8"; not "Parents Sue
        # Houston Schools").
        at = hit.offset - len(before) - 1
        if (hit.paragraph, at) in starts:
            return False
        return not _title_case(text) or (
            at == 0 and not _capitalised(word_after(text, end_of(hit)))
        )
    if form not in given or before.lower() in PLACE_PREPOSITIONS_EN:
        return False
    after = word_after(text, end_of(hit))
    return (
        _capitalised(after)
        and after not in NOT_A_FAMILY_NAME_EN
        and after.casefold() not in ENGLISH_STOPWORDS
        and (hit.paragraph, end_of(hit) + 1) not in starts
        and not _title_case(text)
    )


# A mention no rule drops: its rule by the kind of its first key ("name" for a country's).
BASIC_RULES: Mapping[str, PlaceRule] = {"demonym": "demonym", "city": "city"}


def ambiguous(hit: Hit, countries: Callable[[str], str | None], language: str | None) -> bool:
    """Whether the form stands for several places, or is also a common first name."""
    places = {countries(k) for k in hit.keys} - {None}
    return len(places) > 1 or hit.text in FIRST_NAMES.get(language or "", frozenset())


def _placed(text: str, hit: Hit, language: str | None) -> bool:
    """A first name that a preposition makes a place (English: "of Jordan")."""
    return language == "en" and _word_before(text, hit.offset).lower() in PLACE_PREPOSITIONS_EN


def judge(
    texts: Sequence[str],
    found: Sequence[Hit],
    blocked: Sequence[Span],
    language: str | None,
    countries: Callable[[str], str | None],
    overshadowed: frozenset[str],
) -> list[Judged]:
    """Every mention found, judged. `blocked`: the spans of the masks' phrases and of the
    watch list's people; `countries`: a key's country (None for a region); `overshadowed`:
    the keys of capitals named like a bigger city elsewhere (Gazetteer), which need support
    even after a preposition of place ("in Hamilton" is rather Ontario's)."""
    starts = frozenset((h.paragraph, h.offset) for h in found) if language == "en" else None
    first: list[Judged] = []
    doubtful: list[bool] = []  # kept, but a name that needs support
    for hit in found:
        keys = hit.keys
        if keys[0].startswith("region:"):  # keys are sorted: "region:" comes last
            continue  # regions only keep their countries' names from matching
        text = texts[hit.paragraph]
        rule = _blocking_rule(blocked, hit) if blocked else None
        if rule is None and in_name_pattern(text, hit, language):
            rule = "person_name"
        elif rule is None and starts is not None:
            rule = _english_rule(text, hit, starts)
        if rule is not None:
            first.append(Judged(hit, (), rule))
            doubtful.append(False)
            continue
        first.append(Judged(hit, keys, BASIC_RULES.get(keys[0].partition(":")[0], "name")))
        doubtful.append(
            not overshadowed.isdisjoint(keys)
            or (ambiguous(hit, countries, language) and not _placed(text, hit, language))
        )
    if starts is not None:
        _named_again(texts, first, doubtful)
        _listed_with_places(texts, first, doubtful)
    if not any(doubtful):
        return first
    support: dict[str, int] = defaultdict(int)
    for j, doubt in zip(first, doubtful, strict=True):
        if j.kept and not doubt:
            for country in {countries(k) for k in j.keys} - {None}:
                support[str(country)] += 1
    out: list[Judged] = []
    for j, doubt in zip(first, doubtful, strict=True):
        if not doubt:
            out.append(j)
            continue
        backed = tuple(k for k in j.keys if (c := countries(k)) is not None and support[c])
        out.append(Judged(j.hit, backed, "supported" if backed else "unsupported"))
    return out


def _named_again(texts: Sequence[str], first: list[Judged], doubtful: list[bool]) -> None:
    """English: a one-word city's name read as a person's name once is that person's
    wherever the article names it alone ("Chris Houston ... Houston was carted off"), but
    after a preposition of place; and a demonym read inside a team's name once is the
    team's after "the" ("Cleveland Indians ... the Indians scout"; not "Indians living in
    Ohio"); in place. (A country's name is not: "Chad President Mahamat Deby" must not
    take Chad from the rest of the article.)"""
    named: dict[str, PlaceRule] = {}
    for j in first:
        if " " in j.hit.text:
            continue
        if j.rule == "person_name" and _only_cities(j.hit):
            named[j.hit.text] = "person_name"
        elif j.rule == "club" and _only_demonyms(j.hit):
            named[j.hit.text] = "club"
    if not named:
        return
    for i, j in enumerate(first):
        hit = j.hit
        rule = named.get(hit.text)
        if rule is None or not j.kept:
            continue
        before = _word_before(texts[hit.paragraph], hit.offset).lower()
        again = before == "the" if rule == "club" else before not in PLACE_PREPOSITIONS_EN
        if again:
            first[i], doubtful[i] = Judged(hit, (), rule), False


def _listed_with_places(texts: Sequence[str], first: list[Judged], doubtful: list[bool]) -> None:
    """English: a first name that is a country's is the country where it is listed with a
    place the article names surely ("Egypt and Chad", "Chad or Niger"), but after a name
    ("DeAndre Jordan and Houston's Clint Capela": a person); in place."""
    if not any(doubtful):
        return
    edges = frozenset(
        at
        for j, doubt in zip(first, doubtful, strict=True)
        if j.kept and not doubt
        for at in ((j.hit.paragraph, j.hit.offset), (j.hit.paragraph, end_of(j.hit)))
    )
    for i, j in enumerate(first):
        hit = j.hit
        if not doubtful[i] or hit.text not in FIRST_NAMES["en"]:
            continue
        text, end = texts[hit.paragraph], end_of(hit)
        before, after = _word_before(text, hit.offset), word_after(text, end)
        if _a_name(before):
            continue
        # where the place before "and" ends, or the one after it starts
        listed = (
            before in LIST_WORDS_EN and (hit.paragraph, hit.offset - len(before) - 2) in edges
        ) or (after in LIST_WORDS_EN and (hit.paragraph, end + len(after) + 2) in edges)
        if listed:
            doubtful[i] = False


def _english_rule(text: str, hit: Hit, starts: frozenset[tuple[int, int]]) -> PlaceRule | None:
    """The English rule that makes the mention no place, if one does."""
    if (
        _names_an_event(text, hit)
        or _inside_an_association(text, hit)
        or _names_a_campaign(text, hit)
    ):
        return "organisation"
    if _names_a_team(text, hit):
        return "club"
    if _names_a_water_or_street(text, hit):
        return "word"
    if _in_english_name(text, hit, starts):
        return "person_name"
    return None


MASK_RULES: Mapping[str, PlaceRule] = {"club": "club", "word": "word"}


def _blocking_rule(blocked: Sequence[Span], hit: Hit) -> PlaceRule | None:
    """The rule of the first span that holds the mention: a person's name or a mask's."""
    block = next((s for s in blocked if s.holds(hit)), None)
    return None if block is None else _span_rule(block.what)


_KEY_KINDS = {"country": 0, "demonym": 1, "city": 2, "region": 3}
_MATCHED_AS: tuple[MatchedAs, ...] = ("name", "demonym", "city")


@functools.cache
def _characters() -> tuple[bytes, dict[str, str]]:
    """Per code point, what Python's str methods say of it (isalpha 1, isupper 2, islower
    4, a title-case letter 8), and the casefold of each character it changes: the compiled
    rules read capitals and stopwords as Python does (a loop over every code point, once a
    process)."""
    flags = bytearray(sys.maxunicode + 1)
    folds: dict[str, str] = {}
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        cased = c.isupper() << 1 | c.islower() << 2 | (unicodedata.category(c) == "Lt") << 3
        flags[code] = c.isalpha() | cased
        if cased and (folded := c.casefold()) != c:
            folds[c] = folded
    return bytes(flags), folds


class Tally(NamedTuple):
    """A place the kept mentions name: how often, how surely, and its first evidence."""

    place: Named
    mentions: int
    confidence: float
    rule: PlaceRule  # of its surest mention
    evidence: list[tuple[int, str, MatchedAs, PlaceRule]]  # paragraph, form, matched as, rule


class CompiledRules:
    """`judge` and the tally of its mentions' places, compiled (native/src/place_rules.rs),
    over the forms of the place matchers (the tag stage's path; the tests hold it to
    `judge`). Matchers are numbered in the order given."""

    def __init__(self, matchers: Sequence[PhraseTable], places: Gazetteer) -> None:
        self._matchers = list(matchers)
        self.places: list[Named] = []  # by tag slot
        slots: dict[str, int] = {}
        countries: dict[str, int] = {}
        key_ids: dict[str, int] = {}
        key_rows: list[tuple[int, int | None, list[tuple[int, int]], bool]] = []

        def key_id(key: str) -> int:
            if (known := key_ids.get(key)) is None:
                tags = []
                for named in places.named_by(key):
                    if (slot := slots.setdefault(named.tag_id, len(slots))) == len(self.places):
                        self.places.append(named)
                    tags.append((slot, _MATCHED_AS.index(named.matched_as)))
                country = places.country_of(key)
                number = None if country is None else countries.setdefault(country, len(countries))
                kind = _KEY_KINDS[key.partition(":")[0]]
                key_rows.append((kind, number, tags, key in places.overshadowed_capitals))
                known = key_ids[key] = len(key_rows) - 1
            return known

        tables = [(m.forms, [[key_id(k) for k in keys] for keys in m.keys]) for m in matchers]
        english = {
            "en_given": given_names("en"),
            "en_organisation_heads": ORGANISATION_HEADS_EN,
            "en_paper_heads": PAPER_HEADS_EN,
            "en_name_after_heads": NAME_AFTER_HEADS_EN,
            "en_association_heads": ASSOCIATION_HEADS_EN,
            "en_named_for_a_place": NAMED_FOR_A_PLACE_EN,
            "en_water_heads": WATER_HEADS_EN,
            "en_water_heads_after": WATER_HEADS_AFTER_EN,
            "en_game_verbs": GAME_VERBS_EN,
            "en_result_words": RESULT_WORDS_EN,
            "en_played_for": PLAYED_FOR_EN,
            "en_relatives": RELATIVES_EN,
            "en_byline_verbs": BYLINE_VERBS_EN,
            "en_counted": COUNTED_EN,
            "en_team_heads": TEAM_HEADS_EN,
            "en_team_prefixes": TEAM_PREFIXES_EN,
            "en_street_heads": STREET_HEADS_EN,
            "en_not_a_family_name": NOT_A_FAMILY_NAME_EN,
            "en_stopwords": ENGLISH_STOPWORDS,
            "en_place_prepositions": PLACE_PREPOSITIONS_EN,
            "en_not_an_initial": NOT_AN_INITIAL_EN,
            "en_list_words": LIST_WORDS_EN,
        }
        arabic = {
            "ar_name_before": NAME_BEFORE_AR,
            "ar_name_after": NAME_AFTER_AR,
            "ar_title_forms": TITLE_FORMS_AR,
        }
        self._rules = PlaceRules(
            {name: sorted(words) for name, words in (english | arabic).items()},
            {language: sorted(words) for language, words in TITLES.items()},
            {language: sorted(words) for language, words in FIRST_NAMES.items()},
            ORGANISATION_HEAD_REACH,
            GAME_VERB_REACH,
            TITLE_CASE_SHARE,
            *_characters(),
            key_rows,
            tables,
        )
        if tuple(PlaceRules.rule_names()) != RULES:
            raise RuntimeError("the compiled place rules number their rules otherwise")

    def mentions(
        self,
        texts: Sequence[str],
        spotted: Sequence[tuple[int, list[Spotted]]],
        blocked: Sequence[Span],
        language: str | None,
    ) -> list[Judged]:
        """judge(texts, located(the matchers' hits), blocked, language, ...): `spotted`
        holds (matcher number, its spots) in the order `located` takes them."""
        rows = self._rules.mentions(texts, spotted, _coded(blocked), language)
        judged = []
        for matcher, phrase, paragraph, offset, rule, kept in rows:
            forms, keys = self._matchers[matcher].forms, self._matchers[matcher].keys[phrase]
            hit = Hit(keys, forms[phrase], paragraph, offset)
            judged.append(Judged(hit, tuple(keys[i] for i in kept), RULES[rule]))
        return judged

    def tallies(
        self,
        texts: Sequence[str],
        spotted: Sequence[tuple[int, list[Spotted]]],
        blocked: Sequence[Span],
        language: str | None,
        evidence: int,
    ) -> list[Tally]:
        """The places of the mentions kept (`mentions`), in the order first named, each with
        at most `evidence` of its mentions."""
        rows = self._rules.tags(texts, spotted, _coded(blocked), language, evidence)
        return [
            Tally(
                self.places[slot],
                count,
                confidence,
                RULES[rule],
                [(p, form, _MATCHED_AS[how], RULES[why]) for p, form, how, why in shown],
            )
            for slot, count, confidence, rule, shown in rows
        ]


def _coded(blocked: Sequence[Span]) -> list[tuple[int, int, int, int]]:
    return [(s.paragraph, s.start, s.end, RULES.index(_span_rule(s.what))) for s in blocked]


def _span_rule(what: str) -> PlaceRule:
    return "person_name" if what == "person" else MASK_RULES.get(what, "organisation")
