"""Rendered pieces of the list pages, kept between builds: a co-op's table row, an opening's card.

The directory, the openings page, the archive and the big slices repeat the same rows and cards
thousands of times; a change to one co-op re-renders those pages but, with this cache, renders
only that co-op's pieces again. A piece is keyed by what it shows (the co-op file's digest,
the opening, the macro's arguments); the whole cache by the site version (theme, settings, day,
which slices exist), so a template change starts it afresh. Full builds use it too (a row shown
on ten pages is rendered once), so both kinds of build write the same bytes.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import urls
from .model import Coop, Directory, Opening
from .parsecache import read_versioned, write_versioned


class FragmentCache:
    """Rendered HTML by key; templates call ``fragment.each(items, macro, ...)``."""

    def __init__(self, file: Path | None, version: str) -> None:
        self.file = file
        self.version = version
        self.pieces: dict[Hashable, str] = {}
        self.used: set[Hashable] = set()
        self.hits = 0
        self.pieces = read_versioned(file, version) or {}

    def each(
        self,
        items: list[Coop] | list[Opening],
        render: Any,
        directory: Directory | None,
        search_ids: dict[str, int] | None = None,
        *extra: Hashable,
    ) -> Markup:
        """Return every item rendered by the macro ``render``, from the cache, joined by lines.

        A Jinja loop over the 10,000 rows of the directory costs more than fetching the rows
        from the cache; this loop is Python's. ``render`` is called as ``render(coop, doc,
        *extra)`` for co-ops and ``render(opening, coop, doc, *extra)`` for openings (whose
        co-op comes from ``directory``); ``doc`` is the item's search document id, if
        ``search_ids`` is given, else None.
        """
        name = render.name
        cached, used = self.pieces, self.used
        joined: list[str] = []
        hits = 0
        for item in items:  # one Python loop: 150,000 rows in a 10k rebuild
            if isinstance(item, Coop):
                doc = None if search_ids is None else search_ids[urls.coop_url(item)]
                key: tuple = (name, item.slug, item.source.digest, doc, *extra)
                arguments: tuple = (item, doc, *extra)
            else:
                coop = directory.by_slug[item.coop_slug]  # type: ignore[union-attr]
                doc = None if search_ids is None else search_ids[urls.opening_url(item)]
                key = (name, coop.slug, coop.source.digest, item.id, doc, *extra)
                arguments = (item, coop, doc, *extra)
            used.add(key)
            piece = cached.get(key)
            if piece is None:
                piece = cached[key] = str(render(*arguments))
            else:
                hits += 1
            joined.append(piece)
        self.hits += hits
        return Markup("\n".join(joined))

    def save(self) -> None:
        """Write the pieces this build used (others belong to changed or removed entries)."""
        if self.file is None:
            return
        kept = {key: piece for key, piece in self.pieces.items() if key in self.used}
        write_versioned(self.file, self.version, kept)
