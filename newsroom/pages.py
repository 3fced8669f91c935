"""The newsroom's pages, rendered from templates with every text escaped (Jinja2's
autoescape): titles, outlets and errors come from feeds and pages nobody here controls."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from newsroom.story_detail import DiffLine, OriginalParagraph, original_order, paragraph_diff
from newsroom.stream import Article, Story, StoryWindow, StreamFilter

STREAM_LIMIT = 100  # stories on the page at once; the newest first
RELATIONS = ("original", "exact_duplicate", "near_duplicate", "partial_reprint", "update")
ROLES = ("first", "copy", "rewrite", "part")

# Explains a processed article's verdict and story, one line each (`newsflow explain`'s):
# given the article's record and the record it was matched with, when the view has it.
Explain = Callable[[Mapping[str, Any], Mapping[str, Any] | None], list[str]]


def _clock(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%H:%M:%S") if epoch_s else "-"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("newsroom", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        auto_reload=False,  # the templates are files of the package: no stat a render
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = _clock
    return env


ENV = _environment()


def story_card(story: Story) -> str:
    """A story in the stream: its first article, the later ones folded under it."""
    return ENV.get_template("_card.html").render(story=story)


def stream_page(window: StoryWindow, wanted: StreamFilter, since: str) -> str:
    """The newest stories `wanted` shows; its live stream goes on from the change whose
    event id is `since`."""
    stories = window.newest(wanted, STREAM_LIMIT)
    return ENV.get_template("stream.html").render(
        held=len(window),
        wanted=wanted,
        choices=window.choices(),
        relations=RELATIONS + ROLES,
        events_query="&".join(q for q in (wanted.query(), urlencode({"since": since})) if q),
        cards=[story_card(s) for s in stories],
    )


@dataclass(frozen=True)
class ArticleDetail:
    article: Article
    explained: list[str]
    diff: list[DiffLine]  # against the version it updates, when the view has it
    original: list[OriginalParagraph]  # a repaired body's paragraphs in their first order


def story_page(story: Story, window: StoryWindow, explain: Explain) -> str:
    details = []
    for article in sorted(story.articles, key=lambda a: (a.processed_at, a.article_id)):
        matched_id = (article.record.get("dedupe") or {}).get("duplicate_of")
        matched = window.article(matched_id) if matched_id else None
        diff: list[DiffLine] = []
        if article.relation == "update" and matched is not None:
            diff = paragraph_diff(
                matched.record.get("paragraphs") or [], article.record.get("paragraphs") or []
            )
        details.append(
            ArticleDetail(
                article,
                explain(article.record, matched.record if matched else None),
                diff,
                original_order(article.record),
            )
        )
    return ENV.get_template("story.html").render(story=story, details=details)


@dataclass(frozen=True)
class FeedRow:
    outlet: str
    url: str
    status: str
    last_success_at: str
    errors_in_a_row: int
    last_error: str
    next_poll_at: str
    articles_last_day: int  # of the feed in the view's window
    gaps_last_day: int
    last_gap: str


def feeds_page(rows: Sequence[FeedRow]) -> str:
    return ENV.get_template("feeds.html").render(rows=rows)


@dataclass(frozen=True)
class LagRow:
    group: str
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int


@dataclass(frozen=True)
class ConsumerRow:
    group: str
    state: str
    members: int
    lag: int
    lag_seconds: float


@dataclass(frozen=True)
class DeadLetterRow:
    at: str
    stage: str
    error_type: str
    error: str


@dataclass(frozen=True)
class PipelineView:
    stages: Sequence[LagRow] = ()
    consumers: Sequence[ConsumerRow] = ()
    dead_letters: Sequence[DeadLetterRow] = ()  # the newest first
    problems: Sequence[str] = ()  # what could not be read, and why


def pipeline_page(view: PipelineView) -> str:
    return ENV.get_template("pipeline.html").render(view=view)


def error_page(status: int, message: str) -> str:
    return ENV.get_template("error.html").render(status=status, message=message)


def event_item(story: Story) -> str:
    """A story new or changed, as an item of a server-sent event (JSON): rendered once a
    change, and sent to every reader whose filter shows it."""
    return json.dumps(
        {"id": story.story_id, "version": story.version, "html": story_card(story)},
        ensure_ascii=False,
    )


def event_data(items: Sequence[str], held: int) -> str:
    """The data of one event: the items of the stories changed since the reader's last, and
    how many stories the view holds now."""
    return f'{{"held": {held}, "stories": [' + ",".join(items) + "]}"


def articles_last_day(window: StoryWindow, now: float | None = None) -> dict[str, int]:
    """Articles processed in the last 24 hours that the view holds, by feed address."""
    since = (now if now is not None else time.time()) - 86_400
    counts: dict[str, int] = {}
    for story in window:
        for a in story.articles:
            if a.processed_at >= since:
                feed = str(a.record.get("feed_url") or "")
                counts[feed] = counts.get(feed, 0) + 1
    return counts
