"""The dedupe stage's handler: article in -> repaired article with its verdict out."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.dedupe_index import SLOTS, Observation, Probe
from schemas.messages import DedupeVerdict, InternalDuplicationReport
from schemas.records import InRecord, OutRecord
from schemas.timestamps import parse_iso
from schemas.topics import Topics
from workers.codec import encode
from workers.dedupe.core import Article, Thresholds, content_hash, decide, unmatched
from workers.dedupe.internal import InternalDuplication, internal_duplication, is_substantial
from workers.dedupe.minhash import MinHasher, shingle_hashes, signature_bytes
from workers.dedupe.normalize import normalize_text, tokens


class DedupeIndex(Protocol):
    def observe(self, probe: Probe, *, slot: int, window_s: int, slot_s: int) -> Observation: ...

    def record_cluster(self, article_id: str, cluster: str) -> None: ...


MAX_PARAGRAPH_KEYS = 24


def paragraph_keys(paragraphs: Sequence[str]) -> list[bytes]:
    """Fingerprints of the substantial paragraphs, at most MAX_PARAGRAPH_KEYS: a partial
    reprint shares whole paragraphs, which LSH on the whole body can miss."""
    keys: dict[bytes, None] = {}
    for paragraph in paragraphs:
        normalized = normalize_text(paragraph)
        if is_substantial(normalized):
            keys[hashlib.blake2b(normalized.encode(), digest_size=12).digest()] = None
        if len(keys) == MAX_PARAGRAPH_KEYS:
            break
    return list(keys)


def duplication_report(
    body: Sequence[str], page: Sequence[str]
) -> tuple[InternalDuplication, InternalDuplicationReport]:
    """Repeats in the extracted body, and in the page's own paragraph sequence restricted to
    paragraphs that made it into the body (a menu repeated in header and footer is not)."""
    in_body = internal_duplication(body)
    kept = {normalize_text(p) for p in body}
    in_page = internal_duplication([p for p in page if normalize_text(p) in kept])
    found_in = {
        (True, True): "body_and_page", (True, False): "body", (False, True): "page",
        (False, False): "none",
    }[(in_body.detected, in_page.detected)]  # fmt: skip
    shown = in_body if in_body.detected or not in_page.detected else in_page
    report: InternalDuplicationReport = {
        "detected": in_body.detected or in_page.detected,
        "pattern": shown.pattern,
        "found_in": found_in,  # type: ignore[typeddict-item]
        "repeats": [
            {"index": r.index, "first_index": r.first_index, "similarity": r.similarity}
            for r in shown.repeats
        ],
        "repeated_share": shown.repeated_share,
        "original_paragraph_count": len(body) if shown is in_body else len(page),
    }
    return in_body, report


@dataclass
class DedupeStage:
    index: DedupeIndex
    topics: Topics
    window_s: int
    thresholds: Thresholds = field(default_factory=Thresholds)
    hasher: MinHasher = field(default_factory=MinHasher)

    @property
    def slot_s(self) -> int:
        return max(1, self.window_s // (SLOTS - 1))

    def handle(self, article: dict[str, Any], record: InRecord) -> list[OutRecord]:
        in_body, report = duplication_report(
            article["paragraphs"], article.get("page_paragraphs", [])
        )
        repaired = list(in_body.repaired)
        verdict = self.verdict(article, repaired)
        message = {
            **article,
            "body": "\n\n".join(repaired),
            "paragraphs": repaired,
            "dedupe": verdict,
            "internal_duplication": report,
        }
        return [encode(self.topics.deduped, article["article_id"], message, "deduped.v1")]

    def verdict(self, article: dict[str, Any], paragraphs: Sequence[str]) -> DedupeVerdict:
        words = tokens("\n".join(paragraphs))
        digest = content_hash(words)
        if not digest:
            return unmatched(article["article_id"], digest)
        hashes = shingle_hashes(words)
        keys = paragraph_keys(paragraphs)
        signature = self.hasher.signature(hashes)
        me = Article(
            article["article_id"], article["outlet"], digest, signature, int(hashes.size), len(keys)
        )
        probe = Probe(
            me.article_id, me.outlet, digest, signature_bytes(signature), me.size,
            self.hasher.band_keys(signature), keys,
        )  # fmt: skip
        slot = int(parse_iso(article["seen_at"]).timestamp() // self.slot_s)
        seen = self.index.observe(probe, slot=slot, window_s=self.window_s, slot_s=self.slot_s)
        verdict = decide(me, seen, self.thresholds)
        if not seen.cluster:
            self.index.record_cluster(me.article_id, verdict["cluster_id"])
        return verdict
