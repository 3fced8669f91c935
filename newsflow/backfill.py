"""`newsflow backfill` (load a JSON Lines file onto a topic) and `newsflow replay` (move a
stopped stage back in time so it handles its input again)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from adapters.kafka_client import KafkaSink, rewind_group
from newsflow.settings import Settings
from newsflow.stages import group_of, topics_of
from schemas.contracts import problems
from schemas.topics import Topics
from workers.codec import encode

logger = logging.getLogger(__name__)

# What backfill may write, and the contract each line must meet.
TARGETS = {"entries": "entry.v1", "articles": "article.v1"}
# Where each stage reads: what `replay --stage` rewinds.
STAGE_INPUT = {"extract": "entries", "dedupe": "articles", "tag": "deduped"}


@dataclass
class BackfillReport:
    sent: int = 0
    invalid: int = 0


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


def backfill(settings: Settings, path: Path, target: str) -> BackfillReport:
    """Every valid line onto the topic, keyed by its article id; invalid lines are reported
    with their line number and skipped (the file is the user's: nothing is changed in it)."""
    contract, topic = TARGETS[target], getattr(topics_of(settings), target)
    total = sum(1 for _ in _lines(path))
    report, sink = BackfillReport(), KafkaSink.connect(settings.kafka())
    try:
        for number, line in tqdm(_lines(path), total=total, unit="msg", desc=f"backfill {topic}"):
            message = _message(line)
            found = problems(contract, message) if message is not None else ["not a JSON object"]
            if found or message is None:
                report.invalid += 1
                logger.warning(
                    "line skipped file=%s line=%d problems=%s", path, number, "; ".join(found[:3])
                )
                continue
            sink.send(encode(topic, message["article_id"], message, contract))
            report.sent += 1
        sink.flush()
    finally:
        sink.close()
    return report


def _message(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def replay(settings: Settings, stage: str, since_ms: int) -> dict[int, int]:
    """Partition -> the offset the stage's group will resume from."""
    topics: Topics = topics_of(settings)
    topic = getattr(topics, STAGE_INPUT[stage])
    return rewind_group(settings.kafka(), group_of(settings, stage), topic, since_ms)
