"""Feeds of openings and of newly listed co-ops: RSS 2.0 and Atom (feedgen), and JSON Feed 1.1.

Every page that shows openings has feeds beside it (``/technologies/python/feed.atom``...), all
built from the same Directory, so a feed never disagrees with its page. What stays stable:
entry ids are the absolute URLs of opening (or co-op) pages, which never change; dates come from
the data (``posted``, ``updated``, ``provenance.added``), never from the build clock; entries are
newest first and capped, with everything in the bulk data under ``/api/``. Closed openings are in
no feed: they leave on their closing day, at the nightly rebuild.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from feedgen.feed import FeedGenerator

# isort: split
# After feedgen.feed, which imports lxml.etree: feedgen's extensions use it without importing it.
from feedgen.ext.dc import DcEntryExtension, DcExtension

from . import jsonbytes, labels, urls
from .facets import Slice
from .feedjob import JobEntryExtension, JobFeedExtension
from .feedxml import ATOM, RSS, split_feed
from .model import Coop, Directory, Opening

FORMATS = {
    "rss": ("feed.rss", "application/rss+xml", "RSS"),
    "atom": ("feed.atom", "application/atom+xml", "Atom"),
    "json": ("feed.json", "application/feed+json", "JSON Feed"),
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
EntryHtml = Callable[[Opening], str]
CoopHtml = Callable[[Coop], str]


@dataclass(frozen=True)
class Feed:
    """One feed, in every format: where it lives, what it says, and what it is built from."""

    folder: str
    """The URL folder its files sit in: ``/openings/`` gives ``/openings/feed.rss``..."""
    title: str
    description: str
    page_url: str
    openings: tuple[Opening, ...] = ()
    coops: tuple[Coop, ...] = ()
    """For the feed of newly listed co-ops (then ``openings`` is empty)."""
    depends: tuple[Coop, ...] | None = None

    def url(self, fmt: str) -> str:
        """Return the root-relative URL of this feed in one format."""
        return self.folder + FORMATS[fmt][0]


@dataclass(frozen=True)
class FeedLink:
    """A feed as a page links to it: discovery in the head, subscribe links in the body."""

    url: str
    type: str
    title: str
    format: str


def links_for(folder: str, title: str) -> tuple[FeedLink, ...]:
    """Return the three links to the feeds in ``folder``."""
    return tuple(
        FeedLink(folder + name, mime, f"{title} ({label})", label)
        for name, mime, label in FORMATS.values()
    )


def plan_feeds(directory: Directory, slices: dict[str, list[Slice]], *, limit: int) -> list[Feed]:
    """Return every feed of the site: all openings, each co-op, each slice, new co-ops."""
    open_openings = directory.open_openings()
    feeds = [
        Feed(
            urls.OPENINGS,
            "Openings in tech worker co-ops",
            "Every opening you can apply to, newest first.",
            urls.OPENINGS,
            tuple(open_openings[:limit]),
        ),
        Feed(
            urls.DIRECTORY,
            "New tech worker co-ops",
            "Co-ops newly listed in the directory.",
            urls.DIRECTORY,
            # Only co-ops whose files say when they were listed: an entry's date must come
            # from its own file, or it would move whenever other files change.
            coops=tuple(
                c for c in directory.newest_coops(limit) if c.added
            ),
        ),
    ]
    # Each co-op's open openings, newest first: the directory's list is in that order already.
    open_by_coop: dict[str, list[Opening]] = {}
    for opening in open_openings:
        open_by_coop.setdefault(opening.coop_slug, []).append(opening)
    for coop in directory.listed_coops():
        mine = tuple(open_by_coop.get(coop.slug, ())[:limit])
        feeds.append(
            Feed(
                urls.coop_url(coop),
                f"Openings at {coop.name}",
                f"Openings at {coop.name}.",
                urls.coop_url(coop),
                mine,
                depends=(coop,),
            )
        )
    for facet_slices in slices.values():
        for one in facet_slices:
            shown = tuple(one.openings[:limit])
            feeds.append(
                Feed(
                    one.url,
                    f"Openings: {one.facet.title}: {one.label}",
                    f"Openings in tech worker co-ops: {one.label}.",
                    one.url,
                    shown,
                    # What the feed shows: its openings and their co-ops. Which openings make
                    # the cut is in the key too, through them: a newer opening elsewhere in the
                    # slice changes the list, and so the co-ops.
                    depends=tuple(
                        {o.coop_slug: directory.by_slug[o.coop_slug] for o in shown}.values()
                    ),
                )
            )
    return feeds


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _feed_updated(feed: Feed, fallback: dt.date) -> dt.date:
    days = [o.last_changed for o in feed.openings]
    days += [c.added for c in feed.coops if c.added]
    return max(days, default=fallback)


def data_day(directory: Directory) -> dt.date:
    """Return the latest date the data mentions, for feeds with no entry (never the clock)."""
    days = [o.last_changed for o in directory.open_openings()]
    days += [c.added for c in directory.coops if c.added]
    return max(days, default=dt.date(2026, 1, 1))


def job_facts(opening: Opening, coop: Coop) -> list[tuple[str, object]]:
    """Return an opening's job facts, as the namespaced elements and JSON keys carry them."""
    pay = opening.pay
    return [
        ("coop", coop.name),
        ("coopSlug", coop.slug),
        ("kind", opening.kind),
        ("employmentType", " ".join(opening.employment_type)),
        ("remote", opening.remote),
        ("location", labels.opening_where(opening, coop)),
        ("payMin", pay.min if pay else None),
        ("payMax", pay.max if pay else None),
        ("payCurrency", pay.currency if pay else None),
        ("payPeriod", pay.period if pay else None),
        ("payPolicy", pay.policy if pay else None),
        ("posted", opening.posted.isoformat()),
        ("closes", opening.closes.isoformat()),
        ("apply", opening.apply),
        ("example", "true" if opening.example else None),
    ]


