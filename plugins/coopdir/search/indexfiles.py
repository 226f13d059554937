"""Bring the site's ``search-index/`` folder up to date, touching only files whose bytes change.

The index's scores depend on every document, so it is made whole at each build (cheaply, from
the cache of the last one); but after a one-file change only a few of its thousands of files
differ. A rebuild starts from hard links to the previous site: only those few are written (as
new files, never through a link), and files the index no longer has are removed here, the
folder being left out of the build's generic stale-file removal.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..fediverse import write_changed_files
from ..incremental import note_touched
from .browserindex import FOLDER, index_files
from .documents import SearchDoc
from .groupstore import Groups
from .indexcache import IndexCache

CACHE_FILE = "browser-index.pickle"
"""The index's cache, in the build's cache folder."""


@dataclass(frozen=True)
class IndexUpdate:
    """What updating the folder did, for the build's timings."""

    files: int
    written: int
    removed: int
    analysed: int
    """Documents that had to be made and analysed (their group was not in the cache)."""
    reused: int
    """Groups of documents (co-ops, in a build) taken from the cache."""


def remove_other_files(output: Path, keep: set[str]) -> int:
    """Remove the files under ``output/search-index/`` not in ``keep``, and emptied folders."""
    removed = 0
    for folder, _, names in os.walk(output / FOLDER, topdown=False):
        for name in names:
            path = Path(folder, name)
            if path.relative_to(output).as_posix() not in keep:
                path.unlink()
                note_touched(path)  # the next rebuild's staging folder loses it too
                removed += 1
        with contextlib.suppress(OSError):  # only an empty folder goes
            os.rmdir(folder)
    return removed


def update_index_folder(
    output: Path,
    docs: list[SearchDoc] | Groups,
    cache_dir: Path | None,
    keep: Callable[[Callable[[], None]], None] = lambda save: save(),
) -> IndexUpdate:
    """Write the browser index of ``docs`` into ``output`` where it changed; keep the cache.

    ``docs``: the documents, or (a build) the groups they are made from when needed.
    ``keep`` runs the writing of the cache (tens of megabytes at 10,000 co-ops): at once, or
    (a build's second process) beside its other work.
    """
    cache = IndexCache.open(cache_dir / CACHE_FILE if cache_dir else None)
    groups = docs if isinstance(docs, Groups) else Groups.of_documents(docs)
    files = index_files(groups, cache=cache)
    written = write_changed_files(output, files)
    removed = remove_other_files(output, set(files))
    cache.save(keep)
    return IndexUpdate(len(files), written, removed, cache.groups.analysed, cache.groups.reused)
