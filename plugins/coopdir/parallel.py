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
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class SecondProcessFailed(RuntimeError):
    """The forked half of the build raised: its traceback is the message."""


_after_result: list[Callable[[], None]] | None = None
"""In a forked child while it works: what to do once its result is sent (``after_result``)."""
_unjoined: list[Any] = []
"""Children whose result came back and which may still be finishing (``join_children``)."""


def after_result(task: Callable[[], None]) -> None:
    """Run ``task`` once this forked child has sent its result, or now in any other process.

    For what only the next build needs (a cache file): the parent goes on with its result
    meanwhile, and ``join_children`` waits for the task before the build ends. A task that
    fails costs the next build time, never this one its site.
    """
    if _after_result is None:
        task()
    else:
        _after_result.append(task)


def join_children() -> None:
    """Wait until every child whose result came back has ended (its ``after_result`` done)."""
    while _unjoined:
        _unjoined.pop().join()


def start_forked(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work()`` in a forked child now; return a function that waits for its result.

    The child's exception, if any, is raised by that function, as ``SecondProcessFailed``
    carrying the child's traceback: a failure in either half fails the build.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        global _after_result
        receive.close()
        _after_result = []
        try:
            message: tuple[str, Any] = ("ok", work())
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
            message = ("error", traceback.format_exc())
        send.send(message)
        send.close()
        for task in _after_result:
            with contextlib.suppress(Exception):
                task()

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
        _unjoined.append(process)  # it may still run its after_result tasks
        if status != "ok":
            raise SecondProcessFailed(value)
        return value

    return wait
