"""What tests/e2e/test_bad_inputs.py expects of the pipeline after hostile input (pure):
each check reads what the topics, /proc and /metrics showed, and returns None when the
expectation holds, else what went wrong, said so that the failure explains itself."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from adapters.kafka_client import PartitionLag

Message = dict[str, Any]
FEED_SOURCES = ("feed_content", "feed_summary")
MEMORY_GROWTH_LIMIT = 1.5


@dataclass(frozen=True)
class Flow:
    """Every message on the entries, processed and dead-letter topics at one moment."""

    entries: list[Message]
    processed: list[Message]
    dead_letters: list[Message]


def _input_of(letter: Message) -> Message | None:
    """The dead-lettered input's JSON object, when it was one."""
    try:
        value = json.loads(letter.get("value_text") or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def dead_letters_for(
    dead_letters: Sequence[Message], *, article: str | None = None, title: str | None = None
) -> list[Message]:
    """The dead letters of one input: by its key (the article id), else by the article id or
    title in the input they carry."""
    found = []
    for letter in dead_letters:
        carried = _input_of(letter) or {}
        by_article = article is not None and article in (
            letter.get("key"),
            carried.get("article_id"),
        )
        by_title = title is not None and carried.get("title") == title
        if by_article or by_title:
            found.append(letter)
    return found


def _letters_said(letters: Sequence[Message]) -> str:
    return "; ".join(
        f"dead-lettered by {d.get('stage')} as {d.get('error_type')}: {str(d.get('error'))[:160]}"
        for d in letters
    )


def _processed_said(mine: Sequence[Message]) -> str:
    if not mine:
        return "not on the processed topic"
    m = mine[0]
    return (
        f"on the processed topic {len(mine)} time(s) (truncated: {m.get('truncated')}, "
        f"body_source: {m.get('body_source')}, body of {len(m.get('body', ''))} characters)"
    )


def outcome(processed: Sequence[Message], letters: Sequence[Message]) -> str:
    """Where an input ended, in words: for the summary and the failure messages."""
    said = [_processed_said(processed)]
    if letters:
        said.append(_letters_said(letters))
    return "; ".join(said)


def good_articles_problem(expected: Collection[str], processed: Sequence[Message]) -> str | None:
    """Every good article on the processed topic exactly once: nothing was killed, so a
    second copy is a redelivery that should not have happened."""
    counts = Counter(m["article_id"] for m in processed)
    missing = sorted(a for a in expected if counts[a] == 0)
    repeated = {a: counts[a] for a in sorted(expected) if counts[a] > 1}
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} of {len(expected)} good articles never reached the processed"
            f" topic (e.g. {', '.join(missing[:3])})"
        )
    if repeated:
        shown = ", ".join(f"{a} x{n}" for a, n in list(repeated.items())[:3])
        problems.append(
            f"{len(repeated)} good articles are on the processed topic more than once ({shown})"
        )
    return "; ".join(problems) or None


def resent_entries_problem(entries: Sequence[Message]) -> str | None:
    """No entry sent twice: a feed whose poll fails on one entry must not re-send its
    neighbours on every poll."""
    counts = Counter(m["article_id"] for m in entries)
    resent = [(a, n) for a, n in counts.most_common() if n > 1]
    if not resent:
        return None
    title_of = {m["article_id"]: m.get("title", "") for m in entries}
    shown = ", ".join(f"{title_of[a]!r} x{n}" for a, n in resent[:3])
    return f"{len(resent)} articles were sent to the entries topic more than once ({shown})"


def oversized_page_problem(
    article: str, processed: Sequence[Message], dead_letters: Sequence[Message]
) -> str | None:
    """The 5 MB page's article: processed once with `truncated: true`, or dead-lettered as
    too_large (and then not processed)."""
    mine = [m for m in processed if m["article_id"] == article]
    letters = dead_letters_for(dead_letters, article=article)
    if len(mine) == 1 and mine[0].get("truncated") is True and not letters:
        return None
    if not mine and letters and all(d.get("error_type") == "too_large" for d in letters):
        return None
    return (
        "the article of the 5 MB page must be processed once with truncated: true or"
        f" dead-lettered as too_large; it is {outcome(mine, letters)}"
    )


def _text_bytes(entry: Message) -> int:
    return sum(len((entry.get(k) or "").encode("utf-8")) for k in ("summary", "content"))


def oversized_entry_problem(
    article: str, original_bytes: int, entries: Sequence[Message], dead_letters: Sequence[Message]
) -> str | None:
    """The entry with 2 MB of text: on the entries topic once with its text cut and
    `truncated: true`, or dead-lettered as too_large (and then not on the entries topic)."""
    mine = [m for m in entries if m["article_id"] == article]
    letters = dead_letters_for(dead_letters, article=article)
    cut = (
        len(mine) == 1
        and mine[0].get("truncated") is True
        and _text_bytes(mine[0]) < original_bytes
    )
    if cut and not letters:
        return None
    if not mine and letters and all(d.get("error_type") == "too_large" for d in letters):
        return None
    return (
        f"the entry with {original_bytes} bytes of text must be on the entries topic once"
        f" with its text cut and truncated: true, or dead-lettered as too_large; it is"
        f" {entry_outcome(mine, letters)}"
    )


