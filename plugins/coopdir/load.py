"""Load a folder of co-op files into a Directory, or report every problem in every file.

The pipeline, per file: read the bytes and parse them with positions (``yamlsource``), check
the name of the file, check the schema (``schema``), run the file checks (``checks``); then,
across all files that got that far, the directory checks; and only when nothing was found,
build the typed models (``model``). Nothing downstream reads YAML again.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pickle
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import clock
from .checks import CROSS_FILE_FIELDS, DIRECTORY_CHECKS, FILE_CHECKS, SLUG, CheckedFile
from .model import Coop, Directory, Source, build_coop, build_opening
from .parsecache import PROTOCOL, ParseCache
from .problems import InvalidDirectory, Problem
from .schema import schema_problems
from .vocab import vocabulary
from .yamlsource import read_yaml_file

COOP_SUFFIX = ".yaml"


@dataclass(frozen=True)
class LoadSettings:
    """How strict loading is, and what an opening without ``closes`` means."""

    default_opening_days: int = 90
    """An opening with no ``closes`` closes this many days after ``posted``."""
    max_file_bytes: int = 256 * 1024
    """A co-op file larger than this is refused (a real one is a few kilobytes)."""
    parallel_from: int | None = None
    """Check files in two processes from this many files to read on (None: ``PARALLEL_FROM``)."""


def display_path(path: Path) -> str:
    """Show a path relative to the working folder when it is inside it, as people typed it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path.absolute()) if relative.startswith("..") else relative


def find_coop_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """List the co-op files in the given files and folders (sorted), and misnamed files."""
    found, problems, _ = _list_coop_files(paths)
    return list(found.values()), problems


def neighbour_slugs(paths: Iterable[Path]) -> set[str]:
    """Return the slugs of every co-op file beside the given files and in the given folders.

    Checking one file still needs to know which co-ops exist, so its lineage can name them.
    """
    folders = {path if path.is_dir() else path.parent for path in paths}
    return {
        child.stem
        for folder in folders
        if folder.is_dir()
        for child in folder.glob(f"*{COOP_SUFFIX}")
    }


def _display_paths(paths: Iterable[Path]) -> list[str]:
    """Return ``display_path`` of each path, working out each folder's relative path once."""
    folders: dict[Path, str] = {}
    shown = []
    for path in paths:
        folder = folders.get(path.parent)
        if folder is None:
            folder = folders[path.parent] = display_path(path.parent)
        shown.append(path.name if folder == "." else os.path.join(folder, path.name))
    return shown


def _list_coop_files(
    paths: Iterable[Path],
) -> tuple[dict[str, Path], list[Problem], set[str]]:
    """Return the co-op files by resolved path, misnamed files, and the slugs in the folders.

    Folders are listed once with ``os.scandir`` and resolved once: a file's key is its folder's
    resolved path and its name (only a symbolic link is resolved on its own).
    """
    files: dict[str, Path] = {}  # by resolved path: a file named twice is checked once
    problems: list[Problem] = []
    slugs: set[str] = set()
    for path in paths:
        if path.is_dir():
            folder = str(path.resolve())
            with os.scandir(path) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
            # Names are taken apart as strings: pathlib's properties cost 0.05 s at 10,000.
            for entry in entries:
                name = entry.name
                suffix = os.path.splitext(name)[1]
                if suffix == COOP_SUFFIX:
                    slugs.add(name[: -len(COOP_SUFFIX)])
                if name.startswith(".") or not entry.is_file():
                    continue
                child = path / name
                if suffix == COOP_SUFFIX:
                    key = str(child.resolve()) if entry.is_symlink() else f"{folder}/{name}"
                    files.setdefault(key, child)
                elif suffix.lower() in (".yml", ".yaml", ".json"):
                    problems.append(
                        Problem(
                            display_path(child),
                            1,
                            1,
                            f"co-op files end in {COOP_SUFFIX}, not {child.suffix}",
                            f"rename it to {child.stem.lower()}{COOP_SUFFIX}",
                        )
                    )
        elif path.is_file():
            files.setdefault(str(path.resolve()), path)
            slugs |= neighbour_slugs([path])
        else:
            problems.append(
                Problem(display_path(path), 1, 1, "no such file or folder", "check the path")
            )
            slugs |= neighbour_slugs([path])
    return files, problems, slugs


