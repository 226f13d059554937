"""Rebuilds patch the bulk collections (api/) from the previous files: a full build's bytes.

Each test builds the fixture directory, changes co-op files (or breaks what a patch relies
on), rebuilds, and compares the api/ folder with a from-scratch build of the same files, byte
for byte. timings.json says how each collection was written: "patch" where only the changed
co-ops' items had to be written anew, "join" where the whole had to be made again, "kept"
where the changed co-ops' items have the bytes they had (the previous file stays).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import TODAY, TODAY_EPOCH
from sitecheck import ROOT

from coopdir.build import build_site
from coopdir.export import bulk_files
from coopdir.load import load_directory

FIXTURE = ROOT / "tests/fixtures/directory"
SITE_URL = "http://localhost:8000"
COLLECTIONS = ("api/coops.json", "api/openings.json", "api/coops.csv")
PATCHED = dict.fromkeys(COLLECTIONS, "patch")
JOINED = dict.fromkeys(COLLECTIONS, "join")
SUMMARY_PATCHED = {**PATCHED, "api/openings.json": "kept", "api/coops.csv": "kept"}
"""A summary is in coops.json only: the other collections keep their previous files."""


class Site:
    """The fixture directory, built once, then rebuilt after each change."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.coops = tmp_path / "coops"
        shutil.copytree(FIXTURE, self.coops)
        self.output = tmp_path / "site"
        self.cache = tmp_path / ".site.cache"
        self.build(self.output)

    def build(self, output: Path, *, full: bool = False) -> dict:
        assert build_site(self.coops, output, full=full) == 0
        timings = output.with_name(f".{output.name}.cache") / "timings.json"
        return json.loads(timings.read_text("utf-8"))

    def edit(self, name: str, change: Callable[[str], str]) -> None:
        path = self.coops / name
        text = path.read_text("utf-8")
        changed = change(text)
        assert changed != text, f"the edit of {name} changed nothing"
        path.write_text(changed, "utf-8")

    def rebuild(self) -> dict[str, str]:
        """Rebuild; check api/ against a from-scratch join; say how each collection was made.

        The join is the one a full build writes (``equals_a_full_build`` checks that too).
        """
        timings = self.build(self.output)
        directory = load_directory(self.coops, today=TODAY)
        expected = bulk_files(directory, SITE_URL)
        ours = api_files(self.output)
        assert ours.keys() == expected.keys()
        assert [name for name in ours if ours[name] != expected[name]] == []
        return timings["bulk_methods"]

    def equals_a_full_build(self) -> None:
        full = self.root / "full"
        self.build(full, full=True)
        ours, theirs = api_files(self.output), api_files(full)
        assert ours.keys() == theirs.keys()
        assert [name for name in ours if ours[name] != theirs[name]] == []


def api_files(site: Path) -> dict[str, bytes]:
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in (site / "api").rglob("*")
        if path.is_file()
    }


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    built = Site(tmp_path)
    yield built
    built.equals_a_full_build()


def replace_once(old: str, new: str) -> Callable[[str], str]:
    return lambda text: text.replace(old, new, 1)


def test_changes_that_keep_every_item_in_place_are_patched(site: Site) -> None:
    """Summaries of the first, a middle and the last co-op; an opening's title; its closing.

    Each rebuild patches the file the one before patched, by the index that one left.
    """
    for name in ("alder-harbour.yaml", "kooperativ-sever.yaml", "zurich-kollektiv.yaml"):
        site.edit(name, replace_once("summary: ", "summary: Rewritten! "))
    openings = site.output / "api/openings.json"
    inode = openings.stat().st_ino
    assert site.rebuild() == SUMMARY_PATCHED
    assert openings.stat().st_ino == inode, "a collection with the same bytes was written again"
    assert (site.output / "api/coops.json").read_bytes().count(b"Rewritten! ") == 3

    title = replace_once("Backend developer (Python)", "Backend developer (Python, Django)")
    site.edit("alder-harbour.yaml", title)
    # The second process writes the bulk data when a build is split in two.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOPDIR_PARALLEL_FROM", "1")
        assert site.rebuild() == {**PATCHED, "api/coops.csv": "kept"}
    openings = json.loads((site.output / "api/openings.json").read_bytes())["openings"]
    assert "Backend developer (Python, Django)" in {o["title"] for o in openings}

    # Closed (closes before the fixture day): its state changes, its place does not.
    site.edit("alder-harbour.yaml", replace_once("closes: 2026-12-15", "closes: 2026-10-20"))
    assert site.rebuild() == PATCHED
    states = {o["id"]: o["state"] for o in openings_of(site, "alder-harbour")}
    assert states["backend-dev-2026"] == "closed"


