"""Every URL of the site, in one place: feeds, followers and search engines keep them.

Paths are root-relative and end in ``/``; ``save_as`` gives the file that serves each one.
"""

from __future__ import annotations

from .model import Coop, Opening

HOME = "/"
DIRECTORY = "/coops/"
OPENINGS = "/openings/"
ARCHIVE = "/archive/"
SEARCH = "/search/"


def coop_url(coop: Coop | str) -> str:
    """Return the page of a co-op (or of a slug)."""
    slug = coop if isinstance(coop, str) else coop.slug
    return f"/coops/{slug}/"


def opening_url(opening: Opening) -> str:
    """Return the page of an opening, under its co-op's page."""
    return f"/coops/{opening.coop_slug}/openings/{opening.id}/"


def facet_index_url(facet: str) -> str:
    """Return the page listing every value of a facet (``/technologies/``)."""
    return f"/{facet}/"


def facet_url(facet: str, value: str) -> str:
    """Return the page of one slice (``/technologies/python/``, ``/countries/de/``)."""
    return f"/{facet}/{value.lower()}/"


def absolute(site_url: str, url: str) -> str:
    """Return a root-relative URL as an absolute one on the published site."""
    return site_url.rstrip("/") + url


def save_as(url: str) -> str:
    """Return the output file that serves a URL (``/coops/x/`` → ``coops/x/index.html``)."""
    path = url.lstrip("/")
    return f"{path}index.html" if path.endswith("/") or not path else path
