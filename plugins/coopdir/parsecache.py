"""Remember the checked result of each co-op file, so a rebuild re-reads only changed files.

An entry is reused only when the file is unchanged (see ``ParseCache``) and the cache was written
by the same code, settings and day (the day matters: "in the future" depends on it). Only files
that passed every per-file check are cached; problems are always found afresh.

Also here: the versioned pickles the build's other caches (bulk data, fragments) are kept in.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sqlitecache import META, adopt_version, reading

PACKAGE = Path(__file__).resolve().parent
PROTOCOL = pickle.HIGHEST_PROTOCOL


def code_version() -> str:
    """Return a digest of the package's code, schema and vocabularies."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".json", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def read_versioned(file: Path | None, version: str) -> Any | None:
    """Return what ``write_versioned`` stored in ``file`` for ``version``; else None.

    The build's caches (parsed files, bulk-data pieces, rendered fragments) are all pickles
    tagged with the version of what produced them: another version, or a missing or broken
    file, reads as no cache at all.
    """
    if file is None:
        return None
    try:
        with file.open("rb") as handle:
            stored_version, data = pickle.load(handle)
    except (
        OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError, TypeError,
        ImportError,  # written by code whose modules have since been renamed or removed
    ):
        return None
    return data if stored_version == version else None


def write_versioned(file: Path, version: str, data: Any) -> None:
    """Store ``data`` for ``version`` (atomically: a crash never leaves half a file)."""
    file.parent.mkdir(parents=True, exist_ok=True)
    with _temporary(file).open("wb") as handle:
        pickle.dump((version, data), handle, protocol=PROTOCOL)
    os.replace(handle.name, file)


def versioned_bytes(version: str, data: Any) -> bytes:
    """Return what ``write_versioned`` would store, to write later with ``write_atomically``."""
    return pickle.dumps((version, data), protocol=PROTOCOL)


def write_atomically(file: Path, data: bytes) -> None:
    """Write ``data`` as ``file``: a crash (or a reader) never sees half a file."""
    file.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(file)
    temporary.write_bytes(data)
    os.replace(temporary, file)


def _temporary(file: Path) -> Path:
    # A name of its own: a build's last cache write may still run while the next build writes
    # (and a thread of this process, the next: see ``parallel.in_background``).
    return file.with_name(f"{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")


Stamp = tuple[int, int, int]
"""What says a file is unchanged without reading it: size, modification time (ns), inode."""

_SCHEMA = META + """
CREATE TABLE IF NOT EXISTS entries (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    digest TEXT NOT NULL,
    shown TEXT NOT NULL,
    value BLOB NOT NULL
);
"""


@dataclass
class _Row:
    stamp: Stamp
    digest: str
    shown: str
    blob: bytes


class ParseCache:
    """Checked co-ops and their cross-file facts, by absolute file path, in one SQLite file.

    One row per co-op file, each value pickled on its own: a rebuild unpickles only rows whose
    file is unchanged, and saving writes only the rows that changed (or deletes those of files
    that are gone), so both cost what changed, not what the directory holds.

    A file counts as unchanged when its stamp (size, mtime in nanoseconds, inode) is the one
    stored, or, when the stamp differs (a checkout, a copy), when its bytes still have the stored
    SHA-1: then only the stamp is written again. The path shown in messages must match too, since
    the stored co-op carries it. A file that is not a cache of this version (another version of
    the code, settings or day; a broken or foreign file) reads as an empty cache.
    """

    def __init__(self, file: Path, version: str, rows: dict[str, _Row]) -> None:
        self.file = file
        self.version = version
        self.rows = rows
        self.hits = 0
        self._written: dict[str, _Row] = {}
        self._restamped: dict[str, Stamp] = {}
        self._gone: set[str] = set()

    @property
    def changed(self) -> bool:
        """Whether anything was added, restamped or forgotten since it was read."""
        return bool(self._written or self._restamped or self._gone)

    @classmethod
    def open(cls, file: Path, version: str) -> ParseCache:
        """Read the cache file if it was written for ``version``; else start empty."""
        return cls(file, version, _read_rows(file, version))

    def get(self, key: str, stamp: Stamp, shown: str, path: Path) -> Any | None:
        """Return the cached value for the file ``key`` (its resolved path), or None.

        ``path`` is read only when the stamp changed, to compare its digest.
        """
        row = self.rows.get(key)
        if row is None or row.shown != shown:
            return None
        if row.stamp != stamp:
            try:
                digest = hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()
            except OSError:
                return None
            if digest != row.digest:
                return None
            self._restamped[key] = stamp
        try:
            value = pickle.loads(row.blob)
        except Exception:  # noqa: BLE001 - any broken entry is only a cache miss
            return None
        self.hits += 1
        return value

    def put(self, key: str, stamp: Stamp, digest: str, shown: str, value: Any) -> None:
        """Remember the value for a file as it is now (``value`` may be pickled already)."""
        blob = value if isinstance(value, bytes) else pickle.dumps(value, PROTOCOL)
        self._written[key] = self.rows[key] = _Row(stamp, digest, shown, blob)
        self._restamped.pop(key, None)

    def keep_only(self, keys: Iterable[str]) -> None:
        """Forget files that are gone, so the cache does not grow forever."""
        alive = set(keys)
        gone = [key for key in self.rows if key not in alive]
        for key in gone:
            del self.rows[key]
            self._written.pop(key, None)
            self._restamped.pop(key, None)
        self._gone.update(gone)

    def save(self) -> None:
        """Write what changed, in one transaction (a crash leaves the previous cache)."""
        if not self.changed and self.file.is_file():
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        try:
            _write_rows(self)
        except sqlite3.OperationalError:
            # Locked by another build for longer than SQLite waits, or a full disk: the cache
            # only saves time, so this build's rows are not kept and the build goes on.
            return
        except sqlite3.DatabaseError:
            # Not a database (corrupt, or another program's file): start it afresh.
            self.file.unlink(missing_ok=True)
            self._written = dict(self.rows)
            _write_rows(self)
        self._written, self._restamped, self._gone = {}, {}, set()


LOCK_WAIT = 5.0
"""Seconds a build waits for another build to finish writing the cache before it gives up."""


def _connect(file: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(file, timeout=LOCK_WAIT, isolation_level=None)
    connection.executescript(_SCHEMA)
    return connection


def _read_rows(file: Path, version: str) -> dict[str, _Row]:
    if not file.is_file():
        return {}
    try:
        with reading(file, version) as db:
            if db is None:
                return {}
            return {
                path: _Row((size, mtime_ns, inode), digest, shown, blob)
                for path, size, mtime_ns, inode, digest, shown, blob in db.execute(
                    "SELECT path, size, mtime_ns, inode, digest, shown, value FROM entries"
                )
            }
    except sqlite3.Error:
        return {}


def _write_rows(cache: ParseCache) -> None:
    with contextlib.closing(_connect(cache.file)) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            if adopt_version(db, cache.version, "entries"):
                written = cache.rows
            else:
                written = cache._written
                db.executemany(
                    "DELETE FROM entries WHERE path = ?", [(key,) for key in cache._gone]
                )
                db.executemany(
                    "UPDATE entries SET size = ?, mtime_ns = ?, inode = ? WHERE path = ?",
                    [(*stamp, key) for key, stamp in cache._restamped.items()],
                )
            db.executemany(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (key, *row.stamp, row.digest, row.shown, row.blob)
                    for key, row in written.items()
                ],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
