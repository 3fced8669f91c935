"""A body and every fingerprint the dedupe stage takes of it, computed once (pure).

What each fingerprint is, and why, is said where its rule lives: the folding in
normalize.py, the word hashes, shingles, MinHash and paragraph sketches in minhash.py, what
a substantial paragraph is in internal_duplication.py. Here they are taken together, in one
compiled pass over the body (native BodyFingerprinter): made one at a time, with numpy arrays built
and read between them, the crossings cost more than the steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property

from newsflow_native import BodyFingerprinter, BodyFingerprints, FoldedParagraphs

from workers.dedupe.internal_duplication import (
    MAX_NEAR_PARAGRAPHS,
    MIN_CHARS_WITHOUT_SPACES,
    MIN_TOKENS,
    SKETCH_AGREEMENT,
)
from workers.dedupe.minhash import (
    MinHasher,
    Words,
    compact,
    signature_bytes,
    sketch_hasher,
    written_without_spaces,
)
from workers.dedupe.normalize import (
    body_folder,
    fingerprint_values,
    fold_body,
)

# A partial reprint shares whole paragraphs, which LSH over the whole body can miss: the
# index also keeps this many of a body's paragraph fingerprints.
MAX_PARAGRAPH_KEYS = 24
DEFAULT_HASHER = MinHasher()


@dataclass(frozen=True)
class BodyMinHash:
    size: int  # distinct shingles
    signature_bytes: bytes  # the compact signature, as the index stores it
    band_keys: tuple[bytes, ...]  # one 8-byte LSH key per band

    @classmethod
    def of(cls, words: Words, hasher: MinHasher) -> BodyMinHash:
        """Step by step, as minhash.py says: for what the compiled pass does not cover
        (scripts written without spaces, whose shingles are characters)."""
        shingles = words.shingles()
        signature = hasher.signature(shingles)
        return cls(
            int(shingles.size),
            signature_bytes(compact(signature)),
            tuple(hasher.band_keys(signature)),
        )


@dataclass(frozen=True)
class Body:
    """Paragraphs with their fingerprints; their normalized text when asked for."""

    paragraphs: tuple[str, ...]
    hashes: bytes  # every word's hash, as Words.hashes holds them (little-endian u64)
    counts: tuple[int, ...]  # words per paragraph
    fingerprints: bytes  # paragraph_fingerprint of each normalized paragraph, joined
    digest: str  # text_hash of its words: the exact-duplicate key ("" when it has none)
    # (i, j), j < i: paragraphs whose sketches agree enough to be checked as near-exact
    # repeats (internal_duplication.SKETCH_AGREEMENT); none beyond MAX_NEAR_PARAGRAPHS paragraphs.
    near_pairs: tuple[tuple[int, int], ...]
    # Fingerprints of the substantial paragraphs, first occurrences in order, at most
    # MAX_PARAGRAPH_KEYS.
    keys: tuple[bytes, ...]
    minhash: BodyMinHash  # of its word 3-grams
    folded: FoldedParagraphs | None = field(repr=False, compare=False)  # None: no paragraphs
    hasher: MinHasher = field(default=DEFAULT_HASHER, repr=False, compare=False)

    @classmethod
    def of(cls, paragraphs: Sequence[str], hasher: MinHasher = DEFAULT_HASHER) -> Body:
        if not paragraphs:
            words = Words.of([])
            minhash = BodyMinHash.of(words, hasher)
            return cls((), b"", (), b"", "", (), (), minhash, None, hasher)
        taken = fold_body(fingerprinter_for(hasher).fingerprint, paragraphs)
        body = cls._from_fingerprints(paragraphs, taken, hasher)
        if written_without_spaces(taken.char_count, len(taken.word_hashes) // 8):
            # The compiled pass took word shingles: these take characters instead.
            return replace(body, minhash=BodyMinHash.of(body.words, hasher))
        return body

    @classmethod
    def _from_fingerprints(
        cls, paragraphs: Sequence[str], taken: BodyFingerprints, hasher: MinHasher
    ) -> Body:
        """The body as the compiled pass fingerprinted it (its MinHash of word 3-grams)."""
        minhash = BodyMinHash(
            size=taken.distinct_shingles,
            signature_bytes=taken.signature_bytes,
            band_keys=taken.band_keys,
        )
        return cls(
            paragraphs=tuple(paragraphs),
            hashes=taken.word_hashes,
            counts=taken.word_counts,
            fingerprints=taken.paragraph_fingerprints,
            digest=taken.content_hash,
            near_pairs=taken.near_pairs,
            keys=taken.paragraph_keys,
            minhash=minhash,
            folded=taken.folded,
            hasher=hasher,
        )

    @cached_property
    def normalized(self) -> tuple[str, ...]:
        """The paragraphs through normalize_paragraphs, made into strs when first asked for:
        most bodies never need their text once fingerprinted (they repeat nothing and their
        page holds them word for word)."""
        return tuple(self.folded.texts()) if self.folded else ()

    @cached_property
    def words(self) -> Words:
        text = " ".join(p for p in self.normalized if p)
        return Words.packed(text, self.hashes, self.counts)

    @property
    def distinct(self) -> bool:
        """No two paragraphs are equal after normalization (by their fingerprints)."""
        return len(self.fingerprint_set) == len(self.paragraphs)

    @cached_property
    def fingerprint_set(self) -> frozenset[int]:
        return fingerprint_values(self.fingerprints)

    def without(self, indexes: set[int]) -> Body:
        """The body with those paragraphs left out (a repair: rare), fingerprinted anew."""
        if not indexes:
            return self
        kept = [p for i, p in enumerate(self.paragraphs) if i not in indexes]
        return Body.of(kept, self.hasher)


@cache
def fingerprinter_for(hasher: MinHasher) -> BodyFingerprinter:
    return BodyFingerprinter(
        folder=body_folder(),
        permutations=hasher.permutations,
        rows_per_band=hasher.rows,
        sketch_permutations=sketch_hasher().permutations,
        sketch_agreement=SKETCH_AGREEMENT,
        max_near_paragraphs=MAX_NEAR_PARAGRAPHS,
        min_words=MIN_TOKENS,
        min_chars_without_spaces=MIN_CHARS_WITHOUT_SPACES,
        max_keys=MAX_PARAGRAPH_KEYS,
    )
