"""The parse cache: a rebuild re-reads only changed files and never serves a stale co-op.

Each test loads real co-op files from a folder through ``check_paths`` with a cache on disk,
changes the files or the cache the way a contributor, a checkout or a crash would, and loads
again: what comes back must be what a load without any cache gives.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TODAY, write_coop

import coopdir.parsecache
from coopdir.load import check_paths
from coopdir.parsecache import ParseCache

FIXTURES = ROOT / "tests" / "fixtures" / "directory"
VERSION = "version-1"


def load(folder: Path, cache_file: Path, version: str = VERSION) -> tuple[list, ParseCache]:
    """Load a folder with the cache in ``cache_file``, save the cache, return co-ops and cache."""
    cache = ParseCache.open(cache_file, version)
    coops, problems = check_paths([folder], today=TODAY, cache=cache)
    assert problems == []
    cache.save()
    return coops, cache


def uncached(folder: Path) -> list:
    """Load a folder with no cache at all: what every cached load must equal."""
    coops, problems = check_paths([folder], today=TODAY)
    assert problems == []
    return coops


@pytest.fixture
def coops(workdir: Path) -> Path:
    """A copy of the test directory's co-op files, as ``coops/`` in the working folder."""
    shutil.copytree(FIXTURES, workdir / "coops")
    return Path("coops")


def test_an_unchanged_folder_comes_from_the_cache(coops: Path, workdir: Path) -> None:
    first, cold = load(coops, workdir / "parse.sqlite")
    second, warm = load(coops, workdir / "parse.sqlite")
    assert cold.hits == 0
    assert warm.hits == len(first) == 7
    assert second == first == uncached(coops)
    assert [coop.description_html for coop in second] == [
        coop.description_html for coop in uncached(coops)
    ]


def test_an_edited_file_is_read_again(coops: Path, workdir: Path) -> None:
    load(coops, workdir / "parse.sqlite")
    path = coops / "taawun-raqmi.yaml"
    text = path.read_text("utf-8")
    summary = next(line for line in text.splitlines() if line.startswith("summary:"))
    # Same length, so only the modification time and the bytes tell the edit apart.
    edited = "summary: " + "x" * (len(summary) - len("summary: "))
    path.write_text(text.replace(summary, edited), "utf-8")
    coops_now, warm = load(coops, workdir / "parse.sqlite")
    assert warm.hits == 6
    changed = next(coop for coop in coops_now if coop.slug == "taawun-raqmi")
    assert changed.summary == edited.removeprefix("summary: ")
    assert coops_now == uncached(coops)


def test_a_copied_or_touched_file_with_the_same_bytes_is_not_parsed_again(
    coops: Path, workdir: Path
) -> None:
    first, _ = load(coops, workdir / "parse.sqlite")
    path = coops / "alder-harbour.yaml"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # a checkout sets other times
    replacement = path.with_suffix(".tmp")
    shutil.copyfile(path, replacement)
    replacement.replace(path)  # a new inode, as a synced copy has
    second, warm = load(coops, workdir / "parse.sqlite")
    assert warm.hits == 7
    assert second == first
    third, again = load(coops, workdir / "parse.sqlite")
    assert again.hits == 7  # the new stamp was stored: no digest needed this time
    assert third == first


@pytest.mark.parametrize("change", ["rename", "delete"])
def test_a_renamed_or_deleted_file_drops_out(coops: Path, workdir: Path, change: str) -> None:
    load(coops, workdir / "parse.sqlite")
    old = coops / "zurich-kollektiv.yaml"
    if change == "rename":
        old.rename(coops / "zurich-kollektiv-neu.yaml")
    else:
        old.unlink()
    coops_now, warm = load(coops, workdir / "parse.sqlite")
    slugs = [coop.slug for coop in coops_now]
    assert "zurich-kollektiv" not in slugs
    assert ("zurich-kollektiv-neu" in slugs) == (change == "rename")
    assert warm.hits == 6
    assert coops_now == uncached(coops)
    stored = ParseCache.open(workdir / "parse.sqlite", VERSION).rows
    assert sorted(Path(key).name for key in stored) == sorted(
        path.name for path in coops.glob("*.yaml")
    )


def test_a_corrupt_cache_is_ignored_and_replaced(coops: Path, workdir: Path) -> None:
    cache_file = workdir / "parse.sqlite"
    load(coops, cache_file)
    cache_file.write_bytes(b"this is not an SQLite database\n" * 100)
    coops_now, cold = load(coops, cache_file)
    assert cold.hits == 0
    assert coops_now == uncached(coops)
    _, warm = load(coops, cache_file)
    assert warm.hits == 7


