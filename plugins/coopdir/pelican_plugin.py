"""The Pelican glue: one generator that loads the directory, then writes its pages.

Pelican calls ``generate_context`` on every generator before any ``generate_output``: all files
are loaded and checked, and every page planned, in the first phase, so a bad file stops the build
before anything is written. The second phase only renders the plan.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from . import clock, labels, urls
from .export import (
    COOPS_CSV,
    COOPS_JSON,
    OPENINGS_JSON,
    PiecesCache,
    bulk_files,
    coop_file,
)
from .facets import FACETS, opening_facets, slice_directory
from .fediverse import Fediverse, write_changed_files
from .feeds import FORMATS, FeedWriter, plan_feeds
from .fragments import FragmentCache
from .gcpause import collector_paused
from .incremental import (
    FILES_KEY,
    LinkSafeWriter,
    coops_digest,
    depends_digest,
    digest_of,
    read_manifest,
    remove_stale_files,
    site_version,
    write_new_file,
    write_next_manifest,
)
from .keys import default_keys_dir
from .load import LoadSettings, load_directory
from .model import Directory
from .pages import Page, plan_pages
from .parsecache import ParseCache, code_version
from .problems import InvalidDirectory
from .search.browserindex import FOLDER as SEARCH_FOLDER
from .search.browserindex import browser_index
from .search.documents import search_documents
from .search.whooshindex import refresh_index_elsewhere
from .settings import CoopdirSettings
from .sitemap import robots_txt, sitemap_xml

logger = logging.getLogger(__name__)

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def human_date(day: Any) -> str:
    """Write a date the same way in every locale: ``1 November 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


TEMPLATE_GLOBALS = {
    "coop_url": urls.coop_url,
    "opening_url": urls.opening_url,
    "facet_url": urls.facet_url,
    "urls": urls,
    "labels": labels,
    "country_name": labels.country_name,
    "language_name": labels.language_name,
    "term_label": labels.term_label,
    "opening_facets": opening_facets,
}


TEMPLATE_FILTERS = {
    "human_date": human_date,
    "country_name_filter": labels.country_name,
    "language_label": labels.language_name,
    "region_label": labels.REGION.__getitem__,
    "sector_label": lambda slug: labels.term_label("sectors", slug),
    "employment_label": labels.EMPLOYMENT_TYPE.__getitem__,
    "service_label": lambda slug: labels.term_label("services", slug),
}


SITE_FILES = ""
"""The key of the site's own fediverse files among the co-ops' (slugs are never empty)."""


