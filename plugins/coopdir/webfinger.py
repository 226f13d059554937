"""Discovery documents: a WebFinger JRD per account, host-meta, and NodeInfo 2.1.

Typing ``@alder-harbour@jobs.example`` into Mastodon asks
``/.well-known/webfinger?resource=acct:alder-harbour@jobs.example``. A static host cannot answer
a query string by itself, so each account gets a JRD file (``urls.webfinger_file``) and the
generated server configurations route the query to it (``serverconf.py``). Mastodon then checks
the round trip: the actor's ``preferredUsername`` and host must WebFinger back to the same id.
host-meta gives the LRDD template Mastodon falls back to after a 404, and NodeInfo says what
the site is to crawlers and to software that decides compatibility from it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from . import jsonbytes, urls
from .apvocab import MEDIA_TYPE, Account

JRD_MEDIA_TYPE = "application/jrd+json"
XRD_MEDIA_TYPE = "application/xrd+xml"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
NODEINFO_URL = "/nodeinfo/2.1"
NODEINFO_MEDIA_TYPE = f'application/json; profile="{NODEINFO_SCHEMA}#"'
WELL_KNOWN_NODEINFO = "/.well-known/nodeinfo"
HOST_META = "/.well-known/host-meta"
WEBFINGER = "/.well-known/webfinger"
SOFTWARE = {
    "name": "coopdir",
    "version": "0.1.0",
    "repository": "https://github.com/coopdir/coopdir",
}


def host_of(site_url: str) -> str:
    """Return the host accounts live on (with a port, when the site has one)."""
    return urlsplit(site_url).netloc


def acct(account: Account, site_url: str) -> str:
    """Return an account's ``acct:`` URI: ``acct:<name>@<host>``."""
    return f"acct:{account.name}@{host_of(site_url)}"


def profile_page(account: Account) -> str:
    """Return the HTML page that shows an account: the co-op's page, or the home page."""
    return urls.coop_url(account.coop) if account.coop else urls.HOME


def jrd(account: Account, site_url: str) -> bytes:
    """Return an account's WebFinger JRD (RFC 7033): its actor and its HTML profile page."""
    actor = urls.absolute(site_url, account.actor)
    page = urls.absolute(site_url, profile_page(account))
    document = {
        "subject": acct(account, site_url),
        "aliases": [actor, page],
        "links": [
            {"rel": "self", "type": MEDIA_TYPE, "href": actor},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page},
        ],
    }
    return _json(document)


def host_meta(site_url: str) -> bytes:
    """Return host-meta (RFC 6415): the LRDD template Mastodon tries after a WebFinger 404."""
    namespace = "http://docs.oasis-open.org/ns/xri/xrd-1.0"
    ElementTree.register_namespace("", namespace)
    root = ElementTree.Element(f"{{{namespace}}}XRD")
    ElementTree.SubElement(
        root,
        f"{{{namespace}}}Link",
        {
            "rel": "lrdd",
            "type": JRD_MEDIA_TYPE,
            "template": urls.absolute(site_url, WEBFINGER) + "?resource={uri}",
        },
    )
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def nodeinfo_links(site_url: str) -> bytes:
    """Return ``/.well-known/nodeinfo``: where the NodeInfo 2.1 document is."""
    return _json(
        {"links": [{"rel": NODEINFO_SCHEMA, "href": urls.absolute(site_url, NODEINFO_URL)}]}
    )


def nodeinfo(account_count: int, post_count: int, site_name: str) -> bytes:
    """Return the NodeInfo 2.1 document: an ActivityPub publisher with feeds, closed sign-up."""
    return _json(
        {
            "version": "2.1",
            "software": {**SOFTWARE, "homepage": SOFTWARE["repository"]},
            "protocols": ["activitypub"],
            "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
            "openRegistrations": False,
            "usage": {
                "users": {"total": account_count},
                "localPosts": post_count,
                "localComments": 0,
            },
            "metadata": {"nodeName": site_name, "pollOnly": True},
        }
    )


def _json(document: dict[str, Any]) -> bytes:
    return jsonbytes.dumps(document, indent=True, newline=True)
