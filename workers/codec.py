"""Bytes <-> messages: JSON checked against the topic's contract on both sides."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import orjson

from adapters.errors import PoisonMessage
from schemas.contracts import ContractViolation, check
from schemas.messages import DeadLetterMessage
from schemas.records import InRecord, OutRecord
from schemas.timestamps import utc_now_iso


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
    """Validate, then serialize compactly; non-ASCII text stays readable UTF-8. orjson: the
    stdlib's encoder took 74 us of a 23 KB Arabic article message here, orjson 38."""
    check(contract, message)
    return OutRecord(topic=topic, key=key, value=orjson.dumps(message))


def dead_letter(record: InRecord, stage: str, error: PoisonMessage, topic: str) -> OutRecord:
    """The input as it came, the reason and where it came from; nothing is lost."""
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
    return encode(topic, key or "", message, "dead_letter.v1")
