"""Dedupe decisions (pure): content fingerprints and the verdict from a Redis claim.

A claim's owner is the first article that carried the content. With at-least-once delivery
an article can come back after a crash: when the owner is the article itself, that is a
replay and it gets its first verdict again, never "duplicate of itself".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from schemas.messages import DedupeVerdict

ID_LENGTH = 32  # article ids are 32 hex digits


def content_hash(tokens: Sequence[str]) -> str:
    """Hash of the normalized body; "" for a body with no tokens, which must never match."""
    if not tokens:
        return ""
    return hashlib.blake2b(" ".join(tokens).encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Owner:
    article_id: str
    outlet: str

    def encode(self) -> str:
        return f"{self.article_id}{self.outlet}"

    @classmethod
    def decode(cls, value: str) -> Owner:
        return cls(value[:ID_LENGTH], value[ID_LENGTH:])


def unmatched(article_id: str, digest: str) -> DedupeVerdict:
    return {
        "relation": "original",
        "duplicate_of": None,
        "cluster_id": article_id,
        "score": 0.0 if not digest else 1.0,
        "method": "none" if not digest else "content_hash",
        "content_hash": digest,
        "cross_outlet": None,
    }


def exact_verdict(me: Owner, digest: str, previous: Owner | None) -> DedupeVerdict:
    """The verdict for `me`, whose content hash `digest` was already claimed by `previous`."""
    if previous is None or previous.article_id == me.article_id:
        return unmatched(me.article_id, digest)
    return {
        "relation": "exact_duplicate",
        "duplicate_of": previous.article_id,
        "cluster_id": previous.article_id,
        "score": 1.0,
        "method": "content_hash",
        "content_hash": digest,
        "cross_outlet": previous.outlet != me.outlet,
    }
