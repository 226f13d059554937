"""The site's pages as a plan: which file, from which template, with which data.

Computing the plan is plain Python (no Pelican), so tests can inspect it and the generator only
has to render it. Templates get ready-made objects and URLs and never branch over settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from . import urls
from .facets import FACETS, OPENING_FILTERS, SEARCH_FILTERS, Slice, slice_directory
from .feeds import FeedLink, links_for
from .jsonld import job_posting, organization
from .model import Coop, Directory, Opening

NEWEST = 10


class LazyContext(Mapping[str, Any]):
    """Template variables of which some are made only when the page is rendered.

    A rebuild plans every page but renders only the changed ones: the 50,000 JobPostings of a
    10,000-co-op directory took seconds to make on every build, for the few pages rendered.
    Each deferred value is made at most once, from what the plan already fixed.
    """

    def __init__(self, ready: dict[str, Any], later: dict[str, Callable[[], Any]]) -> None:
        self._ready = ready
        self._later = later

    def __getitem__(self, key: str) -> Any:
        if key not in self._ready and key in self._later:
            self._ready[key] = self._later.pop(key)()
        return self._ready[key]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._ready, *self._later])

    def __len__(self) -> int:
        return len(self._ready) + len(self._later)


@dataclass(frozen=True)
class Page:
    """One page to write: its URL, its template (without .html) and its template variables."""

    url: str
    template: str
    title: str
    context: Mapping[str, Any] = field(default_factory=dict)
    depends: tuple[Coop, ...] | None = None
    """The co-ops whose files this page shows; None means it depends on every co-op."""
    feeds: tuple[FeedLink, ...] = ()
    """The feeds that follow what this page shows (linked in its head and body)."""

    @property
    def save_as(self) -> str:
        """Return the output file for this page."""
        return urls.save_as(self.url)

    # What a plan's entries all say (``CoopPages`` says it for several pages at once).

    @property
    def key(self) -> str:
        """Return the manifest key of this page: its file."""
        return self.save_as

    @property
    def files(self) -> list[str]:
        """Return the files this entry writes."""
        return [self.save_as]

    @property
    def urls(self) -> list[str]:
        """Return the URLs of the pages of this entry (the 404 page has none to list)."""
        return [] if self.template == "404" else [self.url]

    @property
    def count(self) -> int:
        """Count the pages of this entry."""
        return 1

    def pages(self) -> list[Page]:
        """Return the pages to render for this entry."""
        return [self]


@dataclass(frozen=True)
class CoopPages:
    """A co-op's page and its openings' pages, made only when they are to be written.

    Most of a directory's pages belong to one co-op each; a rebuild after a one-file change
    writes one co-op's, and deciding that must not cost making 60,000 pages (at 10,000
    co-ops). They are fingerprinted together, by the co-op and its lineage relatives.
    """

    coop: Coop
    depends: tuple[Coop, ...]
    make: Callable[[], list[Page]]

    @property
    def key(self) -> str:
        """Return the manifest key of the group."""
        return f"coop-pages:{self.coop.slug}"

    @cached_property
    def urls(self) -> list[str]:
        """Return the co-op's page and its openings' pages, in the order ``pages`` makes them."""
        return [urls.coop_url(self.coop), *(urls.opening_url(o) for o in self.coop.openings)]

    @cached_property
    def files(self) -> list[str]:
        """Return the files the group writes."""
        return [urls.save_as(url) for url in self.urls]

    @property
    def count(self) -> int:
        """Count the group's pages."""
        return 1 + len(self.coop.openings)

    def pages(self) -> list[Page]:
        """Make the pages."""
        return self.make()


PlanEntry = Page | CoopPages


@dataclass(frozen=True)
class CoopView:
    """A co-op with what its page shows besides its own file: openings by state, lineage."""

    coop: Coop
    open: tuple[Opening, ...]
    upcoming: tuple[Opening, ...]
    closed: tuple[Opening, ...]
    spun_off_from: tuple[Coop, ...]
    spin_offs: tuple[Coop, ...]
    merged_into: Coop | None
    merged_from: tuple[Coop, ...]
    edit_url: str
    source_path: str


@dataclass(frozen=True)
class Relatives:
    """A co-op's lineage, both ways: what its page shows of other co-ops."""

    spun_off_from: tuple[Coop, ...]
    spin_offs: tuple[Coop, ...]
    merged_into: Coop | None
    merged_from: tuple[Coop, ...]

    def all(self) -> tuple[Coop, ...]:
        """Return every relative (a change to any of them changes the co-op's page)."""
        merged_into = (self.merged_into,) if self.merged_into else ()
        return (*self.spun_off_from, *self.spin_offs, *self.merged_from, *merged_into)


def relatives(directory: Directory, coop: Coop) -> Relatives:
    """Look up a co-op's lineage in the directory, both ways."""
    lineage = coop.lineage
    return Relatives(
        spun_off_from=tuple(
            directory.by_slug[s] for s in (lineage.spun_off_from if lineage else ())
        ),
        spin_offs=tuple(directory.spin_offs(coop)),
        merged_into=directory.by_slug.get(lineage.merged_into)
        if lineage and lineage.merged_into
        else None,
        merged_from=tuple(directory.merged_from(coop)),
    )


def coop_view(
    directory: Directory, coop: Coop, family: Relatives, repository_url: str, folder: str
) -> CoopView:
    """Gather what a co-op's page shows (``family``: its lineage, looked up once)."""

    def state(name: str) -> tuple[Opening, ...]:
        return tuple(o for o in coop.openings if directory.opening_state(o) == name)

    source_path = f"{folder}/{coop.slug}.yaml"
    return CoopView(
        coop=coop,
        open=state("open"),
        upcoming=state("upcoming"),
        closed=state("closed"),
        spun_off_from=family.spun_off_from,
        spin_offs=family.spin_offs,
        merged_into=family.merged_into,
        merged_from=family.merged_from,
        edit_url=f"{repository_url.rstrip('/')}/edit/main/{source_path}",
        source_path=source_path,
    )


