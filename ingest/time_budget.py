"""A CPU-time budget for one piece of work (extracting one page): a pathological page must
become a per-article error, not stall the stage; and a stop must not wait for the budget.

SIGALRM (setitimer) interrupts Python code between bytecodes, which is where trafilatura
spends its time on pathological pages. It works in a process's main thread only, which is
where every stage runs; elsewhere (a test thread) the work runs without a budget.

With a stop event the alarm also comes every CHECK_S and raises Interrupted once the event
is set: the supervisor kills a stage that has not stopped within its grace period, which a
page's budget may exceed, and an extraction stopped at its budget would end as an article
made of the feed's text, which a run that was not stopped would not send.

trafilatura catches Exception around whole phases of its work (readability, justext) and
goes on: what the alarm raises is raised again every CHECK_S until it gets out.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from workers.errors import Interrupted

# How long a stop may wait for the work to notice it; how soon a swallowed raise comes again.
CHECK_S = 0.1


class OverBudget(Exception):
    """The work took longer than its budget."""


def cut_short(left_s: float, stopping: bool, seconds: float) -> Exception | None:
    """What an alarm raises: Interrupted on a stop, OverBudget once the budget is spent
    (a stop first: the work is handed back, not counted as the page's failure)."""
    if stopping:
        return Interrupted("stopped during the work")
    if left_s <= 0:
        return OverBudget(f"over its {seconds:g} s budget")
    return None


def next_alarm_s(left_s: float, watching_stop: bool) -> float:
    """When the alarm must come next: at the budget's end, and at least every CHECK_S while
    a stop is watched. Never 0, which would disarm the timer instead."""
    wanted = min(left_s, CHECK_S) if watching_stop else left_s
    return max(wanted, 1e-6)


@contextmanager
def time_budget(seconds: float, stop: threading.Event | None = None) -> Iterator[None]:
    """`seconds` <= 0: no budget (a stop is still watched)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if seconds <= 0 and stop is None:
        yield
        return
    if stop is not None and stop.is_set():
        raise Interrupted("stopped before the work began")
    deadline = time.monotonic() + seconds if seconds > 0 else math.inf
    active = True  # False once the work is over: a late alarm then neither raises nor re-arms

    def on_alarm(_signum: int, _frame: FrameType | None) -> None:
        if not active:
            return
        left_s = deadline - time.monotonic()
        raised = cut_short(left_s, stop is not None and stop.is_set(), seconds)
        if raised is not None:
            signal.setitimer(signal.ITIMER_REAL, CHECK_S)  # again, should it be swallowed
            raise raised
        signal.setitimer(signal.ITIMER_REAL, next_alarm_s(left_s, stop is not None))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        left_s = deadline - time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, next_alarm_s(left_s, stop is not None))
        yield
    finally:
        # In this order: an alarm handled once `active` is cleared re-arms nothing, so none
        # is left to reach the previous handler (the default one ends the process); one that
        # came just before re-armed the timer and raised, so it is disarmed once more.
        try:
            active = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
