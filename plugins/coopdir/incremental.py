"""Rebuild only what changed: page fingerprints, a manifest of them, files written link-safe.

A page's fingerprint digests everything its HTML depends on: the site-wide inputs (code, theme,
settings, today, which slice pages exist) and the files of the co-ops it shows. A page whose
fingerprint matches the previous build's, and whose file is still there, is not rendered again.

Builds start from a hard-link copy of the previous site (see ``build.py``), so the writer must
never write into a file it did not create in this build: that file is shared with the site
being served. ``open_new_file`` (used by every writer of ours, Pelican's included: see
``pagewriter.py``) unlinks such a file first.

Every file a build writes or removes is noted in its journal: ``build.py`` brings the site
before last up to date by replaying it, instead of comparing two trees of 300,000 files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .model import Coop
from .parsecache import code_version, read_versioned, write_versioned

MANIFEST = "manifest.pickle"
NEXT_MANIFEST = "manifest.next.pickle"
JOURNAL = "journal.pickle"
NEXT_JOURNAL = "journal.next.pickle"
FEDIVERSE_NAMES = "fediverse.json"
"""Each co-op's fediverse file names, as the manifest's build left them (``pelican_plugin``)."""
NEXT_FEDIVERSE_NAMES = "fediverse.next.json"
"""This build's names: adopted with the manifest when the build succeeds, else dropped (names
from a failed build beside the fingerprints of the one before could keep a file's name wrong)."""
_FORMAT = "coopdir-manifest-3"
"""The manifest and journal are pickles (a JSON manifest of 300,000 names took a second)."""

_journal: set[str] = set()
"""Absolute paths this process wrote or removed in the output folder (one build per process:
the writers are spread over several modules, and each notes what it touched here)."""


def note_touched(path: str | os.PathLike[str]) -> None:
    """Record that this build wrote or removed ``path``."""
    _journal.add(os.fspath(path))


def touched_files() -> set[str]:
    """Return the absolute paths this build wrote or removed so far."""
    return set(_journal)


def note_touched_files(paths: Iterable[str]) -> None:
    """Record what another process of this build touched."""
    _journal.update(paths)


def digest_of(parts: Iterable[str]) -> str:
    """Return the SHA-1 of some strings, kept apart so ("ab", "c") differs from ("a", "bc")."""
    listed = list(parts)
    text = "\0".join(listed) + "\0" if listed else ""  # each part, then a NUL
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def site_version(theme: Path, settings: Any, today: str, slice_urls: Iterable[str]) -> str:
    """Digest the inputs every page shares."""
    theme_files = sorted(path for path in theme.rglob("*") if path.is_file())
    return digest_of(
        [
            code_version(),
            *(
                f"{path.relative_to(theme)}:{hashlib.sha1(path.read_bytes()).hexdigest()}"
                for path in theme_files
            ),
            repr(settings),
            today,
            *sorted(slice_urls),
        ]
    )


def coops_digest(coops: Iterable[Coop]) -> str:
    """Digest a set of co-ops by slug and file contents."""
    return digest_of(coop.fingerprint for coop in coops)


def depends_digest(depends: tuple[Coop, ...] | None, everything: str) -> str:
    """Say what an output shows: some co-ops, or (None) all of them.

    One co-op (most pages: 60,000 at 10,000 co-ops) is said as its slug and file digest, not
    digested again: a rebuild compares 100,000 of these.
    """
    if depends is None:
        return everything
    if len(depends) == 1:
        return depends[0].fingerprint
    return coops_digest(depends)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def open_new_file(path: str | os.PathLike[str]) -> int:
    """Create ``path`` as a new file and return its descriptor (noted in the journal).

    Never opens the file already there, which may be a hard link shared with the previous
    site: that one is unlinked first (a descriptor opened on it before still reads it).
    A large build writes hundreds of thousands of files: each costs one ``open`` that creates
    it, with no check before. Only when something is in the way (the previous site's file) is
    it unlinked, and only when the folder is missing is it made.
    """
    try:
        handle = os.open(path, _NEW_FILE, 0o666)
    except FileExistsError:
        os.unlink(path)
        handle = os.open(path, _NEW_FILE, 0o666)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle = os.open(path, _NEW_FILE, 0o666)
    note_touched(path)
    return handle


def write_all(handle: int, data: bytes) -> None:
    """Write every byte of ``data`` to the descriptor (``os.write`` may write fewer)."""
    with memoryview(data) as view:
        written = 0
        while written < len(view):
            written += os.write(handle, view[written:])


def write_new_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a file as a new file: never through a hard link shared with the previous site."""
    handle = open_new_file(path)
    try:
        write_all(handle, data)
    finally:
        os.close(handle)


FILES_KEY = "__files__"
"""The manifest entry listing every file the build left outside the kept prefixes (lines)."""
VERSION_KEY = "__version__"
"""The manifest entry holding the site version (code, theme, settings, day, slices)."""


def read_manifest(folder: Path | None) -> dict[str, Any]:
    """Return the previous build's fingerprints, or nothing."""
    if folder is None:
        return {}
    manifest = read_versioned(folder / MANIFEST, _FORMAT)
    return manifest if isinstance(manifest, dict) else {}


