"""Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
And Jitter", 2015): spreads retries of many workers instead of having them retry in step."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


def backoff_delay_s(attempt: int, base_s: float, cap_s: float, jitter: float) -> float:
    """Delay before retry number `attempt` (0-based); `jitter` in [0, 1) picks within the window."""
    window = min(cap_s, base_s * 2.0 ** min(attempt, 30))
    return window * (0.5 + 0.5 * jitter)


@dataclass
class Backoff:
    base_s: float = 0.5
    cap_s: float = 30.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay_s(self) -> float:
        delay = backoff_delay_s(self.attempt, self.base_s, self.cap_s, self.rng.random())
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0
