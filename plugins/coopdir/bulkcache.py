"""Each co-op's serialised bulk-data pieces, kept between builds: one SQLite row per co-op.

At 10,000 co-ops the pieces weigh some 225 MB. A rebuild after a one-file change patches the
collections (``bulkpatch``) and needs the pieces of the changed co-ops only: it reads and
writes those rows and no others. Only a full join (a co-op added or removed, an opening
closed...) reads every row, in one query.
"""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
from pathlib import Path

from .export import CoopPieces, coop_pieces
from .model import Coop, Directory
from .parsecache import LOCK_WAIT, PROTOCOL
from .sqlitecache import META, adopt_version, reading

_SCHEMA = META + """
CREATE TABLE IF NOT EXISTS pieces (
    slug TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    record BLOB NOT NULL,
    csv_row BLOB NOT NULL,
    openings BLOB NOT NULL
);
"""

Entry = tuple[str, CoopPieces]
"""A co-op's file digest, and the pieces made from that file."""


class PiecesCache:
    """Each co-op's pieces, by slug, reused while its file (digest) and ``version`` are the same.

    ``version`` covers the code, the settings that shape output (the site URL) and the day
    (which decides whether an opening is open or closed). Another version, a missing file or
    one that is not a database reads as an empty cache. A cache only saves time: when SQLite
    cannot write it (locked by another build, a full disk), the build goes on without it.
    """

    def __init__(self, file: Path | None, version: str) -> None:
        self.file = file
        self.version = version
        self.entries: dict[str, Entry] = {}
        """The entries read or made by this build."""
        self._made: set[str] = set()
        self._read_all = False

    @classmethod
    def open(cls, file: Path | None, version: str) -> PiecesCache:
        """Return the cache kept in ``file`` (None: keep nothing); nothing is read yet."""
        return cls(file, version)

    def read_all(self) -> None:
        """Read every row at once, for a build that needs every co-op's pieces."""
        if not self._read_all:
            for slug, entry in self._select("").items():
                self.entries.setdefault(slug, entry)
            self._read_all = True

    def pieces(self, coop: Coop, directory: Directory, site_url: str) -> CoopPieces:
        """Return a co-op's pieces: from the cache when its file has not changed, else made."""
        known = self.entries.get(coop.slug)
        if known is None and not self._read_all:
            known = self._select(" WHERE slug = ?", (coop.slug,)).get(coop.slug)
        if known and known[0] == coop.source.digest:
            self.entries[coop.slug] = known
            return known[1]
        made = coop_pieces(coop, directory, site_url)
        self.entries[coop.slug] = (coop.source.digest, made)
        self._made.add(coop.slug)
        return made

    def save(self, slugs: set[str] | None = None) -> None:
        """Write the rows made in this build; given every slug there is, forget the others."""
        if self.file is None or (not self._made and slugs is None):
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._write(slugs)
        except sqlite3.OperationalError:
            return  # locked for longer than SQLite waits, or a full disk: keep nothing
        except sqlite3.DatabaseError:  # not a database: start it afresh
            self.file.unlink(missing_ok=True)
            self._made = set(self.entries)
            self._write(slugs)
        self._made = set()

    def _select(self, where: str, parameters: tuple[str, ...] = ()) -> dict[str, Entry]:
        if self.file is None or not self.file.is_file():
            return {}
        try:
            with reading(self.file, self.version) as db:
                if db is None:
                    return {}
                rows = db.execute(
                    f"SELECT slug, digest, record, csv_row, openings FROM pieces{where}",  # noqa: S608 - fixed clauses
                    parameters,
                )
                return {
                    slug: (digest, CoopPieces(record, pickle.loads(openings), csv_row))
                    for slug, digest, record, csv_row, openings in rows
                }
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            return {}

    def _write(self, slugs: set[str] | None) -> None:
        assert self.file is not None
        with contextlib.closing(
            sqlite3.connect(self.file, timeout=LOCK_WAIT, isolation_level=None)
        ) as db:
            db.executescript(_SCHEMA)
            db.execute("BEGIN IMMEDIATE")
            try:
                made = self._made
                if adopt_version(db, self.version, "pieces"):
                    made = set(self.entries)
                if slugs is not None:
                    stored_slugs = {slug for (slug,) in db.execute("SELECT slug FROM pieces")}
                    db.executemany(
                        "DELETE FROM pieces WHERE slug = ?",
                        [(slug,) for slug in stored_slugs - slugs],
                    )
                db.executemany(
                    "INSERT OR REPLACE INTO pieces VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            slug,
                            self.entries[slug][0],
                            self.entries[slug][1].record,
                            self.entries[slug][1].csv_row,
                            pickle.dumps(self.entries[slug][1].openings, PROTOCOL),
                        )
                        for slug in sorted(made)
                        if slugs is None or slug in slugs
                    ],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
