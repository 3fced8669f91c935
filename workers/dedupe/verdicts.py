"""Dedupe decisions (pure): the verdict for an article from what Redis returned about it.

Relations, in order of precedence:
  update           the same article id came before with other content (a new version)
  exact_duplicate  an earlier article carried exactly this normalized body
  near_duplicate   an earlier article's MinHash signature agrees on >= near_jaccard
  partial_reprint  one article's shingles are mostly inside the other's (a cut reprint)
  original         none of the above
Among several matches of one relation the earliest article wins: it is the story's origin.
A replay of an article sees the same earlier articles (only those with a smaller sequence
number are returned), so it gets the same verdict; it is never a duplicate of itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import xxhash

from schemas.messages import DedupeVerdict, Relation
from workers.dedupe.index import Earlier, Observation
from workers.dedupe.minhash import estimate_containment, estimate_jaccard

PRECEDENCE: tuple[Relation, ...] = ("exact_duplicate", "near_duplicate", "partial_reprint")


@dataclass(frozen=True)
class Thresholds:
    near_jaccard: float = 0.6
    # A reprint that keeps 5 of 8 paragraphs still has a Jaccard above near_jaccard: when
    # one article is this much smaller than the other, "partial" says more than "near".
    near_min_size_ratio: float = 0.8
    partial_containment: float = 0.7
    partial_min_jaccard: float = 0.2


@dataclass(frozen=True)
class Article:
    article_id: str
    outlet: str
    digest: str
    signature: bytes  # compact MinHash signature, as minhash.signature_bytes packs it
    size: int  # shingles
    paragraphs: int  # paragraph fingerprints


@dataclass(frozen=True)
class Match:
    relation: Relation
    earlier: Earlier
    jaccard: float
    containment: float


def content_hash(tokens: Sequence[str]) -> str:
    """Hash of the normalized body; "" for a body with no tokens, which must never match."""
    return text_hash(" ".join(tokens))


def text_hash(text: str) -> str:
    """content_hash of the tokens joined by single spaces (as Words.text holds them)."""
    if not text:
        return ""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8"))


def unmatched(article_id: str, digest: str) -> DedupeVerdict:
    return {
        "relation": "original",
        "duplicate_of": None,
        "cluster_id": article_id,
        "score": 0.0,
        "method": "none",
        "content_hash": digest,
        "cross_outlet": None,
        "containment": None,
    }


def paragraph_containment(me: Article, earlier: Earlier) -> float:
    """Share of the smaller article's paragraphs found word for word in the other one."""
    smaller = min(me.paragraphs, earlier.paragraphs)
    return min(1.0, earlier.shared_paragraphs / smaller) if smaller else 0.0


def classify(me: Article, earlier: Earlier, exact_owner: str, th: Thresholds) -> Match | None:
    jaccard = estimate_jaccard(me.signature, earlier.signature)
    inside = max(
        estimate_containment(jaccard, me.size, earlier.size),
        estimate_containment(jaccard, earlier.size, me.size),
        paragraph_containment(me, earlier),
    )
    evidence = jaccard >= th.partial_min_jaccard or earlier.shared_paragraphs >= 2
    if earlier.article_id == exact_owner:
        return Match("exact_duplicate", earlier, 1.0, 1.0)
    sizes = sorted((me.size, earlier.size))
    similar_size = sizes[0] >= th.near_min_size_ratio * sizes[1]
    if jaccard >= th.near_jaccard and similar_size:
        return Match("near_duplicate", earlier, jaccard, inside)
    if inside >= th.partial_containment and evidence:
        return Match("partial_reprint", earlier, jaccard, inside)
    if jaccard >= th.near_jaccard:
        return Match("near_duplicate", earlier, jaccard, inside)
    return None


def best_match(matches: Sequence[Match]) -> Match | None:
    if not matches:
        return None
    return min(matches, key=lambda m: (PRECEDENCE.index(m.relation), m.earlier.seq))


def decide(me: Article, seen: Observation, th: Thresholds) -> DedupeVerdict:
    if seen.first_hash not in ("", me.digest):
        return _update(me, seen)
    # An article is never a duplicate of itself, whatever the index returns.
    others = [e for e in seen.earlier if e.article_id != me.article_id]
    found = [classify(me, e, seen.exact_owner, th) for e in others]
    match = best_match([m for m in found if m is not None])
    if match is None:
        return {**unmatched(me.article_id, me.digest), "cluster_id": seen.cluster or me.article_id}
    return {
        "relation": match.relation,
        "duplicate_of": match.earlier.article_id,
        "cluster_id": match.earlier.cluster or match.earlier.article_id,
        "score": round(match.jaccard, 4),
        "method": "content_hash" if match.relation == "exact_duplicate" else "minhash",
        "content_hash": me.digest,
        "cross_outlet": match.earlier.outlet != me.outlet,
        "containment": round(match.containment, 4),
    }


def _update(me: Article, seen: Observation) -> DedupeVerdict:
    previous = seen.first_signature
    similarity = estimate_jaccard(me.signature, previous) if previous else 0.0
    return {
        "relation": "update",
        "duplicate_of": me.article_id,
        "cluster_id": seen.cluster or me.article_id,
        "score": round(similarity, 4),
        "method": "same_url",
        "content_hash": me.digest,
        "cross_outlet": False,
        "containment": None,
    }
