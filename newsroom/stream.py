"""The newsroom's stream: processed records folded into stories, newest first, in a window of
bounded size; and the filters a reader keeps in the page's address."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlencode

from schemas.timestamps import parse_iso

# Fields of a processed record the story page never shows: the page's own paragraph
# sequence is kept only when the body was repaired (it is the original order then).
_HEAVY = ("body", "page_paragraphs")


@dataclass(frozen=True)
class Article:
    """One processed record as the view shows it."""

    article_id: str
    story_id: str
    title: str
    outlet: str
    url: str
    published: str | None
    processed_at: float  # epoch seconds
    language: str | None
    direction: str  # "rtl", "ltr", or "auto" when the tag stage could not tell
    places: tuple[str, ...]  # names, most mentioned first
    topics: tuple[str, ...]
    watch: tuple[str, ...]  # watch-list names (people and organisations) named in it
    relation: str  # the dedupe verdict: original, exact_duplicate, near_duplicate, ...
    role: str  # in its story: first, copy, rewrite, part
    repaired: bool  # its body repeated its own paragraphs and was repaired
    record: Mapping[str, Any] = field(compare=False, repr=False)

    @property
    def place_keys(self) -> frozenset[str]:
        """What a place filter matches: each place's id, country and name."""
        keys = set()
        for place in self.record.get("tags", {}).get("places", []):
            keys |= {str(place.get(k, "")).casefold() for k in ("id", "country", "name")}
        return frozenset(keys - {""})


def article_of(message: Mapping[str, Any]) -> Article:
    """The view of a processed record (a record from before stories is a story of its own,
    or of its dedupe cluster)."""
    tags, dedupe = message.get("tags") or {}, message.get("dedupe") or {}
    story = message.get("story") or {}
    story_id = story.get("story_id") or dedupe.get("cluster_id") or message["article_id"]
    repaired = bool((message.get("internal_duplication") or {}).get("detected"))
    kept = {k: v for k, v in message.items() if k not in _HEAVY}
    if repaired and "page_paragraphs" in message:
        kept["page_paragraphs"] = message["page_paragraphs"]
    return Article(
        article_id=str(message["article_id"]),
        story_id=str(story_id),
        title=str(message.get("title") or ""),
        outlet=str(message.get("outlet") or ""),
        url=str(message.get("url") or ""),
        published=message.get("published"),
        processed_at=_epoch(message.get("processed_at")),
        language=tags.get("language"),
        direction=tags.get("direction") or "auto",
        places=tuple(str(p.get("name", "")) for p in tags.get("places", [])),
        topics=tuple(str(t.get("id", "")) for t in tags.get("topics", [])),
        watch=tuple(str(e.get("name", "")) for e in tags.get("entities", [])),
        relation=str(dedupe.get("relation") or "original"),
        role=str(
            story.get("role") or ("first" if dedupe.get("relation") == "original" else "copy")
        ),
        repaired=repaired,
        record=kept,
    )


def _epoch(iso: object) -> float:
    return parse_iso(iso).timestamp() if isinstance(iso, str) and iso else 0.0


