"""How the consumers of the pipeline's output are doing (pure), judged as Burrow judges
them: over a sliding window of samples of each group's committed offsets and the topics'
ends, never from one sample alone.

States, first match wins:
- `gone`: the group has no members;
- `stopped`: records wait (lag > 0) and no committed offset moved for `stopped_after_s`
  (counted from the last move, or the last sample when it was caught up);
- `stalled`: records wait and no committed offset moved over the whole window;
- `lagging`: offsets moved in the window, but the lag grew over it (it is falling behind);
- `ok`: otherwise (caught up, or catching up).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

ConsumerState = Literal["ok", "lagging", "stalled", "stopped", "gone"]
STATES: tuple[ConsumerState, ...] = ("ok", "lagging", "stalled", "stopped", "gone")
SIGNATURE_HEADER = "X-Newsflow-Signature"


@dataclass(frozen=True)
class PartitionSample:
    committed: int | None  # None: the group never committed on it
    end: int
    oldest_waiting_ms: int | None = None  # timestamp of the first record not committed

    @property
    def lag(self) -> int:
        return max(0, self.end - (self.committed or 0))


@dataclass(frozen=True)
class GroupSample:
    """One look at a group: when, its members, and each partition it reads (topic, number)."""

    at: float  # seconds since the epoch
    members: int
    partitions: Mapping[tuple[str, int], PartitionSample]

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions.values())

    def lag_seconds(self) -> float:
        """The age of the oldest record not committed, 0 when nothing waits."""
        oldest = [
            p.oldest_waiting_ms
            for p in self.partitions.values()
            if p.lag and p.oldest_waiting_ms is not None
        ]
        return max(0.0, self.at - min(oldest) / 1000) if oldest else 0.0

    def committed(self) -> dict[tuple[str, int], int | None]:
        return {tp: p.committed for tp, p in self.partitions.items()}


@dataclass
class GroupHistory:
    """A group's samples in the window, and since when its committed offsets stand still."""

    window: int
    samples: list[GroupSample] = field(default_factory=list)
    still_since: float | None = None  # first sample with the offsets it has now

    def add(self, sample: GroupSample) -> None:
        """A caught-up group waits for nothing: standing still only counts while records
        wait (an idle consumer is not stopped the moment one record comes)."""
        last = self.samples[-1] if self.samples else None
        if last is None or last.committed() != sample.committed() or sample.lag == 0:
            self.still_since = sample.at
        self.samples = [*self.samples, sample][-self.window :]


def judge(history: GroupHistory, stopped_after_s: float) -> ConsumerState:
    if not history.samples:
        return "ok"
    last = history.samples[-1]
    if last.members == 0:
        return "gone"
    first = history.samples[0]
    still = history.still_since if history.still_since is not None else last.at
    if last.lag > 0 and last.at - still >= stopped_after_s:
        return "stopped"
    full = len(history.samples) == history.window
    if last.lag > 0 and full and still <= first.at:
        return "stalled"
    lags = [s.lag for s in history.samples]
    growing = all(b >= a for a, b in itertools.pairwise(lags)) and lags[-1] > lags[0]
    moving = last.committed() != first.committed()
    if full and growing and moving:
        return "lagging"
    return "ok"


@dataclass(frozen=True)
class StateChange:
    group: str
    state: ConsumerState
    previous: ConsumerState | None
    at: float
    lag: int
    lag_seconds: float

    def body(self) -> bytes:
        """The webhook's JSON body."""
        return json.dumps(
            {
                "group": self.group,
                "state": self.state,
                "previous": self.previous,
                "at": self.at,
                "lag": self.lag,
                "lag_seconds": round(self.lag_seconds, 3),
            },
            sort_keys=True,
        ).encode()


def signature(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the body with the shared secret, as the header carries it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class ConsumerWatch:
    """Every watched group's history and last state; `observe` returns the changes."""

    window: int
    stopped_after_s: float
    histories: dict[str, GroupHistory] = field(default_factory=dict)
    states: dict[str, ConsumerState] = field(default_factory=dict)

    def observe(self, samples: Mapping[str, GroupSample]) -> list[StateChange]:
        """The changes of state this round; a group no longer found (deleted) is forgotten."""
        for gone in set(self.histories) - set(samples):
            del self.histories[gone]
            self.states.pop(gone, None)
        changes = []
        for group, sample in samples.items():
            history = self.histories.setdefault(group, GroupHistory(self.window))
            history.add(sample)
            state = judge(history, self.stopped_after_s)
            previous = self.states.get(group)
            if state != previous:
                changes.append(
                    StateChange(group, state, previous, sample.at, sample.lag, sample.lag_seconds())
                )
                self.states[group] = state
        return changes

    def rows(self) -> Sequence[tuple[str, ConsumerState, GroupSample]]:
        return [
            (group, self.states.get(group, "ok"), history.samples[-1])
            for group, history in sorted(self.histories.items())
            if history.samples
        ]
