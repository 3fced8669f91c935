"""What a process has used so far, read from outside it (psutil), for the benchmarks that
measure a server's or a stage's cost."""

from __future__ import annotations

import psutil


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU of all its threads; 0 for None: a server given to the benchmark, not
    started by it, is not ours to read."""
    if pid is None:
        return 0.0
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def resident_mb(pid: int) -> float:
    return round(float(psutil.Process(pid).memory_info().rss) / 2**20, 1)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent on anything but idling, all cores together:
    over a run, divided by its length, how many of the cores were busy."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))
