"""The newsroom's stream: processed records folded into stories, newest first, in a window of
bounded size; and the filters a reader keeps in the page's address."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlencode

from schemas.timestamps import parse_iso

# Fields of a processed record no page shows (the body is its paragraphs joined).
_HEAVY = ("body", "page_paragraphs")


@dataclass(frozen=True)
class Article:
    """One processed record as the view shows it."""

    article_id: str
    story_id: str
    title: str
    outlet: str
    url: str
    processed_at: float  # epoch seconds; 0 when the record does not say
    language: str | None
    # "rtl" or "ltr" as the tag stage found the text's script, "auto" when it could not
    # tell: a title opening with a Latin name ("NATO ...") is still Arabic text.
    direction: str
    places: tuple[str, ...]  # names, most mentioned first
    topics: tuple[str, ...]
    watch: tuple[str, ...]  # watch-list names (people and organisations) named in it
    relation: str  # the dedupe verdict: original, exact_duplicate, near_duplicate, ...
    role: str  # in its story: first, copy, rewrite, part
    repaired: bool  # its body repeated its own paragraphs and was repaired
    place_keys: frozenset[str]  # what a place filter matches: each place's id, country, name
    record: Mapping[str, Any] = field(compare=False, repr=False)


def article_of(message: Mapping[str, Any]) -> Article:
    """The view of a processed record (a record from before stories is a story of its own,
    or of its dedupe cluster)."""
    tags, dedupe = message.get("tags") or {}, message.get("dedupe") or {}
    story = message.get("story") or {}
    story_id = story.get("story_id") or dedupe.get("cluster_id") or message["article_id"]
    relation = str(dedupe.get("relation") or "original")
    places = tags.get("places") or []
    return Article(
        article_id=str(message["article_id"]),
        story_id=str(story_id),
        title=str(message.get("title") or ""),
        outlet=str(message.get("outlet") or ""),
        url=str(message.get("url") or ""),
        processed_at=_epoch(message.get("processed_at")),
        language=tags.get("language"),
        direction=str(tags.get("direction")) if tags.get("direction") in ("rtl", "ltr") else "auto",
        places=tuple(str(p.get("name", "")) for p in places),
        topics=tuple(str(t.get("id", "")) for t in tags.get("topics") or []),
        watch=tuple(str(e.get("name", "")) for e in tags.get("entities") or []),
        relation=relation,
        # A record from before stories: an original opens its cluster, the rest copy it.
        role=str(story.get("role") or ("first" if relation == "original" else "copy")),
        repaired=bool((message.get("internal_duplication") or {}).get("detected")),
        place_keys=frozenset(
            str(p.get(k, "")).casefold() for p in places for k in ("id", "country", "name")
        )
        - {""},
        record={k: v for k, v in message.items() if k not in _HEAVY},
    )


def _epoch(iso: object) -> float:
    try:
        return parse_iso(iso).timestamp() if isinstance(iso, str) and iso else 0.0
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class Story:
    """A story as the stream shows it: its first article, then the later ones folded under
    it. Never changed once made: an article that joins makes a new Story, so that a page
    rendered from one while the stream goes on shows one version whole."""

    story_id: str
    articles: tuple[Article, ...]
    # The number of the change that made it (StoryWindow.changes): it grows across the whole
    # window (a story that left and came back does not reuse one), and the page replaces a
    # card by a higher version only.
    version: int = 1

    @property
    def first(self) -> Article:
        return self.articles[0]

    @property
    def later(self) -> tuple[Article, ...]:
        return self.articles[1:]

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys(a.outlet for a in self.articles if a.outlet))

    @property
    def other_outlets(self) -> int:
        """Outlets that carried it besides the first article's."""
        return len([o for o in self.outlets if o != self.first.outlet])

    @property
    def minutes(self) -> int | None:
        """From the first article to the latest, in whole minutes; None when a record does
        not say when it was processed."""
        times = [a.processed_at for a in self.articles]
        if not all(times):
            return None
        return int((max(times) - self.first.processed_at) // 60)

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
    """The `capacity` stories changed last: a story that gets an article moves to the front,
    the one changed longest ago leaves when the window is full."""

    capacity: int = 10_000
    changes: ChangeLog = field(default_factory=lambda: ChangeLog())
    _stories: OrderedDict[str, Story] = field(default_factory=OrderedDict)
    _story_of: dict[str, str] = field(default_factory=dict)  # article id -> story id

    def add(self, message: Mapping[str, Any]) -> Story:
        """Fold one processed record in; a redelivered record (same article) replaces its
        earlier copy instead of counting twice. Returns the story it is in."""
        article = article_of(message)
        before = self._stories.get(article.story_id)
        change = self.changes.add(article.story_id)
        if before is None:
            story = Story(article.story_id, (article,), change)
        else:
            kept = [a for a in before.articles if a.article_id != article.article_id]
            joined = tuple(sorted([*kept, article], key=_arrival))
            story = Story(article.story_id, joined, change)
        self._stories[story.story_id] = story
        self._story_of[article.article_id] = story.story_id
        self._stories.move_to_end(story.story_id)
        while len(self._stories) > self.capacity:
            _, gone = self._stories.popitem(last=False)
            for a in gone.articles:
                self._story_of.pop(a.article_id, None)
        return story

    def __len__(self) -> int:
        return len(self._stories)

    def __iter__(self) -> Iterator[Story]:
        """Every story held, the one changed longest ago first."""
        return iter(self._stories.values())

    def changed_since(self, seq: int) -> list[Story] | None:
        """The stories changed after change `seq` that the window still holds, the latest
        change last; None when the changes log cannot tell (ChangeLog.since)."""
        ids = self.changes.since(seq)
        if ids is None:
            return None
        return [s for i in ids if (s := self._stories.get(i)) is not None]

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
        for story in self:
            for a in story.articles:
                found["language"].add(a.language or "")
                found["outlet"].add(a.outlet)
                found["topic"].update(a.topics)
                found["watch"].update(a.watch)
        return {k: sorted(v - {""}) for k, v in found.items()}


def _arrival(article: Article) -> tuple[bool, float, str]:
    # The first article of the story stays first: it opened the story, whatever the clocks.
    return (article.role != "first", article.processed_at, article.article_id)


@dataclass
class ChangeLog:
    """Which story changed at each step, numbered, the last `capacity` of them: a reader's
    live stream asks for what changed after the last number it got."""

    capacity: int = 20_000
    seq: int = 0
    _ids: list[str] = field(default_factory=list)  # the story of changes _first, _first + 1...
    _first: int = 1

    def add(self, story_id: str) -> int:
        self.seq += 1
        self._ids.append(story_id)
        if len(self._ids) >= 2 * self.capacity:  # dropped in bulk: a slice, not a shift a step
            dropped = len(self._ids) - self.capacity
            del self._ids[:dropped]
            self._first += dropped
        return self.seq

    def since(self, seq: int) -> list[str] | None:
        """The stories changed after `seq`, each once, the latest change last; None when
        changes after `seq` were dropped already (the reader must start over)."""
        start = seq + 1 - self._first
        if start < 0 or seq > self.seq:  # too old, or a number of a server since restarted
            return None
        ids = self._ids[start:]
        return list(dict.fromkeys(reversed(ids)))[::-1]
