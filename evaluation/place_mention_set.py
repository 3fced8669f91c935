"""The place mentions of real text that `make eval-tags` scores the tagger on.

A candidate is one phrase the tagger's place matcher finds (a country's name or demonym,
a city's name; regions are never tagged), before any context rule: each was read by a
person and labelled under evaluation/tag_cases/place-mentions-guidelines.md as a place
(with the country it designates) or as a non-place use (a person's name, a club, an
organisation, an ordinary word). Labels are kept as corpus ids and positions, never texts:

    {"id": "ant:<docno>:<paragraph>:<offset>", "label": "place", "country": "SA"}
    {"id": "en:<set>/<page>:<paragraph>:<offset>", "label": "other", "kind": "club"}

paragraph 0 is the title (ANT, feeds) or the gold text's first line (extraction sets); offset is
the character offset of the phrase in that paragraph as the tagger folds it
(workers/dedupe/normalize.py). Candidates are drawn reproducibly (ordered by a hash of
their document's id):

- ar-stream: every candidate of ANT articles taken in hash order (what a stream holds);
- ar-risk: ANT candidates of six forms known to be ambiguous in Saudi news (a first
  name, a club's city, a country that is also a capital's name, a word);
- en: every candidate of the English pages of the extraction sets' gold texts, in hash
  order;
- en-2: the candidates of the English pages that come next in the same order, drawn and
  labelled after the first English rules were written (looking at both halves of `en`),
  scored on its own; the rules written since looked at its errors too;
- en-3 to en-15: the candidates of the English pages after those, each draw of the pages
  after the one before, drawn and labelled before the rules written from the errors of
  the draw before it; the rules written since looked at its errors, but en-15's;
- en-news: the candidates of the English news articles of the SemEval-2022 Task 8 pairs
  (story-similarity/ in the data folder; machine translations left out), in hash order:
  another source than the pages every English rule was written from, drawn and labelled
  after all of them; the rules written since looked at its errors;
- en-news-2 to en-news-5: the candidates of the SemEval English articles after those,
  each drawn and labelled before the rules written from the errors of the draw before it
  (en-news-5, 260 phrases, is what the articles had left); the rules written since looked
  at en-news-4's errors, not at en-news-5's;
- en-feeds: the candidates of the English entries of the real captured feeds
  (feeds/real/ in the data folder: blogs saved in 2009, a newspaper's, job boards', a
  forum's and podcasts' feeds), each entry its title and the paragraphs of its content
  (or summary) as the extract stage cuts a feed's HTML, in hash order: a third source
  and a third kind of text, drawn and labelled before any rule written from en-news-5's
  errors; the rules written since looked at its errors;
- en-feeds-2: the candidates of the feeds' entries after those, drawn and labelled before
  the rules written from en-feeds' errors: the English set no rule was written from.

`make place-mentions DATA=... ARGS="--worklist FILE"` writes the worklist a person labels:
each candidate with its folded paragraph (the phrase marked) and the title.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.ant_corpus import read_corpus
from evaluation.extraction_sets import read_sets
from evaluation.semeval_rows import SEMEVAL, original_articles
from evaluation.set_counts import Counts
from ingest.extract import html_fragment_paragraphs
from ingest.parse import FeedParseError, parse_feed
from workers.dedupe.normalize import normalize_paragraphs
from workers.tag.gazetteer import Gazetteer, gazetteer
from workers.tag.language import LanguageDetector
from workers.tag.phrase_matcher import Hit, PhraseMatcher
from workers.tag.place_context import end_of, located
from workers.tag.tagger import Tagger

AR_STREAM, AR_RISK, EN = "ar-stream", "ar-risk", "en"
# drawn in this order, each after the one before
LATER_ENGLISH = tuple(f"en-{n}" for n in range(2, 16))
EN_NEWS = ("en-news", "en-news-2", "en-news-3", "en-news-4", "en-news-5")
EN_FEEDS = ("en-feeds", "en-feeds-2")
STRATA = (AR_STREAM, AR_RISK, EN, *LATER_ENGLISH, *EN_NEWS, *EN_FEEDS)
# later English draws: each scored whole, on its own
SCORED_ALONE = frozenset((*LATER_ENGLISH, *EN_NEWS, *EN_FEEDS))
AR_STREAM_SIZE = 700
AR_RISK_SIZE = 360
RISK_PER_FORM = 130
EN_SIZE = 500
LATER_ENGLISH_SIZE = 400
EN_NEWS_SIZE = 400
EN_FEEDS_SIZE = 400
FEEDS = Path("feeds") / "real"
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
# A page with more candidates than this is left out of the draws: the Wikipedia article on
# New Zealand names the country 526 times and would be a whole draw of one page.
MAX_DOCUMENT_CANDIDATES = 300
# Forms known to be tagged wrongly in Saudi news (folded): a first name read as a demonym,
# two clubs' cities, Oman or Amman, "eastern", Jeddah or "grandmother".
RISK_FORMS = frozenset({"تركي", "مدريد", "برشلونة", "عمان", "الشرقية", "جدة"})
MIN_EN_CHARS = 400


@dataclass(frozen=True)
class Document:
    id: str  # "ant:<docno>", "en:<set>/<page>", "semeval:<article id>" or "feed:<file>#<entry>"
    language: str
    # folded, case kept; [0] the title or first line (a SemEval text's one paragraph)
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    id: str
    stratum: str
    document: str
    paragraph: int
    offset: int
    form: str
    keys: tuple[str, ...]


def order(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=8).digest()


def ant_documents(data: Path) -> list[Document]:
    docs = [
        Document(
            f"ant:{a.docno}",
            "ar",
            tuple(normalize_paragraphs([a.title, *a.paragraphs], casefold=False)),
        )
        for a in read_corpus(data)
    ]
    return sorted(docs, key=lambda d: order(d.id))


def _english(
    detector: LanguageDetector, doc_id: str, lines: Sequence[str], length: int
) -> Document | None:
    """The document of these lines if it is English and `length` characters or more long."""
    detected = detector.detect(" ".join(lines)[:400])
    if length < MIN_EN_CHARS or not detected or detected[0] != "en":
        return None
    return Document(doc_id, "en", tuple(normalize_paragraphs(lines, casefold=False)))


def english_documents(data: Path) -> list[Document]:
    detector, docs = LanguageDetector(), []
    for pages in read_sets(data):
        for page, truth in pages.truths.items():
            lines = [line.strip() for line in truth.splitlines() if line.strip()]
            if doc := _english(detector, f"en:{pages.name}/{page}", lines, len(truth)):
                docs.append(doc)
    return sorted(docs, key=lambda d: order(d.id))


def feed_english_documents(data: Path) -> list[Document]:
    """The English entries of the real captured feeds, each its title and the paragraphs of
    its content (or summary), read as the poller and the extract stage read them. A feed
    saved twice (the same entries in RSS and in Atom) keeps its first entries."""
    detector, docs, seen = LanguageDetector(), [], set()
    root = data / FEEDS
    for path in sorted(root.rglob("*")):
        if path.suffix not in FEED_SUFFIXES or not path.is_file():
            continue
        parsed = parse_feed(path.read_bytes(), {}, path.resolve().as_uri())
        if isinstance(parsed, FeedParseError):
            continue
        for n, entry in enumerate(parsed.entries):
            # cut as when the draws were labelled: a quotation's paragraph in it and alone
            html = entry.content or entry.summary
            lines = [entry.title, *html_fragment_paragraphs(html, nested_twice=True)]
            lines = [line for line in lines if line.strip()]
            text = " ".join(lines)
            doc_id = f"feed:{path.relative_to(root).as_posix()}#{n}"
            if text not in seen and (doc := _english(detector, doc_id, lines, len(text))):
                seen.add(text)
                docs.append(doc)
    return sorted(docs, key=lambda d: order(d.id))


def semeval_english_documents(data: Path) -> list[Document]:
    """The English news articles of the SemEval pairs, each one paragraph: the pairs' texts
    give the title and the body together, on one line or two, and folding joins the lines
    (the labels' offsets count in that paragraph; a headline's Title Case is not seen
    apart from its body). An article given twice with two texts keeps the first."""
    docs = [
        Document(f"semeval:{article}", "en", tuple(normalize_paragraphs([text], casefold=False)))
        for article, text in original_articles(data / SEMEVAL, "en").items()
        if len(text) >= MIN_EN_CHARS
    ]
    return sorted(docs, key=lambda d: order(d.id))


class PlaceFinder:
    """The tagger's place matchers (names, and adjectives for the languages that have
    them), as the tag stage runs them."""

    def __init__(self, places: Gazetteer | None = None) -> None:
        # The tables as they were when the labelled set was drawn (see gazetteer()).
        self.places = places or gazetteer(context_forms=False)
        self._names = PhraseMatcher(self.places.forms)
        self._adjectives = {
            language: PhraseMatcher(forms) for language, forms in self.places.by_language.items()
        }

    def hits(self, document: Document) -> list[Hit]:
        found = self._names.find(document.paragraphs)
        if document.language in self._adjectives:
            found += self._adjectives[document.language].find(document.paragraphs)
        return sorted(found, key=lambda h: h.paragraph)  # stable: text order within each

    def candidates(self, document: Document, stratum: str) -> list[Candidate]:
        hits = [h for h in self.hits(document) if not all(k.startswith("region:") for k in h.keys)]
        return [
            Candidate(
                f"{document.id}:{hit.paragraph}:{hit.offset}",
                stratum,
                document.id,
                hit.paragraph,
                hit.offset,
                hit.text,
                hit.keys,
            )
            for hit in located(hits)
        ]


def draw(data: Path, finder: PlaceFinder) -> tuple[list[Candidate], dict[str, Document]]:
    """Every stratum's candidates, and the documents they are in."""
    documents: dict[str, Document] = {}
    ant = ant_documents(data)
    stream = _whole_documents(ant, finder, AR_STREAM, AR_STREAM_SIZE, documents)
    risk: list[Candidate] = []
    taken, per_form = {c.id for c in stream}, dict.fromkeys(RISK_FORMS, 0)
    for doc in ant:  # one risky mention a document, so that many documents are read
        if len(risk) >= AR_RISK_SIZE:
            break
        found = [
            c
            for c in finder.candidates(doc, AR_RISK)
            if c.form in RISK_FORMS and c.id not in taken and per_form[c.form] < RISK_PER_FORM
        ]
        if found:
            risk.append(found[0])
            per_form[found[0].form] += 1
            documents[doc.id] = doc
    english_docs = english_documents(data)
    english = _whole_documents(english_docs, finder, EN, EN_SIZE, documents)
    for stratum in LATER_ENGLISH:
        rest = [d for d in english_docs if d.id not in documents]
        english += _whole_documents(rest, finder, stratum, LATER_ENGLISH_SIZE, documents)
    if (data / SEMEVAL).is_file():
        news = semeval_english_documents(data)
        for stratum in EN_NEWS:
            rest = [d for d in news if d.id not in documents]
            english += _whole_documents(rest, finder, stratum, EN_NEWS_SIZE, documents)
    if (data / FEEDS).is_dir():
        feeds = feed_english_documents(data)
        for stratum in EN_FEEDS:
            rest = [d for d in feeds if d.id not in documents]
            english += _whole_documents(rest, finder, stratum, EN_FEEDS_SIZE, documents)
    return stream + risk + english, documents