@dataclass
class Story:
    """A story as the stream shows it: its first article, then the later ones folded under it."""

    story_id: str
    articles: list[Article]
    version: int = 1  # grows with every article that joins: the page replaces its card

    @property
    def first(self) -> Article:
        return self.articles[0]

    @property
    def later(self) -> list[Article]:
        return self.articles[1:]

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys(a.outlet for a in self.articles if a.outlet))

    @property
    def updated_at(self) -> float:
        return max(a.processed_at for a in self.articles)

    @property
    def minutes(self) -> int:
        """From the first article to the latest, in whole minutes."""
        return int((self.updated_at - self.first.processed_at) // 60)

    @property
    def repaired(self) -> bool:
        return any(a.repaired for a in self.articles)


@dataclass(frozen=True)
class StreamFilter:
    """What a reader narrows the stream to; each field empty or a value to match. A story is
    shown when one of its articles matches every field set."""

    language: str = ""
    place: str = ""  # a country code, a city's id, or a place's name
    topic: str = ""
    watch: str = ""  # a watch-list name
    outlet: str = ""
    relation: str = ""  # a dedupe verdict or a role in the story

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> StreamFilter:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v.strip()[:200] for k, v in query.items() if k in known and v.strip()})

    def query(self) -> str:
        """The address's query string of this filter ("" when nothing is set)."""
        return urlencode({f.name: v for f in fields(self) if (v := getattr(self, f.name))})

    def without(self, name: str) -> StreamFilter:
        return replace(self, **{name: ""})

    @property
    def active(self) -> bool:
        return bool(self.query())

    def accepts(self, article: Article) -> bool:
        return (
            _same(self.language, article.language)
            and (not self.place or self.place.casefold() in article.place_keys)
            and _among(self.topic, article.topics)
            and _among(self.watch, article.watch)
            and _same(self.outlet, article.outlet)
            and (not self.relation or self.relation in (article.relation, article.role))
        )

    def shows(self, story: Story) -> bool:
        return any(self.accepts(a) for a in story.articles)


def _same(wanted: str, value: str | None) -> bool:
    return not wanted or (value or "").casefold() == wanted.casefold()


def _among(wanted: str, values: tuple[str, ...]) -> bool:
    return not wanted or wanted.casefold() in (v.casefold() for v in values)


@dataclass
class StoryWindow:
    """The newest `capacity` stories, by the time of their latest article; a story that gets
    a new article moves to the front, the oldest leaves when the window is full."""

    capacity: int = 10_000
    _stories: OrderedDict[str, Story] = field(default_factory=OrderedDict)
    _story_of: dict[str, str] = field(default_factory=dict)  # article id -> story id

    def add(self, message: Mapping[str, Any]) -> Story:
        """Fold one processed record in; a redelivered record (same article) replaces its
        earlier copy instead of counting twice. Returns the story it is in."""
        article = article_of(message)
        story = self._stories.get(article.story_id)
        if story is None:
            story = self._stories[article.story_id] = Story(article.story_id, [article])
        else:
            kept = [a for a in story.articles if a.article_id != article.article_id]
            story.articles = sorted([*kept, article], key=_arrival)
            story.version += 1
        self._story_of[article.article_id] = story.story_id
        self._stories.move_to_end(story.story_id)
        while len(self._stories) > self.capacity:
            _, gone = self._stories.popitem(last=False)
            for a in gone.articles:
                self._story_of.pop(a.article_id, None)
        return story

    def __len__(self) -> int:
        return len(self._stories)

    def newest(self, wanted: StreamFilter, limit: int) -> list[Story]:
        return [s for s, _ in zip(self._matching(wanted), range(limit), strict=False)]

    def _matching(self, wanted: StreamFilter) -> Iterator[Story]:
        return (s for s in reversed(self._stories.values()) if wanted.shows(s))

    def story(self, story_id: str) -> Story | None:
        return self._stories.get(story_id)

    def article(self, article_id: str) -> Article | None:
        story = self._stories.get(self._story_of.get(article_id, ""))
        return (
            next((a for a in story.articles if a.article_id == article_id), None) if story else None
        )

    def choices(self) -> dict[str, list[str]]:
        """The values seen in the window for each filter, for the filter form's lists."""
        found: dict[str, set[str]] = {
            "language": set(),
            "outlet": set(),
            "topic": set(),
            "watch": set(),
        }
        for story in self._stories.values():
            for a in story.articles:
                found["language"].add(a.language or "")
                found["outlet"].add(a.outlet)
                found["topic"].update(a.topics)
                found["watch"].update(a.watch)
        return {k: sorted(v - {""}) for k, v in found.items()}


def _arrival(article: Article) -> tuple[float, str]:
    # The first article of the story stays first: it opened the story, whatever the clocks.
    return (0.0 if article.role == "first" else article.processed_at, article.article_id)
