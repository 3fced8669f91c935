"""MinHash signatures and LSH bands (pure, numpy): near-duplicate candidates in O(1) lookups.

Shingles are word 3-grams of the normalized text (character 4-grams for scripts written
without spaces). Each shingle is hashed to 64 bits; each of the K "permutations" is a
multiply-shift hash (Dietzfelbinger et al. 1997) of that value, and the signature keeps the
minimum per permutation. The share of equal positions in two signatures estimates the
Jaccard similarity of the shingle sets (Broder 1997). Bands of R rows are the LSH keys:
two articles share a band with probability 1 - (1 - J^R)^B.

The arithmetic is said here (and in numpy where it runs once); the per-article loops run
compiled in native/src/minhash.rs, which computes the same values bit for bit: numpy's overhead
per call outweighed the work on arrays of a few hundred hashes.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import newsflow_native as native
import numpy as np
import numpy.typing as npt

Signature = npt.NDArray[np.uint32]
# What is stored and compared: the low 16 bits of each minimum ("b-bit minwise hashing",
# Li and König 2010). Two different minimums agree there by chance once in 65,536, which
# does not move a Jaccard estimate, and the stored signature is half the size.
CompactSignature = npt.NDArray[np.uint16]

SHINGLE_WORDS = 3
SHINGLE_CHARS = 4
# Odd 64-bit multipliers for combining token hashes into a shingle hash (native/src/minhash.rs
# holds the same three).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


@dataclass(frozen=True)
class Words:
    """The words of normalized paragraphs, each hashed once, for every fingerprint of a body:
    its shingles, its paragraph sketches and its content hash all start from these. A word's
    hash is crc32 of its UTF-8 bytes (C speed, and the same in every process and host)."""

    text: str  # the words of the non-empty paragraphs, joined by single spaces
    hashes: npt.NDArray[np.uint64]  # every word's hash, in order
    counts: tuple[int, ...]  # words per paragraph

    @classmethod
    def of(cls, normalized: Sequence[str]) -> Words:
        """`normalized`: paragraphs through normalize_text (words split by single spaces)."""
        text = " ".join(p for p in normalized if p)
        counts = [p.count(" ") + 1 if p else 0 for p in normalized]
        return cls.packed(text, native.word_hashes(text), counts)

    @classmethod
    def packed(cls, text: str, hashes: bytes, counts: Sequence[int]) -> Words:
        """From what body.py's compiled pass gives: the hashes as little-endian u64 bytes."""
        return cls(text, np.frombuffer(hashes, dtype="<u8"), tuple(counts))

    def no_spaces_script(self) -> bool:
        return written_without_spaces(len(self.text), len(self.hashes))

    def shingles(self) -> npt.NDArray[np.uint64]:
        """Distinct 64-bit hashes of the text's shingles: word 3-grams, each the sum of its
        word hashes times _MIX (wrapping), or the words themselves when there are fewer."""
        words = self.hashes
        if words.size == 0:
            return np.zeros(0, dtype=np.uint64)
        if self.no_spaces_script():
            text = self.text.replace(" ", "")
            grams = {
                text[i : i + SHINGLE_CHARS] for i in range(max(1, len(text) - SHINGLE_CHARS + 1))
            }
            return np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64)
        return np.frombuffer(native.word_shingles(words.tobytes()), dtype="<u8")


def written_without_spaces(chars: int, words: int) -> bool:
    """A text of `chars` characters, its `words` words joined by single spaces, is Chinese,
    Japanese, Thai...: a "word" is a whole sentence (over 20 characters on average), so
    shingles are taken from characters instead."""
    return words > 0 and (chars - (words - 1)) / words > 20


def shingle_hashes(tokens: Sequence[str]) -> npt.NDArray[np.uint64]:
    """Distinct hashes of the shingles of a token list (as `tokens` gives it)."""
    return Words.of([" ".join(tokens)]).shingles()


@dataclass(frozen=True)
class MinHasher:
    bands: int = 20
    rows: int = 3
    seed: int = 20261129
    # The permutations h -> (a * h + b) >> 32 (wrapping in 64 bits), a odd, as u64 bytes.
    _a: bytes = field(init=False, repr=False)
    _b: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.Generator(np.random.PCG64(self.seed))
        size = self.bands * self.rows
        a = rng.integers(1, 2**63, size=size, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        b = rng.integers(0, 2**63, size=size, dtype=np.uint64)
        object.__setattr__(self, "_a", a.astype("<u8").tobytes())
        object.__setattr__(self, "_b", b.astype("<u8").tobytes())

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    @property
    def permutations(self) -> tuple[bytes, bytes]:
        """a and b, as u64 bytes, for compiled passes that hash as `signature` does."""
        return self._a, self._b

    def signature(self, hashes: npt.NDArray[np.uint64]) -> Signature:
        """K minimums of the permuted hashes; an empty set gets all-ones (it must never match
        anything)."""
        raw = native.min_hash(hashes.astype("<u8").tobytes(), self._a, self._b)
        return np.frombuffer(raw, dtype="<u4")

    def band_keys(self, signature: Signature) -> list[bytes]:
        """One 8-byte key per band: its R values times _MIX[r % 3], summed (wrapping)."""
        raw = native.band_keys(signature.astype("<u4").tobytes(), self.rows)
        return [raw[i * 8 : (i + 1) * 8] for i in range(self.bands)]


def compact(signature: Signature) -> CompactSignature:
    return (signature & np.uint32(0xFFFF)).astype(np.uint16)


def estimate_jaccard(a: bytes, b: bytes) -> float:
    """The share of equal values of two compact signatures, as signature_bytes packs them
    (as the index keeps them: an article's own is unpacked only when it has a match)."""
    equal = signature_from_bytes(a) == signature_from_bytes(b)
    return float(np.count_nonzero(equal)) / len(equal)


def estimate_containment(jaccard: float, size_a: int, size_b: int) -> float:
    """|A ∩ B| / |A| from the Jaccard estimate and the set sizes."""
    if size_a == 0 or jaccard <= 0:
        return 0.0
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, shared / size_a)


def signature_bytes(signature: CompactSignature) -> bytes:
    return signature.astype("<u2").tobytes()


def signature_from_bytes(raw: bytes) -> CompactSignature:
    return np.frombuffer(raw, dtype="<u2").astype(np.uint16)


SKETCH_SEED = 611
SKETCH_VALUES = 16


@cache
def sketch_hasher(k: int = SKETCH_VALUES) -> MinHasher:
    """The permutations of paragraph_sketches (a band per value)."""
    return MinHasher(bands=k, rows=1, seed=SKETCH_SEED)


def paragraph_sketches(words: Words, k: int = SKETCH_VALUES) -> npt.NDArray[np.uint32]:
    """A k-value MinHash of each paragraph's word pairs (hash pairs times _MIX[0] and
    _MIX[1], summed), one row per paragraph: a cheap way to find which paragraph pairs may be
    near-exact copies. A paragraph with fewer than two words gets all-ones (it matches
    nothing)."""
    raw = native.paragraph_sketches(
        words.hashes.tobytes(), list(words.counts), *sketch_hasher(k).permutations
    )
    return np.frombuffer(raw, dtype="<u4").reshape(len(words.counts), k)


def agreeing_pairs(sketches: npt.NDArray[np.uint32], min_agree: int) -> list[tuple[int, int]]:
    """(i, j), j < i, of the rows of `sketches` equal in at least `min_agree` positions."""
    return native.agreeing_pairs(sketches.astype("<u4").tobytes(), sketches.shape[1], min_agree)
