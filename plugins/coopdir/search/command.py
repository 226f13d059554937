"""What ``coopdir search`` does: keep the Whoosh index fresh, query it, print the results.

It works from a fresh clone: the first run indexes ``coops/`` (using a parse cache beside the
index, so later runs re-read only changed files); each run re-indexes only co-ops that changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import clock
from ..incremental import digest_of
from ..load import load_directory
from ..parsecache import ParseCache, code_version
from .documents import search_documents
from .whooshindex import Results, refresh_index, search

DEFAULT_INDEX = Path(".output.cache") / "search-index"
"""The index lives in the build cache beside output/ (the build itself does not make it)."""


def fresh_index(coops: Path, folder: Path) -> None:
    """Load the co-op files (problems raise InvalidDirectory) and bring the index up to date."""
    today = clock.today()
    cache = ParseCache.open(
        folder.parent / "search-parse.sqlite", digest_of([code_version(), today.isoformat()])
    )
    directory = load_directory(coops, today=today, cache=cache)
    folder.parent.mkdir(parents=True, exist_ok=True)
    cache.save()
    refresh_index(folder, search_documents(directory))


def run_search(
    coops: Path, folder: Path, text: str, filters: dict[str, str], limit: int
) -> Results:
    """Refresh the index from ``coops`` and run one query."""
    fresh_index(coops, folder)
    return search(folder, text, filters=filters, limit=limit)


def format_results(results: Results, *, as_json: bool) -> str:
    """Render results: one line each, the name first, then what it is and why it matched."""
    if as_json:
        return json.dumps(
            {
                "total": results.total,
                "every_word": results.every_word,
                "unknown_words": results.unknown_words,
                "hits": [hit.__dict__ | {"why": list(hit.why)} for hit in results.hits],
            },
            ensure_ascii=False,
            indent=2,
        )
    lines = []
    if results.unknown_words:
        lines.append(f"No entry has: {', '.join(results.unknown_words)} (ignored)")
    if not results.every_word:
        lines.append("No entry has every word; these have some of them:")
    for hit in results.hits:
        what = "co-op" if hit.kind == "coop" else f"opening at {hit.coop_name}"
        if hit.example:
            what += " (example data, not a real opening)"
        lines.append(
            f"{hit.title} — {what} · {hit.where} · {hit.url} · matched {'; '.join(hit.why)}"
        )
    if not results.hits:
        lines.append("No results.")
    elif results.total > len(results.hits):
        lines.append(f"({len(results.hits)} of {results.total} shown; --limit shows more)")
    return "\n".join(lines)
