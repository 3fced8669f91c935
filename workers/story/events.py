"""The story events of news.stories.v1 (pure): one when an article opens a story, one when
it grows one, and one for each story it merged into its own. Made from the article and the
story object it is emitted with, so that a redelivered article repeats its events exactly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from schemas.messages import StoryEventMessage
from schemas.timestamps import iso_utc
from workers.story.features import published_at


def story_events(article: Mapping[str, Any], story: Mapping[str, Any]) -> list[StoryEventMessage]:
    """The article's event, then one `merged` event per story it merged into its own (keyed
    by the absorbed story, so that its records stay in one partition)."""
    own = story_event(article, story)
    merges: list[StoryEventMessage] = [
        {**own, "event": "merged", "story_id": absorbed, "merged_into": story["story_id"]}
        for absorbed in story.get("merged", [])
    ]
    return [own, *merges]


def story_event(article: Mapping[str, Any], story: Mapping[str, Any]) -> StoryEventMessage:
    event: StoryEventMessage = {
        "schema_version": "story_event.v1",
        "event": "opened" if story["role"] == "first" else "grew",
        "story_id": story["story_id"],
        "article_id": article["article_id"],
        "role": story["role"],
        "size": story["size"],
        "outlets": story["outlets"],
        "outlet": str(article.get("outlet") or ""),
        "title": str(article.get("title") or ""),
        "at": iso_utc(datetime.fromtimestamp(published_at(article), UTC)),
    }
    if article.get("url"):
        event["url"] = article["url"]
    return event
