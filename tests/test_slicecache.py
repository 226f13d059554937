"""Facet slices kept between builds (slicecache.py): reused only while no co-op moved.

Each test edits real co-op files (the search corpus: the real co-ops and made-up ones with
openings), loads the directory again as a rebuild does, and compares the slices and sorted lists
taken from the kept positions with those ``slice_directory`` makes from scratch.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from coopdir.facets import slice_directory
from coopdir.load import LoadSettings, load_directory
from coopdir.model import Directory
from coopdir.slicecache import directory_slices

DAY = dt.date(2026, 12, 1)
VERSION = "test-version"

Data = dict[str, Any]


@pytest.fixture
def coops(tmp_path: Path, search_corpus: Path) -> Path:
    folder = tmp_path / "coops"
    shutil.copytree(search_corpus, folder)
    return folder


def load(folder: Path, day: dt.date = DAY) -> Directory:
    return load_directory(folder, today=day, settings=LoadSettings(90))


def described(directory: Directory, slices: dict) -> dict[str, Any]:
    """Say what a reader sees of the lists: slugs and opening keys, in order."""
    return {
        "listed": [coop.slug for coop in directory.listed_coops()],
        "openings": [opening.key for opening in directory.openings()],
        "open": [opening.key for opening in directory.open_openings()],
        "closed": [opening.key for opening in directory.closed_openings()],
        "slices": {
            key: [
                (one.value, one.label, [c.slug for c in one.coops], [o.key for o in one.openings])
                for one in facet_slices
            ]
            for key, facet_slices in slices.items()
        },
        # The co-ops each slice's page shows, by slug: kept ones must be what they would be.
        "shown": {
            one.url: (
                [c.slug for c in one.shown]
                if one.shown is not None
                else sorted({c.slug for c in one.coops} | {o.coop_slug for o in one.openings})
            )
            for facet_slices in slices.values()
            for one in facet_slices
        },
    }


def sliced_as_a_build_does(folder: Path, cache: Path, day: dt.date = DAY) -> tuple[dict, bool]:
    """Slice a fresh load through the cache; keep what was made. Return (lists, were kept)."""
    directory = load(folder, day)
    made = directory_slices(directory, cache, VERSION + day.isoformat())
    if made.keep is not None:
        made.keep()
    NAMES.append(made.placements)
    return described(directory, made.slices), made.keep is None


NAMES: list[str] = []
"""The name of the placements each call above gave, in order."""


def sliced_from_scratch(folder: Path, day: dt.date = DAY) -> dict:
    directory = load(folder, day)
    return described(directory, slice_directory(directory))


def with_openings(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if "openings" in yaml.safe_load(p.read_text()))


def edit(path: Path, change: Callable[[Data], None]) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def _summary(data: Data) -> None:
    data["summary"] = (data.get("summary") or "A co-op") + " Edited."


def _description(data: Data) -> None:
    data["description"] = "A new description of this co-op, in one paragraph."


def _opening_title(data: Data) -> None:
    data["openings"][0]["title"] += " (edited)"


def _name(data: Data) -> None:
    data["name"] = "Aardvark " + data["name"]


def _posted(data: Data) -> None:
    opening = data["openings"][0]
    opening["posted"] = DAY - dt.timedelta(days=1)
    if "closes" in opening:
        opening["closes"] = DAY + dt.timedelta(days=30)


def _technology(data: Data) -> None:
    technologies = data.get("technologies", [])
    if "rust" in technologies:
        data["technologies"] = [name for name in technologies if name != "rust"]
    else:
        data["technologies"] = [*technologies, "rust"]


def _closed(data: Data) -> None:
    opening = data["openings"][0]
    opening["posted"] = DAY - dt.timedelta(days=40)
    opening["closes"] = DAY - dt.timedelta(days=10)


def _closes(data: Data) -> None:
    opening = data["openings"][-1]
    opening["posted"] = DAY - dt.timedelta(days=50)
    opening["closes"] = DAY - dt.timedelta(days=chooser_day(opening))


def chooser_day(opening: Data) -> int:
    """Another closing day in the past each time (the archive sorts by it)."""
    closes = opening.get("closes")
    return 3 + (DAY - closes).days % 20 if isinstance(closes, dt.date) else 3


def _kind(data: Data) -> None:
    opening = data["openings"][0]
    opening["kind"] = "internship" if opening.get("kind") != "internship" else "job"


IN_PLACE = [_summary, _description, _opening_title]
"""Edits that move nothing: the kept lists serve."""
MOVING = [_name, _posted, _technology, _closed, _closes, _kind]
"""Edits that change a co-op's place in some list: the lists are made again."""


