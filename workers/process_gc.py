"""How a stage process runs CPython's garbage collector once it has started up."""

from __future__ import annotations

import gc

# A collection of the youngest generation once this many more container objects were made
# than freed (CPython's default: 700). A stage makes tens of thousands an input batch, nearly
# all freed with it; collected every 700, many are still alive and move to the older
# generations, to be walked again there. `make bench-dedupe`-style A/B, 24 slices of 500
# articles in turns in one process: about 3.5 % less CPU an article at 5,000 than at 700
# (20,000 gave no more); `extract_page`, 10 slices of 100 pages: 2 % more pages a second.
YOUNG_GENERATION_THRESHOLD = 5_000


def settle_after_start_up() -> None:
    """What start-up built (modules, tables, the stage) lives as long as the process: frozen,
    it is no longer walked by each full collection. Then the young generation's threshold."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
