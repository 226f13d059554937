"""The directory as search documents: one per listed co-op, one per open opening.

Both engines index exactly these documents, so what can be found, and under which facet, is
decided once. A document's text is split into fields with their own weight: a name outweighs
technologies and services, which outweigh places, then the summary, then the description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import labels
from ..facets import FACETS
from ..model import Coop, Directory, Opening
from ..urls import coop_url, opening_url
from ..vocab import vocabulary

FIELD_BOOSTS: dict[str, float] = {
    "name": 6.0,
    "coop": 2.0,
    "tags": 3.0,
    "place": 2.0,
    "summary": 1.5,
    "description": 1.0,
}
"""Search fields and their weights. ``coop`` is the co-op's name on its openings."""

FACET_KEYS: tuple[str, ...] = ("countries", "remote", "technologies", "services", "kinds", "hiring")
"""The facets a search can be narrowed by (keys of ``facets.FACETS``)."""

FILTER_KEYS: tuple[str, ...] = (*FACET_KEYS, "remote-ok", "type")
"""Everything a search can be narrowed by: the facets, remote work, co-op or opening."""

REMOTE_POLICIES = frozenset({"fully-remote", "remote-first"})
"""Co-op remote policies under which a job seeker can expect to work remotely."""

_MARKDOWN_LINK_TARGET = re.compile(r"\]\([^)]*\)")


@dataclass(frozen=True)
class SearchDoc:
    """One thing a search can find, with what a result line shows."""

    url: str
    kind: str
    """``coop`` or ``opening``."""
    title: str
    coop_name: str
    where: str
    fields: tuple[tuple[str, str], ...]
    """(field, text) pairs, fields from FIELD_BOOSTS."""
    facets: tuple[tuple[str, tuple[str, ...]], ...]
    """(facet key, values) pairs, keys from FACET_KEYS (plus ``type``: coop or opening)."""
    coop_slug: str
    example: bool = False
    """Made-up data (an opening marked ``example: true``): results say so."""

    def facet(self, key: str) -> tuple[str, ...]:
        """Return this document's values for one facet."""
        return dict(self.facets).get(key, ())

    def is_remote(self) -> bool:
        """Tell whether the work can be done remotely (``--remote``, the "Remote" filter)."""
        return "yes" in self.facet("remote-ok")


def _plain(markdown: str | None) -> str:
    """Drop link targets from Markdown: a URL's pieces are not words people search for."""
    return _MARKDOWN_LINK_TARGET.sub("]", markdown or "")


def _terms_text(vocabulary_name: str, slugs: tuple[str, ...]) -> str:
    """Labels, slugs and aliases of terms, so ``js`` finds JavaScript and ``golang`` finds Go."""
    terms = vocabulary(vocabulary_name).terms
    words = []
    for slug in slugs:
        term = terms.get(slug)
        words += [slug, term.label, *term.aliases] if term else [slug]
    return " ; ".join(words)


def _places_text(places: list[object]) -> str:
    """Places as words: city, region, country name and code."""
    words = []
    for place in places:
        words += [labels.place_text(place), place.country]  # type: ignore[attr-defined]
    return " ; ".join(words)


def _facets(values: dict[str, list[str]], remote: bool, kind: str) -> tuple:
    pairs = [(key, tuple(sorted(dict.fromkeys(values.get(key, []))))) for key in FACET_KEYS]
    pairs.append(("remote-ok", ("yes",) if remote else ()))
    pairs.append(("type", (kind,)))
    return tuple(pairs)


def coop_document(coop: Coop, open_kinds: list[str]) -> SearchDoc:
    """Return the search document of a listed co-op."""
    values = {facet.key: list(facet.coop_values(coop)) for facet in FACETS}
    values["kinds"] = open_kinds
    return SearchDoc(
        url=coop_url(coop),
        kind="coop",
        title=coop.name,
        coop_name=coop.name,
        where=labels.places_text(coop.locations),
        fields=(
            ("name", coop.name),
            (
                "tags",
                " ; ".join(
                    [
                        _terms_text("technologies", coop.technologies),
                        _terms_text("services", coop.services),
                        _terms_text("sectors", coop.sectors),
                    ]
                ),
            ),
            ("place", _places_text(list(coop.locations))),
            ("summary", coop.summary or ""),
            ("description", _plain(coop.description)),
        ),
        facets=_facets(values, coop.remote in REMOTE_POLICIES, "coop"),
        coop_slug=coop.slug,
    )


def opening_document(opening: Opening, coop: Coop) -> SearchDoc:
    """Return the search document of an open opening."""
    values = {facet.key: list(facet.opening_values(opening, coop)) for facet in FACETS}
    places = [opening.location] if opening.location else list(coop.locations)
    remote = opening.remote == "remote" or (
        opening.remote is None and coop.remote in REMOTE_POLICIES
    )
    return SearchDoc(
        url=opening_url(opening),
        kind="opening",
        title=opening.title,
        coop_name=coop.name,
        where=labels.opening_where(opening, coop),
        fields=(
            ("name", opening.title),
            ("coop", coop.name),
            # Only the opening's own technologies: a bookkeeper's job is not a Go job because
            # the co-op writes Go (the technology facet still files it under its co-op's).
            ("tags", _terms_text("technologies", opening.technologies)),
            ("place", _places_text(places) + (" ; remote" if remote else "")),
            ("summary", labels.OPENING_KIND[opening.kind]),
            ("description", _plain(opening.description)),
        ),
        facets=_facets(values, remote, "opening"),
        coop_slug=coop.slug,
        example=opening.example,
    )


def search_documents(directory: Directory) -> list[SearchDoc]:
    """Return every listed co-op and open opening as search documents, sorted by URL.

    Sorting by URL keeps a co-op next to its openings, so the browser fetches few result chunks.
    """
    kinds: dict[str, list[str]] = {}
    docs = []
    for opening in directory.open_openings():
        coop = directory.by_slug[opening.coop_slug]
        kinds.setdefault(coop.slug, []).append(opening.kind)
        docs.append(opening_document(opening, coop))
    docs += [coop_document(coop, kinds.get(coop.slug, [])) for coop in directory.listed_coops()]
    return sorted(docs, key=lambda doc: doc.url)


class SearchIds(dict[str, int]):
    """Each search document's id by URL; ``of`` finds it by the co-op or opening itself.

    List pages look up an id for each of their 150,000 rows (at 10,000 co-ops): by the item
    that is one dictionary lookup, where by URL it is a URL made and hashed each time.
    """

    def __init__(self, by_url: dict[str, int], by_item: dict[int, int]) -> None:
        super().__init__(by_url)
        self._by_item = by_item

    def of(self, item: Coop | Opening) -> int:
        """Return the id of a listed co-op's or open opening's document."""
        found = self._by_item.get(id(item))
        if found is not None:
            return found
        return self[coop_url(item) if isinstance(item, Coop) else opening_url(item)]


def search_ids(directory: Directory) -> SearchIds:
    """Return each search document's id (its place in ``search_documents``), by URL and item.

    The same numbers, from the URLs alone: list pages carry these ids, and a rebuild that
    writes no search index need not make every document to learn them.
    """
    listed: list[tuple[str, Coop | Opening]] = [
        (opening_url(opening), opening) for opening in directory.open_openings()
    ]
    listed += [(coop_url(coop), coop) for coop in directory.listed_coops()]
    listed.sort(key=lambda pair: pair[0])
    return SearchIds(
        {url: number for number, (url, _) in enumerate(listed)},
        {id(item): number for number, (_, item) in enumerate(listed)},
    )
