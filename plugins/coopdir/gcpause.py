"""Keep Python's cycle collector off the directory while it is built, and away from it after.

A build of 10,000 co-ops makes millions of small objects (co-ops, openings, dates, page plans)
that live until the process ends. The collector's full passes walk every live object, again and
again as the heap grows: measured at 10,000 co-ops, loading and planning took two to three times
longer with it on. Those objects hold no garbage cycles worth finding, so the collector is paused
while they are made, and they are then frozen (``gc.freeze``): later passes, while the pages are
rendered, skip them. Only the build's own process does this; a library call (a test, the check
command) leaves the collector alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block, then freeze what it made (even on error)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
