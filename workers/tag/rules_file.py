"""The operator's tag rules (TOML): a watch list of people and organisations, and topics.

    [[watch]]
    name = "Vladimir Putin"          # the canonical name on the output
    kind = "person"                  # free text: person, organization, ...
    aliases = ["Putin", "بوتين", "Путин", "Poutine"]

    [[topic]]
    id = "ukraine-war"
    any = { en = ["war in Ukraine"], ar = ["الحرب في أوكرانيا"], "*" = ["Donbas"] }
    all = { en = ["Ukraine"] }       # optional: every phrase must be there
    none = { en = ["football"] }     # optional: no phrase may be there
    places = ["UA"]                  # optional: one of these countries must be tagged
    min_hits = 1                     # optional: distinct `any` phrases needed

    [[mask]]
    kind = "club"                    # club, organisation or word ("Dutch oven")
    phrases = ["Real Madrid", "ريال مدريد"]   # the place names inside them are no places

Phrases under a language code apply to articles in that language; "*" to every article.
Topic phrases ignore case; watch-list aliases keep it (an alias "May" must not match "may").
The file is re-read when it changes (RulesFile); a broken edit is reported, every problem
at once, and the last good rules stay in force.
"""

from __future__ import annotations

import logging
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers.errors import ConfigFileError

log = logging.getLogger(__name__)

RELOAD_CHECK_S = 2.0


class RulesFileError(ConfigFileError):
    """Every problem found in a tag rules file, reported at once."""


@dataclass(frozen=True)
class WatchEntry:
    name: str
    kind: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    id: str
    any: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    all: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    none: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    places: frozenset[str] = frozenset()
    min_hits: int = 1

    def phrases(self) -> set[str]:
        return {p for rule in (self.any, self.all, self.none) for ps in rule.values() for p in ps}


MASK_KINDS = ("club", "organisation", "word")


@dataclass(frozen=True)
class Mask:
    """Names of clubs and organisations, and words, that hold a place's name without
    designating the place ("Real Madrid", "Dutch oven"): the place names inside them are
    not tagged."""

    kind: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class TagRules:
    watch: tuple[WatchEntry, ...] = ()
    topics: tuple[Topic, ...] = ()
    masks: tuple[Mask, ...] = ()


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    return None


def _watch_entry(raw: Any, where: str, problems: list[str]) -> WatchEntry | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: not a table")
        return None
    name, kind = raw.get("name"), raw.get("kind", "person")
    aliases = _strings(raw.get("aliases", []))
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: name is missing")
    if not isinstance(kind, str) or not kind.strip():
        problems.append(f"{where}: kind must be a word such as person or organization")
    if aliases is None:
        problems.append(f"{where}: aliases must be a list of non-empty strings")
    if unknown := set(raw) - {"name", "kind", "aliases"}:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    if not isinstance(name, str) or not name.strip() or aliases is None:
        return None
    return WatchEntry(name.strip(), str(kind).strip(), (name.strip(), *aliases))


def _phrase_table(raw: Any, where: str, problems: list[str]) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table of language -> list of phrases")
        return {}
    table = {}
    for language, phrases in raw.items():
        if (strings := _strings(phrases)) is None:
            problems.append(f"{where}.{language}: must be a list of non-empty strings")
        else:
            table[language] = strings
    return table


def _topic(raw: Any, where: str, problems: list[str]) -> Topic | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: not a table")
        return None
    topic_id = raw.get("id")
    if not isinstance(topic_id, str) or not topic_id.strip():
        problems.append(f"{where}: id is missing")
    where = f"topic {topic_id!r}" if isinstance(topic_id, str) else where
    tables = {
        key: _phrase_table(raw.get(key), f"{where}.{key}", problems)
        for key in ("any", "all", "none")
    }
    places = _strings(raw.get("places", []))
    min_hits = raw.get("min_hits", 1)
    if places is None:
        problems.append(f"{where}.places: must be a list of ISO country codes")
    if not isinstance(min_hits, int) or isinstance(min_hits, bool) or min_hits < 1:
        problems.append(f"{where}.min_hits: must be a whole number >= 1")
    if not tables["any"] and not tables["all"]:
        problems.append(f"{where}: needs phrases in `any` or `all`")
    if unknown := set(raw) - {"id", "any", "all", "none", "places", "min_hits"}:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    if not isinstance(topic_id, str) or not topic_id.strip() or places is None:
        return None
    return Topic(
        id=topic_id.strip(),
        any=tables["any"],
        all=tables["all"],
        none=tables["none"],
        places=frozenset(p.upper() for p in places),
        min_hits=min_hits if isinstance(min_hits, int) else 1,
    )


def _mask(raw: Any, where: str, problems: list[str]) -> Mask | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: not a table")
        return None
    kind, phrases = raw.get("kind"), _strings(raw.get("phrases"))
    if kind not in MASK_KINDS:
        problems.append(f"{where}.kind: one of {', '.join(MASK_KINDS)}")
    if not phrases:
        problems.append(f"{where}.phrases: must be a non-empty list of non-empty strings")
    if unknown := set(raw) - {"kind", "phrases"}:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    if kind not in MASK_KINDS or not phrases:
        return None
    return Mask(str(kind), phrases)


def parse_rules(data: Mapping[str, Any], path: Path | str = "<rules>") -> TagRules:
    problems: list[str] = []
    if unknown := set(data) - {"watch", "topic", "mask"}:
        problems.append(
            f"unknown top-level keys {sorted(unknown)} (expected [[watch]], [[topic]], [[mask]])"
        )
    watch = [
        _watch_entry(raw, f"watch #{i + 1}", problems)
        for i, raw in enumerate(data.get("watch", []))
    ]
    topics = [
        _topic(raw, f"topic #{i + 1}", problems) for i, raw in enumerate(data.get("topic", []))
    ]
    masks = [_mask(raw, f"mask #{i + 1}", problems) for i, raw in enumerate(data.get("mask", []))]
    ids = [t.id for t in topics if t]
    if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"topic ids used twice: {duplicates}")
    if problems:
        raise RulesFileError(path, problems)
    return TagRules(
        tuple(w for w in watch if w), tuple(t for t in topics if t), tuple(m for m in masks if m)
    )


def load_rules(path: Path) -> TagRules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesFileError(path, [str(exc)]) from exc
    return parse_rules(data, path)


@dataclass
class RulesFile:
    """The rules of a file, re-read when its modification time changes (checked at most
    every RELOAD_CHECK_S): operators edit topics without restarting the tag stage."""

    path: Path | None
    rules: TagRules = field(default_factory=TagRules)
    version: int = 0  # bumped on every successful load; callers rebuild their matchers
    _mtime_ns: int | None = None
    _checked_at: float = float("-inf")

    def __post_init__(self) -> None:
        if self.path is not None:  # a broken file at start is fatal: raise to the caller
            self.rules = load_rules(self.path)
            self._mtime_ns = self.path.stat().st_mtime_ns
            self.version = 1

    def current(self, now: float | None = None) -> TagRules:
        now = time.monotonic() if now is None else now
        if self.path is None or now - self._checked_at < RELOAD_CHECK_S:
            return self.rules
        self._checked_at = now
        try:
            mtime_ns = self.path.stat().st_mtime_ns
            if mtime_ns != self._mtime_ns:
                self._mtime_ns = mtime_ns
                self.rules = load_rules(self.path)
                self.version += 1
                log.info("tag rules reloaded from %s (version %d)", self.path, self.version)
        except (OSError, RulesFileError) as exc:
            log.error("tag rules not reloaded, the previous ones stay in force: %s", exc)
        return self.rules
