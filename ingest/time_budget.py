"""A CPU-time budget for one piece of work (extracting one page): a pathological page must
become a per-article error, not stall the stage.

SIGALRM (setitimer) interrupts Python code between bytecodes, which is where trafilatura
spends its time on pathological pages. It works in a process's main thread only, which is
where every stage runs; elsewhere (a test thread) the work runs without a budget.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class OverBudget(Exception):
    """The work took longer than its budget."""


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(_signum: int, _frame: FrameType | None) -> None:
        raise OverBudget(f"over its {seconds:g} s budget")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
