"""The dedupe stage's handler: article in -> article with its verdict out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from schemas.records import InRecord, OutRecord
from schemas.topics import Topics
from workers.codec import encode
from workers.dedupe.core import Owner, content_hash, exact_verdict, unmatched
from workers.dedupe.normalize import tokens

EXACT_NAMESPACE = "dedupe:v1:exact"


class HashStore(Protocol):
    def claim(self, namespace: str, digest: str, owner: str, ttl_s: int) -> str | None: ...


@dataclass
class DedupeStage:
    store: HashStore
    topics: Topics
    window_s: int

    def handle(self, article: dict[str, Any], record: InRecord) -> list[OutRecord]:
        me = Owner(article["article_id"], article["outlet"])
        digest = content_hash(tokens(article["body"]))
        if digest:
            previous = self.store.claim(EXACT_NAMESPACE, digest, me.encode(), self.window_s)
            verdict = exact_verdict(me, digest, Owner.decode(previous) if previous else None)
        else:
            verdict = unmatched(me.article_id, digest)
        message = {**article, "dedupe": verdict}
        return [encode(self.topics.deduped, me.article_id, message, "deduped.v1")]
