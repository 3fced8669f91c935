"""The dedupe stage's handler: article in -> repaired article with its verdict out.

Each article is prepared once (prepared.py: fingerprinted, read against its page, repaired);
then a batch's lookups go to the index in one round trip, and each gets its verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from schemas.contracts import example
from schemas.messages import DedupeVerdict
from schemas.records import InRecord, OutRecord
from schemas.topics import Topics
from workers.codec import encode
from workers.dedupe.index import SLOTS, DedupeIndex, Observation, Probe
from workers.dedupe.minhash import MinHasher
from workers.dedupe.prepared import Prepared, page_sharing_body, prepare_article
from workers.dedupe.verdicts import Thresholds, decide, unmatched
from workers.runner import Outcome, attempt, each_alone_if_the_batch_fails
from workers.telemetry import DEDUPE_VERDICTS, INTERNAL_DUPLICATION, labelled_once


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
        """The batch's lookups in one round trip (one by one should a bug meet one article's
        reply). Sending a lookup again is safe: the script answers the same twice."""
        return each_alone_if_the_batch_fails(self._observe, lookups, "dedupe lookup")

    def _observe(self, lookups: Sequence[tuple[Probe, int]]) -> list[Observation]:
        return self.index.observe_many(lookups, window_s=self.window_s, slot_s=self.slot_s)

    def prepare(self, article: dict[str, Any]) -> Prepared:
        return prepare_article(article, self.hasher, self.slot_s)

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
