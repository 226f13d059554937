"""Rendered pieces of the list pages, kept between builds: a co-op's table row, an opening's card.

The directory, the openings page, the archive and the big slices repeat the same rows and cards
thousands of times; a change to one co-op re-renders those pages but, with this cache, renders
only that co-op's pieces again. A piece is keyed by what it shows (the co-op file's digest,
the opening, its search document id) within a group (the macro and its other arguments); the
whole cache by the site version (theme, settings, day, which slices exist), so a template change
starts it afresh. Full builds use it too (a row shown on ten pages is rendered once), so both
kinds of build write the same bytes.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .model import Coop, Directory, Opening
from .parsecache import read_versioned, write_versioned
from .search.documents import SearchIds

SAVE_FROM_SHARE = 100
"""Save once more than one piece in this many is new."""

Group = tuple[Hashable, ...]
"""The macro's name and its arguments after the item's own: one dict of pieces each."""


@dataclass
class FragmentNews:
    """What one process added to the cache and used: the other process merges it."""

    added: list[tuple[Group, str, str]] = field(default_factory=list)
    used: dict[Group, set[str]] = field(default_factory=dict)
    hits: int = 0
    used_known: bool = True
    """False when ``used`` was left out (see ``take_news``): then nothing can be pruned."""


def _doc(item: Coop | Opening, ids: SearchIds | None) -> int | None:
    """Return the item's search document id, or None without ids."""
    return None if ids is None else ids.of(item)


class FragmentCache:
    """Rendered HTML by key; templates call ``fragment.each(items, macro, ...)``."""

    def __init__(self, file: Path | None, version: str) -> None:
        self.file = file
        self.version = version
        stored = read_versioned(file, version)
        self.pieces: dict[Group, dict[str, str]] = stored or {}
        self.stored = stored is not None
        """Whether the file holds pieces of this version (else ``save`` must write them)."""
        self.news = FragmentNews()
        # Each item's key, made once per build, by the item's id: with a document id, without.
        self._keys: tuple[dict[int, str], dict[int, str]] = ({}, {})

    def each(
        self,
        items: list[Coop] | list[Opening],
        render: Any,
        directory: Directory | None,
        search_ids: SearchIds | None = None,
        *extra: Hashable,
    ) -> Markup:
        """Return every item rendered by the macro ``render``, from the cache, joined by lines.

        A Jinja loop over the 10,000 rows of the directory costs more than fetching the rows
        from the cache; this loop is Python's, and does one string-keyed lookup per row (a
        10k rebuild joins 150,000 rows). ``render`` is called as ``render(coop, doc, *extra)``
        for co-ops and ``render(opening, coop, doc, *extra)`` for openings (whose co-op comes
        from ``directory``); ``doc`` is the item's search document id, if ``search_ids`` is
        given, else None.
        """
        group: Group = (render.name, *extra)
        cached = self.pieces.setdefault(group, {})
        known = self._keys[search_ids is None]
        # Comprehensions, not one loop doing everything: a rebuild's lists are all hits.
        keys = [known.get(id(item)) for item in items]
        for index, key in enumerate(keys):
            if key is None:
                item = items[index]
                keys[index] = known[id(item)] = self._key(item, directory, search_ids)
        joined = [cached.get(key) for key in keys]
        made = 0
        for index, piece in enumerate(joined):
            if piece is None:
                key = keys[index]
                piece = cached.get(key)  # the same item twice in one list
                if piece is None:
                    arguments = self._arguments(items[index], directory, search_ids)
                    piece = cached[key] = str(render(*arguments, *extra))
                    self.news.added.append((group, key, piece))
                    made += 1
                joined[index] = piece
        self.news.used.setdefault(group, set()).update(keys)
        self.news.hits += len(items) - made
        return Markup("\n".join(joined))

    @staticmethod
    def _key(item: Coop | Opening, directory: Directory | None, ids: SearchIds | None) -> str:
        """Say what the item's piece shows: its co-op's file, the opening, its document id."""
        if isinstance(item, Coop):
            return f"{item.fingerprint}\0{_doc(item, ids)}"
        coop = directory.by_slug[item.coop_slug]  # type: ignore[union-attr]
        return f"{coop.fingerprint}\0{item.id}\0{_doc(item, ids)}"

    @staticmethod
    def _arguments(
        item: Coop | Opening, directory: Directory | None, ids: SearchIds | None
    ) -> tuple:
        if isinstance(item, Coop):
            return (item, _doc(item, ids))
        coop = directory.by_slug[item.coop_slug]  # type: ignore[union-attr]
        return (item, coop, _doc(item, ids))

    def take_news(self) -> FragmentNews:
        """Return what this process added and used since the last call, and start afresh.

        When so few pieces are new that the cache will not be saved (see ``save``), the keys of
        the pieces used are left out: at 10,000 co-ops they are 100,000 strings, which the
        second process would pickle and the first unpickle for nothing.
        """
        news, self.news = self.news, FragmentNews()
        if not self._worth_saving(len(news.added)):
            news.used, news.used_known = {}, False
        return news

    def _worth_saving(self, added: int) -> bool:
        total = sum(len(pieces) for pieces in self.pieces.values())
        return not self.stored or added * SAVE_FROM_SHARE >= total

    def merge(self, news: FragmentNews) -> None:
        """Adopt what another process (or an earlier stretch of this one) added and used."""
        for group, key, piece in news.added:
            self.pieces.setdefault(group, {})[key] = piece
        self.news.added.extend(news.added)
        self.news.used_known = self.news.used_known and news.used_known
        for group, keys in news.used.items():
            self.news.used.setdefault(group, set()).update(keys)
        self.news.hits += news.hits

    @property
    def hits(self) -> int:
        """Count the pieces reused so far (joined from the cache, not rendered)."""
        return self.news.hits

    def save(self) -> None:
        """Write the pieces this build used (others belong to changed or removed entries).

        A build that rendered few new pieces (a rebuild after a one-file change) leaves the
        file as it is: its old pieces are never shown again (their keys hold the old file's
        digest), and the few new ones are rendered again next time, which costs less than
        writing tens of megabytes each rebuild.
        """
        if self.file is None or not self._worth_saving(len(self.news.added)):
            return
        used = self.news.used
        if not self.news.used_known:  # some process did not say what it used: keep it all
            write_versioned(self.file, self.version, self.pieces)
            return
        kept = {
            group: {key: piece for key, piece in pieces.items() if key in used[group]}
            for group, pieces in self.pieces.items()
            if group in used
        }
        write_versioned(self.file, self.version, kept)