@pytest.mark.parametrize("change", IN_PLACE + MOVING, ids=lambda f: f.__name__.strip("_"))
def test_an_edit_keeps_the_lists_only_when_nothing_moved(
    coops: Path, tmp_path: Path, change: Callable[[Data], None]
) -> None:
    cache = tmp_path / "slices.pickle"
    first, kept = sliced_as_a_build_does(coops, cache)
    assert not kept  # nothing to keep from yet
    edit(with_openings(coops)[0], change)
    again, kept = sliced_as_a_build_does(coops, cache)
    assert kept == (change in IN_PLACE)
    # The same placements keep their name (the directory's own outbox is not made again).
    assert (NAMES[-1] == NAMES[-2]) == (change in IN_PLACE)
    assert again == sliced_from_scratch(coops)
    if change in MOVING:
        assert again != first, "a moving edit that moved nothing tests nothing"


def test_a_closed_opening_closing_another_day_moves_in_the_archive(
    coops: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "slices.pickle"
    path = with_openings(coops)[0]

    def closes_days_ago(days: int) -> Callable[[Data], None]:
        def change(data: Data) -> None:
            data["openings"][-1]["posted"] = DAY - dt.timedelta(days=400)
            data["openings"][-1]["closes"] = DAY - dt.timedelta(days=days)

        return change

    edit(with_openings(coops)[1], closes_days_ago(100))
    edit(path, closes_days_ago(300))
    before, _ = sliced_as_a_build_does(coops, cache)
    edit(path, closes_days_ago(1))  # closed still, but the most recently closed now
    after, kept = sliced_as_a_build_does(coops, cache)
    assert not kept
    assert after == sliced_from_scratch(coops)
    assert after["closed"] != before["closed"]


def test_a_removed_or_added_coop_makes_the_lists_again(coops: Path, tmp_path: Path) -> None:
    cache = tmp_path / "slices.pickle"
    sliced_as_a_build_does(coops, cache)
    removed = with_openings(coops)[1]
    text = removed.read_text("utf-8")
    removed.unlink()
    after, kept = sliced_as_a_build_does(coops, cache)
    assert not kept
    assert after == sliced_from_scratch(coops)
    removed.write_text(text, "utf-8")
    after, kept = sliced_as_a_build_does(coops, cache)
    assert not kept
    assert after == sliced_from_scratch(coops)


def test_another_day_makes_the_lists_again(coops: Path, tmp_path: Path) -> None:
    cache = tmp_path / "slices.pickle"
    sliced_as_a_build_does(coops, cache)
    later = DAY + dt.timedelta(days=60)  # some openings have closed by then
    after, kept = sliced_as_a_build_does(coops, cache, later)
    assert not kept
    assert after == sliced_from_scratch(coops, later)


def test_random_edits_always_give_the_lists_a_fresh_slicing_gives(
    coops: Path, tmp_path: Path
) -> None:
    chooser = random.Random(20261126)
    cache = tmp_path / "slices.pickle"
    sliced_as_a_build_does(coops, cache)
    files = with_openings(coops)
    kept_count = 0
    for _ in range(24):
        for path in chooser.sample(files, chooser.choice([1, 1, 2])):
            edit(path, chooser.choice(IN_PLACE + MOVING))
        after, kept = sliced_as_a_build_does(coops, cache)
        kept_count += kept
        assert after == sliced_from_scratch(coops)
    assert 0 < kept_count < 24  # both ways were taken
