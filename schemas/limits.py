"""How big a record on the pipeline's topics may be: the one place that says it.

The producers' `max_request_size`, the topics' `max.message.bytes` and the `message.max.bytes`
of the broker that `newsflow` starts all take MAX_RECORD_BYTES from here, so that a record
one side accepts is never refused by another. The text an article carries is capped well
below it (the settings' `max_body_bytes`): a message carries its text about three times
(`body`, `paragraphs`, `page_paragraphs`) and a few fields beside.
"""

from __future__ import annotations

from schemas.records import OutRecord

MAX_RECORD_BYTES = 4 * 1024 * 1024
# What a record batch adds around one record (Kafka's v2 batch header is 61 bytes, a record's
# own framing a few more), with room to spare: a record within MAX_RECORD_BYTES less this is
# within every limit above, compressed or not.
BATCH_OVERHEAD_BYTES = 1024
MAX_PAYLOAD_BYTES = MAX_RECORD_BYTES - BATCH_OVERHEAD_BYTES
# How far back a cut looks for a space to end on: past that, the text has no words to keep
# whole (a run of digits, a language written without spaces).
_WORD_BACK_OFF = 100


def payload_bytes(record: OutRecord) -> int:
    """The record's key, value and headers, as the producer counts them against its limit."""
    key = len(record.key.encode("utf-8"))
    headers = sum(len(name.encode("utf-8")) + len(value) for name, value in record.headers)
    return key + len(record.value) + headers


def too_large_reason(record: OutRecord, limit: int = MAX_PAYLOAD_BYTES) -> str | None:
    """None when the record fits every limit on its way, else why not (with its size)."""
    size = payload_bytes(record)
    if size <= limit:
        return None
    return f"a record of {size:,} bytes for {record.topic}, over the limit of {limit:,} bytes"


def cut_text(text: str, max_bytes: int) -> str:
    """The longest start of `text` within max_bytes of UTF-8, never cut inside a character,
    and ended at a word's end when one is near the cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    head = encoded[:max_bytes].decode("utf-8", errors="ignore")
    at_space = head.rfind(" ")
    near = at_space > 0 and at_space > len(head) - _WORD_BACK_OFF
    return head[:at_space].rstrip() if near else head
