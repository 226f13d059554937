"""The ActivityPub vocabulary the site speaks: contexts, media type, accounts and hashtags.

Shared by the documents (``activitypub.py``), discovery (``webfinger.py``), the server
configurations and the inbox service, so they all name things the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from . import jsonbytes, urls
from .model import Coop, Directory

AS2 = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
MEDIA_TYPE = "application/activity+json"

EXTENSIONS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "Hashtag": "as:Hashtag",
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "wf": "https://purl.archive.org/socialweb/webfinger#",
    "webfinger": {"@id": "wf:webfinger", "@type": "http://www.w3.org/2001/XMLSchema#string"},
    "poll": "https://w3id.org/fep/b06c#",
    "pollOnly": "poll:pollOnly",
    "updateInterval": "poll:updateInterval",
}
"""Terms the official AS2 context lacks, declared inline as Mastodon does (FEP-2c59 ``webfinger``,
FEP-b06c ``pollOnly``/``updateInterval``, Mastodon's ``toot:`` terms)."""

ACTOR_CONTEXT: list[Any] = [AS2, SECURITY, EXTENSIONS]
"""Mastodon requires the AS2 context by its exact URL; the security context defines publicKey."""
OBJECT_CONTEXT: list[Any] = [AS2, {"Hashtag": "as:Hashtag"}]

@dataclass(frozen=True)
class Hashtag:
    """A hashtag as Mastodon links it: ``#Python`` pointing at our technology page."""

    name: str
    href: str

    def as_object(self) -> dict[str, str]:
        """Return it as an AS2 ``Hashtag`` object."""
        return {"type": "Hashtag", "href": self.href, "name": f"#{self.name}"}


def hashtag_name(label: str) -> str:
    """Turn a label into a hashtag Mastodon accepts: ``Ruby on Rails`` → ``RubyOnRails``.

    Mastodon hashtags are letters, digits and underscores, so ``C++``, ``C#`` and ``.NET`` get
    the names people use for them in hashtags.
    """
    text = label.replace("++", "pp").replace("#", "Sharp")
    text = re.sub(r"^\.", "Dot", text)
    words = re.findall(r"[^\W_]+", text)
    return "".join(word[0].upper() + word[1:] for word in words)


@dataclass(frozen=True)
class Account:
    """An actor: its account name and the folder that holds its documents."""

    name: str
    coop: Coop | None = None

    @property
    def folder(self) -> str:
        """Return the root-relative folder of the account's documents."""
        return urls.ap_folder(self.name, is_coop=self.coop is not None)

    def path(self, part: str) -> str:
        """Return the root-relative URL of one of the account's documents."""
        return self.folder + part

    @property
    def actor(self) -> str:
        """Return the root-relative URL of the actor."""
        return self.path("actor")


def accounts(directory: Directory) -> list[Account]:
    """Return every actor: the directory's, then one per co-op (by slug)."""
    return [Account(urls.AP_DIRECTORY_ACCOUNT)] + [
        Account(coop.slug, coop) for coop in directory.coops
    ]


def moment(day: dt.date) -> str:
    """Return a day as the instant it began, in UTC, as AS2 writes dates."""
    return f"{day.isoformat()}T00:00:00Z"


def dumps(document: dict[str, Any]) -> bytes:
    """Serialise a document the same way every time (UTF-8, keys in the order written).

    Compact, for machines: hundreds of thousands of documents in a large directory.
    """
    return jsonbytes.dumps(document, newline=True)
