"""The records the worker loop moves: what came from a topic and what goes to one.

Plain data, no client types, so handlers and the loop are tested without a broker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class InRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int = 0
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(frozen=True)
class OutRecord:
    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = field(default=())


# Why a record was refused for good: over a size limit, or anything else no retry mends.
Refusal = Literal["too_large", "rejected"]


@dataclass(frozen=True)
class RefusedRecord:
    """An output the broker or the producer refused for good (too large, invalid, not
    authorized): no retry would send it, so the input it came from is dead-lettered."""

    record: OutRecord
    error_type: Refusal
    reason: str
