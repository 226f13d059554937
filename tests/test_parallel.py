"""The build's second process: cache files written beside its work, and done before its result."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from coopdir import parallel


def test_a_cache_is_written_beside_the_work_and_done_before_the_result(tmp_path: Path) -> None:
    """The writer runs while the child goes on (the page work below sees it not yet done), and
    the result comes only once it is."""
    cache, seen = tmp_path / "cache", tmp_path / "seen-while-working"

    def save() -> None:
        time.sleep(0.5)
        cache.write_text("saved", "utf-8")

    def work() -> str:
        parallel.in_background(save)
        seen.write_text(str(cache.exists()), "utf-8")  # the child's own work, meanwhile
        return "pages written"

    assert parallel.start_forked(work)() == "pages written"
    assert seen.read_text("utf-8") == "False", "the child waited for the writer before working"
    assert cache.read_text("utf-8") == "saved", "the result came before the cache was written"


def test_outside_a_forked_child_the_work_runs_at_once(tmp_path: Path) -> None:
    file = tmp_path / "cache"
    before = threading.active_count()
    parallel.in_background(lambda: file.write_text("saved", "utf-8"))
    assert file.read_text("utf-8") == "saved"
    assert threading.active_count() == before  # no thread where the process may fork later


def test_a_failing_writer_changes_nothing(tmp_path: Path) -> None:
    def work() -> int:
        parallel.in_background(lambda: 1 / 0)
        parallel.in_background(lambda: (tmp_path / "second").write_text("ran", "utf-8"))
        return 7

    assert parallel.start_forked(work)() == 7
    assert (tmp_path / "second").read_text("utf-8") == "ran"


def test_the_childs_error_is_raised_with_its_traceback() -> None:
    def work() -> None:
        raise ValueError("a page could not be written")

    with pytest.raises(parallel.SecondProcessFailed, match="a page could not be written"):
        parallel.start_forked(work)()
