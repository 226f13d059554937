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
