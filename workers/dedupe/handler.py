"""The dedupe stage's handler: article in -> repaired article with its verdict out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.dedupe_index import SLOTS, Observation, Probe
from adapters.metrics import DEDUPE_VERDICTS, INTERNAL_DUPLICATION
from schemas.messages import DedupeVerdict, InternalDuplicationReport
from schemas.records import InRecord, OutRecord
from schemas.timestamps import parse_iso
from schemas.topics import Topics
from workers.codec import encode
from workers.dedupe.core import Article, Thresholds, decide, text_hash, unmatched
from workers.dedupe.internal import (
    InternalDuplication,
    internal_duplication,
    is_substantial_paragraph,
)
from workers.dedupe.minhash import MinHasher, Words, compact, signature_bytes
from workers.dedupe.normalize import FINGERPRINT_BYTES, normalize_body, normalize_paragraphs

MAX_PARAGRAPH_KEYS = 24


class DedupeIndex(Protocol):
    def observe(self, probe: Probe, *, slot: int, window_s: int, slot_s: int) -> Observation: ...

    def record_cluster(self, seq: int, cluster: str) -> None: ...


@dataclass(frozen=True)
class Body:
    """Paragraphs with their normalized forms, words and fingerprints, computed once for
    every fingerprint of the body."""

    paragraphs: tuple[str, ...]
    normalized: tuple[str, ...]
    words: Words
    fingerprints: bytes  # paragraph_fingerprint of each normalized paragraph, joined

    @classmethod
    def of(cls, paragraphs: Sequence[str]) -> Body:
        normalized, text, hashes, counts, fingerprints = normalize_body(paragraphs)
        return cls(
            tuple(paragraphs), tuple(normalized), Words.packed(text, hashes, counts), fingerprints
        )

    def fingerprint(self, i: int) -> bytes:
        return self.fingerprints[i * FINGERPRINT_BYTES : (i + 1) * FINGERPRINT_BYTES]

    def without(self, indexes: set[int]) -> Body:
        if not indexes:
            return self
        keep = [i for i in range(len(self.paragraphs)) if i not in indexes]
        normalized = [self.normalized[i] for i in keep]
        return Body(
            tuple(self.paragraphs[i] for i in keep), tuple(normalized), Words.of(normalized),
            b"".join(self.fingerprint(i) for i in keep),
        )  # fmt: skip

    def paragraph_keys(self) -> list[bytes]:
        """Fingerprints of the substantial paragraphs, at most MAX_PARAGRAPH_KEYS: a partial
        reprint shares whole paragraphs, which LSH over the whole body can miss."""
        keys: dict[bytes, None] = {}
        for i, (text, words) in enumerate(zip(self.normalized, self.words.counts, strict=True)):
            if is_substantial_paragraph(words, len(text)):
                keys[self.fingerprint(i)] = None
            if len(keys) == MAX_PARAGRAPH_KEYS:
                break
        return list(keys)


def _normalize_page(page: Sequence[str], body: Body) -> list[str]:
    """normalize_paragraphs(page), reusing the body's work for paragraphs it already has."""
    known = dict(zip(body.paragraphs, body.normalized, strict=True))
    missing = [p for p in page if p not in known]
    known.update(zip(missing, normalize_paragraphs(missing), strict=True))
    return [known[p] for p in page]


def duplication_report(
    body: Body, page: Sequence[str]
) -> tuple[InternalDuplication, InternalDuplicationReport]:
    """Repeats in the extracted body, and in the page's own paragraph sequence restricted to
    paragraphs that made it into the body (a menu repeated in header and footer is not)."""
    in_body = internal_duplication(body.paragraphs, body.normalized, body.words)
    kept = set(body.normalized)
    page_normalized = _normalize_page(page, body)
    in_page_idx = [i for i, text in enumerate(page_normalized) if text in kept]
    in_page_normalized = [page_normalized[i] for i in in_page_idx]
    # The usual page: its body paragraphs are the body itself, and so are their repeats.
    in_page = (
        in_body
        if in_page_normalized == list(body.normalized)
        else internal_duplication([page[i] for i in in_page_idx], in_page_normalized)
    )
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
        "original_paragraph_count": len(body.paragraphs) if shown is in_body else len(in_page_idx),
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
        body = Body.of(article["paragraphs"])
        in_body, report = duplication_report(body, article.get("page_paragraphs", []))
        repaired = body.without({r.index for r in in_body.repeats})
        verdict = self.verdict(article, repaired)
        DEDUPE_VERDICTS.labels(verdict["relation"]).inc()
        if report["detected"]:
            INTERNAL_DUPLICATION.labels(report["pattern"]).inc()
        message = {
            **article,
            "body": "\n\n".join(repaired.paragraphs),
            "paragraphs": list(repaired.paragraphs),
            "dedupe": verdict,
            "internal_duplication": report,
        }
        return [encode(self.topics.deduped, article["article_id"], message, "deduped.v1")]

    def verdict(self, article: dict[str, Any], body: Body) -> DedupeVerdict:
        digest = text_hash(body.words.text)
        if not digest:
            return unmatched(article["article_id"], digest)
        hashes = body.words.shingles()
        keys = body.paragraph_keys()
        signature = self.hasher.signature(hashes)
        me = Article(
            article["article_id"], article["outlet"], digest, compact(signature),
            int(hashes.size), len(keys),
        )  # fmt: skip
        probe = Probe(
            me.article_id, me.outlet, digest, signature_bytes(me.signature), me.size,
            self.hasher.band_keys(signature), keys,
        )  # fmt: skip
        slot = int(parse_iso(article["seen_at"]).timestamp() // self.slot_s)
        seen = self.index.observe(probe, slot=slot, window_s=self.window_s, slot_s=self.slot_s)
        verdict = decide(me, seen, self.thresholds)
        # A record without a cluster is its own cluster: only a duplicate needs the write.
        if not seen.cluster and verdict["cluster_id"] != me.article_id:
            self.index.record_cluster(seen.seq, verdict["cluster_id"])
        return verdict
