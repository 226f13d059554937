"""Remember the checked result of each co-op file, so a rebuild re-reads only changed files.

An entry is reused only when the file's size and modification time are unchanged and the cache
was written by the same code, settings and day (the day matters: "in the future" depends on it).
Only files that passed every per-file check are cached; problems are always found afresh.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent


def code_version() -> str:
    """Return a digest of the package's code, schema and vocabularies."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".json", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def file_stamp(path: Path) -> tuple[int, int]:
    """Return what says a file is unchanged: its size and modification time in nanoseconds."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


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
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError, TypeError):
        return None
    return data if stored_version == version else None


def write_versioned(file: Path, version: str, data: Any) -> None:
    """Store ``data`` for ``version`` (atomically: a crash never leaves half a file)."""
    file.parent.mkdir(parents=True, exist_ok=True)
    temporary = file.with_suffix(".tmp")
    with temporary.open("wb") as handle:
        pickle.dump((version, data), handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, file)


@dataclass
class ParseCache:
    """Checked co-ops and their cross-file facts, by absolute file path."""

    file: Path
    version: str
    entries: dict[str, tuple[tuple[int, int], Any]] = field(default_factory=dict)
    hits: int = 0
    changed: bool = False
    """Whether anything was added or forgotten since it was read (else saving is skipped)."""

    @classmethod
    def open(cls, file: Path, version: str) -> ParseCache:
        """Read the cache file if it was written for ``version``; else start empty."""
        return cls(file, version, read_versioned(file, version) or {})

    def get(self, path: Path) -> Any | None:
        """Return the cached value for a file, or None when it changed or is unknown."""
        key = str(path.resolve())
        entry = self.entries.get(key)
        if entry and entry[0] == file_stamp(path):
            self.hits += 1
            return entry[1]
        return None

    def put(self, path: Path, value: Any) -> None:
        """Remember the value for a file as it is now."""
        self.entries[str(path.resolve())] = (file_stamp(path), value)
        self.changed = True

    def keep_only(self, paths: list[Path]) -> None:
        """Forget files that are gone, so the cache does not grow forever."""
        alive = {str(path.resolve()) for path in paths}
        kept = {key: value for key, value in self.entries.items() if key in alive}
        self.changed |= len(kept) != len(self.entries)
        self.entries = kept

    def save(self) -> None:
        """Write the cache if it changed (atomically: a crash never leaves half a file)."""
        if not self.changed and self.file.is_file():
            return
        write_versioned(self.file, self.version, self.entries)
