"""Internal duplication (pure): a body that repeats its own paragraphs, and its repair.

The project's seed case is a real story whose CMS printed paragraphs 2-11 a second time
after the first copy. Other shapes seen in the wild: every paragraph printed twice in a
row (adjacent doubling), or repeated blocks mixed in (interleaved). We find repeated
paragraphs, exact after normalization or near-exact, name the pattern, give the evidence,
and repair the body by keeping each first occurrence in order. Short lines (a dateline,
"Advertisement", "Read more") repeat legitimately and are never counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from workers.dedupe.minhash import Words, agreeing_pairs, paragraph_sketches
from workers.dedupe.normalize import normalize_paragraphs

Pattern = Literal[
    "none", "adjacent_doubling", "whole_body_repeat", "repeated_blocks", "interleaved"
]

# A paragraph shorter than this is a line, not body text: its repetition means nothing.
MIN_TOKENS = 8
MIN_CHARS_WITHOUT_SPACES = 40  # for scripts written without spaces
# Near-exact: nearly the same word pairs (a typo fixed, a word added) and nearly the same
# length. Word pairs, not words: templated lines ("X beat Y 2-1") share most of their words
# but few of their word pairs, and must not count as a repeat.
NEAR_JACCARD = 0.8
NEAR_LENGTH_RATIO = 0.85
# Beyond this many paragraphs only exact repeats are looked for (the near pass is quadratic).
MAX_NEAR_PARAGRAPHS = 300


@dataclass(frozen=True)
class Repeat:
    index: int  # the repeated paragraph
    first_index: int  # its first occurrence
    similarity: float  # 1.0 for an exact repeat after normalization


@dataclass(frozen=True)
class InternalDuplication:
    pattern: Pattern
    repeats: tuple[Repeat, ...]
    repeated_share: float  # share of the body's characters that are repeats
    repaired: tuple[str, ...]  # first occurrences, in order

    @property
    def detected(self) -> bool:
        return bool(self.repeats)

    @classmethod
    def none(cls, paragraphs: Sequence[str]) -> InternalDuplication:
        return cls("none", (), 0.0, tuple(paragraphs))


def is_substantial(words: int, chars: int) -> bool:
    """A normalized paragraph of `words` words and `chars` characters is body text, not a
    line (dateline, "Advertisement"): only such paragraphs count."""
    if words >= MIN_TOKENS:
        return True
    return words <= 2 and chars >= MIN_CHARS_WITHOUT_SPACES


def _word_pairs(normalized: str) -> frozenset[str]:
    words = normalized.split()
    return frozenset(" ".join(pair) for pair in itertools.pairwise(words))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


# A near-exact pair (word-pair Jaccard >= 0.8) agrees on about 13 of 16 sketch values; 8 or
# more lets through all but about 1 in 1,000 of them, and almost no unrelated paragraph.
SKETCH_AGREEMENT = 8


NearPairs = Sequence[tuple[int, int]]  # (i, j), j < i: paragraphs whose sketches agree


def nothing_can_repeat(distinct: bool, near: Collection[object]) -> bool:
    """`distinct`: no two paragraphs are equal after normalization; `near`: the pairs whose
    sketches agree (or the candidates made of them). With neither, no repeat of any kind
    can be found (most bodies), which a caller can tell without the paragraphs' text."""
    return distinct and not near


def _near_candidates(words: Words, near_pairs: NearPairs | None) -> dict[int, set[int]]:
    """i -> earlier paragraphs j whose sketches agree enough to be worth an exact check
    (`near_pairs`: those pairs, when the caller has them)."""
    if near_pairs is None:
        near_pairs = agreeing_pairs(paragraph_sketches(words), SKETCH_AGREEMENT)
    candidates: dict[int, set[int]] = {}
    for i, j in near_pairs:
        candidates.setdefault(i, set()).add(j)
    return candidates


def _near_match(
    i: int, paragraphs: Sequence[str], earlier: Sequence[int], pairs: PairCache
) -> Repeat | None:
    """The most similar earlier paragraph of about the same length, if near-exact."""
    best: Repeat | None = None
    length = len(paragraphs[i])
    for j in earlier:
        shorter, longer = sorted((length, len(paragraphs[j])))
        if shorter < NEAR_LENGTH_RATIO * longer:
            continue
        similarity = _jaccard(pairs.of(i), pairs.of(j))
        if similarity >= NEAR_JACCARD and (best is None or similarity > best.similarity):
            best = Repeat(i, j, round(similarity, 4))
    return best


@dataclass
class PairCache:
    paragraphs: Sequence[str]
    built: dict[int, frozenset[str]]

    def of(self, i: int) -> frozenset[str]:
        if i not in self.built:
            self.built[i] = _word_pairs(self.paragraphs[i])
        return self.built[i]


def _substantial_repeats(
    paragraphs: Sequence[str], words: Words, distinct: bool, near_pairs: NearPairs | None
) -> tuple[Repeat, ...]:
    """`distinct`: no two of the paragraphs are equal."""
    near_pass = 1 < len(paragraphs) <= MAX_NEAR_PARAGRAPHS
    candidates = _near_candidates(words, near_pairs) if near_pass else {}
    if nothing_can_repeat(distinct, candidates):
        return ()
    first_seen: dict[str, int] = {}
    earlier: list[int] = []
    repeats: list[Repeat] = []
    pairs = PairCache(paragraphs, {})
    for i, (normalized, count) in enumerate(zip(paragraphs, words.counts, strict=True)):
        if not is_substantial(count, len(normalized)):
            continue
        if normalized in first_seen:
            repeats.append(Repeat(i, first_seen[normalized], 1.0))
            continue
        near_to = candidates.get(i)  # rare: most paragraphs resemble no other
        maybe = [j for j in earlier if j in near_to] if near_to else []
        near = _near_match(i, paragraphs, maybe, pairs) if maybe else None
        if near is not None:
            repeats.append(near)
            continue
        first_seen[normalized] = i
        earlier.append(i)
    return tuple(repeats)