def _slug_problem(path: Path, shown: str) -> Problem | None:
    slug = path.stem
    if path.suffix != COOP_SUFFIX:
        return Problem(
            shown, 1, 1, f"co-op files end in {COOP_SUFFIX}", f"rename it to {slug}{COOP_SUFFIX}"
        )
    if not SLUG.match(slug):
        better = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-") or "your-coop"
        return Problem(
            shown,
            1,
            1,
            f"the file name {path.name!r} is not a slug",
            f"use lowercase letters, digits and hyphens only: {better}{COOP_SUFFIX}",
        )
    return None


def _canonical(name: str, values: list[str] | None) -> tuple[str, ...]:
    if not values:
        return ()
    terms = vocabulary(name)
    return tuple(dict.fromkeys(terms.resolve(value) or value for value in values or ()))


def _build(item: CheckedFile, settings: LoadSettings) -> Coop:
    data: dict[str, Any] = item.doc.data
    openings = tuple(
        build_opening(
            opening,
            item.slug,
            Source(item.doc.path, item.doc.position(("openings", index))[0]),
            settings.default_opening_days,
            _canonical,
        )
        for index, opening in enumerate(data.get("openings", ()))
    )
    return build_coop(
        data, item.slug, Source(item.doc.path, 1, item.doc.digest), openings, _canonical
    )


@dataclass
class _FileResult:
    """What checking one file found: its co-op (if all is well), its cross-file facts, problems."""

    problems: list[Problem]
    slim: CheckedFile | None = None
    coop: Coop | None = None
    digest: str = ""
    pickled: bytes | None = None
    """``(coop, slim)`` pickled, when checked in another process: the cache stores it as is."""


def _check_file(
    path: Path, shown: str, name_ok: bool, settings: LoadSettings, today: dt.date, render: bool
) -> _FileResult:
    """Read, parse and check one file; build its co-op only if it (and its name) are fine."""
    doc, problems = read_yaml_file(path, shown, max_bytes=settings.max_file_bytes)
    if doc is None:
        return _FileResult(problems)
    found = schema_problems(doc)
    if found:
        return _FileResult(found)
    item = CheckedFile(slug=path.stem, doc=doc)
    found = [problem for check in FILE_CHECKS for problem in check(item, today)]
    # Keep only what the directory checks read: a build of 10,000 co-ops must not hold
    # every value's position in memory until the end.
    slim = CheckedFile(slug=item.slug, doc=doc.slim(CROSS_FILE_FIELDS))
    _ = slim.website  # made now, to be kept with the file in the parse cache
    if found or not name_ok:
        return _FileResult(found, slim)
    coop = _build(item, settings)
    if render:
        # Render the Markdown now, so the cache carries the HTML: a rebuild that writes
        # the bulk data for every co-op then renders none of it again.
        for item_with_text in (coop, *coop.openings):
            _ = item_with_text.description_html
    return _FileResult([], slim, coop, doc.digest)


def _pickle_coops(results: list[_FileResult], *, keep: bool) -> None:
    """Pickle each co-op with its checked file, as the parse cache keeps them.

    Without ``keep``, the objects are dropped: they cross to the other process pickled.
    """
    for result in results:
        if result.coop is not None:
            result.pickled = pickle.dumps((result.coop, result.slim), PROTOCOL)
            if not keep:
                result.coop = result.slim = None


def _check_files_elsewhere(
    work: list[tuple[Path, str, bool]], settings: LoadSettings, today: dt.date, render: bool
) -> list[_FileResult]:
    """Check files in a forked process; each co-op comes back pickled, ready for the cache."""
    results = [_check_file(*one, settings, today, render) for one in work]
    _pickle_coops(results, keep=False)
    return results


PARALLEL_FROM = 400
"""Check files in two processes from this many files to read on: below, forking costs more."""


