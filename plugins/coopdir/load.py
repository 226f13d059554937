"""Load a folder of co-op files into a Directory, or report every problem in every file.

The pipeline, per file: read the bytes and parse them with positions (``yamlsource``), check
the name of the file, check the schema (``schema``), run the file checks (``checks``); then,
across all files that got that far, the directory checks; and only when nothing was found,
build the typed models (``model``). Nothing downstream reads YAML again.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import clock
from .checks import CROSS_FILE_FIELDS, DIRECTORY_CHECKS, FILE_CHECKS, SLUG, CheckedFile
from .model import Coop, Directory, Source, build_coop, build_opening
from .parsecache import ParseCache
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


def display_path(path: Path) -> str:
    """Show a path relative to the working folder when it is inside it, as people typed it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path.absolute()) if relative.startswith("..") else relative


def find_coop_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """List the co-op files in the given files and folders (sorted), and misnamed files."""
    files: dict[Path, Path] = {}  # by resolved path: a file named twice is checked once
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.startswith(".") or not child.is_file():
                    continue
                if child.suffix == COOP_SUFFIX:
                    files.setdefault(child.resolve(), child)
                elif child.suffix.lower() in (".yml", ".yaml", ".json"):
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
            files.setdefault(path.resolve(), path)
        else:
            problems.append(
                Problem(display_path(path), 1, 1, "no such file or folder", "check the path")
            )
    return list(files.values()), problems


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


def check_paths(
    paths: Iterable[Path],
    *,
    settings: LoadSettings | None = None,
    today: dt.date | None = None,
    cache: ParseCache | None = None,
) -> tuple[list[Coop], list[Problem]]:
    """Check co-op files and folders; return the co-ops (only if all is well) and all problems.

    With a ``cache``, files unchanged since it was written are not read again.
    """
    settings = settings or LoadSettings()
    today = today or clock.today()
    paths = list(paths)
    files, problems = find_coop_files(paths)
    known_slugs = frozenset(neighbour_slugs(paths) | {path.stem for path in files})
    checked: list[CheckedFile] = []
    coops: list[Coop] = []
    for path in files:
        shown = display_path(path)
        name_problem = _slug_problem(path, shown)
        if name_problem:
            problems.append(name_problem)
        remembered = cache.get(path) if cache and not name_problem else None
        if remembered:
            coops.append(remembered[0])
            checked.append(remembered[1])
            continue
        doc, read_problems = read_yaml_file(path, shown, max_bytes=settings.max_file_bytes)
        problems.extend(read_problems)
        if doc is None:
            continue
        found = schema_problems(doc)
        if found:
            problems.extend(found)
            continue
        item = CheckedFile(slug=path.stem, doc=doc)
        found = [problem for check in FILE_CHECKS for problem in check(item, today)]
        problems.extend(found)
        # Keep only what the directory checks read: a build of 10,000 co-ops must not hold
        # every value's position in memory until the end.
        slim = CheckedFile(slug=item.slug, doc=doc.slim(CROSS_FILE_FIELDS))
        checked.append(slim)
        if not found and not name_problem:
            coop = _build(item, settings)
            coops.append(coop)
            if cache:
                # Render the Markdown now, so the cache carries the HTML: a rebuild that writes
                # the bulk data for every co-op then renders none of it again.
                for item_with_text in (coop, *coop.openings):
                    _ = item_with_text.description_html
                cache.put(path, (coop, slim))
    for directory_check in DIRECTORY_CHECKS:
        problems.extend(directory_check(checked, known_slugs))
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
) -> Directory:
    """Load every co-op file into a Directory; raise InvalidDirectory listing every problem."""
    today = today or clock.today()
    coops, problems = check_paths(
        [paths] if isinstance(paths, Path) else paths, settings=settings, today=today, cache=cache
    )
    if problems:
        raise InvalidDirectory(problems)
    return Directory(coops=tuple(coops), today=today)