def plan_pages(
    directory: Directory,
    *,
    repository_url: str,
    folder: str = "coops",
    slices: dict[str, list[Slice]] | None = None,
    site_url: str = "http://localhost:8000",
) -> list[PlanEntry]:
    """Return every page of the site, in a stable order (a co-op's pages as one entry)."""
    slices = slices if slices is not None else slice_directory(directory)
    return list(_plan(directory, repository_url, folder, slices, site_url))


OPENING_FEEDS = links_for(urls.OPENINGS, "Openings in tech worker co-ops")


def _plan(
    directory: Directory,
    repository_url: str,
    folder: str,
    slices: dict[str, list[Slice]],
    site_url: str,
) -> Iterator[PlanEntry]:
    listed = directory.listed_coops()
    open_openings = directory.open_openings()
    yield Page(
        urls.HOME,
        "home",
        "Tech worker co-ops and their openings",
        {
            "counts": {
                "coops": len(listed),
                "openings": len(open_openings),
                "countries": len(slices["countries"]),
            },
            "newest_openings": open_openings[:NEWEST],
            "newest_coops": directory.newest_coops(NEWEST),
            "search_filters": {key: slices[key] for key in SEARCH_FILTERS},
        },
        feeds=OPENING_FEEDS,
    )
    yield Page(
        urls.DIRECTORY,
        "directory",
        "All co-ops",
        {
            "coops": listed,
            "filters": {key: slices[key] for key in ("countries", "remote", "services", "hiring")},
        },
        feeds=links_for(urls.DIRECTORY, "New tech worker co-ops"),
    )
    yield Page(
        urls.OPENINGS,
        "openings",
        "Open openings",
        {"openings": open_openings, "filters": {key: slices[key] for key in OPENING_FILTERS}},
        feeds=OPENING_FEEDS,
    )
    yield Page(
        urls.SEARCH,
        "search",
        "Search",
        {"search_filters": {key: slices[key] for key in SEARCH_FILTERS}},
    )
    yield Page(
        urls.ARCHIVE,
        "archive",
        "Archive",
        {
            "closed_openings": directory.closed_openings(),
            "dissolved_coops": directory.dissolved_coops(),
        },
    )
    for coop in directory.coops:
        family = relatives(directory, coop)
        yield CoopPages(
            coop,
            (coop, *family.all()),
            partial(_coop_pages, directory, coop, family, repository_url, folder, site_url),
        )
    for facet in FACETS:
        yield Page(
            facet.url,
            "facet_index",
            facet.title,
            {
                "facet": facet,
                "slices": slices[facet.key],
            },
        )
        for one in slices[facet.key]:
            yield _slice_page(one, directory)
    yield Page("/404.html", "404", "Page not found")


def _coop_pages(
    directory: Directory,
    coop: Coop,
    family: Relatives,
    repository_url: str,
    folder: str,
    site_url: str,
) -> list[Page]:
    """Make a co-op's page and its openings' pages."""
    view = coop_view(directory, coop, family, repository_url, folder)
    pages = [
        Page(
            urls.coop_url(coop),
            "coop",
            coop.name,
            LazyContext(
                {"view": view, "coop": coop},
                {"jsonld": partial(organization, coop, site_url=site_url)},
            ),
            depends=(coop, *family.all()),
            feeds=()
            if coop.status == "dissolved"
            else links_for(urls.coop_url(coop), f"Openings at {coop.name}"),
        )
    ]
    for opening in coop.openings:
        state = directory.opening_state(opening)
        pages.append(
            Page(
                urls.opening_url(opening),
                "opening",
                f"{opening.title} at {coop.name}",
                LazyContext(
                    {"opening": opening, "coop": coop, "state": state},
                    {"jsonld": partial(_posting, opening, coop, state, site_url)},
                ),
                depends=(coop,),
            )
        )
    return pages


def _posting(opening: Opening, coop: Coop, state: str, site_url: str) -> dict[str, Any]:
    """Return the opening's JobPosting; once closed, its validThrough is in the past.

    Google accepts a past ``validThrough`` as the sign that a posting has expired (as it does
    removing the markup); keeping it lets the page still say what the opening was. A closed
    opening cannot be applied to, so it makes no ``directApply`` claim.
    """
    posting = job_posting(opening, coop, site_url=site_url)
    if state != "open":
        posting.pop("directApply", None)
    return posting


def shown_places(one: Slice, position: dict[str, int]) -> list[int]:
    """Return where the co-ops a slice's page shows are in the list of every co-op by slug.

    Those listed, and those of its openings; ``position`` gives each slug's place. Sorted.
    """
    shown = {position[coop.slug] for coop in one.coops}
    shown.update([position[opening.coop_slug] for opening in one.openings])
    return sorted(shown)


def _slice_page(one: Slice, directory: Directory) -> Page:
    shown = one.shown
    if shown is None:  # numbers are quicker to sort than slugs
        by_slug = directory.in_slug_order
        shown = tuple([by_slug[place] for place in shown_places(one, directory.slug_places)])
    return Page(
        one.url,
        "facet",
        f"{one.facet.title}: {one.label}",
        {"slice": one, "facet": one.facet},
        depends=shown,
        feeds=links_for(one.url, f"Openings: {one.facet.title}: {one.label}"),
    )
