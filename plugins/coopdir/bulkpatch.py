"""Write a rebuild's collection files by patching the previous ones: cost what changed.

At 10,000 co-ops ``api/openings.json`` and ``api/coops.json`` weigh 240 MB together. After one
co-op's file changed, all but a few of their bytes are those of the previous build's files,
which the output folder still holds (a rebuild starts from hard links to them). The index kept
in the cache folder says where each item sits in them (its key and length, in order) and which
co-op file (by digest) each co-op's items were made from. A new file is then written from the
old one: unchanged byte ranges copied (``os.copy_file_range``: inside the kernel), the changed
co-ops' items from their new bytes. The result equals a full join byte for byte.

Whenever anything does not line up, the caller joins the file whole instead: another set or
order of items (a co-op added or removed, an opening closed or moved by a date), no index or
one of another version, or a previous file that is not the one the index describes (its size,
modification time and inode are kept: after a failed build the output folder holds another).
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import accumulate
from pathlib import Path

from .export import Collection
from .incremental import open_new_file, write_all
from .parsecache import read_versioned, write_versioned

INDEX_FORMAT = "coopdir-bulk-index-1"
COPY_BLOCK = 8 * 1024 * 1024
"""Bytes read and written at a time where ``os.copy_file_range`` is not available."""

Stamp = tuple[int, int, int]
"""A file's size, modification time (ns) and inode: its identity for the index."""


class Mismatch(Exception):
    """The previous file is not what the index says: join the collection whole instead."""


@dataclass(frozen=True)
class Layout:
    """Where each item of one written collection file sits, and what it was made from."""

    stamp: Stamp
    head: bytes
    separator: bytes
    tail: bytes
    keys: tuple[str, ...]
    lengths: array
    """Each item's length in bytes, in the order of ``keys``."""
    digests: dict[str, str]
    """Each co-op's file digest (slug → digest) its items were made from."""

    def offsets(self) -> list[int]:
        """Return where each item begins in the file."""
        step = len(self.separator)
        return list(
            accumulate((length + step for length in self.lengths[:-1]), initial=len(self.head))
        )

    def size(self) -> int:
        """Return the file's size as its parts add up."""
        count = len(self.lengths)
        items = sum(self.lengths) + len(self.separator) * max(count - 1, 0)
        return len(self.head) + items + len(self.tail)


def read_index(file: Path | None, version: str) -> dict[str, Layout]:
    """Return the layouts of the collection files the last build wrote (path → layout)."""
    index = read_versioned(file, f"{INDEX_FORMAT}:{version}")
    if not isinstance(index, dict):
        return {}
    return {name: layout for name, layout in index.items() if isinstance(layout, Layout)}


def write_index(file: Path, version: str, layouts: dict[str, Layout]) -> None:
    """Keep the layouts for the next build."""
    write_versioned(file, f"{INDEX_FORMAT}:{version}", layouts)


def changed_items(
    shape: Collection, layout: Layout | None, changed: Callable[[Layout], set[str]]
) -> list[int] | None:
    """Return the positions of the items whose co-op changed, or None if a patch cannot do.

    A patch can do when the items are the same, in the same order, as in the previous file;
    an item changed when its co-op is among ``changed(layout)`` (see ``changed_coops``).
    """
    if layout is None or not shape.keys or layout.separator != shape.separator:
        return None
    if len(layout.keys) != len(shape.keys) or layout.keys != tuple(shape.keys):
        return None
    owners = changed(layout)
    return [index for index, owner in enumerate(shape.owners) if owner in owners]


def changed_coops(digests: dict[str, str]) -> Callable[[Layout], set[str]]:
    """Return a function saying which co-ops changed since a layout's file was written.

    A co-op changed when its file digest (``digests``: slug → digest now) is not the one the
    layout's items were made from. The layouts one build wrote share one dict of digests:
    the comparison is made once for all of them.
    """
    known: dict[int, set[str]] = {}

    def changed(layout: Layout) -> set[str]:
        old = layout.digests
        if id(old) not in known:
            known[id(old)] = {slug for slug, digest in digests.items() if old.get(slug) != digest}
        return known[id(old)]

    return changed


