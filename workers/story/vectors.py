"""Sparse weighted word vectors (pure): a word as a 32-bit hash of its stem, so that a
story's state in Redis holds 6 bytes a word, not the word."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping

import xxhash

Vector = dict[int, float]  # stem hash -> weight


def term(stem: str) -> int:
    return xxhash.xxh32_intdigest(stem.encode("utf-8"))


def normalized(vector: Mapping[int, float]) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def strongest(vector: Mapping[int, float], n: int) -> Vector:
    """The n heaviest words (ties by hash: the same on every run)."""
    if len(vector) <= n:
        return dict(vector)
    return dict(heapq.nlargest(n, vector.items(), key=lambda tw: (tw[1], tw[0])))


def cosine(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    """Cosine of two vectors of any norm; 0.0 when either is empty."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    if not dot:
        return 0.0
    return dot / math.sqrt(sum(w * w for w in a.values()) * sum(w * w for w in b.values()))


def added(total: Mapping[int, float], vectors: Iterable[Mapping[int, float]], keep: int) -> Vector:
    """The sum of `total` and the vectors, its `keep` heaviest words kept: a story's centroid
    (a sum of its members' normalized vectors) grows by one member this way."""
    out = dict(total)
    for vector in vectors:
        for t, w in vector.items():
            out[t] = out.get(t, 0.0) + w
    return strongest(out, keep)