def write_next_manifest(folder: Path, fingerprints: dict[str, Any]) -> None:
    """Write this build's fingerprints; ``build.py`` adopts them once the site is swapped in."""
    write_versioned(folder / NEXT_MANIFEST, _FORMAT, fingerprints)


class Fingerprints:
    """A build's fingerprints, each compared with the previous build's manifest.

    An output is unchanged when the site version (code, theme, settings, day, slices) and what
    it shows (``depends_digest``) are those of the previous build, and its files are still
    there: the staging folder starts as the previous site, whose files the manifest lists.
    """

    def __init__(
        self,
        previous: dict[str, Any],
        version: str,
        coops: Sequence[Coop],
        output: Path,
    ) -> None:
        self.previous = previous
        self.output = output
        self.everything = coops_digest(coops)
        # Each co-op's fingerprint by the object's id: the pages and feeds of slices show
        # half a million co-ops between them at 10,000 co-ops, and reading each one's
        # attribute (objects all over the heap) took three times as long as this lookup.
        self._fingerprint_of = {id(coop): coop.fingerprint for coop in coops}
        listed = previous.get(FILES_KEY)
        self.previous_files: set[str] | None = (
            set(listed.split("\n")) - {""} if isinstance(listed, str) else None
        )
        self.same_version = previous.get(VERSION_KEY) == version
        self.new: dict[str, Any] = {VERSION_KEY: version}  # kept once, not in each

    def unchanged(
        self, key: str, depends: tuple[Coop, ...] | None, files: Sequence[str]
    ) -> bool:
        """Record the output's fingerprint; say whether the previous build left it as is."""
        fingerprint = self._digest(depends)
        self.new[key] = fingerprint
        if not self.same_version or self.previous.get(key) != fingerprint:
            return False
        known = self.previous_files
        if known is not None and known.issuperset(files):  # one C loop: the usual answer
            return True
        return all(name in (known or ()) or (self.output / name).is_file() for name in files)

    def _digest(self, depends: tuple[Coop, ...] | None) -> str:
        """Return ``depends_digest(depends, everything)``, from the fingerprints by id."""
        if depends is None or len(depends) == 1:
            return depends_digest(depends, self.everything)
        try:
            return digest_of(map(self._fingerprint_of.__getitem__, map(id, depends)))
        except KeyError:  # a co-op not in the directory: read its own
            return coops_digest(depends)

    def since(self, keys: set[str]) -> dict[str, Any]:
        """Return the fingerprints recorded since the keys were ``keys`` (another process's)."""
        return {key: value for key, value in self.new.items() if key not in keys}

    def write_next(self, folder: Path, files: set[str] | None) -> None:
        """Write the manifest: the fingerprints and every file the build leaves.

        The files go as one string, a name a line (names never hold a line break): pickling
        340,000 strings one by one took twice as long, in every rebuild of 10,000 co-ops.
        ``files`` None: the previous build's, as its manifest lists them.
        """
        listed = self.previous[FILES_KEY] if files is None else "\n".join(files)
        write_next_manifest(folder, {**self.new, FILES_KEY: listed})


def write_next_journal(folder: Path, output: Path) -> None:
    """Write what this build touched, relative to ``output``; ``build.py`` adopts it on success."""
    root = os.fspath(output) + os.sep
    names = sorted(path[len(root) :] for path in _journal if path.startswith(root))
    write_versioned(folder / NEXT_JOURNAL, _FORMAT, names)


def read_journal(folder: Path) -> list[str] | None:
    """Return the files the last successful build touched (relative), or None if unknown."""
    names = read_versioned(folder / JOURNAL, _FORMAT)
    return names if isinstance(names, list) else None


def remove_stale_files(
    output: Path,
    keep: set[str],
    keep_prefixes: tuple[str, ...],
    previous: set[str] | None = None,
) -> int:
    """Delete files the previous site had and this one does not; return how many.

    ``previous`` is the previous build's list of files (its manifest keeps it): then only those
    are looked at. Without it, the whole output is walked (hundreds of thousands of files).
    """
    if previous is None:
        previous = {
            path.relative_to(output).as_posix() for path in output.rglob("*") if not path.is_dir()
        }
    removed = 0
    emptied: set[Path] = set()
    for relative in previous - keep:
        if relative.startswith(keep_prefixes):
            continue
        path = output / relative
        path.unlink(missing_ok=True)
        note_touched(path)
        emptied.add(path.parent)
        removed += 1
    remove_empty_folders(output, emptied)
    return removed


def remove_empty_folders(root: Path, folders: Iterable[Path]) -> None:
    """Remove each folder under ``root`` that is now empty, and its parents that become so."""
    for folder in sorted(set(folders), key=lambda path: len(path.parts), reverse=True):
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()  # only an empty folder goes
            except OSError:
                break
            folder = folder.parent
