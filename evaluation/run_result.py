"""One run of `make bench` (the pipeline's processes on their own topics and Redis keys):
what was measured, and the figures reported of it. Plain data, read by the bench command and
its plots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class RunResult:
    name: str
    articles: int
    seconds: float  # release -> last record on the processed topic
    latencies_s: list[float]
    hops_s: dict[str, list[float]]  # hop -> seconds, one per record, in latencies_s's order
    processed_times: list[float]  # seconds after release, one per record
    stage_cpu_s: dict[str, float]  # per stage, all its processes
    stage_parts_s: dict[str, dict[str, float]]  # stage -> kafka / handle thread CPU
    rss_mb: dict[str, float]  # per process, "<stage>#<n>"
    broker_cpu_s: float | None
    redis_cpu_s: float
    redis_bytes: int
    mean_message_bytes: float
    # This process (the replay server's threads standing in for the outlets' sites, and the
    # reader of the output topic): what the benchmark itself takes of the two cores.
    harness_cpu_s: float = 0.0
    machine_busy_s: float = 0.0  # every process on the machine, all cores
    elapsed_s: float = 0.0  # release -> the reader's last poll

    def figures(self) -> dict[str, Any]:
        per = max(self.articles, 1)
        lat = sorted(self.latencies_s)
        cpu = self.stage_cpu_s
        return {
            "articles": self.articles,
            "seconds": round(self.seconds, 2),
            "articles_per_s": round(self.articles / self.seconds, 1) if self.seconds else None,
            "latency_ms": {f"p{q}": round(_quantile(lat, q) * 1000, 1) for q in (50, 95, 99)}
            if lat
            else {},
            **_hop_figures(self.latencies_s, self.hops_s),
            "stage_cpu_ms_per_article": {s: round(c / per * 1000, 2) for s, c in cpu.items()},
            "stage_articles_per_s_per_core": {
                s: round(per / c, 1) if c else None for s, c in cpu.items()
            },
            "worker_thread_cpu_ms_per_article": {
                s: {part: round(v / per * 1000, 3) for part, v in parts.items()}
                for s, parts in self.stage_parts_s.items()
            },
            "broker_cpu_ms_per_article": None
            if self.broker_cpu_s is None
            else round(self.broker_cpu_s / per * 1000, 2),
            "redis_cpu_ms_per_article": round(self.redis_cpu_s / per * 1000, 3),
            "redis_bytes_per_article": round(self.redis_bytes / per, 1),
            "rss_mb": self.rss_mb,
            "mean_processed_message_bytes": round(self.mean_message_bytes),
            "harness_cpu_ms_per_article": round(self.harness_cpu_s / per * 1000, 2),
            "machine_cores_busy": round(self.machine_busy_s / self.elapsed_s, 2)
            if self.elapsed_s
            else None,
        }


def _hop_figures(latencies: Sequence[float], hops: dict[str, list[float]]) -> dict[str, Any]:
    """Each hop's p50 and p99, and the mean of each hop over the slowest 1 % of records:
    where the tail waits (a stage's start-up, once, showed there as a second per record)."""
    if not latencies or not hops:
        return {}
    slowest = sorted(range(len(latencies)), key=latencies.__getitem__)[
        -max(1, len(latencies) // 100) :
    ]
    return {
        "latency_hops_ms": {
            hop: {f"p{q}": round(_quantile(sorted(values), q) * 1000, 1) for q in (50, 99)}
            for hop, values in hops.items()
        },
        "slowest_1pct_mean_hops_ms": {
            hop: round(sum(values[i] for i in slowest) / len(slowest) * 1000, 1)
            for hop, values in hops.items()
        },
    }


def _quantile(ordered: Sequence[float], percent: int) -> float:
    """The nearest-rank percentile of an ordered list."""
    return ordered[min(len(ordered) - 1, int(percent / 100 * len(ordered)))]
