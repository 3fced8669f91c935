"""The labelled dedupe set: real Arabic articles, documented perturbations of them, and the
relation each perturbed copy must get (pure, seeded: the same seed builds the same set).

How it is built:
1. Base: consecutive articles of the corpus (so that many share a day and a section, the
   hardest negatives), with at least 3 paragraphs and 80 words. Articles that already
   repeat another base article (the corpus holds real re-polls and same-outlet
   republications) are dropped from the base, so that every base article is an original.
2. Copies: a random base article is copied with one perturbation; the expected relation
   and the expected cluster (the base article) are recorded with it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from evaluation.ant_corpus import CorpusArticle
from workers.dedupe.minhash import MinHasher, shingle_hashes
from workers.dedupe.normalize import tokens

HARAKAT = "\u064e\u064f\u0650\u0652\u0651"
FOOTER = "تابعوا آخر الأخبار والتحليلات على موقعنا وحساباتنا في مواقع التواصل الاجتماعي"
BYLINE = "مراسل الشؤون الإقليمية - خاص"
UPDATE_LINE = "وفي تحديث لاحق، أكدت مصادر رسمية صحة هذه المعلومات وأضافت تفاصيل جديدة عن الحادث."


@dataclass(frozen=True)
class Case:
    article_id: str
    outlet: str
    title: str
    paragraphs: tuple[str, ...]
    kind: str  # "base" or the perturbation's name
    expected: str  # relation
    cluster: str  # the base article's id


Perturb = Callable[[CorpusArticle, random.Random], tuple[str, ...] | None]


def _republish(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    return a.paragraphs


def _spelling_variants(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    """Diacritics on some letters, tatweel inside some words, alef forms swapped."""

    def vary(text: str) -> str:
        out = []
        for ch in text:
            out.append(ch)
            if "\u0628" <= ch <= "\u064a" and rng.random() < 0.15:
                out.append(rng.choice(HARAKAT))
            elif "\u0628" <= ch <= "\u064a" and rng.random() < 0.03:
                out.append("\u0640")
        return "".join(out).replace("أ", "ا").replace("إ", "ا")

    return tuple(vary(p) for p in a.paragraphs)


def _punctuation(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    return tuple("  " + p.replace("،", " ، ").replace(".", " . ") + " " for p in a.paragraphs)


def _internal_doubling(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    return a.paragraphs + a.paragraphs[1:]


def _byline_footer(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    return (BYLINE, *a.paragraphs, FOOTER)


def _paragraph_dropped(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    """One paragraph of at most a tenth of the words dropped: still the same article."""
    small = [i for i, p in enumerate(a.paragraphs) if i and len(p.split()) <= a.word_count / 10]
    if len(a.paragraphs) < 6 or not small:
        return None
    drop = rng.choice(small)
    return a.paragraphs[:drop] + a.paragraphs[drop + 1 :]


def _paragraph_moved(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    if len(a.paragraphs) < 4:
        return None
    moved = list(a.paragraphs)
    paragraph = moved.pop(rng.randrange(1, len(moved)))
    moved.insert(rng.randrange(0, len(moved)), paragraph)
    return tuple(moved) if tuple(moved) != a.paragraphs else None


def _words_edited(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    """About one word in forty replaced, as a copy editor would."""

    def edit(paragraph: str) -> str:
        words = paragraph.split()
        return " ".join("وقد" if rng.random() < 0.025 else w for w in words)

    return tuple(edit(p) for p in a.paragraphs)


def _partial(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    if len(a.paragraphs) < 5:
        return None
    keep = max(2, round(len(a.paragraphs) * rng.uniform(0.4, 0.6)))
    return a.paragraphs[:keep]


def _update(a: CorpusArticle, rng: random.Random) -> tuple[str, ...] | None:
    return (*a.paragraphs, UPDATE_LINE)


# name -> (perturbation, expected relation, same article id as the base?)
PERTURBATIONS: dict[str, tuple[Perturb, str, bool]] = {
    "republished_same_text": (_republish, "exact_duplicate", False),
    "diacritics_tatweel_alef": (_spelling_variants, "exact_duplicate", False),
    "punctuation_and_spacing": (_punctuation, "exact_duplicate", False),
    "internal_doubling": (_internal_doubling, "exact_duplicate", False),
    "byline_and_footer_added": (_byline_footer, "near_duplicate", False),
    "paragraph_dropped": (_paragraph_dropped, "near_duplicate", False),
    "paragraph_moved": (_paragraph_moved, "near_duplicate", False),
    "words_edited": (_words_edited, "near_duplicate", False),
    "partial_reprint": (_partial, "partial_reprint", False),
    "updated_at_same_url": (_update, "update", True),
}


def _shingles(paragraphs: Sequence[str]) -> set[int]:
    return set(shingle_hashes(tokens("\n".join(paragraphs))).tolist())


def clean_base(articles: Iterable[CorpusArticle], size: int) -> list[CorpusArticle]:
    """The first `size` eligible articles that repeat no earlier one (exact Jaccard < 0.2 and
    containment < 0.5 against every earlier base article sharing a candidate band)."""
    hasher = MinHasher(bands=30, rows=2)  # a wide net: this only finds pairs to check exactly
    base: list[CorpusArticle] = []
    sets: list[set[int]] = []
    bands: dict[bytes, list[int]] = {}
    for article in articles:
        if len(base) >= size:
            break
        if len(article.paragraphs) < 3 or article.word_count < 80:
            continue
        shingles = _shingles(article.paragraphs)
        keys = hasher.band_keys(
            hasher.signature(shingle_hashes(tokens("\n".join(article.paragraphs))))
        )
        near = {i for key in keys for i in bands.get(key, [])}
        if any(_overlaps(shingles, sets[i]) for i in near):
            continue
        for key in keys:
            bands.setdefault(key, []).append(len(base))
        base.append(article)
        sets.append(shingles)
    return base


def _overlaps(a: set[int], b: set[int]) -> bool:
    shared = len(a & b)
    return shared / len(a | b) >= 0.2 or shared / min(len(a), len(b)) >= 0.5


def _same_text(a: Sequence[str], b: Sequence[str]) -> bool:
    return tokens("\n".join(a)) == tokens("\n".join(b))


def build_cases(base: Sequence[CorpusArticle], copies: int, seed: int) -> list[Case]:
    """Base articles in corpus order, then `copies` perturbed copies in random order."""
    rng = random.Random(seed)
    cases = [
        Case(a.article_id, a.source, a.title, a.paragraphs, "base", "original", a.article_id)
        for a in base
    ]
    names = list(PERTURBATIONS)
    used: set[tuple[str, str]] = set()
    attempts = 0
    while len(cases) < len(base) + copies and attempts < copies * 20:
        attempts += 1
        name = names[attempts % len(names)]
        source = rng.choice(base)
        if (source.article_id, name) in used:
            continue  # a second identical copy would be an exact duplicate of the first copy
        used.add((source.article_id, name))
        perturb, expected, same_id = PERTURBATIONS[name]
        paragraphs = perturb(source, rng)
        if paragraphs is None:
            continue
        if expected != "exact_duplicate" and _same_text(paragraphs, source.paragraphs):
            continue  # no word edited, or only a punctuation line moved: an exact copy
        article_id = source.article_id if same_id else f"{rng.getrandbits(128):032x}"
        outlet = source.source if same_id else rng.choice(["reprint-a", "reprint-b", source.source])
        cases.append(
            Case(article_id, outlet, source.title, paragraphs, name, expected, source.article_id)
        )
    head, tail = cases[: len(base)], cases[len(base) :]
    rng.shuffle(tail)
    return head + tail
