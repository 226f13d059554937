"""Run Pelican for ``coopdir build``, then leave without tearing down the heap.

A build of 10,000 co-ops holds millions of objects; an interpreter that frees them one by one at
exit spends seconds on it (about 3 s at that size, a tenth of a rebuild). Once Pelican has
returned, every file is written and closed, so the process flushes its output and ends at once.

For the same reason the cyclic garbage collector is off (COOPDIR_GC=1 turns it back on): it would
scan those long-lived objects again and again while they are made (unpickling 10,000 cached
co-ops takes 2.6 s with it, 0.6 s without). Reference counting still frees everything that is
not in a cycle; a build is a batch job of minutes (peak memory +10% at 2,000 co-ops).

And Pelican's "Generating..." spinner is left out: it is a thread (rich's ``Live`` refreshing
itself) that takes the console's locks ten times a second, while the build forks processes. A
fork copies a lock held by another thread as held for ever: a child that then logs would hang,
and loading refuses to fork at all while another thread runs (so it checked 10,000 files on one
core). Pelican's log lines still go to the terminal.

    python -m coopdir.pelicanrun <pelican's arguments>
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
from typing import Any


def exit_code(code: object) -> int:
    """Turn a ``SystemExit`` code into a process exit status, as the interpreter does."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _no_spinner(*_: Any, **__: Any) -> contextlib.nullcontext[None]:
    """Stand in for ``Console.status``: the same ``with`` block, without a refreshing thread."""
    return contextlib.nullcontext()


def main() -> None:
    """Run ``pelican`` with this process's arguments; exit with its status, skipping teardown."""
    from pelican import main as pelican_main
    from pelican.log import console

    console.status = _no_spinner  # type: ignore[method-assign]

    sys.argv[0] = "pelican"
    if os.environ.get("COOPDIR_GC") != "1":
        gc.disable()
    try:
        pelican_main()
        code = 0
    except SystemExit as stop:
        code = exit_code(stop.code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
