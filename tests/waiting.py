"""Waiting in end-to-end tests: poll a condition, fail with what was awaited."""

from __future__ import annotations

import time
from collections.abc import Callable


def holds_within(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Whether the predicate came true before the timeout: for a test that reports what it
    saw after the wait, whichever way the wait ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    if not holds_within(predicate, timeout_s):
        raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
