"""Every tag of one article, each with its evidence.

The tagger folds the title and paragraphs once (the dedupe stage's normalization, case
kept), then runs three phrase matchers over them: places (built once from the
gazetteer), the watch list and the topic phrases (rebuilt when the rules file changes).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsflow_native import CharClasses

from schemas.contracts import example
from schemas.messages import EntityTag, Evidence, MatchedAs, PlaceTag, TagSet, TopicTag
from workers.dedupe.normalize import normalize_paragraphs, normalize_text
from workers.tag.gazetteer import Gazetteer, Named, gazetteer
from workers.tag.keywords import KeywordWindow
from workers.tag.language import LanguageDetector, decide_language
from workers.tag.name_forms import written_forms
from workers.tag.namesakes import NamesakeTable
from workers.tag.phrase_matcher import Hit, PhraseMatcher, Spotted
from workers.tag.place_context import (
    CompiledRules,
    Judged,
    Span,
    Tally,
    judge,
    located,
    spans,
)
from workers.tag.rules_file import RulesFile, TagRules, Topic
from workers.tag.script import script_of

MAX_EVIDENCE = 3  # per tag: enough to explain it, short enough for every message
# Read by the language detector; fastText's cost grows with it. `make eval-tags`: 100% on every
# ANT and scrapinghub body of 200+ characters and on the tag set, at 150, 200, 300 and 400.
LANGUAGE_SAMPLE_CHARS = 200


def _ranges(codes: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted code points as inclusive (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    return runs


@functools.cache
def _casefold_changes() -> CharClasses:
    """The code points str.casefold changes (from Python's own tables; every one beyond the
    BMP counts, to be safe): text without any is its own casefold."""
    changed = (
        c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF and chr(c).casefold() != chr(c)
    )
    return CharClasses([_ranges(changed)], beyond_bmp=0)


def casefolded(texts: list[str]) -> list[str]:
    """[text.casefold() for text in texts], without the copies when no text has a letter
    that case folding changes (Arabic, Chinese...: most of the corpora's text)."""
    if not _casefold_changes().any(texts):
        return texts
    return [text.casefold() for text in texts]


def _evidence(hit: Hit, matched_as: MatchedAs) -> Evidence:
    return _located_evidence(hit.paragraph, hit.text, matched_as)


def _located_evidence(paragraph: int, text: str, matched_as: MatchedAs) -> Evidence:
    """Evidence of a form found in paragraph `paragraph` of the texts searched (0: title)."""
    if paragraph == 0:
        return {"text": text, "field": "title", "paragraph": 0, "matched_as": matched_as}
    return {"text": text, "field": "body", "paragraph": paragraph - 1, "matched_as": matched_as}


def _place_evidence(judged: Judged, matched_as: MatchedAs) -> Evidence:
    evidence = _evidence(judged.hit, matched_as)
    evidence["rule"] = judged.rule
    return evidence


def _form_table(names: Iterable[tuple[str, str]], *, casefold: bool) -> dict[str, set[str]]:
    """(name, key) pairs -> every written form of each name -> its keys."""
    table: dict[str, set[str]] = defaultdict(set)
    for name, key in names:
        folded = normalize_text(name, casefold=casefold)
        for form in written_forms(folded) if folded else ():
            table[form].add(key)
    return table


def _mention(tag: EntityTag, hit: Hit, matched_as: MatchedAs) -> None:
    """One more mention of the tag; its evidence kept while there is room (built only then:
    a country a story names twenty times needs three)."""
    tag["mentions"] += 1
    if len(tag["evidence"]) < MAX_EVIDENCE:
        tag["evidence"].append(_evidence(hit, matched_as))


def _place(named: Named) -> PlaceTag:
    return {
        "id": named.tag_id,
        "kind": named.kind,
        "name": named.name,
        "country": named.country,
        "mentions": 0,
        "confidence": 0.0,
        "rule": "name",
        "evidence": [],
    }


def place_tags(mentions: Sequence[Judged], places: Gazetteer) -> list[PlaceTag]:
    """The places of the mentions kept, each with its mentions, confidence and evidence."""
    found: dict[str, PlaceTag] = {}
    for judged in mentions:
        if not judged.keys:  # dropped by a rule
            continue
        confidence = judged.confidence
        for key in judged.keys:
            for named in places.named_by(key):
                if (tag := found.get(named.tag_id)) is None:
                    tag = found[named.tag_id] = _place(named)
                # the place is as sure as its surest mention
                tag["mentions"] += 1
                if confidence > tag["confidence"]:
                    tag["confidence"], tag["rule"] = confidence, judged.rule
                if len(tag["evidence"]) < MAX_EVIDENCE:
                    tag["evidence"].append(_place_evidence(judged, named.matched_as))
    return _sorted_places(list(found.values()))


def _sorted_places(tags: list[PlaceTag]) -> list[PlaceTag]:
    """Countries first, then cities; the most mentioned first."""
    return sorted(tags, key=lambda t: (t["kind"] != "country", -t["mentions"], t["id"]))


def _tallied(tally: Tally) -> PlaceTag:
    """A compiled tally as its place tag (what place_tags makes of the same mentions)."""
    place = tally.place
    return {
        "id": place.tag_id,
        "kind": place.kind,
        "name": place.name,
        "country": place.country,
        "mentions": tally.mentions,
        "confidence": tally.confidence,
        "rule": tally.rule,
        "evidence": [
            _located_evidence(paragraph, form, matched_as) | {"rule": rule}
            for paragraph, form, matched_as, rule in tally.evidence
        ],
    }


def entity_tags(hits: Sequence[Hit], rules: TagRules) -> list[EntityTag]:
    found: dict[int, EntityTag] = {}
    for hit in hits:
        for key in hit.keys:
            index = int(key.partition(":")[2])
            if index not in found:
                entry = rules.watch[index]
                found[index] = {
                    "name": entry.name,
                    "kind": entry.kind,
                    "mentions": 0,
                    "evidence": [],
                }
            _mention(found[index], hit, "alias")
    return sorted(found.values(), key=lambda t: (-t["mentions"], t["name"]))


@functools.lru_cache(maxsize=65_536)
def _folded_phrase(phrase: str) -> str:
    """Topic phrases as matched (casefolded, normalized); cached: a topic's rules are checked
    on every article and their phrases change only when the rules file does."""
    return normalize_text(phrase)


def _for_language(table: Mapping[str, tuple[str, ...]], language: str | None) -> set[str]:
    """The phrases of a rule that apply to an article in `language` ("*" applies to all)."""
    languages = ("*", language) if language else ("*",)
    return {_folded_phrase(p) for lang in languages for p in table.get(lang, ())}


def topic_evidence(
    topic: Topic,
    language: str | None,
    matched: Mapping[str, list[Evidence]],
    countries: set[str],
) -> list[Evidence] | None:
    """The evidence that the article is about `topic`, or None when a rule fails (pure)."""
    any_found = [p for p in _for_language(topic.any, language) if p in matched]
    if topic.any and len(any_found) < topic.min_hits:
        return None
    all_phrases = _for_language(topic.all, language)
    if topic.all and (not all_phrases or not all_phrases <= matched.keys()):
        return None
    if _for_language(topic.none, language) & matched.keys():
        return None
    if topic.places and not topic.places & countries:
        return None
    return [matched[p][0] for p in sorted({*any_found, *all_phrases})][:MAX_EVIDENCE]


@dataclass
class RuleMatchers:
    """The watch-list and topic matchers of one version of the rules."""

    rules: TagRules
    watch: PhraseMatcher = field(init=False)
    topics: PhraseMatcher = field(init=False)
    masks: PhraseMatcher = field(init=False)

    def __post_init__(self) -> None:
        self.watch = PhraseMatcher(
            _form_table(
                (
                    (alias, f"watch:{i}")
                    for i, entry in enumerate(self.rules.watch)
                    for alias in entry.aliases
                ),
                casefold=False,
            )
        )
        self.masks = PhraseMatcher(
            _form_table(
                (
                    (phrase, f"mask:{mask.kind}")
                    for mask in self.rules.masks
                    for phrase in mask.phrases
                ),
                casefold=False,
            )
        )
        phrases = {p for topic in self.rules.topics for p in topic.phrases()}
        self.topics = PhraseMatcher(
            _form_table(((p, "phrase:" + _folded_phrase(p)) for p in phrases), casefold=True)
        )

    def topic_tags(
        self, hits: Sequence[Hit], language: str | None, countries: set[str]
    ) -> list[TopicTag]:
        """The topics whose rules hold, from the topic phrases' hits in the casefolded text."""
        matched: dict[str, list[Evidence]] = defaultdict(list)
        for hit in hits:
            for key in hit.keys:
                matched[key.partition(":")[2]].append(_evidence(hit, "phrase"))
        tags: list[TopicTag] = []
        for topic in self.rules.topics:
            if (evidence := topic_evidence(topic, language, matched, countries)) is not None:
                tags.append({"id": topic.id, "evidence": evidence})
        return tags


@dataclass(frozen=True)
class ArticleHits:
    """What the matchers found in one article's folded texts, read once for them all."""

    matchers: RuleMatchers  # the rules' matchers searched with (a reload may come between)
    places: list[tuple[int, list[Spotted]]]  # (place matcher's number, its spots), in order
    watched: list[Hit]  # the watch list's names
    masked: list[Hit]  # the masks' phrases
    topics: list[Hit]  # topic phrases, in the casefolded texts (none when not asked)


@dataclass
class Tagger:
    detector: LanguageDetector
    rules_file: RulesFile
    window: KeywordWindow = field(default_factory=KeywordWindow)
    places: Gazetteer = field(default_factory=gazetteer)
    # The context rules (workers/tag/place_context.py); off: every form found is a place,
    # as before them (`make eval-tags` compares the two).
    context_rules: bool = True
    _place_matcher: PhraseMatcher = field(init=False)
    _adjective_matchers: dict[str, PhraseMatcher] = field(init=False)
    # The place matchers by number (the names, then each language's adjectives).
    _place_matchers: list[PhraseMatcher] = field(init=False)
    # The names' matcher's phrases and its namesakes' (workers/tag/namesakes.py): what the
    # names' spots stand for once re-read.
    _namesakes: NamesakeTable = field(init=False)
    # The context rules, compiled over the namesakes' table and the adjectives' matchers.
    _compiled: CompiledRules = field(init=False)
    _rule_matchers: RuleMatchers = field(init=False)
    _rules_version: int = field(init=False)

    def __post_init__(self) -> None:
        self._place_matcher = PhraseMatcher(self.places.forms)
        self._adjective_matchers = {
            language: PhraseMatcher(forms) for language, forms in self.places.by_language.items()
        }
        self._place_matchers = [self._place_matcher, *self._adjective_matchers.values()]
        self._namesakes = NamesakeTable(self._place_matcher, self.places)
        self._compiled = CompiledRules(
            [self._namesakes, *self._adjective_matchers.values()], self.places
        )
        self._rules_version = self.rules_file.version
        self._rule_matchers = RuleMatchers(self.rules_file.rules)

    def _matchers(self) -> RuleMatchers:
        rules = self.rules_file.current()
        if self.rules_file.version != self._rules_version:
            self._rule_matchers = RuleMatchers(rules)
            self._rules_version = self.rules_file.version
        return self._rule_matchers

    def tag(self, article: Mapping[str, Any]) -> TagSet:
        return self._tag(article, self.window)

    def warm_up(self) -> None:
        """Tags the contract's example article with a scratch keyword window: the tables
        built on first use (case folding, digits, the example language's stopwords) are
        then built before the first real article, and the real window is left as it was."""
        self._tag(example("deduped.v1"), KeywordWindow(size=1))

    def place_mentions(
        self, cased: Sequence[str], language: str | None, *, in_python: bool = False
    ) -> list[Judged]:
        """Every place form found in the folded texts, judged in its context (by the
        compiled rules; `in_python`: by place_context.judge, the rule they are held to)."""
        hits = self._find(cased, language, None)
        if not self.context_rules:
            return self._named(hits)
        if in_python:
            found = located(self._place_hits(hits))
            return judge(
                cased,
                found,
                self._blocked(hits),
                language,
                self.places.country_of,
                self.places.overshadowed_capitals,
            )
        return self._compiled.mentions(cased, hits.places, self._blocked(hits), language)

    def _find(
        self, cased: Sequence[str], language: str | None, lowered: Sequence[str] | None
    ) -> ArticleHits:
        """Every matcher's hits; the topics' in `lowered` (the casefolded texts) if given."""
        matchers = self._matchers()
        passes = [self._place_matcher, matchers.watch, matchers.masks]
        adjectives = self._adjective_matchers.get(language or "")
        if adjectives is not None:
            passes.append(adjectives)
        if same_case := lowered is cased:  # no letter that case folding changes
            passes.append(matchers.topics)
        found = PhraseMatcher.spot_each(passes, cased)
        topics = (
            matchers.topics.hits(found[-1])
            if same_case
            else matchers.topics.find(lowered)
            if lowered
            else []
        )
        places = [(0, found[0])]
        if adjectives is not None:
            places.append((self._place_matchers.index(adjectives), found[3]))
        if self.context_rules:
            others = [(adjectives, found[3])] if adjectives is not None else []
            places[0] = (0, self._namesakes.reread(cased, found[0], others))
        watched, masked = matchers.watch.hits(found[1]), matchers.masks.hits(found[2])
        return ArticleHits(matchers, places, watched, masked, topics)

    def _place_hits(self, hits: ArticleHits) -> list[Hit]:
        return [
            hit
            for number, spotted in hits.places
            for hit in (self._namesakes if number == 0 else self._place_matchers[number]).hits(
                spotted
            )
        ]

    def _named(self, hits: ArticleHits) -> list[Judged]:
        """Without the context rules: every form found (but a region's) a place."""
        return [
            Judged(hit, hit.keys, "name")
            for hit in located(self._place_hits(hits))
            if not all(k.startswith("region:") for k in hit.keys)
        ]

    def _blocked(self, hits: ArticleHits) -> list[Span]:
        """The spans no place is inside: the masks' phrases, the watch list's people."""
        rules = hits.matchers.rules
        people = [h for h in hits.watched if self._is_person(h, rules)]
        return [
            *spans(hits.masked, lambda h: h.keys[0].partition(":")[2]),
            *spans(people, lambda h: "person"),
        ]

    def _place_tags(
        self, cased: Sequence[str], language: str | None, hits: ArticleHits
    ) -> list[PlaceTag]:
        if not self.context_rules:
            return place_tags(self._named(hits), self.places)
        found = self._compiled.tallies(
            cased, hits.places, self._blocked(hits), language, MAX_EVIDENCE
        )
        return _sorted_places([_tallied(tally) for tally in found])

    @staticmethod
    def _is_person(hit: Hit, rules: TagRules) -> bool:
        return any(rules.watch[int(k.partition(":")[2])].kind == "person" for k in hit.keys)

    def _tag(self, article: Mapping[str, Any], window: KeywordWindow) -> TagSet:
        title, paragraphs = article["title"], article["paragraphs"]
        sample = f"{title}\n{article['body']}"[:LANGUAGE_SAMPLE_CHARS]
        detected = self.detector.detect(sample)
        hint, page_language = article.get("language_hint"), article.get("page_language")
        tags = decide_language(detected, hint, page_language)
        language = tags["language"]
        tags["script"], tags["direction"] = script_of(sample)
        cased = normalize_paragraphs([title, *paragraphs], casefold=False)
        lowered = casefolded(cased)
        hits = self._find(cased, language, lowered)
        tags["places"] = self._place_tags(cased, language, hits)
        tags["entities"] = entity_tags(hits.watched, hits.matchers.rules)
        countries = {p["country"] for p in tags["places"]}
        tags["topics"] = hits.matchers.topic_tags(hits.topics, language, countries)
        tags["keywords"] = window.keywords_in(lowered, language)
        feed_tags = list(article.get("feed_tags", []))
        tags["source"] = {"outlet": article["outlet"], "feed_tags": feed_tags}
        return tags