def find_repeats(
    normalized: Sequence[str], words: Words | None = None, near_pairs: NearPairs | None = None
) -> tuple[Repeat, ...]:
    """Repeats among paragraphs already passed through normalize_text (`words`, `near_pairs`:
    their Words and the pairs of their sketches that agree, when the caller has them)."""
    distinct = len(set(normalized)) == len(normalized)
    words = Words.of(normalized) if words is None else words
    repeats = _substantial_repeats(normalized, words, distinct, near_pairs)
    if not repeats and distinct:
        return ()  # no two lines are equal either: no block of short lines repeats (most bodies)
    repeats = _with_short_line_blocks(normalized, repeats)
    return _with_short_lines_inside_blocks(normalized, repeats)


def _with_short_line_blocks(
    normalized: Sequence[str], repeats: tuple[Repeat, ...]
) -> tuple[Repeat, ...]:
    """Two or more short lines printed again right after themselves, in order and holding
    MIN_TOKENS words between them, are a repeated block too: a story of one long paragraph
    and a few lines of credits, all after the first paragraph printed twice, is the seed's
    pattern (`make eval-dedupe` found 7 such copies among its 331 doubled articles). Only
    a copy that follows its original directly counts: lists repeat short lines legitimately
    (in the ANT corpus, a ballot of three players cast by two voters of the same country).
    A lone short line that comes back ("Advertisement") never counts."""
    earliest: dict[str, int] = {}
    for i, text in enumerate(normalized):
        earliest.setdefault(text, i)
    taken = {r.index for r in repeats}
    found = list(repeats)
    i = 0
    while i < len(normalized):
        first = earliest.get(normalized[i], i)
        run = 0
        while (
            i + run < len(normalized)
            and normalized[i + run]
            and i + run not in taken
            and first + run < i  # the original block ends before its copy starts
            and earliest[normalized[i + run]] == first + run
        ):
            run += 1
        block = normalized[i : i + run]
        follows = first + run == i
        if run >= 2 and follows and sum(text.count(" ") + 1 for text in block) >= MIN_TOKENS:
            found += [Repeat(i + k, first + k, 1.0) for k in range(run)]
            i += run
        else:
            i += 1
    return tuple(sorted(found, key=lambda r: r.index)) if len(found) > len(repeats) else repeats


def _with_short_lines_inside_blocks(
    normalized: Sequence[str], repeats: tuple[Repeat, ...]
) -> tuple[Repeat, ...]:
    """A short line (a subheading, a one-line quote, a "***" that normalizes to nothing)
    that sits inside a repeated block, in step with the block's other repeats, was repeated
    with it: it goes too. Its original is the line beside its neighbour's original."""
    first_of = {r.index: r.first_index for r in repeats}
    if not first_of:
        return repeats
    changed = True
    while changed:
        changed = False
        for i, text in enumerate(normalized):
            if i in first_of:
                continue
            for j in (first_of.get(i - 1, -2) + 1, first_of.get(i + 1, 0) - 1):
                if 0 <= j < i and j not in first_of and normalized[j] == text:
                    first_of[i] = j
                    changed = True
                    break
    known = {r.index: r for r in repeats}
    return tuple(known.get(i, Repeat(i, j, 1.0)) for i, j in sorted(first_of.items()))


def _runs(repeats: Sequence[Repeat]) -> list[list[Repeat]]:
    """Maximal runs where both the repeats and their originals advance by one."""
    runs: list[list[Repeat]] = []
    for r in repeats:
        last = runs[-1][-1] if runs else None
        if last and r.index == last.index + 1 and r.first_index == last.first_index + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    return runs


def classify_pattern(repeats: Sequence[Repeat], paragraph_count: int) -> Pattern:
    if not repeats:
        return "none"
    if all(r.first_index == r.index - 1 for r in repeats):
        return "adjacent_doubling"
    runs = _runs(repeats)
    if len(runs) == 1 and len(runs[0]) >= 2 and runs[0][-1].index == paragraph_count - 1:
        return "whole_body_repeat"  # one copy of a block, running to the end of the body
    if all(len(run) >= 2 for run in runs):
        return "repeated_blocks"
    return "interleaved"


def internal_duplication(
    paragraphs: Sequence[str],
    normalized: Sequence[str] | None = None,
    words: Words | None = None,
    near_pairs: NearPairs | None = None,
) -> InternalDuplication:
    """`normalized`, `words`, `near_pairs`: the paragraphs through normalize_paragraphs, their
    Words and their sketches' agreeing pairs, when the caller has them."""
    if normalized is None:
        normalized = normalize_paragraphs(paragraphs)
    repeats = find_repeats(normalized, words, near_pairs)
    if not repeats:
        return InternalDuplication.none(paragraphs)
    repeated = {r.index for r in repeats}
    total = sum(map(len, paragraphs))
    share = sum(len(paragraphs[i]) for i in repeated) / total if total else 0.0
    return InternalDuplication(
        pattern=classify_pattern(repeats, len(paragraphs)),
        repeats=repeats,
        repeated_share=round(share, 4),
        repaired=tuple(p for i, p in enumerate(paragraphs) if i not in repeated),
    )
