"""A build waits for an earlier build still writing into the cache folder, but not for ever."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from coopdir.cachelock import CacheWriting, wait_for_writers

HOLD = """
import sys, time
from pathlib import Path
from coopdir.cachelock import CacheWriting
writing = CacheWriting(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(float(sys.argv[2]))
(Path(sys.argv[1]) / "slices").write_text("kept")
writing.release()
time.sleep(5)
"""


def _writer(cache: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(cache), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_reader_waits_until_the_writer_is_done(tmp_path: Path) -> None:
    writer = _writer(tmp_path, 0.6)
    try:
        wait_for_writers(tmp_path)
        assert (tmp_path / "slices").read_text() == "kept"  # not before: it waited
    finally:
        writer.kill()
        writer.communicate()


def test_a_reader_stops_waiting_for_a_writer_that_never_lets_go(tmp_path: Path) -> None:
    writer = _writer(tmp_path, 60)
    try:
        started = time.monotonic()
        wait_for_writers(tmp_path, at_most=0.2)
        assert time.monotonic() - started < 5
        assert not (tmp_path / "slices").exists()
    finally:
        writer.kill()
        writer.communicate()


def test_the_writing_process_never_waits_for_itself(tmp_path: Path) -> None:
    writing = CacheWriting(tmp_path)
    started = time.monotonic()
    wait_for_writers(tmp_path, at_most=10)
    again = CacheWriting(tmp_path)  # a second build in one Pelican process
    assert time.monotonic() - started < 1
    again.release()
    writing.release()
