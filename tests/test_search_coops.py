"""A build's search index, made per co-op: a rebuild makes only changed co-ops' documents.

A build keys each co-op's search documents and their analysis by the co-op's fingerprint and the
day (search/coopgroups.py, search/groupstore.py). These tests load real co-op files, change
some, and compare the index a rebuild writes from the last build's cache with one made from
scratch, byte for byte; the cache's counters say how many co-ops it made and how many it reused.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import pytest
from test_search_rebuild import files_of, index_scores

from coopdir import parsecache
from coopdir.load import LoadSettings, load_directory
from coopdir.model import Directory
from coopdir.parsecache import read_versioned, write_versioned
from coopdir.search.analysis import stem
from coopdir.search.coopgroups import coop_documents, directory_groups
from coopdir.search.documents import search_documents
from coopdir.search.indexfiles import CACHE_FILE, IndexUpdate, update_index_folder

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 12, 1)
"""The day the search corpus is searched on (SEARCH_DAY_EPOCH)."""


@pytest.fixture
def coops(tmp_path: Path, search_corpus: Path) -> Path:
    """A copy of the search corpus (the real co-ops and made-up ones with openings) to edit."""
    folder = tmp_path / "coops"
    shutil.copytree(search_corpus, folder)
    return folder


def load(folder: Path, day: dt.date = DAY, opening_days: int = 90) -> Directory:
    return load_directory(folder, today=day, settings=LoadSettings(opening_days))


def build(directory: Directory, site: Path, cache: Path | None, settings: str = "") -> IndexUpdate:
    """Write the index of a directory into ``site`` as a build does (``cache`` None: none)."""
    return update_index_folder(site, directory_groups(directory, settings), cache)


def rebuild(
    site: Path, directory: Directory, cache: Path, into: Path, settings: str = ""
) -> IndexUpdate:
    """Update a hard-link copy of ``site`` as a rebuild does; return what the update did."""
    shutil.copytree(site, into, copy_function=os.link)
    return build(directory, into, cache, settings)


def index_bytes(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (_, data) in files_of(folder).items()}


def from_scratch(directory: Directory, folder: Path) -> dict[str, bytes]:
    build(directory, folder, None)
    return index_bytes(folder)


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize("folder", ["tests/fixtures/directory", "search-corpus"])
def test_the_coops_groups_hold_every_search_document_in_order(
    folder: str, search_corpus: Path
) -> None:
    """Dissolved co-ops, closed and upcoming openings included: the documents of the index."""
    directory = load(search_corpus if folder == "search-corpus" else ROOT / folder)
    groups = directory_groups(directory)
    made = [doc for number in range(len(groups.keys)) for doc in groups.make(number)]
    assert made == search_documents(directory)
    assert len(set(groups.keys)) == len(groups.keys) == len(directory.listed_coops())


def test_a_rebuild_after_one_coops_change_makes_only_its_documents(
    tmp_path: Path, coops: Path
) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    directory = load(coops)
    first = build(directory, site, cache)
    assert (first.analysed, first.reused) == (len(search_documents(directory)), 0)
    rewrite(coops / "harbour-lights.yaml", "summary: A made-up", "summary: Quokka rescue, made-up")
    changed = load(coops)
    update = rebuild(site, changed, cache, tmp_path / "staging")
    assert index_bytes(tmp_path / "staging") == from_scratch(changed, tmp_path / "full")
    harbour = coop_documents(changed, changed.by_slug["harbour-lights"])
    assert update.analysed == len(harbour) == 3  # the co-op and its two open openings
    assert update.reused == len(changed.listed_coops()) - 1
    assert "quokka" in index_scores(index_bytes(tmp_path / "staging"))
    assert 0 < update.written < update.files / 20


def test_a_coops_change_rescores_the_unchanged_coops_that_share_its_words(
    tmp_path: Path, coops: Path
) -> None:
    """Rarity is over every document: a word new in one co-op lowers another's, not made again."""
    site, cache = tmp_path / "site", tmp_path / "cache"
    directory = load(coops)
    build(directory, site, cache)
    before = index_scores(index_bytes(site))
    rewrite(coops / "harbour-lights.yaml", "name: Harbour Lights", "name: Harbour Lindenfeld")
    changed = load(coops)
    update = rebuild(site, changed, cache, tmp_path / "staging")
    after = index_scores(index_bytes(tmp_path / "staging"))
    assert index_bytes(tmp_path / "staging") == from_scratch(changed, tmp_path / "full")
    assert update.analysed == 3, "only Harbour Lights was made again"
    urls = [doc.url for doc in search_documents(changed)]
    lindenfeld = urls.index("/coops/lindenfeld-kollektiv/")
    word = stem("lindenfeld")
    assert after[word][lindenfeld] < before[word][lindenfeld]


def test_the_next_day_makes_every_coop_again(tmp_path: Path, coops: Path) -> None:
    """The day decides which openings are open: a cache of another day is not used."""
    site, cache = tmp_path / "site", tmp_path / "cache"
    build(load(coops), site, cache)
    later = load(coops, dt.date(2027, 1, 25))  # Harbour Lights' data engineer has closed
    update = rebuild(site, later, cache, tmp_path / "staging")
    assert update.reused == 0
    expected = from_scratch(later, tmp_path / "full")
    assert index_bytes(tmp_path / "staging") == expected
    assert not any(b"/openings/data-engineer/" in data for data in expected.values())


def test_other_settings_make_every_coop_again(tmp_path: Path, coops: Path) -> None:
    """How long an opening without a closing day stays open is a setting, not in the files."""
    rewrite(coops / "harbour-lights.yaml", "    closes: 2027-01-30\n", "")
    site, cache = tmp_path / "site", tmp_path / "cache"
    build(load(coops, opening_days=90), site, cache, "opening days: 90")
    assert any(b"/accessibility-auditor/" in data for data in index_bytes(site).values())
    shorter = load(coops, opening_days=10)  # it closed on 24 November
    update = rebuild(site, shorter, cache, tmp_path / "staging", "opening days: 10")
    assert update.reused == 0
    expected = from_scratch(shorter, tmp_path / "full")
    assert index_bytes(tmp_path / "staging") == expected
    assert not any(b"/accessibility-auditor/" in data for data in expected.values())


def test_a_vocabulary_change_makes_every_coop_again(
    tmp_path: Path, coops: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Terms' labels and aliases are searched: another vocabulary, another cache version."""
    package = tmp_path / "package"
    shutil.copytree(parsecache.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(parsecache, "PACKAGE", package)
    site, cache = tmp_path / "site", tmp_path / "cache"
    build(load(coops), site, cache)
    rewrite(package / "vocab" / "technologies.yaml", "label: Python", "label: Python 3")
    update = rebuild(site, load(coops), cache, tmp_path / "staging")
    assert update.reused == 0


def test_a_cache_naming_code_that_is_gone_reads_as_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade that renames a module the last build's cache pickled must not fail the build."""
    module = tmp_path / "gone_module.py"
    module.write_text("class Kept:\n    pass\n", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import gone_module  # noqa: PLC0415 - a module made for this test

    write_versioned(tmp_path / CACHE_FILE, "v1", gone_module.Kept())
    module.unlink()
    del sys.modules["gone_module"]
    assert read_versioned(tmp_path / CACHE_FILE, "v1") is None
