"""The Pelican glue: one generator that loads the directory, then writes its pages.

Pelican calls ``generate_context`` on every generator before any ``generate_output``: all files
are loaded and checked, and every page planned, in the first phase, so a bad file stops the build
before anything is written. The second phase only renders the plan.
"""

from __future__ import annotations

import functools
import json
import logging
import multiprocessing
import os
import resource
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from jinja2 import FileSystemBytecodeCache
from pelican import signals
from pelican.generators import Generator

from . import clock, labels, pelicanrun, urls
from .bulkwrite import write_bulk_data
from .cachelock import CacheWriting, wait_for_writers
from .export import COOPS_CSV, COOPS_JSON, OPENINGS_JSON, coop_file
from .facets import FACETS, opening_facets
from .fediverse import Fediverse, write_changed_files
from .feeds import FORMATS, Feed, FeedWriter, plan_feeds
from .fragments import FragmentCache, FragmentNews
from .gcpause import collector_paused
from .incremental import (
    FEDIVERSE_NAMES,
    NEXT_FEDIVERSE_NAMES,
    Fingerprints,
    digest_of,
    note_touched_files,
    read_manifest,
    remove_stale_files,
    site_version,
    touched_files,
    write_new_file,
    write_next_journal,
)
from .keys import default_keys_dir
from .load import PARALLEL_FROM, LoadSettings, load_directory
from .model import Coop, Directory
from .pages import PlanEntry, plan_pages
from .pagewriter import LinkSafeWriter
from .parallel import in_background, start_forked
from .parsecache import ParseCache, code_version
from .problems import InvalidDirectory
from .search.documents import search_ids
from .settings import CoopdirSettings
from .sitemap import robots_txt, sitemap_xml
from .slicecache import directory_slices

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


NAMES_BUILD_KEY = "__fediverse_names_build__"
"""The manifest entry naming the build whose fediverse names file goes with it."""
SITE_FILES = ""
"""The key of the site's own fediverse files among the co-ops' (slugs are never empty)."""
SERVER_FILES = "/servers"
"""The key of the web servers' configurations among them (slugs never hold a slash)."""


@dataclass
class WriteWork:
    """What phase two must write again: pages, feeds, co-ops' fediverse documents."""

    pages: list[PlanEntry]
    feeds: list[Feed]
    coops: list[Coop]
    known_names: dict[str, list[str]]
    """The fediverse file names of the co-ops (and site) that need nothing written."""
    fediverse: Fediverse

    def chunks(self, count: int) -> list[WriteWork]:
        """Cut the work into ``count`` chunks of nearly equal cost (every count-th item each)."""
        return [
            WriteWork(
                self.pages[part::count],
                self.feeds[part::count],
                self.coops[part::count],
                self.known_names,
                self.fediverse,
            )
            for part in range(count)
        ]


class StaleMarks:
    """Which pages, feeds and co-ops are stale, as one process tells a forked other.

    One byte per item in shared memory, set before ``done()``: the child gets the very list
    the parent worked out, without working it out again (a second of a 10k rebuild).
    """

    def __init__(self, context: Any, pages: list, feeds: list, coops: tuple) -> None:
        self.lists = (pages, feeds, coops)
        self.flags = context.RawArray("b", sum(len(items) for items in self.lists))
        self.ready = context.Event()

    def mark(self, *stale: list) -> None:
        """Flag the stale items of each list (the same objects, in any order)."""
        flags, offset = self.flags, 0
        for items, chosen in zip(self.lists, stale, strict=True):
            wanted = {id(item) for item in chosen}
            for number, item in enumerate(items):
                if id(item) in wanted:
                    flags[offset + number] = 1
            offset += len(items)

    def done(self) -> None:
        """Let the other process read the flags."""
        self.ready.set()

    def wait(self) -> tuple[list, list, list]:
        """Wait for the flags; return the stale items of each list, in list order."""
        self.ready.wait()
        flags, offset, stale = bytes(self.flags), 0, []
        for items in self.lists:
            part = flags[offset : offset + len(items)]
            stale.append([item for item, flag in zip(items, part, strict=True) if flag])
            offset += len(items)
        return stale[0], stale[1], stale[2]


WORK_CHUNKS = 256
"""Chunks the two processes take turns at: small enough that both finish together."""


def pulled(counter: Any, chunks: list[WriteWork]) -> Iterator[WriteWork]:
    """Yield the chunks this process takes from the shared ``counter`` until none is left."""
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= len(chunks):
            return
        yield chunks[index]


