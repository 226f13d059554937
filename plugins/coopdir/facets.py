"""The directory cut into slices: by country, remote policy, technology, service and more.

Each slice becomes a static page (so browsing needs no JavaScript) and, later, a feed. The
membership rules live here once: a co-op is in a slice when its file says so; an opening is in a
slice when it says so itself, or, for facets that describe the co-op, when its co-op is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import labels
from .model import Coop, Directory, Opening
from .urls import facet_index_url, facet_url

Values = Callable[[Coop], Iterable[str]]
OpeningValues = Callable[[Opening, Coop], Iterable[str]]


@dataclass(frozen=True)
class Facet:
    """One way of slicing the directory."""

    key: str
    """The URL segment, plural: ``technologies``."""
    title: str
    """What the facet page is called: ``Technologies``."""
    coop_values: Values
    opening_values: OpeningValues
    label: Callable[[str], str]

    @property
    def url(self) -> str:
        """Return the page listing every slice of this facet."""
        return facet_index_url(self.key)


@dataclass(frozen=True)
class Slice:
    """The co-ops and open openings that share one value of a facet."""

    facet: Facet
    value: str
    label: str
    coops: tuple[Coop, ...]
    openings: tuple[Opening, ...]
    shown: tuple[Coop, ...] | None = field(default=None, compare=False, repr=False)
    """Every co-op its page shows (listed, or as an opening's), by slug, when known already:
    ``slicecache`` keeps them (else the page's plan works them out)."""

    @property
    def url(self) -> str:
        """Return this slice's page."""
        return facet_url(self.facet.key, self.value)


def _coop_countries(coop: Coop) -> list[str]:
    return [place.country for place in coop.locations]


def _opening_countries(opening: Opening, coop: Coop) -> list[str]:
    return [opening.location.country] if opening.location else _coop_countries(coop)


def _from_coop(values: Values) -> OpeningValues:
    """Let an opening belong where its co-op belongs, for facets that describe the co-op."""
    return lambda opening, coop: values(coop)


def _one(value: str | None) -> list[str]:
    return [value] if value else []


FACETS: tuple[Facet, ...] = (
    Facet("countries", "Countries", _coop_countries, _opening_countries, labels.country_name),
    Facet(
        "remote",
        "Remote policy",
        lambda coop: _one(coop.remote),
        _from_coop(lambda coop: _one(coop.remote)),
        lambda value: labels.REMOTE_POLICY[value],
    ),
    Facet(
        "technologies",
        "Technologies",
        lambda coop: coop.technologies,
        lambda opening, coop: opening.technologies or coop.technologies,
        lambda value: labels.term_label("technologies", value),
    ),
    Facet(
        "services",
        "Services",
        lambda coop: coop.services,
        _from_coop(lambda coop: coop.services),
        lambda value: labels.term_label("services", value),
    ),
    Facet(
        "kinds",
        "Kinds of opening",
        lambda coop: [],  # filled from the co-op's open openings in slice_directory
        lambda opening, coop: [opening.kind],
        lambda value: labels.OPENING_KIND[value],
    ),
    Facet(
        "hiring",
        "Hiring status",
        lambda coop: _one(coop.hiring.status if coop.hiring else None),
        _from_coop(lambda coop: _one(coop.hiring.status if coop.hiring else None)),
        lambda value: labels.HIRING_STATUS[value],
    ),
    Facet(
        "types",
        "Kinds of co-op",
        lambda coop: _one(coop.type),
        _from_coop(lambda coop: _one(coop.type)),
        lambda value: labels.COOP_TYPE[value],
    ),
    Facet(
        "networks",
        "Networks",
        lambda coop: [membership.network for membership in coop.networks],
        _from_coop(lambda coop: [membership.network for membership in coop.networks]),
        lambda value: labels.term_label("networks", value),
    ),
)


def slice_directory(directory: Directory) -> dict[str, list[Slice]]:
    """Return every non-empty slice of every facet, sorted by label, keyed by facet."""
    listed = directory.listed_coops()
    position = {coop.slug: index for index, coop in enumerate(listed)}
    by_slug = directory.by_slug
    pairs = [(opening, by_slug[opening.coop_slug]) for opening in directory.open_openings()]
    result: dict[str, list[Slice]] = {}
    for facet in FACETS:
        coops: dict[str, list[Coop]] = {}
        openings: dict[str, list[Opening]] = {}
        hiring_coops: set[tuple[str, str]] = set()  # (kind, slug): a set, not a list scan
        kinds = facet.key == "kinds"
        opening_values, coop_values = facet.opening_values, facet.coop_values
        for opening, coop in pairs:
            for value in dict.fromkeys(opening_values(opening, coop)):
                openings.setdefault(value, []).append(opening)
                if kinds and (value, coop.slug) not in hiring_coops:
                    hiring_coops.add((value, coop.slug))
                    coops.setdefault(value, []).append(coop)
        for coop in listed:
            for value in dict.fromkeys(coop_values(coop)):
                coops.setdefault(value, []).append(coop)
        values = set(coops) | set(openings)
        slices = [
            Slice(
                facet=facet,
                value=value,
                label=facet.label(value),
                # Lists made from ``listed`` are in its order already; kinds come by openings.
                coops=tuple(sorted(coops.get(value, ()), key=lambda c: position[c.slug]))
                if kinds
                else tuple(coops.get(value, ())),
                openings=tuple(openings.get(value, ())),
            )
            for value in values
        ]
        result[facet.key] = sorted(slices, key=lambda s: (s.label.casefold(), s.value))
    return result


OPENING_FILTERS = ("kinds", "countries", "technologies", "remote")
"""The facets the openings page filters by in place (its cards carry their values)."""
SEARCH_FILTERS = ("countries", "technologies", "services", "kinds", "hiring")
"""The facets the search box narrows by (besides co-op or opening, and remote work)."""


def opening_facets(opening: Opening, coop: Coop) -> dict[str, list[str]]:
    """Return an opening's values for each facet the openings page filters by."""
    by_key = {facet.key: facet for facet in FACETS}
    return {
        key: list(dict.fromkeys(by_key[key].opening_values(opening, coop)))
        for key in OPENING_FILTERS
    }
