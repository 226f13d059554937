"""What making the browser index keeps between builds, in one file of the cache folder.

Two things: each group of documents' analysis (``GroupStore``), and the JSON of each piece of
the index by what it was made from (``Encodings``). After a one-file change most stems'
document lists and scores, most result chunks and facet lists are what they were: their JSON is
reused rather than encoded again. Full builds use the cache too: the bytes are the same either way.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import whoosh

from ..parsecache import code_version, read_versioned, versioned_bytes, write_atomically
from .groupstore import GroupStore


def cache_version() -> str:
    """Return what the cache must have been written by: this code, its stemmer, this Python."""
    return f"{code_version()} whoosh {whoosh.versionstring()} python {sys.version}"


def digest(data: bytes) -> bytes:
    """Return a short digest of ``data``: a key that does not keep the data itself.

    Keys are digests of what a piece is made from (marshal's bytes of its lists and strings,
    or an array's bytes): small to keep, quick to read back.
    """
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass
class Encodings:
    """JSON by key, where a key stands for exactly what the JSON was made from."""

    known: dict[bytes, bytes] = field(default_factory=dict)
    used: dict[bytes, bytes] = field(default_factory=dict)
    made: int = 0
    """How many pieces were encoded (not taken from ``known``)."""

    def start(self) -> None:
        """Begin making an index again: what the last one used is what is known."""
        if self.used:
            self.known, self.used = self.used, {}
        self.made = 0

    def get(self, key: bytes, make: Callable[[], bytes]) -> bytes:
        """Return the JSON for ``key``, made with ``make()`` unless it is known."""
        data = self.used.get(key)
        if data is None:
            data = self.known.get(key)
            if data is None:
                data = make()
                self.made += 1
            self.used[key] = data
        return data


@dataclass
class IndexCache:
    """The cache of ``browser_index``; ``file`` None keeps it in memory only."""

    file: Path | None = None
    groups: GroupStore = field(default_factory=GroupStore)
    encodings: Encodings = field(default_factory=Encodings)

    @classmethod
    def open(cls, file: Path | None) -> IndexCache:
        """Read the cache if this code wrote it; else start empty."""
        stored = read_versioned(file, cache_version())
        if not isinstance(stored, tuple):
            return cls(file)
        groups, known = stored
        return cls(file, groups, Encodings(known))

    def save(self, keep: Callable[[Callable[[], None]], None] = lambda write: write()) -> None:
        """Keep what this build used (atomically), for the next one.

        The cache is pickled now; ``keep`` runs the writing of its bytes (37 MB at 10,000
        co-ops): at once, or beside the build's other work. Only the bytes wait for it, not the
        structures they were made from.
        """
        if self.file is not None:
            data = versioned_bytes(cache_version(), (self.groups, self.encodings.used))
            file = self.file
            keep(lambda: write_atomically(file, data))