def _whole_documents(
    docs: Iterable[Document],
    finder: PlaceFinder,
    stratum: str,
    size: int,
    documents: dict[str, Document],
) -> list[Candidate]:
    """Every candidate of documents taken in order until there are `size` (whole
    documents: each one's mentions are all labelled, for the article-level score), but
    the pages of more than MAX_DOCUMENT_CANDIDATES."""
    taken: list[Candidate] = []
    for doc in docs:
        if len(taken) >= size:
            break
        found = finder.candidates(doc, stratum)
        if 0 < len(found) <= MAX_DOCUMENT_CANDIDATES:
            taken += found
            documents[doc.id] = doc
    return taken


# A worklist's title, cut: a SemEval text is one paragraph, its title joined to its body.
TITLE_CHARS = 200


def _context(doc: Document, candidate: Candidate, width: int = 300) -> str:
    text = doc.paragraphs[candidate.paragraph]
    start, end = candidate.offset, candidate.offset + len(candidate.form)
    before = text[max(0, start - width) : start]
    after = text[end : end + width]
    return f"{before}[[{text[start:end]}]]{after}"


def reading(key: str, places: Gazetteer) -> str:
    """What a matcher key stands for, in words."""
    kind, _, ident = key.partition(":")
    if kind == "city":
        city = places.cities[int(ident)]
        return f"city {city.name}, {places.country_names[city.country]} ({city.country})"
    return f"{kind} of {places.country_names[ident]} ({ident})"


