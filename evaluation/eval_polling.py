"""`make eval-polling DATA=<dir>`: entries lost between polls, and those a reported gap
accounts for, by the poller as it is and as it was before it watched for gaps (no gap
rule, no older pages, an interval following new entries only), in simulated time
(evaluation/poll_simulation.py: the real Poller, its parsing and its schedule).

Timelines: synthetic bursts (a wire agency's 60 entries within 10 s after a quiet spell)
through a window of 20, with and without RFC 5005 paging; a steady feed; and each ANT
outlet's busiest week at its real publication times, through windows of 10 and 20. The
rules were written to the issue's burst case; the ANT timelines were not looked at first.
Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluation.ant_corpus import CITATION, published, read_corpus
from evaluation.poll_simulation import Outcome, bursts, simulate, steady
from evaluation.results import write_results

WEEK_S = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Timeline:
    name: str
    published: list[float]
    window: int
    paged: bool = False


def synthetic(count: int) -> list[Timeline]:
    burst = bursts(count=count, size=60, within_s=10, quiet_s=(1200, 7200), seed=1)
    return [
        Timeline("bursts of 60 in 10 s, no paging", burst, 20),
        Timeline("bursts of 60 in 10 s, RFC 5005 pages", burst, 20, paged=True),
        Timeline("steady, one in 10 min", steady(count=count * 15 // 2, every_s=600, seed=2), 20),
    ]


def busiest_week(times: Sequence[float]) -> list[float]:
    """The seven days (from an entry's time) holding the most entries."""
    ordered = sorted(times)
    best, start, end = (0, 0), 0, 0
    for start, first in enumerate(ordered):
        while end < len(ordered) and ordered[end] < first + WEEK_S:
            end += 1
        best = max(best, (end - start, start))
    count, at = best
    return ordered[at : at + count]


def ant_timelines(data_dir: Path, windows: Sequence[int]) -> list[Timeline]:
    by_outlet: dict[str, list[float]] = defaultdict(list)
    for article in read_corpus(data_dir):
        if (when := published(article)) is not None:
            by_outlet[article.source].append(when.timestamp())
    return [
        Timeline(f"ANT {outlet}, busiest week, window {window}", busiest_week(times), window)
        for outlet, times in sorted(by_outlet.items())
        for window in windows
    ]


def row(name: str, rule: str, outcome: Outcome) -> str:
    accounted = f"{outcome.lost_in_gaps}/{outcome.lost}" if outcome.lost else "-"
    return (
        f"{name[:44]:<44} {rule:<8} {outcome.entries:>7} {outcome.lost:>6} "
        f"{outcome.lost_share:>6.1%} {accounted:>11} {outcome.gaps:>5} {outcome.polls:>6} "
        f"{outcome.pages:>6}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, nargs="?", help="shared data folder (ANT)")
    parser.add_argument("--windows", default="10,20", help="feed windows for the ANT outlets")
    parser.add_argument("--bursts", type=int, default=40, help="bursts in the synthetic timeline")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args(argv)
    timelines = synthetic(args.bursts)
    if args.data_dir is not None:
        windows = [int(w) for w in args.windows.split(",")]
        timelines += ant_timelines(args.data_dir, windows)
    print(
        f"{'timeline':<44} {'rule':<8} {'entries':>7} {'lost':>6} {'share':>6} "
        f"{'in gaps':>11} {'gaps':>5} {'polls':>6} {'pages':>6}"
    )
    results = []
    for timeline in timelines:
        for rule, watch in (("before", False), ("now", True)):
            outcome = simulate(
                timeline.published, timeline.window, watch_gaps=watch, paged=timeline.paged
            )
            print(row(timeline.name, rule, outcome), flush=True)
            results.append({"timeline": timeline.name, "rule": rule, **outcome.__dict__})
    print(
        "\nlost: entries never sent; in gaps: lost entries whose date a reported gap covers;"
        " polls: fetches of the feed itself; pages: older pages read to close gaps."
        " Bounds as the settings' defaults: first interval 300 s, 60 s to 6 h."
    )
    if args.data_dir is not None:
        print(f"Publication times from the {CITATION}.")
    if args.out:
        write_results(args.out, {"eval-polling": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