def test_a_cache_of_another_version_is_ignored(coops: Path, workdir: Path) -> None:
    cache_file = workdir / "parse.sqlite"
    load(coops, cache_file, version="old code")
    _, other = load(coops, cache_file, version="new code")
    assert other.hits == 0
    _, warm = load(coops, cache_file, version="new code")
    assert warm.hits == 7


def test_a_cache_another_build_is_writing_is_left_alone(
    coops: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_file = workdir / "parse.sqlite"
    load(coops, cache_file)
    (coops / "alder-harbour.yaml").unlink()
    monkeypatch.setattr(coopdir.parsecache, "LOCK_WAIT", 0.1)
    with contextlib.closing(sqlite3.connect(cache_file, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # the other build is writing
        coops_now, _ = load(coops, cache_file)  # saving gives up instead of failing
        other.execute("ROLLBACK")
    assert coops_now == uncached(coops)
    _, warm = load(coops, cache_file)
    assert warm.hits == 6


def test_a_cached_coop_names_its_file_as_this_run_shows_it(
    coops: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(coops, workdir / "parse.sqlite")
    monkeypatch.chdir(workdir / "coops")  # now the files are shown without the folder
    coops_now, cache = load(Path("."), workdir / "parse.sqlite")
    assert cache.hits == 0
    assert {coop.source.path for coop in coops_now} == {path.name for path in FIXTURES.glob("*")}


def test_a_file_with_problems_is_reported_on_every_load(workdir: Path) -> None:
    write_coop(workdir, "good-coop", "name: Good\nwebsite: https://good.example/\n")
    bad = write_coop(workdir, "bad-coop", "name: Bad\n")
    cache = ParseCache.open(workdir / "parse.sqlite", VERSION)
    for _ in range(2):
        coops, problems = check_paths([Path("coops")], today=TODAY, cache=cache)
        cache.save()
        assert coops == []
        assert [problem.path for problem in problems] == ["coops/bad-coop.yaml"]
    bad.write_text("name: Bad\nwebsite: https://bad.example/\n", "utf-8")
    coops, problems = check_paths([Path("coops")], today=TODAY, cache=cache)
    assert problems == []
    assert [coop.slug for coop in coops] == ["bad-coop", "good-coop"]


IN_TWO_PROCESSES = """
import datetime, json, os, sys
from pathlib import Path
import coopdir.load
import coopdir.parsecache
from coopdir.parsecache import ParseCache
forks = []
os.register_at_fork(after_in_parent=lambda: forks.append(1))
coopdir.load.PARALLEL_FROM = 2
cache = ParseCache.open(Path(sys.argv[2]), sys.argv[3]) if len(sys.argv) > 2 else None
coops, problems = coopdir.load.check_paths(
    [Path(sys.argv[1])], today=datetime.date(2026, 11, 1), cache=cache
)
if cache:
    cache.save()
print(json.dumps([len(forks), [repr(coop) for coop in coops], [str(p) for p in problems]]))
"""
"""Check a folder with the second process forced on, in a fresh single-threaded interpreter
(the loader stays serial in a process with other threads, as a test run may be)."""


def in_two_processes(folder: Path, *cache: str) -> list:
    """Return how many forks there were, the co-ops' reprs and the problems' texts."""
    result = subprocess.run(
        [sys.executable, "-c", IN_TWO_PROCESSES, str(folder), *cache],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_two_processes_find_the_same_coops_and_problems_in_the_same_order(
    workdir: Path,
) -> None:
    shutil.copytree(FIXTURES, workdir / "coops")
    folder = Path("coops")
    coops, problems = check_paths([folder], today=TODAY)
    assert in_two_processes(folder) == [1, [repr(coop) for coop in coops], []]
    write_coop(workdir, "no-website", "name: No Website\n")
    write_coop(workdir, "Bad_Name", "name: Bad Name\nwebsite: https://bad.example/\n")
    write_coop(workdir, "twin", "name: Twin\nwebsite: https://harbour.example.coop/\n")
    write_coop(workdir, "tabbed", "name: Tabbed\n\twebsite: https://tab.example/\n")
    coops, problems = check_paths([folder], today=TODAY)
    assert len(problems) >= 4
    assert in_two_processes(folder) == [1, [], [str(problem) for problem in problems]]


def test_a_cache_filled_in_two_processes_serves_the_next_load(coops: Path, workdir: Path) -> None:
    forks, *_ = in_two_processes(coops, str(workdir / "parse.sqlite"), VERSION)
    assert forks == 1
    second, warm = load(coops, workdir / "parse.sqlite")
    assert warm.hits == 7
    assert second == uncached(coops)
    assert [coop.description_html for coop in second] == [
        coop.description_html for coop in uncached(coops)
    ]
