"""What the build's SQLite caches share: one file each, tagged with the version that wrote it.

The parse cache and the bulk-data pieces cache keep one row per co-op, so that a rebuild reads
and writes only what changed. Each file's ``meta`` table holds the version of the code,
settings and day it was written for; rows of another version are never read, and are dropped
by the next write.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
"""The table of the version (with each cache's own table in its schema)."""


@contextlib.contextmanager
def reading(file: Path, version: str) -> Iterator[sqlite3.Connection | None]:
    """Open ``file`` read-only; yield None if it holds no cache of ``version``.

    A broken or foreign file raises ``sqlite3.Error`` here, as any later query on it would.
    """
    with contextlib.closing(
        sqlite3.connect(f"{file.absolute().as_uri()}?mode=ro", uri=True)
    ) as db:
        stored = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        yield db if stored and stored[0] == version else None


def adopt_version(db: sqlite3.Connection, version: str, table: str) -> bool:
    """In a write transaction: if the file is of another version, empty ``table`` and tag it.

    Returns True when it did (then every row must be written again).
    """
    stored = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    if stored and stored[0] == version:
        return False
    db.execute(f"DELETE FROM {table}")  # noqa: S608 - the cache's own table name
    db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (version,))
    return True
