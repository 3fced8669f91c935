"""How a stage process runs CPython's garbage collector once it has started up."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable

# A collection of the youngest generation once this many more container objects were made
# than freed (CPython's default: 700). A stage makes tens of thousands an input batch, nearly
# all freed with it; collected every 700, many are still alive and move to the older
# generations, to be walked again there. At 5,000 the dedupe stage spends a few percent less
# CPU an article (measured A/B in turns; more than 5,000 gave no more), and extraction is
# not slowed.
YOUNG_GENERATION_THRESHOLD = 5_000


def freeze_start_up_and_tune_gc() -> None:
    """What start-up built (modules, tables, the stage) lives as long as the process: frozen,
    it is no longer walked by each full collection. Then the young generation's threshold."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


@functools.cache
def _libc_malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    return trim if callable(trim) else None  # glibc has it; musl and macOS do not


def give_back_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim). After a large
    page, lxml's freed tree stays in the process's heap, fragmented, and the stage's resident
    memory would stay at the peak of the largest page it ever met."""
    trim = _libc_malloc_trim()
    if trim is not None:
        trim(0)
