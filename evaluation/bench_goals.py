"""`make bench`'s goals (issue: benchmarks) judged against one run's figures (pure): each
goal, the figure the run gives for it, and whether that meets it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypedDict


class Verdict(TypedDict):
    goal: str
    figure: float | None  # None: the run did not measure it
    met: bool | None


def _lowest(values: list[float]) -> float | None:
    return min(values) if values else None


def goal_verdicts(runs: Mapping[str, Any], ratios: Mapping[str, Any]) -> dict[str, Verdict]:
    """`runs` and `ratios` as Report.figures() gives them. The extract goal is judged on the
    lowest of a reference's ratios: against plain trafilatura measured beside each run, and
    against the one measured at the end (the whole pipeline and each extract-alone run)."""
    steady = next((r for name, r in runs.items() if name.startswith("steady")), None)
    latency = steady["latency_ms"] if steady else {}
    beside = list(ratios.get("extract_stage_vs_trafilatura_beside_run", {}).values())
    pipeline = ratios.get("extract_stage_vs_trafilatura_per_core")
    end = [pipeline] if pipeline is not None else []
    end += ratios.get("extract_stage_alone_vs_trafilatura_per_core", [])
    table: list[tuple[str, str, float | None, Callable[[float], bool]]] = [
        (
            "latency_p50_ms",
            "p50 <= 150 ms at the steady load",
            latency.get("p50"),
            lambda v: v <= 150,
        ),
        (
            "latency_p99_ms",
            "p99 <= 1 s at the steady load",
            latency.get("p99"),
            lambda v: v <= 1000,
        ),
        (
            "extract_vs_trafilatura_beside_run",
            "extract stage >= 0.9x plain trafilatura per core (lowest, reference beside each run)",
            _lowest(beside),
            lambda v: v >= 0.9,
        ),
        (
            "extract_vs_trafilatura_at_end",
            "extract stage >= 0.9x plain trafilatura per core (lowest, reference at the end)",
            _lowest(end),
            lambda v: v >= 0.9,
        ),
        (
            "dedupe_vs_datasketch",
            "dedupe stage >= 20x datasketch per core",
            ratios.get("dedupe_stage_vs_datasketch_per_core"),
            lambda v: v >= 20,
        ),
        (
            "extract_scaling_2_vs_1",
            "extract scaling >= 1.8x with 2 processes",
            ratios.get("extract_scaling_2_vs_1"),
            lambda v: v >= 1.8,
        ),
    ]
    return {
        key: {"goal": goal, "figure": figure, "met": None if figure is None else meets(figure)}
        for key, goal, figure, meets in table
    }


def goal_lines(verdicts: Mapping[str, Verdict]) -> list[str]:
    """One line a goal, for the terminal."""
    words = {True: "met", False: "NOT met", None: "not measured"}
    return [
        f"goal: {v['goal']}: {'-' if v['figure'] is None else v['figure']} — {words[v['met']]}"
        for v in verdicts.values()
    ]
