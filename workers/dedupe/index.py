"""What the dedupe stage asks of its index of recent articles, and what it gets back (pure).

adapters/dedupe_index.py implements DedupeIndex on Redis: one atomic script call per article.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

SLOTS = 4  # time slots searched: the current one and the three before it
FIELD_BYTES = 8  # an LSH band value, a paragraph fingerprint


@dataclass(frozen=True)
class Earlier:
    """An article seen before this one that may carry the same story."""

    article_id: str
    seq: int
    outlet: str
    cluster: str  # "" until its own verdict was recorded
    size: int  # number of shingles
    signature: bytes
    paragraphs: int  # number of paragraph fingerprints it has
    shared_paragraphs: int  # how many of this article's paragraph fingerprints it owns


@dataclass(frozen=True)
class Observation:
    seq: int
    first_hash: str  # content hash of this id's first version ("" if it had no text)
    cluster: str  # this id's recorded cluster ("" on first sight)
    first_signature: bytes  # signature of this id's first version
    exact_owner: str  # the id that first carried this exact content ("" if none yet)
    earlier: tuple[Earlier, ...]


class LookupFailed(Exception):
    """Redis answered a lookup with an error that would come back on every retry (a script
    error, a key of another type where the index expects its own)."""


@dataclass(frozen=True)
class Probe:
    """What the dedupe stage asks about one article."""

    article_id: str
    outlet: str
    digest: str  # content hash of the normalized body
    signature: bytes  # compact MinHash signature, little-endian uint16s
    size: int  # number of shingles
    band_keys: Sequence[bytes]  # LSH band values
    paragraph_keys: Sequence[bytes]  # fingerprints of its substantial paragraphs

    def __post_init__(self) -> None:
        # The script reads them as one string cut every FIELD_BYTES bytes.
        if {*map(len, self.band_keys), *map(len, self.paragraph_keys)} - {FIELD_BYTES}:
            raise ValueError(f"band keys and paragraph fingerprints are {FIELD_BYTES} bytes each")


class DedupeIndex(Protocol):
    def observe_many(
        self, lookups: Sequence[tuple[Probe, int]], *, window_s: int, slot_s: int
    ) -> list[Observation]: ...

    def record_clusters(self, clusters: Sequence[tuple[int, str]]) -> None: ...
