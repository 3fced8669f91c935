"""Bytes <-> messages: JSON checked against the topic's contract on both sides."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from schemas.contracts import ContractViolation, check
from schemas.limits import cut_text, too_large_reason
from schemas.messages import DeadLetterMessage, EntryMessage
from schemas.records import InRecord, OutRecord
from schemas.timestamps import utc_now_iso
from workers.errors import PoisonMessage


def decode(record: InRecord, contract: str) -> dict[str, Any]:
    """The record's JSON message; PoisonMessage when it is not JSON (RFC 8259: UTF-8, no NaN,
    no lone surrogate escape) or breaks the contract."""
    try:
        message = orjson.loads(record.value)
    except orjson.JSONDecodeError as exc:
        raise PoisonMessage(f"not JSON: {exc}", error_type="invalid_json") from exc
    if not isinstance(message, dict):
        raise PoisonMessage("not a JSON object", error_type="invalid_schema")
    try:
        check(contract, message)
    except ContractViolation as exc:
        raise PoisonMessage(str(exc), error_type="invalid_schema") from exc
    return message


def encode(topic: str, key: str, message: Mapping[str, Any], contract: str) -> OutRecord:
    """Validate, then serialize compactly; non-ASCII text stays readable UTF-8. orjson: about
    half the stdlib encoder's time on a long Arabic article message."""
    check(contract, message)
    return OutRecord(topic=topic, key=key, value=orjson.dumps(message))


# A dead letter's own text (error, key, URL) at most, once its input is left out of it.
MAX_NOTE_BYTES = 16 * 1024


@dataclass(frozen=True)
class About:
    """What a dead letter says of the article it concerns, where the stage knows it."""

    article_id: str | None = None
    url: str | None = None
    size_bytes: int | None = None  # of the output that was too large or refused

    @classmethod
    def of(cls, message: Mapping[str, Any] | None, size_bytes: int | None = None) -> About:
        message = message or {}
        article_id, url = message.get("article_id"), message.get("url")
        return cls(
            article_id if isinstance(article_id, str) else None,
            url if isinstance(url, str) else None,
            size_bytes,
        )


def dead_letter(
    record: InRecord, stage: str, error: PoisonMessage, topic: str, about: About = About()
) -> OutRecord:
    """The input as it came, the reason and where it came from; nothing is lost. An input
    too big to travel inside a dead letter stays where it is (its topic, partition and
    offset are named) and the dead letter says how big it was."""
    try:
        text: str | None = record.value.decode("utf-8")
        raw: str | None = None
    except UnicodeDecodeError:
        text, raw = None, base64.b64encode(record.value).decode("ascii")
    key = record.key.decode("utf-8", errors="replace") if record.key is not None else None
    message: DeadLetterMessage = {
        "schema_version": 1,
        "stage": stage,
        "error_type": error.error_type,
        "error": error.reason,
        "source_topic": record.topic,
        "source_partition": record.partition,
        "source_offset": record.offset,
        "key": key,
        "value_text": text,
        "value_base64": raw,
        "failed_at": utc_now_iso(),
    }
    if about.article_id is not None:
        message["article_id"] = about.article_id
    if about.url is not None:
        message["url"] = about.url
    if about.size_bytes is not None:
        message["size_bytes"] = about.size_bytes
    out = encode(topic, key or "", message, "dead_letter.v1")
    if too_large_reason(out) is None:
        return out
    # Only the input was big; what the stage wrote of it can be too (an error quoting a
    # field, a URL of megabytes): each cut, the dead letter fits whatever the input was.
    message["value_text"], message["value_base64"] = None, None
    message["value_omitted_bytes"] = len(record.value)
    message["error"] = cut_text(message["error"], MAX_NOTE_BYTES)
    if key is not None:
        message["key"] = key = cut_text(key, MAX_NOTE_BYTES)
    if "url" in message:
        message["url"] = cut_text(message["url"], MAX_NOTE_BYTES)
    return encode(topic, key or "", message, "dead_letter.v1")


def entry_dead_letter(
    entry: EntryMessage, error: PoisonMessage, topic: str, size: int
) -> OutRecord:
    """A feed entry the poller could not send: the poller reads no topic, so the dead letter
    names the feed as its source (partition and offset 0) and carries the entry itself when
    it fits."""
    record = InRecord(entry["feed_url"], 0, 0, entry["article_id"].encode(), orjson.dumps(entry))
    about = About(entry["article_id"], entry["url"], size)
    return dead_letter(record, "poller", error, topic, about)
