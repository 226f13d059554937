"""How ``coopdir build`` runs Pelican: forked, and saying its status before its exit ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sitecheck import ROOT


def _in_a_fresh_interpreter(script: str, tmp_path: Path) -> str:
    """Run ``script`` where no other thread runs (the suite's servers would make ``run`` spawn
    a new interpreter instead of forking); return what it prints."""
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # Pelican logs to the output before it


REAPED = """
import os, sys, time
from pathlib import Path

import pytest
from coopdir import pelicanrun
tmp = Path(sys.argv[1])
arguments = ["-s", str(tmp / "missing.conf.py"), "-o", str(tmp / "out"), "-q"]
pelicanrun.run(arguments, dict(os.environ))
pid = pelicanrun._ending[-1]
deadline = time.monotonic() + 30
while pid in pelicanrun._ending and time.monotonic() < deadline:
    time.sleep(0.05)
    pelicanrun._reap_ended()
try:
    os.kill(pid, 0)
    print("still there")
except ProcessLookupError:
    print("reaped" if pid not in pelicanrun._ending else "not collected")
"""


def test_the_forked_child_is_reaped_by_a_later_run(tmp_path: Path) -> None:
    """Children that said their status are collected later, not left behind for ever."""
    assert _in_a_fresh_interpreter(REAPED, tmp_path) == "reaped"


AFTER_STATUS = """
import os, sys, time
from pathlib import Path

import pytest
from coopdir import pelicanrun
tmp = Path(sys.argv[1])
content, settings, marker = tmp / "content", tmp / "settings.py", tmp / "kept"
content.mkdir()
settings.write_text("SITENAME = 'x'\\nPLUGINS = []\\n", "utf-8")

def failing():
    raise RuntimeError("a cache that cannot be written must not fail the build")

def keep():
    time.sleep(0.5)  # long enough that the status is surely said first
    marker.write_text("kept", "utf-8")

pelicanrun.after_status(failing)
pelicanrun.after_status(keep)
arguments = [str(content), "-s", str(settings), "-o", str(tmp / "out"), "-q"]
status = pelicanrun.run(arguments, dict(os.environ))
early = marker.exists()
deadline = time.monotonic() + 30
while not marker.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
print(status, early, marker.exists() and marker.read_text("utf-8"))
"""


def test_tasks_for_the_next_build_run_after_the_status_is_said(tmp_path: Path) -> None:
    """A successful build says its status, then runs what it keeps for the next build."""
    status, early, kept = _in_a_fresh_interpreter(AFTER_STATUS, tmp_path).split()
    assert status == "0"
    assert early == "False", "the status came only after the task"
    assert kept == "kept"


FORKED_STATUS = """
import os, sys, threading
from pathlib import Path

import pytest
from coopdir import pelicanrun
tmp = Path(sys.argv[1])
assert threading.active_count() == 1  # so run() forks
arguments = ["-s", str(tmp / "missing.conf.py"), "-o", str(tmp / "out"), "-q"]
status = pelicanrun.run(arguments, dict(os.environ))
print(status, bool(pelicanrun._ending))
"""


def test_a_forked_pelican_reports_the_status_a_fresh_interpreter_does(tmp_path: Path) -> None:
    """Pelican failing on a missing settings file: both ways of running it say so alike."""
    status, said = _in_a_fresh_interpreter(FORKED_STATUS, tmp_path).split()
    assert said == "True", "the status came down the pipe, from a fork"
    arguments = ["-s", str(tmp_path / "missing.conf.py"), "-o", str(tmp_path / "out"), "-q"]
    command = [sys.executable, "-m", "coopdir.pelicanrun", *arguments]
    fresh = subprocess.run(command, capture_output=True, check=False, cwd=ROOT).returncode
    assert int(status) != 0
    assert int(status) == fresh


SLICES_KEPT = """
import json, os, shutil, sys, threading, time
from pathlib import Path

import pytest
sys.path.insert(0, "tests")
from sitecheck import FIXTURE_DAY_EPOCH, keys_dir_for_tests
os.environ.update(SOURCE_DATE_EPOCH=FIXTURE_DAY_EPOCH, COOPDIR_KEYS_DIR=str(keys_dir_for_tests()))
from coopdir.build import build_site
tmp = Path(sys.argv[1])
if sys.argv[2:] == ["spawn"]:  # another thread runs (as in ``coopdir serve --watch``)
    threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
coops = tmp / "coops"
shutil.copytree("tests/fixtures/directory", coops)
made = []
for number in range(3):
    edited = coops / "zurich-kollektiv.yaml"
    edited.write_text(edited.read_text("utf-8").replace("summary:", f"summary: {number}", 1))
    assert build_site(coops, tmp / "site") == 0
    made.append(json.loads((tmp / ".site.cache/timings.json").read_text("utf-8"))["slices_made"])
print(made)
"""


@pytest.mark.parametrize("how", ["fork", "spawn"])
def test_slices_kept_for_the_next_build_are_there_for_it(tmp_path: Path, how: str) -> None:
    """Back to back, however Pelican was started: the first build makes the lists of slices,
    the next ones (an edit that moves nothing) find them kept. Run as ``python -m``, Pelican's
    process once ran the tasks of another copy of the module: none, so every build made them."""
    result = subprocess.run(
        [sys.executable, "-c", SLICES_KEPT, str(tmp_path), how],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[1, 0, 0]"