def entry_outcome(entries: Sequence[Message], letters: Sequence[Message]) -> str:
    """Where an entry ended, in words, as `outcome` says it of an article."""
    said = (
        [
            f"on the entries topic {len(entries)} time(s) (truncated: {entries[0].get('truncated')},"
            f" {_text_bytes(entries[0])} bytes of text)"
        ]
        if entries
        else ["not on the entries topic"]
    )
    if letters:
        said.append(_letters_said(letters))
    return "; ".join(said)


def feed_text_problem(
    title: str, text: str, processed: Sequence[Message], dead_letters: Sequence[Message]
) -> str | None:
    """An entry whose page cannot be had (no link, a script for a link, a redirect nowhere)
    but whose feed has text: processed once, its body the feed's text."""
    mine = [m for m in processed if m.get("title") == title]
    letters = dead_letters_for(dead_letters, title=title)
    if len(mine) == 1 and not letters:
        body = " ".join(str(mine[0].get("body", "")).split())
        if mine[0].get("body_source") in FEED_SOURCES and " ".join(text.split()) in body:
            return None
    return (
        f"{title!r} must be processed once with the feed's text as its body; it is"
        f" {outcome(mine, letters)}"
    )


def skipped_entry_problem(
    title: str, skipped_total: float | None, processed: Sequence[Message]
) -> str | None:
    """The entry with neither link nor text: counted as skipped, and not processed."""
    problems = []
    if skipped_total is None:
        problems.append("the metrics show no newsflow_feed_entries_skipped_total")
    elif skipped_total < 1:
        problems.append(f"newsflow_feed_entries_skipped_total is {skipped_total:g}")
    if any(m.get("title") == title for m in processed):
        problems.append("it is on the processed topic")
    if not problems:
        return None
    return f"{title!r} must be counted as skipped and go no further: {'; '.join(problems)}"


def arabic_titles_problem(
    expected: Mapping[str, str], processed: Sequence[Message], entries: Sequence[Message]
) -> str | None:
    """The undeclared windows-1256 feed's titles on the processed topic as they were written
    (the entries topic is quoted too: it tells whether the poller misread them)."""
    got: dict[str, list[str]] = defaultdict(list)
    for m in processed:
        got[m["article_id"]].append(m.get("title", ""))
    polled = {m["article_id"]: m.get("title") for m in entries}
    wrong = []
    for article, title in expected.items():
        titles = got.get(article, [])
        if len(titles) != 1:
            wrong.append(f"{title!r} is on the processed topic {len(titles)} times, not once")
        elif titles[0] != title:
            wrong.append(
                f"{title!r} came out as {titles[0]!r} (on the entries topic:"
                f" {polled.get(article)!r})"
            )
    if not wrong:
        return None
    return "the Arabic feed in windows-1256 was misread: " + "; ".join(wrong)


def lag_problem(lags: Mapping[str, Sequence[PartitionLag]]) -> str | None:
    """Every consumer group has committed everything on its input topic."""
    behind = []
    for group, partitions in lags.items():
        lagging = [p for p in partitions if p.lag > 0]
        if lagging:
            where = ", ".join(f"{p.topic}[{p.partition}] {p.lag}" for p in lagging)
            behind.append(f"{group} is {sum(p.lag for p in lagging)} records behind ({where})")
    return "; ".join(behind) or None


def restart_problem(
    before: Mapping[str, int], after: Mapping[str, int], died: Sequence[str]
) -> str | None:
    """No stage process was replaced: the same pid per stage from start to end, and no
    "stage died" in the supervisor's log."""
    changed = [
        f"{stage} pid {pid} -> {after.get(stage)}"
        for stage, pid in sorted(before.items())
        if after.get(stage) != pid
    ]
    problems = []
    if changed:
        problems.append("stage processes replaced: " + ", ".join(changed))
    if died:
        problems.append(f"{len(died)} 'stage died' lines, the first: {died[0].strip()}")
    return "; ".join(problems) or None


def memory_problem(
    before: Mapping[str, int], after: Mapping[str, int | None], limit: float = MEMORY_GROWTH_LIMIT
) -> str | None:
    """Each stage's resident memory after the hostile input within `limit` times what it
    was before (KiB, from /proc/<pid>/status)."""
    grown = []
    for stage, was in sorted(before.items()):
        now = after.get(stage)
        if now is None:
            grown.append(f"{stage}: its process is gone")
        elif now > limit * was:
            grown.append(
                f"{stage}: {was / 1024:.0f} MiB before, {now / 1024:.0f} MiB after"
                f" ({now / was:.2f}x)"
            )
    if not grown:
        return None
    return f"resident memory grew more than {limit}x: " + "; ".join(grown)


def metric_total(exposition: str, sample: str) -> float | None:
    """The sum of a sample's values over its labels in a Prometheus text exposition, None
    when the sample is not there."""
    values = [
        s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
        if s.name == sample
    ]
    return sum(values) if values else None
