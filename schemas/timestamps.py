"""Timestamps on the wire: ISO 8601, UTC, milliseconds and a Z: 2026-11-29T07:41:03.512Z."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now_iso() -> str:
    return iso_utc(datetime.now(UTC))


def from_struct_time(value: time.struct_time | None) -> str | None:
    """feedparser's *_parsed fields are struct_time in UTC, or None."""
    if value is None:
        return None
    return iso_utc(datetime(*value[:6], tzinfo=UTC))


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
