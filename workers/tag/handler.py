"""The tag stage's handler: deduped article in -> processed article out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.records import InRecord, OutRecord
from schemas.timestamps import parse_iso, utc_now_iso
from schemas.topics import Topics
from workers.codec import encode
from workers.tag.tagger import Tagger
from workers.telemetry import END_TO_END_SECONDS


@dataclass
class TagStage:
    tagger: Tagger
    topics: Topics

    def warm_up(self) -> None:
        self.tagger.warm_up()

    def handle(self, article: dict[str, Any], record: InRecord) -> list[OutRecord]:
        tags = self.tagger.tag(article)
        processed_at = utc_now_iso()
        message: dict[str, Any] = {**article, "tags": tags, "processed_at": processed_at}
        waited = parse_iso(processed_at) - parse_iso(article["seen_at"])
        END_TO_END_SECONDS.observe(waited.total_seconds())
        return [encode(self.topics.processed, article["article_id"], message, "processed.v1")]
