"""`newsflow watch`: one line per processed article; an article that joined a story (or
copies another) indented under it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.timestamps import parse_iso

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi"})
# A right-to-left title is isolated (UAX #9, section 2.4) so that the line around it keeps
# its order, and isolated as right-to-left (RLI, not LRI): inside a left-to-right isolate a
# number or punctuation at either end of an Arabic title takes the left-to-right side, so
# "3 killed ..." shows its "3" at the end of the sentence for a reader.
RLI, PDI = "\u2067", "\u2069"


@dataclass(frozen=True)
class WatchFilter:
    language: str | None = None
    relation: str | None = None
    outlet: str | None = None
    tag: tuple[str, str] | None = None  # ("place", "UA"): a tag by name and value
    story: str | None = None  # a story id, or its first characters as the lines show them
    min_story_size: int | None = None  # the story's size when the article joined it

    def accepts(self, message: dict[str, Any]) -> bool:
        tags, dedupe = message.get("tags", {}), message.get("dedupe", {})
        return (
            (self.language is None or tags.get("language") == self.language)
            and (self.relation is None or dedupe.get("relation") == self.relation)
            and (self.outlet is None or message.get("outlet") == self.outlet)
            and (self.tag is None or _has_tag(tags, *self.tag))
            and (self.story is None or _in_story(message, self.story))
            and (self.min_story_size is None or story_size(message) >= self.min_story_size)
        )


def _in_story(message: dict[str, Any], wanted: str) -> bool:
    story_id = str((message.get("story") or {}).get("story_id") or "")
    return bool(story_id) and story_id.casefold().startswith(wanted.strip().casefold())


def story_size(message: dict[str, Any]) -> int:
    """The story's size once the article joined it; 1 for a record older than stories (an
    article alone)."""
    return int((message.get("story") or {}).get("size") or 1)


# What a user types -> where it is in `tags`. Structured tags match on any of these fields.
TAG_NAMES = {
    "place": "places",
    "entity": "entities",
    "person": "entities",
    "org": "entities",
    "topic": "topics",
    "keyword": "keywords",
}
_MATCHED_FIELDS = ("id", "country", "name")


def _has_tag(tags: dict[str, Any], name: str, value: str) -> bool:
    """`place=UA` (a country or city: its code, its country or its name), `entity=NATO`,
    `topic=sport`, `keyword=...`, `feed_tag=region:world`, or any plain tag (`language=ar`,
    `script=Arab`). Names and values ignore case."""
    name, wanted = TAG_NAMES.get(name.lower(), name.lower()), value.casefold()
    if name == "feed_tag":
        return wanted in (t.casefold() for t in tags.get("source", {}).get("feed_tags", []))
    found = tags.get(name)
    if not isinstance(found, list):
        return str(found).casefold() == wanted
    for item in found:
        fields = [item.get(f) for f in _MATCHED_FIELDS] if isinstance(item, dict) else [item]
        if any(isinstance(v, str) and v.casefold() == wanted for v in fields):
            return True
    return False


def parse_tag(text: str) -> tuple[str, str]:
    """'language=ar' -> ('language', 'ar'); ValueError without an '='."""
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise ValueError(f"{text!r}: write NAME=VALUE, e.g. language=ar")
    return name.strip(), value.strip()


_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def since_ms(text: str, now_s: float) -> int:
    """'15m', '2h', '1d' (ago) or an ISO 8601 time -> epoch milliseconds; ValueError else."""
    text = text.strip()
    if text[:-1].isdigit() and text[-1:] in _UNITS_S:
        return int((now_s - int(text[:-1]) * _UNITS_S[text[-1]]) * 1000)
    moment = parse_iso(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r}: give a time zone (Z or +hh:mm)")
    return int(moment.timestamp() * 1000)


def isolated_right_to_left(text: str) -> str:
    return f"{RLI}{text}{PDI}"


def _title(message: dict[str, Any]) -> str:
    title = " ".join(str(message.get("title", "")).split())
    if message.get("tags", {}).get("language") in RTL_LANGUAGES:
        return isolated_right_to_left(title)
    return title


def _tag_summary(tags: dict[str, Any]) -> str:
    """Up to 4 countries and 3 watch-list names: what a desk scans a line for."""
    countries = [p["id"] for p in tags.get("places", []) if p.get("kind") == "country"][:4]
    names = [e["name"] for e in tags.get("entities", [])][:3]
    parts = [" ".join(countries), ", ".join(names)]
    return " · ".join(part for part in parts if part)


def _counted(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _copy_of(dedupe: dict[str, Any]) -> str:
    where = "another outlet" if dedupe.get("cross_outlet") else "same outlet"
    return (
        f"{dedupe['relation']} of {str(dedupe['duplicate_of'])[:8]} "
        f"({where}, score {dedupe['score']:.2f})"
    )


def _joined(story: dict[str, Any]) -> str:
    """The story an article joined: its role, the story by the id its first line shows, and
    the story's size once it joined. A copy's score is the dedupe verdict's, shown beside."""
    score = "" if story["role"] == "copy" else f"score {story['score']:.2f}; "
    return (
        f"{story['role']} in story {str(story['story_id'])[:8]} ({score}"
        f"{_counted(story['size'], 'article')}, {_counted(story['outlets'], 'outlet')})"
    )


def format_line(message: dict[str, Any]) -> str:
    """An article that opened its story (or a record older than stories) on its own line;
    one that joined a story, or copies another article, indented under it: the story's id is
    its first article's, whose line ends with the same short id."""
    dedupe, tags = message["dedupe"], message["tags"]
    story = message.get("story") or {}
    clock = parse_iso(message["processed_at"]).strftime("%H:%M:%S")
    language = tags.get("language") or "??"
    summary = _tag_summary(tags)
    head = f"{clock} [{language}] {message['outlet']} · {_title(message)}"
    head += f"  [{summary}]" if summary else ""
    short_id = message["article_id"][:8]
    under = []
    if dedupe["relation"] != "original":
        under.append(_copy_of(dedupe))
    if story.get("role", "first") != "first":
        under.append(_joined(story))
    if not under:
        return f"{head}  ({short_id})"
    return f"    ↳ {' · '.join(under)}: {head}  ({short_id})"
