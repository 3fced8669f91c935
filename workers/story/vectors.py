"""Sparse weighted word vectors (pure): a word as a 32-bit hash of its stem, so that a
story's state in Redis holds 6 bytes a word, not the word."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property, lru_cache
from itertools import chain

import xxhash

Vector = dict[int, float]  # stem hash -> weight
PACKED_TERM = struct.Struct("<Ie")  # a word packed: stem hash, weight (half precision)


@lru_cache(maxsize=1 << 18)  # a stream repeats most of its stems
def term(stem: str) -> int:
    return xxhash.xxh32_intdigest(stem.encode("utf-8"))


def pack(vector: Mapping[int, float]) -> bytes:
    """6 bytes a word: what a story's centroids cost in its index."""
    return _packer(len(vector)).pack(*chain.from_iterable(vector.items()))


def unpack(raw: bytes) -> Vector:
    values = iter(_packer(len(raw) // PACKED_TERM.size).unpack(raw))
    return dict(zip(values, values, strict=True))


@lru_cache(maxsize=256)
def _packer(terms: int) -> struct.Struct:
    """A vector of this many terms packed in one call (a term at a time cost more than the
    rest of a story's write)."""
    return struct.Struct("<" + PACKED_TERM.format.removeprefix("<") * terms)


class PackedVector(Mapping[int, float]):
    """A vector as the index keeps it, unpacked only when a term is asked for: a candidate
    story's centroids are compared packed (features.StoryText.probe), and only the story an
    article joins is read term by term."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    @cached_property
    def _terms(self) -> Vector:
        return unpack(self.raw)

    def __getitem__(self, t: int) -> float:
        return self._terms[t]

    def __iter__(self) -> Iterator[int]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self.raw) // PACKED_TERM.size


def norm(vector: Mapping[int, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values()))


def normalized(vector: Mapping[int, float]) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def strongest(vector: Mapping[int, float], n: int) -> Vector:
    """The n heaviest words (ties by hash: the same on every run)."""
    if len(vector) <= n:
        return dict(vector)
    # (weight, term) pairs sort in C, without a key function: several times faster than
    # heapq.nlargest on vectors of a few dozen terms.
    ranked = sorted([(w, t) for t, w in vector.items()], reverse=True)
    return {t: w for w, t in ranked[:n]}


def cosine(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    """Cosine of two vectors of any norm; 0.0 when either is empty."""
    return cosine_with_norms(a, norm(a), b, norm(b))


def cosine_with_norms(
    a: Mapping[int, float], norm_a: float, b: Mapping[int, float], norm_b: float
) -> float:
    """cosine() with the norms known (a story's, computed once for all its comparisons)."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    if not dot:
        return 0.0
    return dot / (norm_a * norm_b)


def added(total: Mapping[int, float], vectors: Iterable[Mapping[int, float]], keep: int) -> Vector:
    """The sum of `total` and the vectors, its `keep` heaviest words kept: a story's centroid
    (a sum of its members' normalized vectors) grows by one member this way."""
    out = dict(total)
    for vector in vectors:
        for t, w in vector.items():
            out[t] = out.get(t, 0.0) + w
    return strongest(out, keep)
