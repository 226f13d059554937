"""The build's second process: its result comes back first, work for the next build after."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from coopdir import parallel


def _slow_save(file: Path) -> None:
    time.sleep(0.5)
    file.write_text("saved", "utf-8")


def test_work_for_the_next_build_runs_after_the_result_and_is_waited_for(tmp_path: Path) -> None:
    file = tmp_path / "cache"

    def work() -> str:
        parallel.after_result(lambda: _slow_save(file))
        return "pages written"

    wait = parallel.start_forked(work)
    assert wait() == "pages written"
    assert not file.exists(), "the result waited for the cache to be saved"
    parallel.join_children()
    assert file.read_text("utf-8") == "saved"


def test_outside_a_forked_child_the_work_runs_at_once(tmp_path: Path) -> None:
    file = tmp_path / "cache"
    parallel.after_result(lambda: file.write_text("saved", "utf-8"))
    assert file.read_text("utf-8") == "saved"


def test_a_failing_task_after_the_result_changes_nothing(tmp_path: Path) -> None:
    def work() -> int:
        parallel.after_result(lambda: 1 / 0)
        parallel.after_result(lambda: (tmp_path / "second").write_text("ran", "utf-8"))
        return 7

    assert parallel.start_forked(work)() == 7
    parallel.join_children()
    assert (tmp_path / "second").read_text("utf-8") == "ran"


def test_the_childs_error_is_raised_with_its_traceback() -> None:
    def work() -> None:
        raise ValueError("a page could not be written")

    with pytest.raises(parallel.SecondProcessFailed, match="a page could not be written"):
        parallel.start_forked(work)()
    parallel.join_children()
