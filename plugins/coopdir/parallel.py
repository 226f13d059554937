"""Run part of the build's writing in a second process, on the machine's second core.

Pelican renders in one process. After phase one, every page, feed and fediverse document to
write is known and independent of the others, so a forked child (which shares the loaded
directory, the templates and the plan, copy-on-write) can write half of them while the parent
writes the other half. The child sends back what the parent must know about its half: the
fingerprints it computed, the files it wrote, the fragments it rendered.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class SecondProcessFailed(RuntimeError):
    """The forked half of the build raised: its traceback is the message."""


_background: list[threading.Thread] | None = None
"""In a forked child while it works: the threads ``in_background`` started."""


def in_background(task: Callable[[], None]) -> None:
    """Run ``task`` beside the rest of this forked child's work, or now in any other process.

    For what only the next build needs, mostly writing a cache file (37 MB for the search index
    at 10,000 co-ops): writing releases the interpreter's lock, so a thread does it while the
    child renders pages. The child waits for its threads before it sends its result. A task that
    fails costs the next build time, never this one its site.
    """
    if _background is None:
        task()
        return
    thread = threading.Thread(target=_quietly, args=(task,), name="coopdir-cache-writer")
    thread.start()
    _background.append(thread)


def _quietly(task: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        task()


def start_forked(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work()`` in a forked child now; return a function that waits for its result.

    The child's exception, if any, is raised by that function, as ``SecondProcessFailed``
    carrying the child's traceback: a failure in either half fails the build.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        global _background
        receive.close()
        _background = []
        try:
            message: tuple[str, Any] = ("ok", work())
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
            message = ("error", traceback.format_exc())
        for thread in _background:
            thread.join()
        send.send(message)
        send.close()

    process = context.Process(target=child, name="coopdir-second-half", daemon=True)
    process.start()
    send.close()

    def wait() -> T:
        try:
            status, value = receive.recv()
        except EOFError:
            process.join()
            raise SecondProcessFailed(
                f"the second build process ended without a result (exit code {process.exitcode})"
            ) from None
        finally:
            receive.close()
        process.join()
        if status != "ok":
            raise SecondProcessFailed(value)
        return value

    return wait
