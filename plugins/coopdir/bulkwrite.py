"""Write the stale bulk data files (``/api/``) of a build: patched where possible, else joined.

A full build joins every collection from every co-op's pieces. A rebuild patches each stale
collection from the previous build's file (``bulkpatch``), needing only the changed co-ops'
pieces; it joins the whole only when the items' set or order changed, or the previous file
is not the one the index describes. Either way the bytes are those of a full build.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from .bulkcache import PiecesCache
from .bulkpatch import (
    Layout,
    Mismatch,
    changed_coops,
    changed_items,
    read_index,
    write_index,
    write_joined,
    write_patched,
)
from .export import CoopPieces, collections, coop_file
from .incremental import write_new_file
from .model import Directory

logger = logging.getLogger(__name__)

PIECES_FILE = "bulk.sqlite"
INDEX_FILE = "bulk-index.pickle"


def write_bulk_data(
    output: Path,
    directory: Directory,
    site_url: str,
    cache_dir: Path | None,
    version: str,
    stale: Iterable[str],
) -> dict[str, str]:
    """Write the ``stale`` bulk files into ``output``; say how each collection was written.

    Returns collection path → ``"patch"``, ``"join"`` or ``"kept"`` (the previous file had
    the right bytes already), for the build's timings.
    ``version`` covers what every piece depends on besides its co-op's file (code, settings
    that shape output, the day).
    """
    stale = set(stale)
    if cache_dir is not None:
        (cache_dir / "bulk.pickle").unlink(missing_ok=True)  # every piece in one, until 2026-11
    cache = PiecesCache.open(cache_dir / PIECES_FILE if cache_dir else None, version)
    index = read_index(cache_dir / INDEX_FILE if cache_dir else None, version)
    digests = {coop.slug: coop.source.digest for coop in directory.coops}
    by_slug = directory.by_slug
    changed = changed_coops(digests)

    def pieces(slug: str) -> CoopPieces:
        return cache.pieces(by_slug[slug], directory, site_url)

    methods: dict[str, str] = {}
    layouts: dict[str, Layout] = {}
    every_piece_read = False
    for name, shape in collections(directory).items():
        if name not in stale:
            if name in index:
                layouts[name] = index[name]  # the file stays as it was
            continue
        positions = changed_items(shape, index.get(name), changed)
        if positions is not None:
            new_items = {i: shape.piece(pieces(shape.owners[i]), shape.keys[i]) for i in positions}
            try:
                layouts[name], written = write_patched(
                    output / name, shape, index[name], new_items, digests
                )
                methods[name] = "patch" if written else "kept"
                continue
            except Mismatch as why:
                logger.debug("coopdir: %s joined whole: %s", name, why)
        if not every_piece_read:
            cache.read_all()  # one query, where asking co-op by co-op would be 10,000
            every_piece_read = True
        items = shape.items(pieces)
        layouts[name] = write_joined(output / name, shape, items, digests)
        methods[name] = "join"
    for coop in directory.coops:
        name = coop_file(coop.slug)
        if name in stale:
            write_new_file(output / name, pieces(coop.slug).own_file())
    cache.save(set(digests) if every_piece_read else None)
    if cache_dir is not None and (methods or layouts.keys() != index.keys()):
        write_index(cache_dir / INDEX_FILE, version, layouts)
    return methods
