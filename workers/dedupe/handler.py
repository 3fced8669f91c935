"""The dedupe stage's handler: article in -> repaired article with its verdict out."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from schemas.contracts import example
from schemas.messages import DedupeVerdict, InternalDuplicationReport
from schemas.records import InRecord, OutRecord
from schemas.timestamps import parse_iso
from schemas.topics import Topics
from workers.codec import encode
from workers.dedupe.body import Body
from workers.dedupe.index import SLOTS, DedupeIndex, Observation, Probe
from workers.dedupe.internal_duplication import (
    InternalDuplication,
    internal_duplication,
    nothing_can_repeat,
)
from workers.dedupe.minhash import MinHasher
from workers.dedupe.normalize import (
    fingerprint_values,
    normalize_paragraphs,
    paragraph_fingerprint,
)
from workers.dedupe.verdicts import Article, Thresholds, decide, unmatched
from workers.errors import TransientError
from workers.runner import Outcome, attempt
from workers.telemetry import DEDUPE_VERDICTS, INTERNAL_DUPLICATION, labelled_once

logger = logging.getLogger(__name__)


def _normalize_page(page: Sequence[str], body: Body) -> list[str]:
    """normalize_paragraphs(page), reusing the body's work for paragraphs it already has."""
    known = dict(zip(body.paragraphs, body.normalized, strict=True))
    missing = [p for p in page if p not in known]
    known.update(zip(missing, normalize_paragraphs(missing), strict=True))
    return [known[p] for p in page]


def body_on_page(page: Sequence[str], body: Body) -> tuple[list[int], list[str] | None]:
    """The page paragraphs whose normalized form is one of the body's paragraphs': their
    indexes and their normalized forms, or None for those when they are the body itself,
    word for word (the usual page)."""
    start = _body_run(page, body.paragraphs)
    if start is not None:
        # Only the lines around the body need normalizing, and their fingerprints told
        # apart from the body's (hashing the whole page to look it up cost more).
        end = start + len(body.paragraphs)
        others = normalize_paragraphs([*page[:start], *page[end:]])
        around = b"".join(map(paragraph_fingerprint, others))
        if body.fingerprint_set.isdisjoint(fingerprint_values(around)):
            return list(range(start, end)), None
    if not page:
        return [], []
    kept = set(body.normalized)
    page_normalized = _normalize_page(page, body)
    in_page_idx = [i for i, text in enumerate(page_normalized) if text in kept]
    return in_page_idx, [page_normalized[i] for i in in_page_idx]


def _body_run(page: Sequence[str], paragraphs: Sequence[str]) -> int | None:
    """Where the page holds `paragraphs` in a row, from the first place that could."""
    if not paragraphs:
        return 0
    try:
        start = page.index(paragraphs[0])
    except ValueError:
        return None
    return start if list(page[start : start + len(paragraphs)]) == list(paragraphs) else None


def page_sharing_body(page: Sequence[str], body: Sequence[str]) -> list[str]:
    """The page, its run of the body's paragraphs (when it holds them word for word) being
    the body's own strs: orjson then writes the UTF-8 that the compiled pass made of those,
    instead of encoding the same text again (the deduped message carries the text in
    `body`, `paragraphs` and `page_paragraphs`: encoding it was a third of the message's
    serialization)."""
    start = _body_run(page, body)
    if start is None:
        return list(page)
    return [*page[:start], *body, *page[start + len(body) :]]


def body_repeats(body: Body) -> InternalDuplication:
    """internal_duplication of the body, without its normalized text when it has to be none."""
    if nothing_can_repeat(body.distinct, body.near_pairs):
        return InternalDuplication.none(body.paragraphs)
    return internal_duplication(body.paragraphs, body.normalized, body.words, body.near_pairs)


def duplication_report(
    body: Body, page: Sequence[str]
) -> tuple[InternalDuplication, InternalDuplicationReport]:
    """Repeats in the extracted body, and in the page's own paragraph sequence restricted to
    paragraphs that made it into the body (a menu repeated in header and footer is not)."""
    in_body = body_repeats(body)
    in_page_idx, in_page_normalized = body_on_page(page, body)
    # The usual page: its body paragraphs are the body itself, and so are their repeats.
    same = in_page_normalized is None or (
        len(in_page_normalized) == len(body.paragraphs)
        and in_page_normalized == list(body.normalized)
    )
    in_page = (
        in_body
        if same
        else internal_duplication([page[i] for i in in_page_idx], in_page_normalized)
    )
    found_in = {
        (True, True): "body_and_page",
        (True, False): "body",
        (False, True): "page",
        (False, False): "none",
    }[(in_body.detected, in_page.detected)]
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


@dataclass(frozen=True)
class Prepared:
    """An article up to its Redis lookup: repaired and fingerprinted."""

    article: dict[str, Any]
    repaired: Body
    report: InternalDuplicationReport
    slot: int
    me: Article | None = None  # None: no text, so nothing to look up and nothing to match
    probe: Probe | None = None


def with_batch_clusters(seen: Observation, clusters: Mapping[int, str]) -> Observation:
    """`seen` as it would read had the clusters decided earlier in the same batch been
    written before it was looked up (as they are between two batches): the batch's articles
    get the verdicts they would get one at a time."""
    if not clusters:
        return seen
    earlier = tuple(
        replace(e, cluster=clusters[e.seq]) if not e.cluster and e.seq in clusters else e
        for e in seen.earlier
    )
    return replace(seen, cluster=seen.cluster or clusters.get(seen.seq, ""), earlier=earlier)