def write_worklist(
    path: Path, candidates: Sequence[Candidate], documents: dict[str, Document], places: Gazetteer
) -> None:
    with path.open("w", encoding="utf-8") as out:
        for c in candidates:
            doc = documents[c.document]
            row = {
                "id": c.id,
                "stratum": c.stratum,
                "title": doc.paragraphs[0][:TITLE_CHARS],
                "context": _context(doc, c),
                "tagger_reads_it_as": [reading(k, places) for k in c.keys],
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class Label:
    """One labelled mention: where it is, and what a person read it as."""

    id: str  # "<document>:<paragraph>:<offset>"
    stratum: str
    length: int  # of the phrase, in the folded paragraph
    label: str  # "place" or "other"
    country: str = ""  # for a place: ISO 3166-1 alpha-2
    kind: str = ""  # for another use: person, club, org, word, other

    @property
    def document(self) -> str:
        return self.id.rsplit(":", 2)[0]

    @property
    def paragraph(self) -> int:
        return int(self.id.rsplit(":", 2)[1])

    @property
    def offset(self) -> int:
        return int(self.id.rsplit(":", 2)[2])

    @property
    def truth(self) -> set[str]:
        return {self.country} if self.label == "place" else set()


def load_labels(path: Path) -> list[Label]:
    labels = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            labels.append(
                Label(
                    raw["id"],
                    raw["stratum"],
                    raw["length"],
                    raw["label"],
                    raw.get("country", ""),
                    raw.get("kind", ""),
                )
            )
    return labels


@dataclass(frozen=True)
class Agreement:
    """Phrases labelled by two readers apart: how many, and on how many they agree."""

    phrases: int
    same_reading: int  # place or not, and which country
    same_kind: int  # and, for another use, the same kind of it


def agreement(first: Sequence[Label], second: Sequence[Label]) -> Agreement:
    """How the second reader's labels agree with the first's, phrase by phrase."""
    by_id = {label.id: label for label in first}
    both = [(by_id[label.id], label) for label in second if label.id in by_id]
    return Agreement(
        len(both),
        sum(a.truth == b.truth and a.label == b.label for a, b in both),
        sum((a.label, a.country, a.kind) == (b.label, b.country, b.kind) for a, b in both),
    )


def labelled_documents(data: Path, labels: Sequence[Label]) -> dict[str, Document]:
    """The documents the labels are in that the data folder holds (all of them, in the
    shared data folder)."""
    wanted = {label.document for label in labels}
    found = {d.id: d for d in ant_documents(data) if d.id in wanted}
    if any(w.startswith("en:") for w in wanted) and (data / "extraction").is_dir():
        found |= {d.id: d for d in english_documents(data) if d.id in wanted}
    if any(w.startswith("semeval:") for w in wanted) and (data / SEMEVAL).is_file():
        found |= {d.id: d for d in semeval_english_documents(data) if d.id in wanted}
    if any(w.startswith("feed:") for w in wanted) and (data / FEEDS).is_dir():
        found |= {d.id: d for d in feed_english_documents(data) if d.id in wanted}
    return found


def half(document_id: str) -> str:
    """Which half of the documents: the context rules were written looking at `dev` only
    (the English ones since, at both halves of `en` and at the later draws but `en-15`
    and `en-feeds-2`, whose errors they were not written from)."""
    return "dev" if order(document_id)[1] % 2 == 0 else "held-out"


@dataclass(frozen=True)
class Kept:
    paragraph: int
    start: int
    end: int
    countries: frozenset[str]


def kept_mentions(tagger: Tagger, document: Document) -> list[Kept]:
    """The place mentions the tagger keeps in the document, with the countries they are."""
    return [
        Kept(
            j.hit.paragraph,
            j.hit.offset,
            end_of(j.hit),
            frozenset(c for k in j.keys if (c := tagger.places.country_of(k))),
        )
        for j in tagger.place_mentions(document.paragraphs, document.language)
        if j.keys
    ]


def read_as(label: Label, kept: Sequence[Kept]) -> set[str]:
    """The countries the tagger tags the labelled phrase as: those of every kept mention
    that overlaps it (a longer phrase that holds it, "سلطنة عمان" for "عمان", counts)."""
    end = label.offset + label.length
    return {
        c
        for k in kept
        if k.paragraph == label.paragraph and k.start < end and label.offset < k.end
        for c in k.countries
    }


@dataclass
class Scores:
    """Mention-level and article-level counts by (scope, half), and the articles tagged with
    a country whose every mention is a person's name."""

    mentions: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    articles: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    name_only: list[str] = field(default_factory=list)


def pooled(language: str) -> str:
    """The scope of every labelled phrase of a language, all draws and halves together."""
    return f"{language}, all draws"


def score(tagger: Tagger, labels: Sequence[Label], documents: dict[str, Document]) -> Scores:
    scores = Scores()
    by_document: dict[str, list[Label]] = defaultdict(list)
    for label in labels:
        by_document[label.document].append(label)
    for doc_id, labelled in sorted(by_document.items()):
        document, stratum = documents[doc_id], labelled[0].stratum
        # The later English draws are scored on their own, whole.
        alone = stratum in SCORED_ALONE
        where = "all" if alone else half(doc_id)
        kept = kept_mentions(tagger, document)
        for label in labelled:
            found = read_as(label, kept)
            for scope in {stratum} if alone else {stratum, document.language}:
                scores.mentions[(scope, where)].add(label.truth, found)
            # every draw of the language together, beside each draw alone
            scores.mentions[(pooled(document.language), "all")].add(label.truth, found)

        if stratum != AR_RISK:  # every mention of these documents is labelled
            truth = {label.country for label in labelled if label.label == "place"}
            tagged = {c for k in kept for c in k.countries}
            scores.articles[(stratum if alone else document.language, where)].add(truth, tagged)
        scores.name_only += _tagged_by_names_only(doc_id, kept, labelled)
    return scores


def _tagged_by_names_only(doc_id: str, kept: Sequence[Kept], labels: Sequence[Label]) -> list[str]:
    """The countries of a document whose every kept mention is labelled a person's name."""
    evidence: dict[str, list[Kept]] = defaultdict(list)
    for mention in kept:
        for country in mention.countries:
            evidence[country].append(mention)

    def person(mention: Kept) -> bool:
        return any(label.kind == "person" and read_as(label, [mention]) for label in labels)

    return [
        f"{doc_id} {country}"
        for country, mentions in evidence.items()
        if all(person(m) for m in mentions)
    ]
