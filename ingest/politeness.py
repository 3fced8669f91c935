"""How hard we may hit one host (pure): at most N requests in flight per host, and a pause
between two requests to the same host. Feeds of different hosts never wait for each other."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@dataclass
class HostLimiter:
    max_in_flight: int = 1
    delay_s: float = 0.5
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    last_start: dict[str, float] = field(default_factory=dict)

    def may_start(self, host: str, now: float) -> bool:
        if self.in_flight[host] >= self.max_in_flight:
            return False
        return now - self.last_start.get(host, float("-inf")) >= self.delay_s

    def started(self, host: str, now: float) -> None:
        self.in_flight[host] += 1
        self.last_start[host] = now

    def finished(self, host: str) -> None:
        self.in_flight[host] = max(0, self.in_flight[host] - 1)