def test_changes_that_move_items_join_the_collections_they_move(site: Site) -> None:
    """A posted date moves an opening; an opening or a co-op comes or goes."""
    # Posted before the co-op's other opening: openings.json is in another order.
    site.edit("alder-harbour.yaml", replace_once("posted: 2026-10-15", "posted: 2026-05-01"))
    patched_coops = {**PATCHED, "api/openings.json": "join", "api/coops.csv": "kept"}
    assert site.rebuild() == patched_coops

    without = re.compile(r"  - id: sysadmin-2026\n(    .*\n)*")
    site.edit("alder-harbour.yaml", lambda text: without.sub("", text))
    assert site.rebuild() == patched_coops
    assert {o["id"] for o in openings_of(site, "alder-harbour")} == {"backend-dev-2026"}

    added = site.coops / "taawun-zwei.yaml"
    text = (site.coops / "taawun-raqmi.yaml").read_text("utf-8")
    text = re.sub(r"(?m)^name: .*$", "name: Taawun Zwei", text)
    added.write_text(re.sub(r"(?m)^website: .*$", "website: https://zwei.example.coop/", text))
    assert site.rebuild() == JOINED
    assert (site.output / "api/coops/taawun-zwei.json").is_file()

    added.unlink()
    assert site.rebuild() == JOINED
    assert not (site.output / "api/coops/taawun-zwei.json").exists()


def test_without_a_usable_index_every_collection_is_joined(site: Site) -> None:
    """No index, a broken one, one of another version (other code, settings or day)."""
    index = site.cache / "bulk-index.pickle"
    damages = {
        "no index": index.unlink,
        "a broken index and pieces cache": lambda: [
            index.write_bytes(b"\x80\x05not a pickle at all"),
            (site.cache / "bulk.sqlite").write_bytes(b"not a database either" * 100),
        ],
        "an index of another version": lambda: index.write_bytes(
            pickle.dumps(("coopdir-bulk-index-1:another-version", read_layouts(index)))
        ),
    }
    for word, (damage, make) in zip(("One!", "Two!", "Three!"), damages.items(), strict=True):
        assert index.is_file()
        make()
        site.edit("petit-marche-labs.yaml", replace_once("summary: ", f"summary: {word} "))
        assert site.rebuild() == JOINED, damage


def read_layouts(index: Path) -> object:
    """Return the layouts an index holds, whatever version it says it is of."""
    return pickle.loads(index.read_bytes())[1]


def test_a_previous_file_the_index_does_not_describe_is_joined(site: Site) -> None:
    """Truncated, or edited keeping its size: only that collection is made whole again."""
    openings = site.output / "api/openings.json"
    os.truncate(openings, openings.stat().st_size - 10)
    site.edit("petit-marche-labs.yaml", replace_once("summary: ", "summary: Again! "))
    assert site.rebuild() == {**SUMMARY_PATCHED, "api/openings.json": "join"}

    # The same size, other bytes (as after a build that failed once it had written its file):
    # copying from it would spread the wrong bytes into the next site.
    coops = site.output / "api/coops.json"
    data = coops.read_bytes()
    os.unlink(coops)  # never write through a hard link shared with the spare site
    coops.write_bytes(data.replace(b"Glasgow", b"Glasgo_", 1))
    assert coops.stat().st_size == len(data) and coops.read_bytes() != data
    site.edit("petit-marche-labs.yaml", replace_once("Again! ", "Once more! "))
    assert site.rebuild() == {**SUMMARY_PATCHED, "api/coops.json": "join"}


def openings_of(site: Site, slug: str) -> list[dict]:
    collection = json.loads((site.output / "api/openings.json").read_bytes())
    return [o for o in collection["openings"] if o["coop"] == slug]