class FeedWriter:
    """Render feeds for one site: its URL, and how entries' HTML is written."""

    def __init__(
        self,
        directory: Directory,
        site_url: str,
        site_name: str,
        opening_html: EntryHtml,
        coop_html: CoopHtml,
    ) -> None:
        self.directory = directory
        self.site_url = site_url
        self.site_name = site_name
        # An opening sits in up to a dozen feeds, each needing its HTML twice (RSS/Atom and
        # JSON Feed): render it once per build.
        self.opening_html = functools.cache(opening_html)
        self.coop_html = functools.cache(coop_html)
        self.fallback_day = data_day(directory)
        # An opening is one entry in every feed that lists it (its co-op's, each slice's): its
        # Atom and RSS text and JSON Feed item are made once per build (``feedxml.py``).
        self._entries: dict[str, tuple[bytes, bytes]] = {}
        self._items: dict[str, dict[str, Any]] = {}

    def absolute(self, url: str) -> str:
        """Return an absolute URL for a root-relative one."""
        return urls.absolute(self.site_url, url)

    def files(self, feed: Feed) -> dict[str, bytes]:
        """Return the feed's three files: output-relative path → bytes."""
        base = feed.folder.lstrip("/")
        atom, rss = self._xml(feed)
        return {
            base + FORMATS["rss"][0]: rss,
            base + FORMATS["atom"][0]: atom,
            base + FORMATS["json"][0]: self.json_feed(feed),
        }

    def _xml(self, feed: Feed) -> tuple[bytes, bytes]:
        """Return the feed as Atom and RSS, reusing the entries of openings already written.

        feedgen writes the feed with only the openings not seen yet; their entries are cut out
        and kept, and the feed is joined from its head and every opening's kept entries.
        """
        if not feed.coops:
            fresh = [o for o in feed.openings if o.key not in self._entries]
            atom, rss = self._render(feed, fresh)
            atom_parts = split_feed(atom, ATOM, len(fresh))
            rss_parts = split_feed(rss, RSS, len(fresh))
            if atom_parts and rss_parts:
                for opening, *texts in zip(fresh, atom_parts[1], rss_parts[1], strict=True):
                    self._entries[opening.key] = (texts[0], texts[1])
                kept = [self._entries[o.key] for o in feed.openings]
                return (
                    ATOM.join(atom_parts[0], [texts[0] for texts in kept]),
                    RSS.join(rss_parts[0], [texts[1] for texts in kept]),
                )
        return self._render(feed, feed.openings, feed.coops)

    def _render(
        self, feed: Feed, openings: Iterable[Opening], coops: Iterable[Coop] = ()
    ) -> tuple[bytes, bytes]:
        """Return the feed as Atom and RSS, as feedgen writes it, with these entries."""
        xml = self._feedgen(feed, openings, coops)
        atom = xml.atom_str(pretty=True)
        # Each format's rel="self" names itself; feedgen takes the RSS channel <link> from the
        # *last* link, so the HTML page goes last.
        xml.link(self._links(feed, "rss"), replace=True)
        return atom, xml.rss_str(pretty=True)

    def _links(self, feed: Feed, fmt: str) -> list[dict[str, str]]:
        return [
            {"href": self.absolute(feed.url(fmt)), "rel": "self", "type": FORMATS[fmt][1]},
            {"href": self.absolute(feed.page_url), "rel": "alternate", "type": "text/html"},
        ]

    def _feedgen(
        self, feed: Feed, openings: Iterable[Opening], coops: Iterable[Coop]
    ) -> FeedGenerator:
        generator = FeedGenerator()
        # What load_extension("dc") does, without importing the module again for every feed.
        generator.register_extension("dc", DcExtension, DcEntryExtension)
        generator.register_extension("job", JobFeedExtension, JobEntryExtension)
        generator.id(self.absolute(feed.url("atom")))
        generator.title(feed.title)
        generator.subtitle(feed.description)
        generator.author({"name": self.site_name})
        generator.language("en")
        generator.generator("coopdir")
        generator.link(self._links(feed, "atom"))
        updated = _moment(_feed_updated(feed, self.fallback_day))
        generator.updated(updated)
        generator.lastBuildDate(updated)
        for opening in openings:
            self._opening_entry(generator, opening)
        for coop in coops:
            self._coop_entry(generator, coop)
        return generator

    def _opening_entry(self, generator: FeedGenerator, opening: Opening) -> None:
        coop = self.directory.by_slug[opening.coop_slug]
        page = self.absolute(urls.opening_url(opening))
        entry = generator.add_entry(order="append")
        entry.id(page)
        entry.guid(page, permalink=True)
        entry.title(f"{opening.title} · {coop.name}")
        entry.link(href=page, rel="alternate", type="text/html")
        # description() first: feedgen's description() overwrites Atom content, dropping its type.
        entry.description(self.opening_html(opening))
        entry.content(self.opening_html(opening), type="html")
        entry.published(_moment(opening.posted))
        entry.updated(_moment(opening.last_changed))
        entry.author({"name": coop.name})
        entry.dc.dc_creator(coop.name)
        for technology in opening.technologies or coop.technologies:
            entry.category(
                term=technology,
                label=labels.term_label("technologies", technology),
                scheme=self.absolute(urls.facet_index_url("technologies")),
            )
        for name, value in job_facts(opening, coop):
            entry.job.fact(name, value)

    def _coop_entry(self, generator: FeedGenerator, coop: Coop) -> None:
        page = self.absolute(urls.coop_url(coop))
        day = _moment(coop.added or self.fallback_day)
        entry = generator.add_entry(order="append")
        entry.id(page)
        entry.guid(page, permalink=True)
        entry.title(coop.name)
        entry.link(href=page, rel="alternate", type="text/html")
        entry.description(self.coop_html(coop))
        entry.content(self.coop_html(coop), type="html")
        entry.published(day)
        entry.updated(day)
        entry.author({"name": coop.name})
        entry.dc.dc_creator(coop.name)
        for service in coop.services:
            entry.category(
                term=service,
                label=labels.term_label("services", service),
                scheme=self.absolute(urls.facet_index_url("services")),
            )

    def json_feed(self, feed: Feed) -> bytes:
        """Return the feed as JSON Feed 1.1, with job facts under ``_coopdir``."""
        items = []
        for opening in feed.openings:
            item = self._items.get(opening.key)
            if item is None:
                item = self._items[opening.key] = self._opening_item(opening)
            items.append(item)
        for coop in feed.coops:
            page = self.absolute(urls.coop_url(coop))
            day = _moment(coop.added or self.fallback_day).isoformat()
            items.append(
                {
                    "id": page,
                    "url": page,
                    "external_url": coop.website,
                    "title": coop.name,
                    "content_html": self.coop_html(coop),
                    "date_published": day,
                    "date_modified": day,
                    "tags": [labels.term_label("services", s) for s in coop.services],
                }
            )
        document = {
            "version": JSON_FEED_VERSION,
            "title": feed.title,
            "description": feed.description,
            "home_page_url": self.absolute(feed.page_url),
            "feed_url": self.absolute(feed.url("json")),
            "language": "en",
            "authors": [{"name": self.site_name, "url": self.absolute("/")}],
            "items": items,
        }
        return jsonbytes.dumps(document, indent=True, newline=True)

    def _opening_item(self, opening: Opening) -> dict[str, Any]:
        """Return an opening as a JSON Feed item."""
        coop = self.directory.by_slug[opening.coop_slug]
        page = self.absolute(urls.opening_url(opening))
        return {
            "id": page,
            "url": page,
            "external_url": opening.apply,
            "title": f"{opening.title} · {coop.name}",
            "content_html": self.opening_html(opening),
            "date_published": _moment(opening.posted).isoformat(),
            "date_modified": _moment(opening.last_changed).isoformat(),
            "authors": [{"name": coop.name, "url": self.absolute(urls.coop_url(coop))}],
            "tags": [
                labels.term_label("technologies", t)
                for t in opening.technologies or coop.technologies
            ],
            "_coopdir": {
                name: value for name, value in job_facts(opening, coop) if value not in (None, "")
            },
        }
