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
SEARCH_INDEX_FOLDER = "search-index"
"""The folder of the browser's search index (``search/browserindex.py`` writes it whole)."""


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


# --- ActivityPub ------------------------------------------------------------------------------
# Static hosts cannot content-negotiate on a page's URL, so every ActivityPub document has a URL
# of its own under /ap/, served as application/activity+json (see serverconf.py). Ids must be
# these URLs exactly: no trailing slashes, and no file that is also a folder.

AP_DIRECTORY_ACCOUNT = "directory"
"""The account name of the directory's own actor: ``@directory@<host>``."""


def ap_folder(account: str, is_coop: bool = True) -> str:
    """Return the folder of an account's ActivityPub documents (``/ap/coops/<slug>/``)."""
    return f"/ap/coops/{account}/" if is_coop else f"/ap/{account}/"


def ap_actor_url(coop: Coop | str) -> str:
    """Return a co-op's actor (the ``<link rel=alternate>`` target of its page)."""
    slug = coop if isinstance(coop, str) else coop.slug
    return ap_folder(slug) + "actor"


def ap_note_url(opening: Opening) -> str:
    """Return an opening's ``Note`` (a ``Tombstone`` once it has closed)."""
    return ap_folder(opening.coop_slug) + f"openings/{opening.id}"


def webfinger_file(account: str) -> str:
    """Return the static JRD file that ``/.well-known/webfinger?resource=...`` is routed to."""
    return f"/.well-known/webfinger.d/{account}.json"
