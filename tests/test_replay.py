"""Bringing the spare site up to date by replaying the last build's journal (``build.py``)."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from coopdir.build import replay_journal


def _tree(root: Path) -> dict[str, tuple[str, int | None]]:
    """Describe a tree: each path → ("file", inode) or ("folder", None); theme/ left out."""
    described: dict[str, tuple[str, int | None]] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if name == "theme" or name.startswith("theme/"):
            continue
        described[name] = ("folder", None) if path.is_dir() else ("file", path.stat().st_ino)
    return described


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def _build(site: Path, files: dict[str, str]) -> None:
    """Make ``site`` hold exactly ``files`` as new files (a build writes files anew)."""
    if site.exists():
        shutil.rmtree(site)
    site.mkdir()
    for name, text in files.items():
        _write(site, name, text)


def _link_copy(site: Path, spare: Path) -> None:
    shutil.copytree(site, spare, copy_function=os.link)


def _journal(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What the build from ``before`` to ``after`` touched: files written, files removed."""
    return sorted(set(after) | (set(before) - set(after)))


CASES = {
    "a file rewritten": ({"a/index.html": "1"}, {"a/index.html": "2"}),
    "a file removed, its folder emptied": (
        {"a/index.html": "1", "b/c/index.html": "1"},
        {"a/index.html": "1"},
    ),
    "a file in a new folder": ({"a/index.html": "1"}, {"a/index.html": "1", "n/m/x": "2"}),
    "a file becomes a folder": ({"ap/x": "1"}, {"ap/x/outbox": "2"}),
    "a folder becomes a file": ({"ap/x/outbox": "1", "ap/x/actor": "1"}, {"ap/x": "2"}),
}


@pytest.mark.parametrize("case", CASES)
def test_replaying_the_journal_makes_the_spare_the_site(tmp_path: Path, case: str) -> None:
    before, after = CASES[case]
    site, spare = tmp_path / "site", tmp_path / "spare"
    _build(site, before)
    _link_copy(site, spare)  # the spare: the site before last, sharing its files
    _build(site, after)
    _write(spare, "theme/style.css", "left alone")  # Pelican copies the theme afresh
    replay_journal(site, spare, _journal(before, after))
    assert _tree(spare) == _tree(site)


def test_replaying_random_journals_makes_the_spare_the_site(tmp_path: Path) -> None:
    """Many random changes of a site, each replayed onto the spare: the trees always agree."""
    chooser = random.Random(20261126)
    names = [f"{a}/{b}/{c}" for a in "pq" for b in "xyz" for c in ("index.html", "feed.rss")]
    names += ["p/x", "q/y/index.html/extra", "top.txt"]
    site, spare = tmp_path / "site", tmp_path / "spare"
    files: dict[str, str] = {}
    _build(site, files)
    _link_copy(site, spare)
    for round_number in range(40):
        before = dict(files)
        for name in chooser.sample(names, 4):
            if name in files and chooser.random() < 0.4:
                del files[name]
            else:
                files[name] = f"{name} {round_number}"
        # No file may sit where another needs a folder: drop the shorter name of any clash.
        for name in sorted(files, key=len, reverse=True):
            parts = name.split("/")
            for depth in range(1, len(parts)):
                files.pop("/".join(parts[:depth]), None)
        unchanged = {name: site / name for name in before if before.get(name) == files.get(name)}
        kept = {name: path.read_text("utf-8") for name, path in unchanged.items()}
        _build(site, files)
        # Files the build did not touch stay the spare's (as a real rebuild links them).
        for name in kept:
            os.unlink(site / name)
            os.link(spare / name, site / name)
        touched = sorted((set(files) - set(kept)) | (set(before) - set(files)))
        replay_journal(site, spare, touched)
        assert _tree(spare) == _tree(site), round_number