@dataclass
class WriteResult:
    """What one process wrote: the parent merges the other's into its own records."""

    rendered: int
    fediverse: dict[str, list[str]]
    fragments: FragmentNews
    written: set[str]
    touched: set[str]
    fingerprints: dict[str, Any]
    timings: dict[str, Any]


class DirectoryGenerator(Generator):
    """Load coops/ into a Directory and plan its pages (phase one); write them (phase two)."""

    directory: Directory
    pages: list[PlanEntry]
    """Every page, a co-op's own and its openings' as one entry (made when written)."""
    coopdir: CoopdirSettings

    def generate_context(self) -> None:
        """Load and check every co-op file and plan every page; stop at any problem."""
        with collector_paused():
            self._load_and_plan()

    def _load_and_plan(self) -> None:
        self.timings: dict[str, float] = {"plugin_began": time.time()}
        started = time.perf_counter()
        self.coopdir = CoopdirSettings.from_pelican(self.settings)
        if self.coopdir.cache_dir:
            # Compiling the templates costs a few tenths of a second in each build; Jinja keys
            # what it keeps by each template's source, so an edited template is compiled anew.
            folder = self.coopdir.cache_dir / "templates"
            folder.mkdir(parents=True, exist_ok=True)
            self.env.bytecode_cache = FileSystemBytecodeCache(str(folder))
        today = clock.today()
        cache = None
        cache_dir = self.coopdir.cache_dir
        version = ""
        if cache_dir:
            version = digest_of([code_version(), self.coopdir.output_shaping(), today.isoformat()])
            cache = ParseCache.open(cache_dir / "parse.sqlite", version)
        try:
            self.directory = load_directory(
                self.coopdir.coops_path,
                settings=LoadSettings(
                    self.coopdir.default_opening_days,
                    self.coopdir.max_file_bytes,
                    min(PARALLEL_FROM, self.coopdir.parallel_from),
                ),
                today=today,
                cache=cache,
                stats=self.timings,
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
        self.timings["load_files"] = time.perf_counter() - started
        if cache_dir:
            wait_for_writers(cache_dir)  # an earlier build may still be keeping its slices
        made = directory_slices(
            self.directory, cache_dir / "slices.pickle" if cache_dir else None, version
        )
        slices, self._placements = made.slices, made.placements
        self.timings["slices_made"] = int(made.keep is not None)
        if made.keep is not None:  # 0.4 s at 10,000 co-ops, for the next build: after this one
            writing = CacheWriting(cache_dir) if cache_dir else None
            pelicanrun.after_status(made.keep)
            if writing is not None:
                pelicanrun.after_status(writing.release)
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
            lambda o: opening_entry.render(
                opening=o, coop=self.directory.by_slug[o.coop_slug], macros=self._macros
            ),
            lambda c: coop_entry.render(coop=c),
        )
        self.context["directory"] = self.directory
        # Lists carry each entry's search document id, so the browser filters them in place.
        self.context["search_ids"] = search_ids(self.directory)
        # Links to slices only where the slice has a page (a closed opening may name a
        # technology no open opening or listed co-op has). Only slice URLs: every page's
        # fingerprint includes this set, and a new opening must not re-render the whole site.
        self.env.globals["slice_urls"] = frozenset(
            one.url for facet_slices in slices.values() for one in facet_slices
        ) | {facet.url for facet in FACETS}
        self.context["coopdir"] = self.coopdir

    def generate_output(self, writer: Any) -> None:
        """Write what changed since the last build: pages, feeds; then the site-wide files."""
        output_began = time.perf_counter()
        output = Path(self.output_path)
        previous = read_manifest(self.coopdir.cache_dir) if self.coopdir.incremental else {}
        version = site_version(
            Path(self.theme),
            self.coopdir.output_shaping(),
            self.directory.today.isoformat(),
            self.env.globals["slice_urls"],
        )
        fingerprints = Fingerprints(previous, version, self.directory.coops, output)
        # The fediverse names file is trusted only beside the manifest of the build that wrote
        # it: each build names itself in both.
        self._names_build = (previous.get(NAMES_BUILD_KEY), uuid.uuid4().hex)
        fingerprints.new[NAMES_BUILD_KEY] = self._names_build[1]
        unchanged = fingerprints.unchanged
        cache_dir = self.coopdir.cache_dir
        fragments = FragmentCache(cache_dir / "fragments.pickle" if cache_dir else None, version)
        self.env.globals["fragment"] = fragments

        render_started = time.perf_counter()
        self.timings["prepare"] = render_started - output_began  # the manifest, version, fragments

        def site_wide() -> dict[str, Any]:
            """Write the bulk data and the search index; return their timings."""
            timings: dict[str, Any] = {}
            began = time.perf_counter()
            timings["bulk_methods"] = self._write_bulk_data(output, unchanged)
            timings["bulk_data"] = time.perf_counter() - began
            began = time.perf_counter()
            self._write_search(output, unchanged, timings)
            timings["search"] = time.perf_counter() - began
            return timings

        if self._site_size() >= self.coopdir.parallel_from:
            # The second process starts at once with the bulk data and the search index (their
            # cost grows with the site, not with the change); meanwhile this one decides what
            # is stale, marks it in shared memory, and starts writing it. The child then takes
            # chunks of the same work from the same counter until none is left.
            context = multiprocessing.get_context("fork")
            counter = context.Value("i", 0)
            marks = StaleMarks(context, self.pages, self.feeds, self.directory.coops)

            def second_share() -> Iterator[WriteWork]:
                stale = marks.wait()  # runs after site_wide()
                same = WriteWork(*stale, {}, self._fediverse())
                yield from pulled(counter, same.chunks(WORK_CHUNKS))

            other = start_forked(
                lambda: self._write_share(writer, second_share(), fingerprints, site_wide)
            )
            started = time.perf_counter()
            try:
                work = self._stale_work(unchanged)
                marks.mark(work.pages, work.feeds, work.coops)
            finally:
                marks.done()  # the child never waits for a parent that failed
            self.timings["plan_writes"] = time.perf_counter() - started
            # The site's own fediverse files first: meanwhile the child takes more of the chunks,
            # and whichever process ends first waits least.
            site_names = self._write_site_fediverse(output, work)
            chunks = work.chunks(WORK_CHUNKS)
            mine = self._write_share(writer, pulled(counter, chunks), fingerprints)
            started = time.perf_counter()
            results = [mine, other()]
            self.timings["second_wait"] = time.perf_counter() - started
        else:
            started = time.perf_counter()
            work = self._stale_work(unchanged)
            self.timings["plan_writes"] = time.perf_counter() - started
            results = [self._write_share(writer, [work], fingerprints, site_wide)]
            site_names = self._write_site_fediverse(output, work)
        started = time.perf_counter()
        for result in results:
            fragments.merge(result.fragments)
            writer._written_files.update(result.written)
            note_touched_files(result.touched)
            fingerprints.new.update(result.fingerprints)
            self.timings.update(result.timings)
        self.timings["merge"] = time.perf_counter() - started
        rendered = sum(result.rendered for result in results)
        fediverse_names = work.known_names | site_names
        fediverse_names |= {
            slug: names for result in results for slug, names in result.fediverse.items()
        }
        self.timings["render"] = time.perf_counter() - render_started
        self.timings["render_processes"] = len(results)
        self.timings["fragments_reused"] = fragments.hits
        started = time.perf_counter()
        fragments.save()
        self.timings["fragments_save"] = time.perf_counter() - started
        logger.info(
            "coopdir: rendered %d of %d pages, %d of %d feeds",
            rendered,
            self._page_count,
            len(work.feeds),
            len(self.feeds),
        )
        started = time.perf_counter()
        fediverse = self._keep_fediverse_names(fediverse_names)
        site_files = self._site_files(unchanged)
        static = self.settings.get("THEME_STATIC_DIR", "theme").strip("/") + "/"
        folders_written_whole = (static, f"{urls.SEARCH_INDEX_FOLDER}/")
        # The prose pages' files, by name: part of what decides which files the site has.
        kinds = ("pages", "hidden_pages", "draft_pages")  # what Pelican writes from content/
        prose = digest_of(sorted(p.save_as for kind in kinds for p in self.context.get(kind, ())))
        prose_key = f"prose-files@{prose}"
        fingerprints.new[prose_key] = ""
        keep: set[str] | None = None  # the previous build's files, when they are this one's
        if not self._same_files_as_before(fingerprints, output, folders_written_whole, prose_key):
            # Every file this build leaves, but for folders written whole.
            feed_files = [feed.url(fmt).lstrip("/") for feed in self.feeds for fmt in FORMATS]
            keep = {name for entry in self.pages for name in entry.files}
            keep |= set(feed_files) | set(site_files)
            keep |= set(self._bulk_names()) | set(fediverse)
            keep |= {Path(p).relative_to(output).as_posix() for p in writer.written_files}
        self.timings["keep_list"] = time.perf_counter() - started
        self.timings["files_as_before"] = int(keep is None)
        if self.coopdir.incremental and keep is not None:
            # The build started from a copy of the previous site: drop what is gone.
            started = time.perf_counter()
            remove_stale_files(output, keep, folders_written_whole, fingerprints.previous_files)
            self.timings["stale_files"] = time.perf_counter() - started
        if cache_dir:
            started = time.perf_counter()
            fingerprints.write_next(cache_dir, keep)
            write_next_journal(cache_dir, output)
            self.timings["manifest"] = time.perf_counter() - started
            # For bench/build.py: where the plugin's time went, per phase, in seconds.
            self.timings.update(pages_rendered=rendered, feeds_written=len(work.feeds))
            # Peak memory of this process and the ones it waited for (``coopdir build`` does
            # not wait for this one: see pelicanrun), in MB.
            self.timings["peak_rss_mb"] = (
                max(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                )
                / 1024
            )
            self.timings["plugin_ended"] = time.time()
            (cache_dir / "timings.json").write_text(json.dumps(self.timings), "utf-8")

    def _same_files_as_before(
        self,
        fingerprints: Fingerprints,
        output: Path,
        written_whole: tuple[str, ...],
        prose_key: str,
    ) -> bool:
        """Say whether this build leaves exactly the files the previous one left.

        Which files the directory has is decided by its placements (slugs, openings' ids and
        states, facet values), the prose pages and the code and settings (the version): when
        all are the previous build's and this build wrote no file that one lacked, its list
        is this one's. Working the list out again costs 0.15 s at 10,000 co-ops (340,000
        names), and comparing it with the previous one finds nothing to remove.
        """
        previous, known = fingerprints.previous, fingerprints.previous_files
        if not (self.coopdir.incremental and fingerprints.same_version and known is not None):
            return False
        if prose_key not in previous:
            return False
        if self._site_fediverse_key not in previous:
            return False  # the manifest's build had other placements (or failed since)
        root = os.fspath(output) + os.sep
        written = (path[len(root) :] for path in touched_files() if path.startswith(root))
        return all(name in known or name.startswith(written_whole) for name in written)

    @property
    def _site_fediverse_key(self) -> str:
        """The manifest key of the site's own fediverse files: named by the placements."""
        return f"fediverse:{SITE_FILES}@{self._placements}"

    def _stale_work(self, unchanged: Any) -> WriteWork:
        """Decide which pages, feeds and co-ops' fediverse documents must be written again."""
        pages = [
            entry for entry in self.pages if not unchanged(entry.key, entry.depends, entry.files)
        ]
        feeds = []
        for feed in self.feeds:
            names = [feed.url(fmt).lstrip("/") for fmt in FORMATS]
            # An empty feed is dated by the whole directory's newest date: part of its key.
            key = f"{feed.folder}feed.*@{self.feed_writer.fallback_day.isoformat()}"
            if not unchanged(key, feed.depends, names):
                feeds.append(feed)
        fediverse = self._fediverse()
        names_file = self._fediverse_names_file()
        known = _fediverse_names(names_file, self._names_build[0])
        kept: dict[str, list[str]] = {}
        coops = []
        for coop in self.directory.coops:
            # unchanged() records this build's fingerprint: call it even with nothing listed.
            # Its files are not looked up in the previous build's list: the names come from
            # that same build, which kept every one of them (230,000 lookups at 10,000 co-ops).
            listed = known.get(coop.slug)
            if unchanged(f"fediverse:{coop.slug}", (coop,), ()) and listed is not None:
                kept[coop.slug] = listed
            else:
                coops.append(coop)
        # The site's own files show the openings by id and date, the co-ops by count: they
        # change only when some co-op's placement does (see slicecache.DirectorySlices).
        site = known.get(SITE_FILES)
        if unchanged(self._site_fediverse_key, (), site or []) and site is not None:
            kept[SITE_FILES] = site
        # The web servers' configurations list every account: made again when the list changes.
        servers = known.get(SERVER_FILES)
        key = f"fediverse:{SERVER_FILES}@{digest_of([fediverse.server_files_key()])}"
        if unchanged(key, (), servers or []) and servers is not None:
            kept[SERVER_FILES] = servers
        return WriteWork(pages, feeds, coops, kept, fediverse)

    def _write_share(
        self,
        writer: Any,
        works: Iterable[WriteWork],
        fingerprints: Fingerprints,
        site_wide: Callable[[], dict[str, Any]] | None = None,
    ) -> WriteResult:
        """Write the site-wide files if asked, then some stale pages, feeds and co-ops' files.

        Returns what the other process (if any) must know: the fingerprints and timings of
        the site-wide files, the files written, the fragments rendered.
        """
        output = Path(self.output_path)
        fragments = self.env.globals["fragment"]
        known_keys = set(fingerprints.new)
        touched_before = touched_files()
        written_before = set(writer.written_files)
        timings = site_wide() if site_wide else {}
        rendered = 0
        names: dict[str, list[str]] = {}
        for work in works:
            for entry in work.pages:
                for page in entry.pages():
                    writer.write_page(
                        page.save_as,
                        self.get_template(page.template),
                        self.context,
                        page=page,
                        **page.context,
                    )
                    rendered += 1
            for feed in work.feeds:
                for name, data in self.feed_writer.files(feed).items():
                    write_new_file(output / name, data)
            for coop in work.coops:
                files = work.fediverse.coop_files(coop)
                write_changed_files(output, files, compare=self.coopdir.incremental)
                names[coop.slug] = sorted(files)
        return WriteResult(
            rendered=rendered,
            fediverse=names,
            fragments=fragments.take_news(),
            written=set(writer.written_files) - written_before,
            touched=touched_files() - touched_before,
            fingerprints=fingerprints.since(known_keys),
            timings=timings,
        )

    def _site_size(self) -> int:
        """Count what a full build writes: pages, feeds and co-ops (each with its own files)."""
        return self._page_count + len(self.feeds) + len(self.directory.coops)

    @functools.cached_property
    def _page_count(self) -> int:
        """Count the pages of the site (once, before the fork: both processes ask)."""
        return sum(entry.count for entry in self.pages)

    def _page_urls(self) -> list[str]:
        """Return the URL of every page but the 404 page, in plan order (for the sitemap)."""
        return [url for entry in self.pages for url in entry.urls]

    def _bulk_names(self) -> list[str]:
        """Return the names of the bulk data files: the collections, one file per co-op."""
        return [COOPS_JSON, OPENINGS_JSON, COOPS_CSV] + [
            coop_file(coop.slug) for coop in self.directory.coops
        ]

    def _write_bulk_data(self, output: Path, unchanged: Any) -> dict[str, str]:
        """Write /api/ (all co-ops, all openings, CSV, one file per co-op) where it changed.

        Returns how each collection was written: "patch" (from the previous file), "join",
        or "kept" (the previous file had the right bytes already); see ``bulkwrite``.
        """
        collections = [COOPS_JSON, OPENINGS_JSON, COOPS_CSV]
        stale = {name for name in collections if not unchanged(name, None, [name])}
        for coop in self.directory.coops:
            name = coop_file(coop.slug)
            if not unchanged(name, (coop,), [name]):
                stale.add(name)
        if not stale:
            return {}
        version = [code_version(), self.coopdir.output_shaping(), str(self.directory.today)]
        return write_bulk_data(
            output,
            self.directory,
            self.coopdir.site_url,
            self.coopdir.cache_dir,
            digest_of(version),
            stale,
        )

    def _write_search(self, output: Path, unchanged: Any, timings: dict[str, Any]) -> None:
        """Bring the browser's search index up to date where anything changed.

        It is made whole (its scores depend on every document; most pieces come from the cache),
        but only files whose bytes changed are written, and files it no longer has removed.
        """
        # Imported here: the index's modules (numpy with them) are needed only in the process
        # that writes it, and loading them before the fork would lengthen every build.
        from .search.coopgroups import directory_groups
        from .search.indexfiles import update_index_folder

        folder = urls.SEARCH_INDEX_FOLDER
        if not unchanged(f"{folder}/*", None, [f"{folder}/index.json"]):
            # The co-ops' documents, made only for those that changed since the last build.
            groups = directory_groups(self.directory, self.coopdir.output_shaping())
            update = update_index_folder(output, groups, self.coopdir.cache_dir, in_background)
            timings.update(search_written=update.written, search_removed=update.removed)
            timings.update(search_analysed=update.analysed, search_reused=update.reused)

    def _fediverse(self) -> Fediverse:
        """Return the maker of the fediverse documents, with this build's settings."""
        note = self.env.get_template("ap_note.html")
        site_url = self.coopdir.site_url
        return Fediverse(
            self.directory,
            site_url=site_url,
            site_name=self.settings["SITENAME"],
            note_html=lambda opening, coop, tags: note.render(
                opening=opening,
                coop=coop,
                tags=tags,
                page_url=urls.absolute(site_url, urls.opening_url(opening)),
                macros=self._macros,
            ).strip(),
            keys_dir=self.coopdir.keys_dir or default_keys_dir(),
            # Asked only of technology pages: every slice page is in slice_urls.
            page_exists=self.env.globals["slice_urls"].__contains__,
            inbox_upstream=self.coopdir.inbox_upstream,
        )

    def _fediverse_names_file(self, *, this_build: bool = False) -> Path | None:
        """Return where the names of each co-op's fediverse files are kept between builds.

        With ``this_build``, where this build writes them: ``build.py`` adopts the file with
        the manifest, and only if the build succeeds.
        """
        if not self.coopdir.cache_dir:
            return None
        return self.coopdir.cache_dir / (NEXT_FEDIVERSE_NAMES if this_build else FEDIVERSE_NAMES)

    def _write_site_fediverse(self, output: Path, work: WriteWork) -> dict[str, list[str]]:
        """Write the site's own fediverse files and the web servers' configurations if stale.

        A co-op's documents are made again only when its file changed (``_stale_work``), the
        site's own (the directory's actor boosts every opening) when any did, the servers'
        when the list of accounts did. Returns the names of what it wrote.
        """
        started = time.perf_counter()
        written: dict[str, list[str]] = {}
        makers = {SITE_FILES: work.fediverse.site_files, SERVER_FILES: work.fediverse.server_files}
        for key, make in makers.items():
            if key not in work.known_names:
                files = make()
                write_changed_files(output, files, compare=self.coopdir.incremental)
                written[key] = sorted(files)
        self.timings["fediverse_site"] = time.perf_counter() - started
        return written

    def _keep_fediverse_names(self, names: dict[str, list[str]]) -> list[str]:
        """Keep the names of every co-op's (and the site's) fediverse files; return them all."""
        names_file = self._fediverse_names_file(this_build=True)
        if names_file is not None:
            names_file.parent.mkdir(parents=True, exist_ok=True)
            names_file.write_bytes(orjson.dumps({"build": self._names_build[1], "names": names}))
        return [name for listed in names.values() for name in listed]

    @functools.cached_property
    def _macros(self) -> Any:
        """Return macros.html as a module, for templates rendered once per opening.

        ``{% from "macros.html" import ... %}`` costs more than the rest of such a template
        (Jinja compares its globals at every render); this is the module that import returns.
        """
        return self.env.get_template("macros.html").module

    def _site_files(self, unchanged: Any) -> list[str]:
        """Write sitemap.xml and robots.txt unless the list of pages is as it was; name them."""
        prose = [f"/{p.url}" for p in self.context.get("pages", ())]
        names = ["sitemap.xml", "robots.txt"]
        # The directory's pages are named by the placements (slugs, openings' ids, facet
        # values): a new set of placements gets a new name, and only then is the list made.
        if not unchanged(f"site-files@{self._placements}@{digest_of(prose)}", (), names):
            pages = [*self._page_urls(), *prose]
            site_url, output = self.coopdir.site_url, Path(self.output_path)
            write_new_file(output / names[0], sitemap_xml(site_url, pages))
            write_new_file(output / names[1], robots_txt(site_url).encode("utf-8"))
        return names


def get_generators(pelican: Any) -> type[Generator]:
    """Hand Pelican our generator class."""
    return DirectoryGenerator


def _fediverse_names(file: Path | None, build: str | None) -> dict[str, list[str]]:
    """Return the fediverse file names ``build`` wrote (by co-op), or nothing.

    Nothing unless the file is one that build wrote: another build's (a failed one), one in the
    format from before files named their build, or a broken one would steer the rebuild wrong
    (or stop it: every later build would fail on the same file).
    """
    if build is None or file is None or not file.is_file():
        return {}
    try:
        stored = orjson.loads(file.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict) or stored.get("build") != build:
        return {}
    names = stored.get("names")
    if not isinstance(names, dict) or not all(isinstance(v, list) for v in names.values()):
        return {}
    return names


def get_writer(pelican: Any) -> type[LinkSafeWriter]:
    """Hand Pelican a writer that never writes through a hard link into the previous site."""
    return LinkSafeWriter


def connect() -> None:
    """Connect the generator to Pelican (called by ``coopdir.register``)."""
    signals.get_generators.connect(get_generators)
    signals.get_writer.connect(get_writer)