def _check_all(
    work: list[tuple[Path, str, bool]],
    settings: LoadSettings,
    today: dt.date,
    render: bool,
    stats: dict[str, Any],
) -> list[_FileResult]:
    """Check files, half of them in a second process when there are many (cold builds).

    Results come back in the order of ``work``, so problems and directory checks see files in
    the same order either way. A process with other threads (a server, a test run) stays serial.
    """
    parallel_from = PARALLEL_FROM if settings.parallel_from is None else settings.parallel_from
    stats["load_processes"] = 1
    if (
        len(work) < max(parallel_from, 2)
        or "fork" not in multiprocessing.get_all_start_methods()
        or threading.active_count() > 1  # a fork copies locks other threads may hold
    ):
        return [_check_file(*one, settings, today, render) for one in work]
    stats["load_processes"] = 2
    half = len(work) // 2
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        theirs = pool.submit(_check_files_elsewhere, work[half:], settings, today, render)
        mine = [_check_file(*one, settings, today, render) for one in work[:half]]
        if render:  # a cache will keep them: pickle them while the other process still works
            _pickle_coops(mine, keep=True)
        others = theirs.result()
    for result in others:
        if result.pickled is not None:
            result.coop, result.slim = pickle.loads(result.pickled)
    return mine + others


def check_paths(
    paths: Iterable[Path],
    *,
    settings: LoadSettings | None = None,
    today: dt.date | None = None,
    cache: ParseCache | None = None,
    stats: dict[str, Any] | None = None,
) -> tuple[list[Coop], list[Problem]]:
    """Check co-op files and folders; return the co-ops (only if all is well) and all problems.

    With a ``cache``, files unchanged since it was written are not read again. ``stats``, if
    given, learns how many processes read files (``load_processes``).
    """
    settings = settings or LoadSettings()
    today = today or clock.today()
    paths = list(paths)
    files, problems, slugs = _list_coop_files(paths)
    known_slugs = frozenset(slugs | {path.stem for path in files.values()})
    checked: list[CheckedFile | None] = []
    coops: list[Coop] = []
    work: list[tuple[Path, str, bool]] = []
    waiting: list[tuple[int, str, tuple[int, int, int] | None]] = []
    for (key, path), shown in zip(files.items(), _display_paths(files.values()), strict=True):
        name_problem = _slug_problem(path, shown)
        if name_problem:
            problems.append(name_problem)
        stamp = None
        if cache and not name_problem:
            stat = os.stat(path)
            stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
            remembered = cache.get(key, stamp, shown, path)
            if remembered:
                coops.append(remembered[0])
                checked.append(remembered[1])
                continue
        waiting.append((len(checked), key, stamp))
        checked.append(None)
        work.append((path, shown, name_problem is None))
    results = _check_all(work, settings, today, cache is not None, {} if stats is None else stats)
    for (index, key, stamp), (_, shown, _), result in zip(waiting, work, results, strict=True):
        problems.extend(result.problems)
        checked[index] = result.slim
        if result.coop is not None:
            coops.append(result.coop)
            if cache and stamp:
                cache.put(
                    key, stamp, result.digest, shown, result.pickled or (result.coop, result.slim)
                )
    every_checked = [item for item in checked if item is not None]
    for directory_check in DIRECTORY_CHECKS:
        problems.extend(directory_check(every_checked, known_slugs))
    if cache:
        cache.keep_only(files)
    if problems:
        return [], sorted(problems)
    return sorted(coops, key=lambda coop: coop.slug), []


def load_directory(
    paths: Path | Iterable[Path],
    *,
    settings: LoadSettings | None = None,
    today: dt.date | None = None,
    cache: ParseCache | None = None,
    stats: dict[str, Any] | None = None,
) -> Directory:
    """Load every co-op file into a Directory; raise InvalidDirectory listing every problem."""
    today = today or clock.today()
    coops, problems = check_paths(
        [paths] if isinstance(paths, Path) else paths,
        settings=settings,
        today=today,
        cache=cache,
        stats=stats,
    )
    if problems:
        raise InvalidDirectory(problems)
    return Directory(coops=tuple(coops), today=today)