@dataclass
class DedupeStage:
    index: DedupeIndex
    topics: Topics
    window_s: int
    thresholds: Thresholds = field(default_factory=Thresholds)
    hasher: MinHasher = field(default_factory=MinHasher)

    def __post_init__(self) -> None:
        # Made with the stage, after the process bound its metrics (workers/telemetry.py).
        self._verdicts = labelled_once(DEDUPE_VERDICTS)
        self._repeat_patterns = labelled_once(INTERNAL_DUPLICATION)

    @property
    def slot_s(self) -> int:
        return max(1, self.window_s // (SLOTS - 1))

    def warm_up(self) -> None:
        """Fingerprints the contract's example article, looking nothing up: the folding
        table (about 0.5 s to build) is then ready before the first real article."""
        self.prepare(example("article.v1"))

    def handle(self, article: dict[str, Any], record: InRecord) -> list[OutRecord]:
        [outcome] = self.handle_batch([(article, record)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def handle_batch(self, inputs: Sequence[tuple[dict[str, Any], InRecord]]) -> list[Outcome]:
        """Every article's fingerprints, then one Redis round trip for all their lookups
        (the script runs once per article, atomically, in the batch's order), then the
        verdicts, then one round trip for the clusters to remember."""
        prepared = [attempt(self.prepare, article) for article, _ in inputs]
        lookups = {
            i: (p.probe, p.slot)
            for i, p in enumerate(prepared)
            if isinstance(p, Prepared) and p.probe is not None
        }
        seen = dict(zip(lookups, self._observe_all(list(lookups.values())), strict=True))
        clusters: dict[int, str] = {}  # seq -> cluster, decided in this batch
        outcomes: list[Outcome] = []
        for i, p in enumerate(prepared):
            lookup = seen.get(i)
            if isinstance(p, Exception):
                outcomes.append(p)
            elif isinstance(lookup, Exception):
                outcomes.append(lookup)
            else:
                outcomes.append(attempt(self._output, p, lookup, clusters))
        self.index.record_clusters(list(clusters.items()))
        return outcomes

    def _observe_all(self, lookups: list[tuple[Probe, int]]) -> list[Observation | Exception]:
        """The batch's lookups in one round trip; should that fail other than transiently (a
        bug met on one article's reply), one by one, so that the article alone fails, not
        its batch. Sending a lookup again is safe: the script answers the same twice."""
        try:
            return list(self._observe(lookups))
        except TransientError:
            raise
        except Exception:
            logger.warning("batch lookup failed, looking up one by one", exc_info=True)
            return [attempt(lambda one: self._observe([one])[0], lookup) for lookup in lookups]

    def _observe(self, lookups: list[tuple[Probe, int]]) -> list[Observation]:
        return self.index.observe_many(lookups, window_s=self.window_s, slot_s=self.slot_s)

    def prepare(self, article: dict[str, Any]) -> Prepared:
        body = Body.of(article["paragraphs"], self.hasher)
        in_body, report = duplication_report(body, article.get("page_paragraphs", []))
        repaired = body.without({r.index for r in in_body.repeats})
        slot = int(parse_iso(article["seen_at"]).timestamp() // self.slot_s)
        digest = repaired.digest
        if not digest:
            return Prepared(article, repaired, report, slot)
        minhash, keys = repaired.minhash, repaired.keys
        me = Article(
            article_id=article["article_id"],
            outlet=article["outlet"],
            digest=digest,
            signature=minhash.signature_bytes,
            size=minhash.size,
            paragraphs=len(keys),
        )
        probe = Probe(
            article_id=me.article_id,
            outlet=me.outlet,
            digest=digest,
            signature=minhash.signature_bytes,
            size=me.size,
            band_keys=minhash.band_keys,
            paragraph_keys=keys,
        )
        return Prepared(article, repaired, report, slot, me, probe)

    def _output(
        self, p: Prepared, seen: Observation | None, clusters: dict[int, str]
    ) -> list[OutRecord]:
        verdict = self._verdict(p, seen, clusters)
        self._verdicts(verdict["relation"]).inc()
        if p.report["detected"]:
            self._repeat_patterns(p.report["pattern"]).inc()
        message = {
            **p.article,
            "body": "\n\n".join(p.repaired.paragraphs),
            "paragraphs": list(p.repaired.paragraphs),
            "dedupe": verdict,
            "internal_duplication": p.report,
        }
        if "page_paragraphs" in message:
            message["page_paragraphs"] = page_sharing_body(
                message["page_paragraphs"], p.article["paragraphs"]
            )
        return [encode(self.topics.deduped, p.article["article_id"], message, "deduped.v1")]

    def _verdict(
        self, p: Prepared, seen: Observation | None, clusters: dict[int, str]
    ) -> DedupeVerdict:
        if p.me is None or seen is None:
            return unmatched(p.article["article_id"], "")
        seen = with_batch_clusters(seen, clusters)
        verdict = decide(p.me, seen, self.thresholds)
        # A record without a cluster is its own cluster: only a duplicate needs the write.
        if not seen.cluster and verdict["cluster_id"] != p.me.article_id:
            clusters[seen.seq] = verdict["cluster_id"]
        return verdict
