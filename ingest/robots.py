"""robots.txt for article pages (RFC 9309), parsed by Protego.

Protego, not the standard library's urllib.robotparser: RFC 9309 (2.2.2) says the longest
matching rule wins ("Allow: /members/free/" inside "Disallow: /members/"), and
urllib.robotparser takes the first rule that matches instead; it knows no wildcards either.

What a robots.txt answer means (RFC 9309, 2.3.1): a 2xx body is the rules; 4xx means there
are none (allow everything); 5xx or an unreachable server means "assume complete
disallow" until it can be read. Rules are kept at most 24 hours (2.4); a failure is tried
again after ERROR_RETRY_S, so a site whose robots.txt briefly failed is not shut out for a
day. A disallowed page is not fetched: the extract stage uses the feed's own text instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from ingest.fetching import Fetch, FetchFailure, FetchResponse

RULES_TTL_S = 24 * 3600.0  # RFC 9309 2.4: SHOULD NOT use a cached copy for more than 24 h
ERROR_RETRY_S = 600.0
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least the first 500 KiB


@dataclass(frozen=True)
class RobotsRules:
    parser: Protego | None  # None: no rules (allow everything)
    disallow_all: bool
    expires_at: float

    def allows(self, user_agent: str, url: str) -> bool:
        if self.disallow_all:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, user_agent))


def rules_from(answer: FetchResponse | FetchFailure, now: float) -> RobotsRules:
    """The rules an answer to GET /robots.txt gives (pure)."""
    if isinstance(answer, FetchFailure):
        if answer.status is not None and 400 <= answer.status < 500:
            return RobotsRules(None, False, now + RULES_TTL_S)
        return RobotsRules(None, True, now + ERROR_RETRY_S)
    if 400 <= answer.status < 500:
        return RobotsRules(None, False, now + RULES_TTL_S)
    if not 200 <= answer.status < 300:
        return RobotsRules(None, True, now + ERROR_RETRY_S)
    text = answer.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    return RobotsRules(Protego.parse(text), False, now + RULES_TTL_S)


def robots_url(page_url: str) -> str:
    parts = urlsplit(page_url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


@dataclass
class RobotsPolicy:
    """Per-origin robots.txt rules of one process, fetched when first needed."""

    fetch: Fetch
    user_agent: str
    clock: Callable[[], float] = time.monotonic
    _rules: dict[str, RobotsRules] = field(default_factory=dict)

    def allows(self, page_url: str) -> bool:
        origin = robots_url(page_url)
        now = self.clock()
        rules = self._rules.get(origin)
        if rules is None or rules.expires_at <= now:
            rules = rules_from(self.fetch(origin), now)
            self._rules[origin] = rules
        return rules.allows(self.user_agent, page_url)
