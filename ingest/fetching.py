"""What a fetch of a feed or a page gives the stages: a response or a failure (pure).

adapters/http_fetch.py and adapters/page_fetches.py make these; the poller, the extract stage
and robots.txt decide with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from workers.errors import Interrupted

FailureKind = Literal[
    "refused", "timeout", "too_large", "too_many_redirects", "network", "http_status", "aborted"
]
# FetchFailure.kind of a fetch cut short by a stop: not the server's doing.
ABORTED: FailureKind = "aborted"


@dataclass(frozen=True)
class FetchResponse:
    status: int
    url: str  # final URL after redirects
    headers: Mapping[str, str]
    body: bytes
    permanent_redirect: str | None = None  # where a 301/308 chain led, for feeds to follow


@dataclass(frozen=True)
class FetchFailure:
    url: str
    reason: str
    kind: FailureKind
    status: int | None = None


Fetched = FetchResponse | FetchFailure
Fetch = Callable[[str], Fetched]  # a URL's fetch, one at a time


def raise_if_aborted(fetched: Fetched) -> Fetched:
    """The fetch's outcome, or Interrupted when a stop cut it short: a feed or page that
    was not read because the process stops must not count as the server's failure (a feed
    error, an article made of the feed's text, a robots.txt taken as "disallow all")."""
    if isinstance(fetched, FetchFailure) and fetched.kind == ABORTED:
        raise Interrupted(f"fetch of {fetched.url} stopped: {fetched.reason}")
    return fetched
