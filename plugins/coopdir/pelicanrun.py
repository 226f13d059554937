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

``coopdir build`` starts it with ``run``: forked from its own process where it can, so the child
starts with Python and most modules already loaded (0.2 s of every build), else as

    python -m coopdir.pelicanrun <pelican's arguments>

A forked child also says its exit status down a pipe, and closes its output, before it ends:
the kernel's freeing of a large heap (0.1 s at 10,000 co-ops) then overlaps with what the
build does next (swapping the site in, exiting) instead of coming before it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
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


def main(status_pipe: int | None = None) -> None:
    """Run ``pelican`` with this process's arguments; exit with its status, skipping teardown.

    With ``status_pipe`` (a descriptor), the status is written there as one byte first.
    """
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
    if status_pipe is not None:
        # Nothing of this process is needed any more: the parent reads the status and goes on,
        # and whoever reads our output (a terminal, a test's pipe) is not kept waiting either.
        os.write(status_pipe, bytes([code & 0xFF]))
        for handle in (1, 2, status_pipe):
            with contextlib.suppress(OSError):
                os.close(handle)
    if code == 0:
        for task in _after_status:
            with contextlib.suppress(Exception):
                task()
    os._exit(code)


_after_status: list[Callable[[], None]] = []


def after_status(task: Callable[[], None]) -> None:
    """Run ``task`` once the build has said its status: work for the next build, not this one.

    The site is complete by then and ``coopdir build`` has returned; a task that fails costs
    the next build time, never this one its site (nothing it writes is part of the site).
    Run only where Pelican is run by ``main`` (else never: the next build does the work).
    """
    _after_status.append(task)


_ending: list[int] = []
"""Children that said their status and are still ending: reaped when it costs no waiting."""


def _reap_ended() -> None:
    """Collect the children of earlier runs that have ended by now, without waiting for any."""
    for pid in list(_ending):
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        _ending.remove(pid)


def run(arguments: list[str], env: dict[str, str]) -> int:
    """Run Pelican with these arguments and environment in a child process; return its status.

    The child is a fork of this process when that is safe (no other thread, whose locks it
    would copy held; ``coopdir serve --watch`` builds from one), else a fresh interpreter.
    """
    if not hasattr(os, "fork") or threading.active_count() > 1:
        command = [sys.executable, "-m", "coopdir.pelicanrun", *arguments]
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603
    _reap_ended()
    sys.stdout.flush()
    sys.stderr.flush()
    receive, send = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - measured in the child, which ends in os._exit
        try:
            os.close(receive)
            os.environ.clear()
            os.environ.update(env)
            sys.argv = ["pelican", *arguments]
            main(status_pipe=send)
        except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
            traceback.print_exc()
        finally:
            os._exit(1)
    os.close(send)
    try:
        said = os.read(receive, 1)
    finally:
        os.close(receive)
    if said:  # every file is written and closed: its exit is the kernel's business now
        _ending.append(pid)
        return said[0]
    _, status = os.waitpid(pid, 0)  # it ended without saying (a crash): ask the kernel
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    # As the imported module, not as __main__: the plugin registers its after_status tasks
    # with ``coopdir.pelicanrun``, a module object other than this one.
    from coopdir import pelicanrun

    pelicanrun.main()
