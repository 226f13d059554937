"""What ``coopdir check-links`` found last time, so a rerun asks servers only what may change.

An address that worked is trusted for a week (``fine_for``); a broken one is asked again on
every run, because the co-op may have fixed it and a report must not repeat a stale failure.
The cache is one JSON file, written whole to a temporary file and renamed, so an interrupted
run never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from .linkresult import LinkResult

DEFAULT_CACHE = Path(".coopdir-cache") / "links.json"
CACHE_VERSION = 1


class LinkCache:
    """Results by address, each with the time it was checked."""

    def __init__(self, path: Path | None, *, fine_for: dt.timedelta = dt.timedelta(days=7)):
        self.path = path
        self.fine_for = fine_for
        self._entries: dict[str, tuple[dt.datetime, LinkResult]] = {}
        if path is not None:
            self._entries = self._read(path)

    @staticmethod
    def _read(path: Path) -> dict[str, tuple[dt.datetime, LinkResult]]:
        """Read the file; a missing, unreadable or older-format file is an empty cache."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return {}
        entries = {}
        for url, item in data.get("results", {}).items():
            try:
                checked = dt.datetime.fromisoformat(item["checked"])
                result = LinkResult.from_dict(item["result"])
            except (KeyError, TypeError, ValueError):
                continue
            if checked.tzinfo is None:  # edited by hand: the time is ambiguous, ask again
                continue
            entries[url] = (checked, result)
        return entries

    def _reusable(self, checked: dt.datetime, result: LinkResult, now: dt.datetime) -> bool:
        return result.link_class.fine and dt.timedelta(0) <= now - checked < self.fine_for

    def get(self, url: str, now: dt.datetime) -> LinkResult | None:
        """Return the remembered result when it worked and is recent enough to trust."""
        entry = self._entries.get(url)
        if entry is None or not self._reusable(*entry, now):
            return None
        return entry[1]

    def put(self, result: LinkResult, now: dt.datetime) -> None:
        """Remember a result (write the file with ``save``)."""
        self._entries[result.url] = (now, result)

    def save(self, now: dt.datetime) -> None:
        """Write the results a later run may reuse to the cache file, atomically.

        Failures and expired answers are left out: they would only be asked again.
        """
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": CACHE_VERSION,
            "results": {
                url: {"checked": checked.isoformat(), "result": result.as_dict()}
                for url, (checked, result) in sorted(self._entries.items())
                if self._reusable(checked, result, now)
            },
        }
        handle, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", dir=self.path.parent, text=True
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=1, ensure_ascii=False)
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise

