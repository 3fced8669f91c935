"""PNG plots of `make bench`: latency histogram and CDF, throughput over time, and CPU per
article of each stage. matplotlib with the Agg backend: no display needed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

from evaluation.run_result import RunResult

matplotlib.use("Agg")
import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _latency(runs: Mapping[str, RunResult], out: Path) -> Path:
    figure, (histogram, cdf) = plt.subplots(1, 2, figsize=(11, 4))
    for name, run in runs.items():
        if not name.startswith("steady") or not run.latencies_s:
            continue
        ms = sorted(t * 1000 for t in run.latencies_s)
        histogram.hist(ms, bins=50, alpha=0.7, label=name)
        cdf.plot(ms, [(i + 1) / len(ms) for i in range(len(ms))], label=name)
    histogram.set(
        title="End-to-end latency", xlabel="ms (entry seen -> processed)", ylabel="articles"
    )
    cdf.set(title="Latency CDF", xlabel="ms", ylabel="share of articles", ylim=(0, 1.01))
    for axes in (histogram, cdf):
        axes.legend(fontsize="small")
    return _save(figure, out / "latency.png")


def _throughput(runs: Mapping[str, RunResult], out: Path) -> Path:
    figure, axes = plt.subplots(figsize=(8, 4))
    for name, run in runs.items():
        per_second = Counter(int(t) for t in run.processed_times)
        if per_second:
            seconds = range(max(per_second) + 1)
            axes.plot(list(seconds), [per_second.get(s, 0) for s in seconds], label=name)
    axes.set(
        title="Throughput over time",
        xlabel="seconds after release",
        ylabel="articles processed per second",
    )
    axes.legend(fontsize="small")
    return _save(figure, out / "throughput.png")


def _stage_cpu(runs: Mapping[str, RunResult], out: Path) -> Path:
    figure, axes = plt.subplots(figsize=(8, 4))
    names = [n for n in runs if n.startswith("saturation")]
    stages = sorted({s for n in names for s in runs[n].stage_cpu_s})
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        run = runs[name]
        values = [run.stage_cpu_s.get(s, 0.0) / max(run.articles, 1) * 1000 for s in stages]
        axes.bar([x + i * width for x in range(len(stages))], values, width, label=name)
    axes.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(stages))], stages)
    axes.set(title="CPU per article, by stage", ylabel="CPU ms per article")
    axes.legend(fontsize="small")
    return _save(figure, out / "stage-cpu.png")


def write_plots(runs: Mapping[str, RunResult], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [_latency(runs, out), _throughput(runs, out), _stage_cpu(runs, out)]
