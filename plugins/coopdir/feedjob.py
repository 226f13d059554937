"""A feedgen extension that adds an opening's job facts as namespaced elements.

Feed readers show the entry's HTML; aggregators and scripts read these instead of scraping it:
``<job:coop>``, ``<job:kind>``, ``<job:remote>``, ``<job:location>``, ``<job:payMin>``... in both
RSS and Atom. (feedparser exposes them as ``job_coop``, ``job_kind``, ...)
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

JOB_NAMESPACE = "https://coopdir.org/ns/job/1.0"
"""A name, not a page: it identifies the elements and must never change."""


class JobFeedExtension(BaseExtension):
    """Declare the ``job`` namespace on the feed (feedgen needs a feed-level class)."""

    def extend_ns(self) -> dict[str, str]:
        """Return the namespace prefix and URI."""
        return {"job": JOB_NAMESPACE}


class JobEntryExtension(BaseEntryExtension):
    """Carry one opening's job facts on its entry, in a fixed order."""

    def __init__(self) -> None:
        self.facts: list[tuple[str, str]] = []

    def fact(self, name: str, value: Any) -> None:
        """Add a job fact (skipped when the value is None or empty)."""
        if value not in (None, "", ()):
            self.facts.append((name, str(value)))

    def _extend(self, element: Any) -> Any:
        for name, value in self.facts:
            xml_elem(f"{{{JOB_NAMESPACE}}}{name}", element).text = value
        return element

    def extend_rss(self, item: Any) -> Any:
        """Add the facts to an RSS item."""
        return self._extend(item)

    def extend_atom(self, entry: Any) -> Any:
        """Add the facts to an Atom entry."""
        return self._extend(entry)
