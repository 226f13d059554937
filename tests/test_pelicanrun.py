"""How ``coopdir build`` runs Pelican: forked, and saying its status before its exit ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sitecheck import ROOT

from coopdir import pelicanrun


def _fresh_interpreter_status(arguments: list[str]) -> int:
    command = [sys.executable, "-m", "coopdir.pelicanrun", *arguments]
    return subprocess.run(command, capture_output=True, check=False, cwd=ROOT).returncode


def test_a_forked_pelican_reports_the_status_a_fresh_interpreter_does(tmp_path: Path) -> None:
    """Pelican failing on a missing settings file: both ways of running it say so alike."""
    arguments = ["-s", str(tmp_path / "missing.conf.py"), "-o", str(tmp_path / "out"), "-q"]
    status = pelicanrun.run(arguments, dict(os.environ))
    assert status != 0
    assert status == _fresh_interpreter_status(arguments)


def test_the_forked_child_is_reaped_by_a_later_run(tmp_path: Path) -> None:
    """Children that said their status are collected later, not left behind for ever."""
    arguments = ["-s", str(tmp_path / "missing.conf.py"), "-o", str(tmp_path / "out"), "-q"]
    pelicanrun.run(arguments, dict(os.environ))
    pid = pelicanrun._ending[-1]
    deadline = time.monotonic() + 30
    while pid in pelicanrun._ending and time.monotonic() < deadline:
        time.sleep(0.05)
        pelicanrun._reap_ended()
    assert pid not in pelicanrun._ending
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass  # reaped: no process, not even a zombie, has that number
    else:
        raise AssertionError(f"process {pid} is still there after it was reaped")


def test_tasks_for_the_next_build_run_after_the_status_is_said(tmp_path: Path) -> None:
    """A successful build says its status, then runs what it keeps for the next build."""
    content, settings = tmp_path / "content", tmp_path / "settings.py"
    content.mkdir()
    settings.write_text("SITENAME = 'x'\nPLUGINS = []\n", "utf-8")
    marker = tmp_path / "kept"

    def failing() -> None:
        raise RuntimeError("a cache that cannot be written must not fail the build")

    def keep() -> None:
        time.sleep(0.5)  # long enough that the status is surely said first
        marker.write_text("kept", "utf-8")

    pelicanrun._after_status[:] = [failing, keep]
    try:
        arguments = [str(content), "-s", str(settings), "-o", str(tmp_path / "out"), "-q"]
        status = pelicanrun.run(arguments, dict(os.environ))
    finally:
        pelicanrun._after_status.clear()
    assert status == 0
    assert not marker.exists(), "the status came only after the task"
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text("utf-8") == "kept"
