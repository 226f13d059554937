"""The directory's facet slices and sorted lists, kept between builds while no change moves them.

Every rebuild sorts 10,000 co-ops by name and 50,000 openings by date, and slices both by eight
facets, before it can plan a page (0.4 s at that size): most of a rebuild after a one-line edit.
Yet what decides those lists is a small part of each co-op file: its name, status, facet values,
and its openings' ids, dates and facet values (its **placement**). A summary, a description or an
opening's title never moves anything.

So the lists are kept as positions and slugs, with each co-op's placement. A rebuild works out
the placement of the co-ops whose files changed since (by their fingerprints) and, if every one
is what was kept, rebuilds the lists from the positions: the same lists ``slice_directory``
would make, out of this build's objects. Any co-op added, removed or moved, or another day,
code or settings (``version``), and they are made afresh and kept again.
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .facets import FACETS, Slice, slice_directory
from .model import Coop, Directory, sort_key_for_name
from .pages import shown_places
from .parsecache import PROTOCOL, read_versioned, write_versioned

STALE_FINGERPRINTS_AT_MOST = 200
"""Keep the lists again once this many co-ops changed without moving (each costs a check)."""


def placement(coop: Coop, directory: Directory) -> bytes:
    """Say, as bytes, everything about a co-op that decides where it and its openings are listed.

    The inputs of ``Directory``'s sorted lists (status, name, openings' dates, ids and states)
    and of ``slice_directory`` (each facet's values, for the co-op and for each opening): two
    co-ops with equal placements sit in the same places.
    """
    openings = tuple(
        (
            opening.key,
            opening.posted,
            opening.closes,
            directory.opening_state(opening),
            tuple(tuple(dict.fromkeys(f.opening_values(opening, coop))) for f in FACETS),
        )
        for opening in coop.openings
    )
    facets = tuple(tuple(dict.fromkeys(f.coop_values(coop))) for f in FACETS)
    return pickle.dumps((coop.status, sort_key_for_name(coop), facets, openings), PROTOCOL)


@dataclass
class KeptSlices:
    """The lists of one build, by position: what the cache file holds."""

    placements_name: str
    """A name for these placements, new each time they are worked out (``DirectorySlices``)."""
    fingerprints: dict[str, str]
    """Each co-op's fingerprint when its placement was last taken (slug → ``slug=digest``)."""
    placements: dict[str, bytes]
    listed: list[str]
    """The listed co-ops' slugs, in ``listed_coops`` order."""
    openings: list[tuple[str, int]]
    """Every opening, newest first, as (co-op slug, index among its openings)."""
    open_openings: list[int]
    """The open openings, newest first, by position in ``openings``."""
    closed_openings: list[int]
    """The closed openings, most recently closed first, by position in ``openings``."""
    slices: dict[str, list[tuple[str, str, list[int], list[int], list[int]]]]
    """Each facet's slices: value, label, positions in ``listed``, in ``open_openings``, and
    of the co-ops its page shows among every co-op by slug (``Slice.shown``)."""


@dataclass
class DirectorySlices:
    """A build's slices, which placements they stand for, and how to keep them if new."""

    slices: dict[str, list[Slice]]
    placements: str
    """Names the co-ops' placements these lists were made from (a new name when made).

    Two builds with the same name (and the same ``version``) placed every co-op alike, so
    whatever shows only placements (the directory's own outbox and featured openings, which
    list openings by id and date) is as the earlier build left it.
    """
    keep: Callable[[], None] | None
    """Keeps new lists for the next build: working out 10,000 placements takes as long as
    slicing (0.4 s), so the build calls it once its site is done (``pelicanrun.after_status``).
    Until it has, the next build makes the lists again: slower, never wrong."""


def directory_slices(
    directory: Directory, cache_file: Path | None, version: str
) -> DirectorySlices:
    """Return the directory's slices, from the kept positions when nothing moved.

    Also primes ``directory``'s sorted lists (listed co-ops, openings) with the same order.
    """
    kept = read_versioned(cache_file, version) if cache_file is not None else None
    if isinstance(kept, KeptSlices):
        changed = _changed_in_place(directory, kept)
        if changed is not None:
            slices = _rebuild(directory, kept)
            if len(changed) > STALE_FINGERPRINTS_AT_MOST and cache_file is not None:
                kept.fingerprints.update((coop.slug, coop.fingerprint) for coop in changed)
                write_versioned(cache_file, version, kept)
            return DirectorySlices(slices, kept.placements_name, None)
    slices = slice_directory(directory)
    name = uuid.uuid4().hex
    if cache_file is None:
        return DirectorySlices(slices, name, None)

    def keep() -> None:
        write_versioned(cache_file, version, _keep(directory, slices, name))

    return DirectorySlices(slices, name, keep)


def _changed_in_place(directory: Directory, kept: KeptSlices) -> list[Coop] | None:
    """Return the co-ops that changed without moving, or None if any moved (or came or went)."""
    coops = directory.coops
    if len(coops) != len(kept.fingerprints):
        return None
    fingerprints = kept.fingerprints
    changed = [coop for coop in coops if fingerprints.get(coop.slug) != coop.fingerprint]
    for coop in changed:
        if kept.placements.get(coop.slug) != placement(coop, directory):
            return None
    return changed


def _rebuild(directory: Directory, kept: KeptSlices) -> dict[str, list[Slice]]:
    by_slug = directory.by_slug
    listed = tuple(by_slug[slug] for slug in kept.listed)
    every = tuple(by_slug[slug].openings[index] for slug, index in kept.openings)
    open_now = tuple(every[i] for i in kept.open_openings)
    directory.adopt_order(listed, every, open_now, tuple(every[i] for i in kept.closed_openings))
    by_key = {facet.key: facet for facet in FACETS}
    in_slug_order = directory.in_slug_order
    return {
        key: [
            Slice(
                facet=by_key[key],
                value=value,
                label=label,
                coops=tuple([listed[i] for i in coop_positions]),
                openings=tuple([open_now[i] for i in opening_positions]),
                shown=tuple([in_slug_order[i] for i in shown_positions]),
            )
            for value, label, coop_positions, opening_positions, shown_positions in facet_slices
        ]
        for key, facet_slices in kept.slices.items()
    }


def _keep(directory: Directory, slices: dict[str, list[Slice]], name: str) -> KeptSlices:
    listed = directory.listed_coops()
    every = directory.openings()
    open_now = directory.open_openings()
    coop_position = {id(coop): number for number, coop in enumerate(listed)}
    opening_position = {id(opening): number for number, opening in enumerate(open_now)}
    in_every = {id(opening): number for number, opening in enumerate(every)}
    index_in_coop = {
        id(opening): index
        for coop in directory.coops
        for index, opening in enumerate(coop.openings)
    }
    return KeptSlices(
        placements_name=name,
        fingerprints={coop.slug: coop.fingerprint for coop in directory.coops},
        placements={coop.slug: placement(coop, directory) for coop in directory.coops},
        listed=[coop.slug for coop in listed],
        openings=[(o.coop_slug, index_in_coop[id(o)]) for o in every],
        open_openings=[in_every[id(o)] for o in open_now],
        closed_openings=[in_every[id(o)] for o in directory.closed_openings()],
        slices={
            key: [
                (
                    one.value,
                    one.label,
                    [coop_position[id(coop)] for coop in one.coops],
                    [opening_position[id(opening)] for opening in one.openings],
                    shown_places(one, directory.slug_places),
                )
                for one in facet_slices
            ]
            for key, facet_slices in slices.items()
        },
    )
