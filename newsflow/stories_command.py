"""`newsflow stories`: the live stories, biggest first, from the story index in Redis (the
lines and the JSON are made by pure functions; `gather_stories` reads the index)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from adapters.redis_client import connect_redis, ping_redis
from adapters.story_index import RedisStoryIndex
from newsflow.settings import Settings
from newsflow.watch import isolated_right_to_left
from schemas.timestamps import iso_utc
from workers.story.state import StoryState
from workers.tag.script import script_of

DEFAULT_LIMIT = 20
DEFAULT_MIN_SIZE = 2  # most stories are one article that nothing joined
OUTLETS_NAMED = 6  # on a story's second line; the count says how many in all
PLACES_SHOWN = 4
TITLE_CHARS = 90


def shown_stories(stories: Sequence[StoryState], min_size: int, limit: int) -> list[StoryState]:
    """The biggest stories of at least `min_size` articles; ties: the latest grown first."""
    wanted = [s for s in stories if s.size >= min_size]
    return sorted(wanted, key=lambda s: (-s.size, -s.last_growth))[: max(limit, 0)]


def _when(epoch_s: float) -> str:
    """Short UTC: a story lives for days (story_window_s), so the day is part of it."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%m-%d %H:%M")


def _isolated(text: str) -> str:
    """Right-to-left text isolated as watch.py does; the index keeps no language, so the
    text's own letters tell its direction."""
    _, direction = script_of(text)
    return isolated_right_to_left(text) if direction == "rtl" else text


def _title(text: str) -> str:
    title = " ".join(text.split())
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    return _isolated(title)


def _places(story: StoryState) -> list[str]:
    """What most of its members name, the most named first."""
    common = story.majority(story.places)
    return sorted(common, key=lambda p: (-story.places[p], p))[:PLACES_SHOWN]


def _outlet_names(outlets: Sequence[str]) -> str:
    named = ", ".join(_isolated(name) for name in outlets[:OUTLETS_NAMED])
    more = len(outlets) - OUTLETS_NAMED
    return f"{named} and {more} more" if more > 0 else named


HEADER = f"{'size':>5} {'outlets':>7}  {'first (UTC)':<11}  {'last growth':<11}  title"
INDENT = " " * 15  # under the times: the second line of a story


def story_lines(stories: Sequence[StoryState], *, min_size: int, limit: int) -> list[str]:
    """Two lines a story: its size, outlets, span and first article's title; under them its
    id (its first article's id: `newsflow explain` and `newsflow watch --story` take it) and
    its outlets' names."""
    shown = shown_stories(stories, min_size, limit)
    eligible = sum(1 for s in stories if s.size >= min_size)
    size_words = f"{min_size} articles or more"
    if not shown:
        return [f"no live story of {size_words} ({len(stories)} live in all)"]
    lines = [
        f"{len(shown)} of {eligible} live stories of {size_words} ({len(stories)} live in all),"
        " biggest first",
        HEADER,
    ]
    for story in shown:
        places = _places(story)
        lines.append(
            f"{story.size:>5} {story.outlet_count:>7}  {_when(story.first_seen)}  "
            f"{_when(story.last_growth)}  {_title(story.title)}"
            + (f"  [{' '.join(places)}]" if places else "")
        )
        lines.append(f"{INDENT}{story.story_id} · {_outlet_names(story.outlets)}")
    return lines


def story_json(story: StoryState) -> dict[str, object]:
    """A story for `--json` (one object a line): what the lines show, whole."""
    return {
        "story_id": story.story_id,
        "size": story.size,
        "outlet_count": story.outlet_count,
        "outlets": list(story.outlets),
        "first_seen": iso_utc(datetime.fromtimestamp(story.first_seen, UTC)),
        "last_growth": iso_utc(datetime.fromtimestamp(story.last_growth, UTC)),
        "title": story.title,
        "places": _counts(story.places),
        "numbers": _counts(story.numbers),
    }


def _counts(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def gather_stories(settings: Settings) -> list[StoryState]:
    """Every story in the index's window: it is scanned whole whatever is shown, so the
    header can say how many are live."""
    ping_redis(settings.redis())  # unreachable: a TransientError the command explains
    client = connect_redis(settings.redis())
    try:
        index = RedisStoryIndex(
            client,
            settings.redis_key_prefix,
            window_s=settings.story_window_s,
            bucket_bits=settings.story_bucket_bits,
        )
        return index.live_stories(limit=sys.maxsize)
    finally:
        client.close()
