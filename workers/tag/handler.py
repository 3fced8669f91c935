"""The tag stage's handler: deduped articles in -> processed articles (tags and story) out,
and each article's story event.

The story step runs here, after the tags: it reads the article's language (which word
weights to use) and places from them, and one stage less is one hop less of latency. A
batch's stories cost the stage two Redis round trips per wave of articles that share no key
(workers/story/step.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.records import InRecord, OutRecord
from schemas.timestamps import parse_iso, utc_now_iso
from schemas.topics import Topics
from workers.codec import encode
from workers.runner import Outcome, attempt, each_alone_if_the_batch_fails
from workers.story.events import story_events
from workers.story.index import StoryObject
from workers.story.step import StoryStep
from workers.tag.tagger import Tagger
from workers.telemetry import END_TO_END_SECONDS


@dataclass
class TagStage:
    tagger: Tagger
    topics: Topics
    stories: StoryStep | None = None  # None: articles go out without a story

    def warm_up(self) -> None:
        self.tagger.warm_up()
        if self.stories is not None:
            self.stories.warm_up(["ar", "en"])

    def handle(self, article: dict[str, Any], record: InRecord) -> list[OutRecord]:
        [outcome] = self.handle_batch([(article, record)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def handle_batch(self, inputs: Sequence[tuple[dict[str, Any], InRecord]]) -> list[Outcome]:
        tagged = [attempt(self._tagged, article) for article, _ in inputs]
        ready = [t for t in tagged if isinstance(t, dict)]
        stories = iter(self._stories(ready))
        return [
            t if isinstance(t, Exception) else attempt(self._output, t, next(stories))
            for t in tagged
        ]

    def _tagged(self, article: dict[str, Any]) -> dict[str, Any]:
        return {**article, "tags": self.tagger.tag(article)}

    def _stories(self, articles: list[dict[str, Any]]) -> list[StoryObject | Exception | None]:
        """The batch's stories in one go (one by one should a bug meet one article). Assigning
        again is safe: a redelivered article gets the story it got."""
        if self.stories is None:
            return [None] * len(articles)
        return [*each_alone_if_the_batch_fails(self.stories.assign_batch, articles, "story step")]

    def _output(
        self, article: dict[str, Any], story: StoryObject | Exception | None
    ) -> list[OutRecord]:
        if isinstance(story, Exception):
            raise story
        processed_at = utc_now_iso()
        message: dict[str, Any] = {**article, "processed_at": processed_at}
        out = []
        if story is not None:
            message["story"] = story
            for event in story_events(article, story):
                out.append(encode(self.topics.stories, event["story_id"], event, "story_event.v1"))
        waited = parse_iso(processed_at) - parse_iso(article["seen_at"])
        END_TO_END_SECONDS.observe(waited.total_seconds())
        key = article["article_id"]
        return [encode(self.topics.processed, key, message, "processed.v1"), *out]