class DirectoryGenerator(Generator):
    """Load coops/ into a Directory and plan its pages (phase one); write them (phase two)."""

    directory: Directory
    pages: list[Page]
    coopdir: CoopdirSettings

    def generate_context(self) -> None:
        """Load and check every co-op file and plan every page; stop at any problem."""
        with collector_paused():
            self._load_and_plan()

    def _load_and_plan(self) -> None:
        self.timings: dict[str, float] = {}
        started = time.perf_counter()
        self.coopdir = CoopdirSettings.from_pelican(self.settings)
        today = clock.today()
        cache = None
        if self.coopdir.cache_dir:
            version = digest_of([code_version(), self.coopdir.output_shaping(), today.isoformat()])
            cache = ParseCache.open(self.coopdir.cache_dir / "parse.sqlite", version)
        try:
            self.directory = load_directory(
                self.coopdir.coops_path,
                settings=LoadSettings(
                    self.coopdir.default_opening_days, self.coopdir.max_file_bytes
                ),
                today=today,
                cache=cache,
            )
        except InvalidDirectory as error:
            # One record for all problems: with --fatal, Pelican stops at the first error record.
            logger.error("%s", "\n".join(str(problem) for problem in error.problems))
            count = len(error.problems)
            raise SystemExit(f"{count} problem(s) in co-op files; nothing was built") from None
        if cache:
            cache.save()
            logger.info(
                "coopdir: %d of %d co-op files from the cache",
                cache.hits,
                len(self.directory.coops),
            )
        slices = slice_directory(self.directory)
        self.timings["load"] = time.perf_counter() - started
        started = time.perf_counter()
        self.pages = plan_pages(
            self.directory,
            repository_url=self.coopdir.repository_url,
            folder=Path(self.coopdir.coops_path).name,
            slices=slices,
            site_url=self.coopdir.site_url,
        )
        self.feeds = plan_feeds(self.directory, slices, limit=self.coopdir.feed_limit)
        self.timings["plan"] = time.perf_counter() - started
        self.env.globals.update(TEMPLATE_GLOBALS)
        self.env.filters.update(TEMPLATE_FILTERS)
        opening_entry = self.env.get_template("feed_opening.html")
        coop_entry = self.env.get_template("feed_coop.html")
        self.feed_writer = FeedWriter(
            self.directory,
            self.coopdir.site_url,
            self.settings["SITENAME"],
            lambda o: opening_entry.render(opening=o, coop=self.directory.by_slug[o.coop_slug]),
            lambda c: coop_entry.render(coop=c),
        )
        self.context["directory"] = self.directory
        self.search_docs = search_documents(self.directory)
        # Lists carry each entry's search document id, so the browser filters them in place.
        self.context["search_ids"] = {doc.url: i for i, doc in enumerate(self.search_docs)}
        # Links to slices only where the slice has a page (a closed opening may name a
        # technology no open opening or listed co-op has). Only slice URLs: every page's
        # fingerprint includes this set, and a new opening must not re-render the whole site.
        self.env.globals["slice_urls"] = frozenset(
            one.url for facet_slices in slices.values() for one in facet_slices
        ) | {facet.url for facet in FACETS}
        self.context["coopdir"] = self.coopdir

    def generate_output(self, writer: Any) -> None:
        """Write what changed since the last build: pages, feeds; then the site-wide files."""
        # The Whoosh index (for `coopdir search`) is refreshed in another process meanwhile:
        # it is the slowest part of a first build and needs nothing the pages need.
        whoosh = None
        if self.coopdir.cache_dir:
            folder = self.coopdir.cache_dir / "search-index"
            whoosh = refresh_index_elsewhere(folder, self.search_docs)
        output = Path(self.output_path)
        previous = read_manifest(self.coopdir.cache_dir) if self.coopdir.incremental else {}
        version = site_version(
            Path(self.theme),
            self.coopdir.output_shaping(),
            self.directory.today.isoformat(),
            self.env.globals["slice_urls"],
        )
        everything = coops_digest(self.directory.coops)
        fingerprints: dict[str, str] = {}
        cache_dir = self.coopdir.cache_dir
        fragments = FragmentCache(cache_dir / "fragments.pickle" if cache_dir else None, version)
        self.env.globals["fragment"] = fragments

        def unchanged(key: str, depends: Any, files: list[str]) -> bool:
            fingerprint = digest_of([version, key, depends_digest(depends, everything)])
            fingerprints[key] = fingerprint
            return previous.get(key) == fingerprint and all(
                (output / name).is_file() for name in files
            )

        started = time.perf_counter()
        rendered = 0
        for page in self.pages:
            if unchanged(page.save_as, page.depends, [page.save_as]):
                continue
            writer.write_file(
                page.save_as,
                self.get_template(page.template),
                self.context,
                page=page,
                **page.context,
            )
            rendered += 1
        self.timings["pages"] = time.perf_counter() - started
        self.timings["fragments_reused"] = fragments.hits
        started = time.perf_counter()
        fragments.save()
        self.timings["fragments_save"] = time.perf_counter() - started
        started = time.perf_counter()
        feed_files: list[str] = []
        written_feeds = 0
        for feed in self.feeds:
            names = [feed.url(fmt).lstrip("/") for fmt in FORMATS]
            feed_files += names
            # An empty feed is dated by the whole directory's newest date: part of its key.
            key = f"{feed.folder}feed.*@{self.feed_writer.fallback_day.isoformat()}"
            if unchanged(key, feed.depends, names):
                continue
            for name, data in self.feed_writer.files(feed).items():
                write_new_file(output / name, data)
            written_feeds += 1
        logger.info(
            "coopdir: rendered %d of %d pages, %d of %d feeds",
            rendered,
            len(self.pages),
            written_feeds,
            len(self.feeds),
        )
        self.timings["feeds"] = time.perf_counter() - started
        started = time.perf_counter()
        api_files = self._write_bulk_data(output, unchanged)
        self.timings["bulk_data"] = time.perf_counter() - started
        started = time.perf_counter()
        self._write_search(output, unchanged)
        self.timings["search"] = time.perf_counter() - started
        started = time.perf_counter()
        fediverse = self._write_fediverse(output, unchanged)
        self.timings["fediverse"] = time.perf_counter() - started
        if whoosh is not None:
            started = time.perf_counter()
            whoosh.result()  # its failure fails the build
            self.timings["whoosh_wait"] = time.perf_counter() - started
        site_files = self._site_files()
        for name, data in site_files.items():
            write_new_file(output / name, data)
        # Every file this build leaves, but for folders written whole (theme, search index).
        keep = {page.save_as for page in self.pages} | set(feed_files) | set(site_files)
        keep |= set(api_files) | set(fediverse)
        keep |= {Path(p).relative_to(output).as_posix() for p in writer.written_files}
        static = self.settings.get("THEME_STATIC_DIR", "theme").strip("/") + "/"
        if self.coopdir.incremental:
            # The build started from a copy of the previous site: drop what is gone.
            started = time.perf_counter()
            listed = previous.get(FILES_KEY)
            remove_stale_files(
                output,
                keep,
                (static, f"{SEARCH_FOLDER}/"),
                set(listed) if isinstance(listed, list) else None,
            )
            self.timings["stale_files"] = time.perf_counter() - started
        if self.coopdir.cache_dir:
            started = time.perf_counter()
            fingerprints[FILES_KEY] = sorted(keep)  # type: ignore[assignment]
            write_next_manifest(self.coopdir.cache_dir, fingerprints)
            self.timings["manifest"] = time.perf_counter() - started
            # For bench/build.py: where the plugin's time went, per phase, in seconds.
            self.timings.update(pages_rendered=rendered, feeds_written=written_feeds)
            (self.coopdir.cache_dir / "timings.json").write_text(json.dumps(self.timings), "utf-8")

    def _write_bulk_data(self, output: Path, unchanged: Any) -> list[str]:
        """Write /api/ (all co-ops, all openings, CSV, one file per co-op) where it changed."""
        collections = [COOPS_JSON, OPENINGS_JSON, COOPS_CSV]
        stale = {name for name in collections if not unchanged(name, None, [name])}
        for coop in self.directory.coops:
            name = coop_file(coop.slug)
            if not unchanged(name, (coop,), [name]):
                stale.add(name)
        if stale:
            cache = PiecesCache.open(
                self.coopdir.cache_dir / "bulk.pickle" if self.coopdir.cache_dir else None,
                digest_of([code_version(), self.coopdir.site_url, str(self.directory.today)]),
            )
            for name, data in bulk_files(self.directory, self.coopdir.site_url, cache).items():
                if name in stale:
                    write_new_file(output / name, data)
        return collections + [coop_file(coop.slug) for coop in self.directory.coops]

    def _write_search(self, output: Path, unchanged: Any) -> None:
        """Write the browser's search index where anything changed.

        It is written whole (its scores depend on every document), into a folder emptied first.
        """
        if not unchanged(f"{SEARCH_FOLDER}/*", None, [f"{SEARCH_FOLDER}/index.json"]):
            shutil.rmtree(output / SEARCH_FOLDER, ignore_errors=True)
            for name, data in browser_index(self.search_docs).items():
                write_new_file(output / name, data)

    def _write_fediverse(self, output: Path, unchanged: Any) -> list[str]:
        """Write the fediverse files where they changed; return the names of them all.

        A co-op's documents are made again only when its file changed, the site's own (the
        directory's actor boosts every opening) when any did; the names each wrote last time
        are kept in the cache folder.
        """
        note = self.env.get_template("ap_note.html")
        page_urls = {page.url for page in self.pages}
        site_url = self.coopdir.site_url
        fediverse = Fediverse(
            self.directory,
            site_url=site_url,
            site_name=self.settings["SITENAME"],
            note_html=lambda opening, coop, tags: note.render(
                opening=opening,
                coop=coop,
                tags=tags,
                page_url=urls.absolute(site_url, urls.opening_url(opening)),
            ).strip(),
            keys_dir=self.coopdir.keys_dir or default_keys_dir(),
            page_exists=page_urls.__contains__,
            inbox_upstream=self.coopdir.inbox_upstream,
        )
        names_file = self.coopdir.cache_dir / "fediverse.json" if self.coopdir.cache_dir else None
        known: dict[str, list[str]] = {}
        if names_file is not None and names_file.is_file():
            with contextlib.suppress(ValueError):
                known = json.loads(names_file.read_text("utf-8"))
        names: dict[str, list[str]] = {}
        for coop in self.directory.coops:
            # unchanged() records this build's fingerprint: call it even with nothing listed.
            listed = known.get(coop.slug)
            if unchanged(f"fediverse:{coop.slug}", (coop,), listed or []) and listed is not None:
                names[coop.slug] = listed
                continue
            files = fediverse.coop_files(coop)
            write_changed_files(output, files)
            names[coop.slug] = sorted(files)
        site = known.get(SITE_FILES)
        if not unchanged(f"fediverse:{SITE_FILES}", None, site or []) or site is None:
            files = fediverse.site_files()
            write_changed_files(output, files)
            site = sorted(files)
        if names_file is not None:
            names_file.parent.mkdir(parents=True, exist_ok=True)
            names_file.write_text(json.dumps({**names, SITE_FILES: site}), "utf-8")
        return site + [name for listed in names.values() for name in listed]

    def _site_files(self) -> dict[str, bytes]:
        """Return the files about the whole site: sitemap.xml and robots.txt."""
        pages = [page.url for page in self.pages if page.template != "404"]
        pages += [f"/{p.url}" for p in self.context.get("pages", ())]
        return {
            "sitemap.xml": sitemap_xml(self.coopdir.site_url, pages),
            "robots.txt": robots_txt(self.coopdir.site_url).encode("utf-8"),
        }


def get_generators(pelican: Any) -> type[Generator]:
    """Hand Pelican our generator class."""
    return DirectoryGenerator


def get_writer(pelican: Any) -> type[LinkSafeWriter]:
    """Hand Pelican a writer that never writes through a hard link into the previous site."""
    return LinkSafeWriter


def connect() -> None:
    """Connect the generator to Pelican (called by ``coopdir.register``)."""
    signals.get_generators.connect(get_generators)
    signals.get_writer.connect(get_writer)
