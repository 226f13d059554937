"""Every web address written in co-op files, with the file and line it was written on.

``coopdir check-links`` reports each broken address where a contributor can fix it
(``coops/foo.yaml:12``), so this module reads positions from the YAML documents the loader
reads, after the loader has said the files are valid. Addresses nobody needs to visit are set
aside with the reason: email links, openings that have closed, co-ops that have dissolved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checkeddocs import read_checked_documents
from .load import LoadSettings
from .model import Coop
from .problems import Problem, field_name
from .yamlsource import YamlPath

ANY_INDEX = -1
"""Stands for every item of a list in ``URL_FIELDS``."""

URL_FIELDS: tuple[YamlPath, ...] = (
    ("website",),
    ("logo",),
    ("registration", "url"),
    ("networks", ANY_INDEX, "evidence"),
    ("contact", "links", ANY_INDEX, "url"),
    ("provenance", "source"),
    ("openings", ANY_INDEX, "apply"),
)
"""The fields that hold a web address (``openings[].apply`` may be ``mailto:`` instead)."""


@dataclass(frozen=True, order=True)
class UrlUse:
    """One place a web address is written: the file as people see it, its line, the field."""

    path: str
    line: int
    field: str
    url: str

    @property
    def where(self) -> str:
        """Return ``path:line``, what editors and GitHub link to."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class SkippedUse:
    """An address that is not checked, and why."""

    use: UrlUse
    reason: str


@dataclass(frozen=True)
class LinkSources:
    """The addresses to check, those set aside, and the files they came from."""

    uses: tuple[UrlUse, ...]
    skipped: tuple[SkippedUse, ...]
    files: int

    @property
    def urls(self) -> list[str]:
        """Return each address to check once, in the order it first appears."""
        return list(dict.fromkeys(use.url for use in self.uses))


def _expand(data: Any, pattern: YamlPath, at: YamlPath = ()) -> Iterator[tuple[YamlPath, Any]]:
    """Yield (path, value) for every value in ``data`` that the pattern names."""
    if not pattern:
        yield at, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == ANY_INDEX:
        for index, item in enumerate(data if isinstance(data, list) else ()):
            yield from _expand(item, rest, (*at, index))
    elif isinstance(data, dict) and head in data:
        yield from _expand(data[head], rest, (*at, head))


def _skip_reason(coop: Coop, path: YamlPath, url: str, today: dt.date) -> str | None:
    if coop.status == "dissolved":
        return "the co-op has dissolved"
    if url.lower().startswith("mailto:"):
        return "an email address (mailto:) cannot be checked without sending mail"
    if path[0] == "openings":
        opening = coop.openings[int(path[1])]
        if not opening.is_open(today):
            return f"the opening closed on {opening.closes.isoformat()}"
    return None


def find_link_sources(
    paths: Iterable[Path], *, today: dt.date, settings: LoadSettings | None = None
) -> tuple[LinkSources | None, list[Problem]]:
    """Return every address in the co-op files, or None and the problems if a file is invalid."""
    documents, problems = read_checked_documents(paths, today=today, settings=settings)
    if problems:
        return None, problems
    uses: list[UrlUse] = []
    skipped: list[SkippedUse] = []
    for document in documents:
        for pattern in URL_FIELDS:
            for where, url in _expand(document.doc.data, pattern):
                use = UrlUse(document.doc.path, document.line(where), field_name(where), url)
                reason = _skip_reason(document.coop, where, url, today)
                if reason:
                    skipped.append(SkippedUse(use, reason))
                else:
                    uses.append(use)
    skipped.sort(key=lambda item: item.use)
    return LinkSources(tuple(sorted(uses)), tuple(skipped), len(documents)), []
