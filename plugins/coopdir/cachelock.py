"""Builds sharing a cache folder wait for what an earlier build still writes into it.

A build says it is done before it has kept everything the next one could use: the lists of
slices are worked out for the next build after this one's status is said (``pelicanrun``), so
``coopdir build`` returns half a second sooner at 10,000 co-ops. A build started at once after
(a test, a script, a watcher) would then read the lists of the build before, or none, and make
them again: slower, never wrong, but not the same work twice in a row. So the writer holds a
lock on the cache folder until it is done, and a reader waits for it (at once, usually).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

LOCK_FILE = ".writing.lock"
WAIT_AT_MOST = 30.0
"""Seconds to wait for the lock: a writer that holds on longer (a long-lived Pelican process
whose work for the next build never runs) only costs the work of making that again."""


def _open(cache_dir: Path) -> int:
    cache_dir.mkdir(parents=True, exist_ok=True)
    return os.open(cache_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


class CacheWriting:
    """Hold the cache folder for writing until ``release`` (or the process ends)."""

    def __init__(self, cache_dir: Path) -> None:
        self._folder = cache_dir.resolve()
        self._handle: int | None = None
        if self._folder in _held:
            return  # held already by this process, for an earlier build in it
        handle = _open(cache_dir)
        if not _lock(handle, fcntl.LOCK_EX, WAIT_AT_MOST):
            os.close(handle)  # another process holds on: write without holding readers back
            return
        self._handle = handle
        _held.add(self._folder)

    def release(self) -> None:
        """Let readers in."""
        if self._handle is not None:
            with contextlib.suppress(OSError):
                os.close(self._handle)
            self._handle = None
            _held.discard(self._folder)


_held: set[Path] = set()
"""The cache folders this process holds for writing."""




def wait_for_writers(cache_dir: Path, at_most: float = WAIT_AT_MOST) -> None:
    """Return once no other build is still writing into the cache folder (or after a while)."""
    if cache_dir.resolve() in _held:
        return  # this process is the writer (Pelican run again in one process)
    handle = _open(cache_dir)
    try:
        _lock(handle, fcntl.LOCK_SH, at_most)
    finally:
        os.close(handle)


def _lock(handle: int, kind: int, at_most: float) -> bool:
    """Take the lock within ``at_most`` seconds; say whether it was taken."""
    deadline = time.monotonic() + at_most
    while True:
        try:
            fcntl.flock(handle, kind | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
