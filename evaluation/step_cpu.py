"""CPU time of the named steps of a stage, for the benchmarks' --profile: each step (a
function, looked up where the stage calls it) is wrapped with a process-CPU timer while the
stage runs. cProfile, used before, inflated every call and could not see the compiled code
inside its callers; these timers cost a fraction of a microsecond a call. Times are
inclusive: a step that calls another timed step counts its time too."""

from __future__ import annotations

import functools
import inspect
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


@contextmanager
def step_cpu(steps: Sequence[tuple[object, str]]) -> Iterator[Counter[str]]:
    """`steps`: (module or class, attribute name) pairs; yields name -> CPU nanoseconds."""
    spent: Counter[str] = Counter()
    saved = [(owner, name, inspect.getattr_static(owner, name)) for owner, name in steps]
    for owner, name, _raw in saved:
        setattr(owner, name, _timed(getattr(owner, name), name, spent))
    try:
        yield spent
    finally:
        for owner, name, raw in saved:
            setattr(owner, name, raw)


def _timed(call: Callable[..., Any], name: str, spent: Counter[str]) -> Callable[..., Any]:
    @functools.wraps(call)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time_ns()
        try:
            return call(*args, **kwargs)
        finally:
            spent[name] += time.process_time_ns() - started

    return timed


def per_article_us(spent: Counter[str], articles: int) -> dict[str, float]:
    """µs per article of each step, largest first."""
    return {name: round(ns / articles / 1e3, 1) for name, ns in spent.most_common()}
