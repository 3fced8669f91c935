"""An article prepared once for its dedupe lookup (pure): every later step reads this value.

Its body is fingerprinted in one pass (body.py), its page's paragraphs are read against the
body (the page is normalized here alone, reusing the body's work), the repeats of both are
found (internal_duplication.py) and the body repaired; what the index is asked is made of
the repaired body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.messages import InternalDuplicationReport
from schemas.timestamps import parse_iso
from workers.dedupe.body import Body
from workers.dedupe.index import Probe
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
from workers.dedupe.verdicts import Article


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


def prepare_article(article: dict[str, Any], hasher: MinHasher, slot_s: int) -> Prepared:
    """The article fingerprinted, read against its page, repaired, and what to look up."""
    body = Body.of(article["paragraphs"], hasher)
    in_body, report = duplication_report(body, article.get("page_paragraphs", []))
    repaired = body.without({r.index for r in in_body.repeats})
    slot = int(parse_iso(article["seen_at"]).timestamp() // slot_s)
    digest = repaired.digest
    if not digest:
        return Prepared(article=article, repaired=repaired, report=report, slot=slot)
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
    return Prepared(
        article=article, repaired=repaired, report=report, slot=slot, me=me, probe=probe
    )
