"""Topic names. The version in the name changes when a contract changes incompatibly."""

from __future__ import annotations

from dataclasses import dataclass

ENTRIES = "news.entries.v1"
ARTICLES = "news.articles.v1"
DEDUPED = "news.deduped.v1"
PROCESSED = "news.processed.v1"
STORIES = "news.stories.v1"
DEAD_LETTER = "news.dlq.v1"

# Which contract each topic carries (schema file stem).
CONTRACT_OF_TOPIC = {
    ENTRIES: "entry.v1",
    ARTICLES: "article.v1",
    DEDUPED: "deduped.v1",
    PROCESSED: "processed.v1",
    STORIES: "story_event.v1",
    DEAD_LETTER: "dead_letter.v1",
}


@dataclass(frozen=True)
class Topics:
    """The topic names one deployment uses; `prefix` isolates test runs on a shared broker."""

    prefix: str = ""

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def entries(self) -> str:
        return self.name(ENTRIES)

    @property
    def articles(self) -> str:
        return self.name(ARTICLES)

    @property
    def deduped(self) -> str:
        return self.name(DEDUPED)

    @property
    def processed(self) -> str:
        return self.name(PROCESSED)

    @property
    def stories(self) -> str:
        return self.name(STORIES)

    @property
    def dead_letter(self) -> str:
        return self.name(DEAD_LETTER)

    def all(self) -> list[str]:
        return [self.name(base) for base in CONTRACT_OF_TOPIC]

    def contract_of(self, topic: str) -> str:
        base = topic.removeprefix(self.prefix)
        return CONTRACT_OF_TOPIC[base]
