"""ActivityPub documents for the static tier: actors, outboxes, collections, Notes, Tombstones.

One ``Organization`` actor per co-op (``@<slug>@<host>``) and a ``Service`` actor for the whole
directory (``@directory@<host>``). Every document is a file under ``/ap/`` whose URL is its
``id``. What the fediverse servers do with them, and why the documents look like this:

- Openings are ``Note`` objects: Mastodon shows other types ("converted" ones such as Article)
  as a title and a link only. A Note's ``summary`` is a content warning there, so there is none;
  the ``name`` is for Lemmy and other threadiverse software.
- ``featured`` lists the newest open openings: Mastodon and Misskey fetch it when they first
  see an actor, so a profile shows openings even before anyone follows it.
- Without the inbox service (``coopdir inbox``), actors say ``pollOnly`` (FEP-b06c), their
  inbox is an empty collection, and the server configurations answer POSTs to it with 405. With
  it (``inbox_upstream``), the configurations pass inbox POSTs to the service.
- A closed opening's object becomes a ``Tombstone`` and its outbox gains a ``Delete``.
- Dates come from the data (``posted``, ``updated``, ``closes``), never from the clock, so the
  same data and keys give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from html import escape
from typing import Any
from urllib.parse import urlsplit

from . import labels, urls
from .apvocab import (
    ACTOR_CONTEXT,
    AS2,
    OBJECT_CONTEXT,
    PUBLIC,
    Account,
    Hashtag,
    dumps,
    hashtag_name,
    moment,
)
from .jsonld import _valid_through
from .model import Coop, Directory, Opening

PAGE_SIZE = 30
"""Outbox items per page (GoToSocial's page size; the research checklist's upper bound)."""
FEATURED = 5
"""How many openings an actor pins: Misskey reads the first five."""
UPDATE_INTERVAL = "P1D"
"""The site is rebuilt nightly: how often a poller should look again (FEP-b06c)."""
SITE_TAG = "CoopJobs"
"""A hashtag on every opening, so one hashtag timeline gathers them all."""


NoteHtml = Callable[[Opening, Coop, list[Hashtag]], str]


class ActivityPubWriter:
    """Write the ActivityPub documents of one site: its URL, name, keys and Note HTML."""

    def __init__(
        self,
        directory: Directory,
        *,
        site_url: str,
        site_name: str,
        note_html: NoteHtml,
        public_key: Callable[[str], str],
        page_exists: Callable[[str], bool],
        poll_only: bool = True,
    ) -> None:
        self.directory = directory
        self.site_url = site_url
        self.site_name = site_name
        self.host = urlsplit(site_url).netloc
        self.note_html = note_html
        self.public_key = public_key
        self.page_exists = page_exists
        self.poll_only = poll_only
        # A technology's hashtag is the same on every opening that names it: made once.
        self._technology_tags: dict[str, Hashtag] = {}

    def absolute(self, url: str) -> str:
        """Return an absolute URL for a root-relative one."""
        return urls.absolute(self.site_url, url)

    # --- which openings, in which state ---------------------------------------------------

    def published(self, coop: Coop) -> list[Opening]:
        """Return a co-op's openings that have been posted (open or closed), newest first."""
        shown = [o for o in coop.openings if self.directory.opening_state(o) != "upcoming"]
        return sorted(shown, key=lambda o: (o.posted, o.key), reverse=True)

    def is_open(self, opening: Opening) -> bool:
        """Return True when people can apply to the opening today."""
        return self.directory.opening_state(opening) == "open"

    def closed_on(self, opening: Opening) -> dt.date:
        """Return the first day a closed opening could no longer be applied to."""
        coop = self.directory.by_slug[opening.coop_slug]
        day = _valid_through(opening, coop) + dt.timedelta(days=1)
        return min(day, self.directory.today)

    # --- hashtags -------------------------------------------------------------------------

    def technology_tag(self, slug: str) -> Hashtag:
        """Return a technology's hashtag, linked to its page (or the list of technologies)."""
        tag = self._technology_tags.get(slug)
        if tag is None:
            page = urls.facet_url("technologies", slug)
            if not self.page_exists(page):
                page = urls.facet_index_url("technologies")
            name = hashtag_name(labels.term_label("technologies", slug))
            tag = self._technology_tags[slug] = Hashtag(name, self.absolute(page))
        return tag

    def site_tag(self) -> Hashtag:
        """Return the hashtag every opening carries, linked to the list of openings."""
        return Hashtag(SITE_TAG, self.absolute(urls.OPENINGS))

    def opening_tags(self, opening: Opening, coop: Coop) -> list[Hashtag]:
        """Return an opening's hashtags: its technologies (else its co-op's), and the site's."""
        techs = opening.technologies or coop.technologies
        tags = [self.technology_tag(slug) for slug in techs] + [self.site_tag()]
        return list({tag.name.casefold(): tag for tag in tags}.values())

    # --- objects and activities -----------------------------------------------------------

    def note(self, opening: Opening) -> dict[str, Any]:
        """Return an opening's object: a ``Note`` while it is open, a ``Tombstone`` after."""
        coop = self.directory.by_slug[opening.coop_slug]
        account = Account(coop.slug, coop)
        note_id = self.absolute(urls.ap_note_url(opening))
        if not self.is_open(opening):
            return {
                "@context": OBJECT_CONTEXT,
                "id": note_id,
                "type": "Tombstone",
                "formerType": "Note",
                "published": moment(opening.posted),
                "deleted": moment(self.closed_on(opening)),
            }
        tags = self.opening_tags(opening, coop)
        content = self.note_html(opening, coop, tags)
        note: dict[str, Any] = {
            "@context": OBJECT_CONTEXT,
            "id": note_id,
            "type": "Note",
            "name": f"{opening.title} · {coop.name}",
            "content": content,
            "contentMap": {"en": content},
            "url": self.absolute(urls.opening_url(opening)),
            "attributedTo": self.absolute(account.actor),
            "published": moment(opening.posted),
        }
        if opening.updated and opening.updated > opening.posted:
            note["updated"] = moment(opening.updated)
        note.update(
            {
                "to": [PUBLIC],
                "cc": [self.absolute(account.path("followers"))],
                "tag": [tag.as_object() for tag in tags],
            }
        )
        return note

    def _activity(
        self, kind: str, account: Account, part: str, published: str, obj: Any
    ) -> dict[str, Any]:
        """Return a public activity of an actor, with a stable id under the actor's folder.

        Addressed as Mastodon expects of a public post: to Public, cc the actor's followers.
        """
        return {
            "@context": OBJECT_CONTEXT,
            "id": self.absolute(account.path(part)),
            "type": kind,
            "actor": self.absolute(account.actor),
            "published": published,
            "to": [PUBLIC],
            "cc": [self.absolute(account.path("followers"))],
            "object": obj,
        }

    def _embedded_note(
        self, opening: Opening, note: dict[str, Any] | None
    ) -> tuple[Account, dict[str, Any]]:
        """Return the opening's actor and its object, to embed in an activity (no @context).

        ``note`` is the opening's object when the caller has made it already: its HTML is the
        costly part, and the object's own file and its activities show the same one.
        """
        account = Account(opening.coop_slug, self.directory.by_slug[opening.coop_slug])
        whole = self.note(opening) if note is None else note
        return account, {key: value for key, value in whole.items() if key != "@context"}

    def create(self, opening: Opening, note: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the ``Create`` that published an opening, with the object as it is now."""
        account, embedded = self._embedded_note(opening, note)
        return self._activity(
            "Create", account, f"create/{opening.id}", moment(opening.posted), embedded
        )

    def delete(self, opening: Opening, note: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the ``Delete`` that took a closed opening down."""
        account, tombstone = self._embedded_note(opening, note)
        return self._activity(
            "Delete", account, f"delete/{opening.id}", tombstone["deleted"], tombstone
        )

    def announce(self, opening: Opening) -> dict[str, Any]:
        """Return the directory's ``Announce`` (boost) of an opening."""
        return self._activity(
            "Announce",
            Account(urls.AP_DIRECTORY_ACCOUNT),
            f"announce/{opening.coop_slug}/{opening.id}",
            moment(opening.posted),
            self.absolute(urls.ap_note_url(opening)),
        )

    # --- collections ----------------------------------------------------------------------

    def _collection(
        self, account: Account, part: str, items: list[Any], *, ordered: bool = True
    ) -> dict[str, Any]:
        kind = "OrderedCollection" if ordered else "Collection"
        return {
            "@context": OBJECT_CONTEXT,
            "id": self.absolute(account.path(part)),
            "type": kind,
            "totalItems": len(items),
            "orderedItems" if ordered else "items": items,
        }

    def _empty(self, account: Account, part: str) -> dict[str, Any]:
        return {
            "@context": AS2,
            "id": self.absolute(account.path(part)),
            "type": "OrderedCollection",
            "totalItems": 0,
        }

    def _outbox(self, account: Account, activities: list[dict[str, Any]]) -> dict[str, bytes]:
        """Return the outbox and its pages (newest first); embedded activities lose @context."""
        activities = sorted(activities, key=lambda a: (a["published"], a["id"]), reverse=True)
        pages = [
            activities[start : start + PAGE_SIZE]
            for start in range(0, len(activities), PAGE_SIZE)
        ] or [[]]
        outbox_id = self.absolute(account.path("outbox"))

        def page_id(number: int) -> str:
            return self.absolute(account.path(f"outbox-page-{number}"))

        files = {
            account.path("outbox"): {
                "@context": AS2,
                "id": outbox_id,
                "type": "OrderedCollection",
                "totalItems": len(activities),
                "first": page_id(1),
                "last": page_id(len(pages)),
            }
        }
        for number, items in enumerate(pages, start=1):
            page: dict[str, Any] = {
                "@context": OBJECT_CONTEXT,
                "id": page_id(number),
                "type": "OrderedCollectionPage",
                "partOf": outbox_id,
            }
            if number > 1:
                page["prev"] = page_id(number - 1)
            if number < len(pages):
                page["next"] = page_id(number + 1)
            page["orderedItems"] = [
                {key: value for key, value in item.items() if key != "@context"}
                for item in items
            ]
            files[account.path(f"outbox-page-{number}")] = page
        return {path: dumps(document) for path, document in files.items()}

    def _tags(self, account: Account, tags: Iterable[Hashtag]) -> dict[str, Any]:
        unique = list({tag.name.casefold(): tag for tag in tags}.values())
        return self._collection(
            account, "featured-tags", [tag.as_object() for tag in unique], ordered=False
        )

    # --- actors ---------------------------------------------------------------------------

    def _actor(
        self,
        account: Account,
        *,
        kind: str,
        name: str,
        summary: str,
        url: str,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        actor_id = self.absolute(account.actor)
        actor: dict[str, Any] = {
            "@context": ACTOR_CONTEXT,
            "id": actor_id,
            "type": kind,
            "preferredUsername": account.name,
            "webfinger": f"{account.name}@{self.host}",
            "name": name,
            "summary": summary,
            "url": url,
            "inbox": self.absolute(account.path("inbox")),
            "outbox": self.absolute(account.path("outbox")),
            "followers": self.absolute(account.path("followers")),
            "following": self.absolute(account.path("following")),
            "featured": self.absolute(account.path("featured")),
            "featuredTags": self.absolute(account.path("featured-tags")),
            "discoverable": True,
            "indexable": True,
            "manuallyApprovesFollowers": False,
            **({"pollOnly": True} if self.poll_only else {}),
            "updateInterval": UPDATE_INTERVAL,
            **extra,
            "publicKey": {
                "id": f"{actor_id}#main-key",
                "owner": actor_id,
                "publicKeyPem": self.public_key(account.name),
            },
        }
        return actor

    def _static_parts(self, account: Account) -> dict[str, dict[str, Any]]:
        """Return the collections the build keeps empty: inbox, followers, following."""
        parts = ("inbox", "followers", "following")
        documents = {account.path(part): self._empty(account, part) for part in parts}
        if not self.poll_only:
            # Followers live in the inbox service's database, not in the build: a static count
            # would say 0 to a profile with followers. Without totalItems, Mastodon shows none.
            del documents[account.path("followers")]["totalItems"]
        return documents

    def coop_files(self, coop: Coop) -> dict[str, bytes]:
        """Return every document of a co-op's actor: root-relative URL → bytes."""
        account = Account(coop.slug, coop)
        published = self.published(coop)
        open_now = [o for o in published if self.is_open(o)]
        page = self.absolute(urls.coop_url(coop))
        summary = f"<p>{escape(coop.summary)}</p>" if coop.summary else ""
        summary += (
            f'<p>Openings at this co-op, as listed by {escape(self.site_name)}: '
            f'<a href="{escape(page)}">{escape(page)}</a></p>'
        )
        links = [("Website", coop.website), (self.site_name, page)]
        extra: dict[str, Any] = {
            "attachment": [
                {
                    "type": "PropertyValue",
                    "name": label,
                    "value": f'<a href="{escape(href)}" rel="me nofollow noopener" '
                    f'target="_blank">{escape(href)}</a>',
                }
                for label, href in links
            ]
        }
        if coop.logo:
            extra["icon"] = {"type": "Image", "url": coop.logo}
        if coop.added:
            extra["published"] = moment(coop.added)
        documents: dict[str, dict[str, Any]] = {
            account.actor: self._actor(
                account, kind="Organization", name=coop.name, summary=summary, url=page,
                extra=extra,
            ),
            **self._static_parts(account),
            account.path("featured"): self._collection(
                account,
                "featured",
                [self.absolute(urls.ap_note_url(o)) for o in open_now[:FEATURED]],
            ),
            account.path("featured-tags"): self._tags(
                account,
                [self.technology_tag(t) for t in coop.technologies]
                + [tag for o in open_now for tag in self.opening_tags(o, coop)],
            ),
        }
        activities = []
        for opening in published:
            note = documents[urls.ap_note_url(opening)] = self.note(opening)
            create = self.create(opening, note)
            documents[account.path(f"create/{opening.id}")] = create
            activities.append(create)
            if not self.is_open(opening):
                delete = self.delete(opening, note)
                documents[account.path(f"delete/{opening.id}")] = delete
                activities.append(delete)
        files = {path: dumps(document) for path, document in documents.items()}
        files.update(self._outbox(account, activities))
        return files

    def announce_files(self, coop: Coop) -> dict[str, bytes]:
        """Return the directory's boosts of a co-op's open openings: root-relative URL → bytes.

        Each depends on its opening alone: a rebuild writes them with the co-op's documents,
        not with the rest of the directory's, which change whenever any co-op's file does.
        """
        account = Account(urls.AP_DIRECTORY_ACCOUNT)
        return {
            account.path(f"announce/{o.coop_slug}/{o.id}"): dumps(self.announce(o))
            for o in coop.openings
            if self.is_open(o)
        }

    def directory_files(self, *, announces: bool = True) -> dict[str, bytes]:
        """Return every document of the directory's own actor: root-relative URL → bytes.

        Without ``announces``, the boosts are only in the outbox, not in files of their own
        (``announce_files`` gives those, co-op by co-op).
        """
        account = Account(urls.AP_DIRECTORY_ACCOUNT)
        open_now = self.directory.open_openings()
        home = self.absolute(urls.HOME)
        summary = (
            f"<p>Openings in tech worker co-operatives, from {escape(self.site_name)}: "
            f'<a href="{escape(home)}">{escape(home)}</a>. Each co-op has an account of its '
            "own too.</p>"
        )
        counts = Counter(
            slug
            for o in open_now
            for slug in (o.technologies or self.directory.by_slug[o.coop_slug].technologies)
        )
        top = sorted(counts, key=lambda slug: (-counts[slug], slug))[:10]
        documents: dict[str, dict[str, Any]] = {
            account.actor: self._actor(
                account, kind="Service", name=self.site_name, summary=summary, url=home,
                extra={},
            ),
            **self._static_parts(account),
            account.path("featured"): self._collection(
                account,
                "featured",
                [self.absolute(urls.ap_note_url(o)) for o in open_now[:FEATURED]],
            ),
            account.path("featured-tags"): self._tags(
                account, [self.site_tag()] + [self.technology_tag(t) for t in top]
            ),
        }
        activities = []
        for opening in open_now:
            announce = self.announce(opening)
            if announces:
                documents[account.path(f"announce/{opening.coop_slug}/{opening.id}")] = announce
            activities.append(announce)
        files = {path: dumps(document) for path, document in documents.items()}
        files.update(self._outbox(account, activities))
        return files
