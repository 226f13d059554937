"""The list pages' row cache: a rebuild shows each co-op's row as its file now says."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sitecheck import ROOT

from coopdir.fragments import FragmentCache
from coopdir.load import load_directory
from coopdir.model import Coop, Directory, Source

FIXTURE = ROOT / "tests/fixtures/directory"


class Row:
    """A stand-in for a Jinja macro: renders a co-op's row from its summary, counts calls."""

    name = "coop_row"

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, coop: Coop, doc: int | None) -> str:
        self.calls += 1
        return f"<tr><td>{coop.name}</td><td>{coop.summary}</td><td>{doc}</td></tr>"


@pytest.fixture(scope="module")
def directory() -> Directory:
    """The fixture's co-ops, copied to 250 (a one-row change is then a small share of rows)."""
    fixture = load_directory(FIXTURE, today=dt.date(2026, 11, 1))
    coops = tuple(
        dataclasses.replace(
            coop,
            slug=f"{coop.slug}-{number}",
            source=Source(coop.source.path, 1, f"{coop.source.digest}-{number}"),
        )
        for number in range(25)
        for coop in fixture.coops
    )
    return Directory(coops=coops, today=fixture.today)


def edited(directory: Directory, slug: str, summary: str) -> Directory:
    """Return the directory with one co-op's summary (and so its file's digest) changed."""
    coops = tuple(
        dataclasses.replace(
            coop,
            summary=summary,
            source=Source(coop.source.path, coop.source.line, f"edited-{summary}"),
        )
        if coop.slug == slug
        else coop
        for coop in directory.coops
    )
    return Directory(coops=coops, today=directory.today)


def test_a_row_changed_in_a_small_rebuild_is_shown_new_in_every_later_build(
    directory: Directory, tmp_path: Path
) -> None:
    """A rebuild with few new rows may leave the cache file as it was: never the old row."""
    file = tmp_path / "fragments.pickle"
    first = FragmentCache(file, "v1")
    rows = Row()
    html = first.each(list(directory.coops), rows, None)
    first.save()
    assert rows.calls == len(directory.coops) and file.is_file()
    slug = directory.coops[0].slug
    for round_number in range(3):
        changed = edited(directory, slug, f"Changed {round_number}")
        cache, rows = FragmentCache(file, "v1"), Row()
        stored = file.read_bytes()
        html = cache.each(list(changed.coops), rows, None)
        assert f"Changed {round_number}" in html
        assert html.count("<tr>") == len(changed.coops)
        assert rows.calls == 1, "only the changed co-op's row is rendered again"
        cache.save()
        assert file.read_bytes() == stored, "one new row in 250 does not rewrite the cache"
    untouched = FragmentCache(file, "v1")
    again = Row()
    assert "Changed" not in untouched.each(list(directory.coops), again, None)
    assert again.calls == 0, "the original rows are still cached"
    many = edited(directory, slug, "Many")
    many = Directory(
        coops=tuple(
            dataclasses.replace(coop, source=Source(coop.source.path, 1, "new-" + coop.slug))
            for coop in many.coops
        ),
        today=many.today,
    )
    cache = FragmentCache(file, "v1")
    cache.each(list(many.coops), Row(), None)
    cache.save()
    rows = Row()
    FragmentCache(file, "v1").each(list(many.coops), rows, None)
    assert rows.calls == 0, "a build that rendered every row again saves them"


def test_a_cache_of_another_version_is_never_used(directory: Directory, tmp_path: Path) -> None:
    file = tmp_path / "fragments.pickle"
    old = FragmentCache(file, "theme-1")
    old.each(list(directory.coops), Row(), None)
    old.save()
    rows = Row()
    FragmentCache(file, "theme-2").each(list(directory.coops), rows, None)
    assert rows.calls == len(directory.coops)


def test_rows_made_in_two_processes_are_saved_when_many_are_new(
    directory: Directory, tmp_path: Path
) -> None:
    """As a build in two processes hands its news over: many new rows are saved for next time.

    One process made many rows, the other one; the one with few new rows does not send which
    rows it used, so nothing is pruned, and every row either made is kept.
    """
    file = tmp_path / "fragments.pickle"
    first = FragmentCache(file, "v1")
    first.each(list(directory.coops), Row(), None)
    first.save()
    many = Directory(
        coops=tuple(
            dataclasses.replace(coop, source=Source(coop.source.path, 1, "new-" + coop.slug))
            for coop in directory.coops[:100]
        )
        + directory.coops[100:],
        today=directory.today,
    )
    parent, child = FragmentCache(file, "v1"), FragmentCache(file, "v1")
    parent.each(list(many.coops[:100]), Row(), None)  # a hundred changed co-ops' rows
    child.each(list(many.coops[100:]), Row(), None)  # rows the cache has already
    child.each([edited(many, many.coops[-1].slug, "One").coops[-1]], Row(), None)  # one new
    child_news = child.take_news()
    assert not child_news.used_known, "a process with one new row does not list what it used"
    parent.merge(parent.take_news())
    parent.merge(child_news)
    parent.save()
    rows = Row()
    FragmentCache(file, "v1").each(list(many.coops), rows, None)
    assert rows.calls == 0, "every row either process used is kept"
