"""A feed state kept in memory (pure): the poller's state for one process that remembers
nothing across restarts, as simulations (evaluation/poll_simulation.py) and unit tests run it.
adapters/feed_state.py keeps the same in Redis."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.feed_health import FeedHealth, Unseen, Validators
from ingest.pace import FeedPace


@dataclass
class InMemoryFeedState:
    saved: dict[str, Validators] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)
    health: dict[str, FeedHealth] = field(default_factory=dict)
    paces: dict[str, FeedPace] = field(default_factory=dict)

    def remembered(self, feed_url: str) -> tuple[Validators, FeedPace]:
        return self.saved.get(feed_url, Validators()), self.pace(feed_url)

    def save_validators(self, feed_url: str, validators: Validators) -> None:
        self.saved[feed_url] = validators

    def unseen(self, fingerprints: dict[str, str]) -> Unseen:
        return Unseen(
            new=frozenset(i for i in fingerprints if i not in self.seen),
            changed=frozenset(
                i for i, fp in fingerprints.items() if i in self.seen and self.seen[i] != fp
            ),
        )

    def pace(self, feed_url: str) -> FeedPace:
        return self.paces.get(feed_url, FeedPace())

    def save_pace(self, feed_url: str, pace: FeedPace) -> None:
        self.paces[feed_url] = pace

    def mark_seen(self, fingerprints: dict[str, str]) -> None:
        self.seen.update(fingerprints)

    def record_health(self, feed_url: str, health: FeedHealth) -> None:
        self.health[feed_url] = health