def write_joined(
    path: Path, shape: Collection, items: list[bytes], digests: dict[str, str]
) -> Layout:
    """Write the whole file from its items; return its layout."""
    handle = open_new_file(path)
    try:
        write_all(handle, shape.join(items))
        return _layout(handle, shape, array("q", map(len, items)), digests)
    finally:
        os.close(handle)


def write_patched(
    path: Path,
    shape: Collection,
    layout: Layout,
    new_items: dict[int, bytes],
    digests: dict[str, str],
) -> tuple[Layout, bool]:
    """Write the file anew from the previous one, with ``new_items`` (position → bytes) replaced.

    Returns the new layout, and whether anything was written: when every new item has the
    bytes of the old one (a co-op's summary is in ``coops.json`` only), the previous file is
    the right one, and stays. Raises ``Mismatch`` when the previous file is not the one
    ``layout`` describes; then the path may hold a partial file, which the caller's full join
    replaces.
    """
    try:
        old = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise Mismatch(f"{path}: {error}") from error
    try:
        _check_previous(old, layout)
        starts = layout.offsets()
        new_items = {
            position: item
            for position, item in new_items.items()
            if len(item) != layout.lengths[position]
            or os.pread(old, len(item), starts[position]) != item
        }
        if not new_items:
            return replace(layout, digests=digests), False
        handle = open_new_file(path)  # the old file stays readable through ``old``
        try:
            write_all(handle, shape.head)
            copy_from: int | None = None  # where the pending run of unchanged bytes begins
            copy_to = 0
            for position, start in enumerate(starts):
                # An item with the separator before it: from the old file unless it changed.
                begin = start - len(layout.separator) if position else start
                if position not in new_items:
                    if copy_from is None:
                        copy_from = begin
                    copy_to = start + layout.lengths[position]
                    continue
                if copy_from is not None:
                    _copy(old, handle, copy_from, copy_to - copy_from)
                    copy_from = None
                write_all(handle, (shape.separator if position else b"") + new_items[position])
            if copy_from is not None:
                _copy(old, handle, copy_from, copy_to - copy_from)
            write_all(handle, shape.tail)
            lengths = array("q", layout.lengths)
            for position, item in new_items.items():
                lengths[position] = len(item)
            return _layout(handle, shape, lengths, digests), True
        finally:
            os.close(handle)
    finally:
        os.close(old)


def _check_previous(old: int, layout: Layout) -> None:
    """Raise ``Mismatch`` unless the open file is the one the layout was made of."""
    status = os.fstat(old)
    if (status.st_size, status.st_mtime_ns, status.st_ino) != layout.stamp:
        raise Mismatch("the previous file is not the one the index describes")
    if layout.size() != status.st_size:
        raise Mismatch("the index's lengths do not add up to the file's size")
    head = os.pread(old, len(layout.head), 0)
    tail = os.pread(old, len(layout.tail), status.st_size - len(layout.tail))
    if head != layout.head or tail != layout.tail:
        raise Mismatch("the previous file does not begin and end as the index says")


def _layout(handle: int, shape: Collection, lengths: array, digests: dict[str, str]) -> Layout:
    status = os.fstat(handle)
    return Layout(
        stamp=(status.st_size, status.st_mtime_ns, status.st_ino),
        head=shape.head,
        separator=shape.separator,
        tail=shape.tail,
        keys=tuple(shape.keys),
        lengths=lengths,
        digests=digests,
    )


def _copy(source: int, target: int, offset: int, length: int) -> None:
    """Append ``length`` bytes of ``source`` from ``offset`` to ``target`` (at its position)."""
    copy_range = getattr(os, "copy_file_range", None)
    while length > 0:
        copied = 0
        if copy_range is not None:
            try:
                copied = copy_range(source, target, length, offset)
            except OSError:  # not between these files here (old kernel, other file systems)
                copy_range = None
                continue
        else:
            block = os.pread(source, min(length, COPY_BLOCK), offset)
            write_all(target, block)
            copied = len(block)
        if copied == 0:
            raise Mismatch("the previous file ended early")
        offset += copied
        length -= copied
