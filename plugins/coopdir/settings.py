"""The plugin's settings: one typed object with documented defaults, read once per build.

``pelican.conf.py`` may set any of these as ``COOPDIR = {"default_opening_days": 60, ...}``;
unknown keys are an error, so a typo never passes silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .keys import default_keys_dir


@dataclass(frozen=True)
class CoopdirSettings:
    """Everything the directory's build can be told."""

    coops_path: Path = Path("coops")
    """The folder of co-op files (the Makefile's COOPS= sets it through COOPDIR_COOPS)."""
    default_opening_days: int = 90
    """An opening with no ``closes`` closes this many days after it was posted."""
    max_file_bytes: int = 256 * 1024
    """A co-op file larger than this is refused."""
    repository_url: str = "https://github.com/coopdir/coopdir"
    """The forge repository, for "edit this entry" links to each co-op's file."""
    site_url: str = "http://localhost:8000"
    """Where the site is published, for absolute URLs (sitemap, feeds); COOPDIR_SITE_URL sets it."""

    feed_limit: int = 50
    """The most entries a feed carries (newest first); the bulk data under /api/ has all."""
    cache_dir: Path | None = None
    """Where rebuilds keep what did not change (``coopdir build`` sets it: COOPDIR_CACHE_DIR)."""
    incremental: bool = False
    """Render only pages whose inputs changed (``coopdir build`` sets it: COOPDIR_INCREMENTAL)."""
    inbox_upstream: str | None = None
    """``host:port`` of the ``coopdir inbox`` service (COOPDIR_INBOX_UPSTREAM): when set, actors
    take follows instead of saying pollOnly, and nginx and Caddy pass inbox POSTs to it."""
    keys_dir: Path | None = None
    """Where each fediverse actor's key pair is kept, outside the repository and the site
    (COOPDIR_KEYS_DIR, else ~/.local/share/coopdir/keys); generated there on first use."""
    parallel_from: int = 2_000
    """From how many pages, feeds and co-ops to write a second process writes half of them
    (COOPDIR_PARALLEL_FROM; a fork costs more than it saves on a small rebuild)."""

    def output_shaping(self) -> str:
        """Return the settings that change what is built (not how: cache, incremental...)."""
        return repr(
            replace(self, cache_dir=None, incremental=False, keys_dir=None, parallel_from=0)
        )

    @classmethod
    def from_pelican(cls, settings: dict[str, Any]) -> CoopdirSettings:
        """Read ``COOPDIR`` from Pelican's settings, resolving paths against the settings file."""
        given = dict(settings.get("COOPDIR", {}))
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"COOPDIR has unknown setting(s) {unknown}; known: {sorted(known)}")
        base = Path(settings.get("PATH", ".")).parent
        if os.environ.get("COOPDIR_SITE_URL"):
            given["site_url"] = os.environ["COOPDIR_SITE_URL"]
        if os.environ.get("COOPDIR_CACHE_DIR"):
            given["cache_dir"] = Path(os.environ["COOPDIR_CACHE_DIR"])
        given["incremental"] = os.environ.get("COOPDIR_INCREMENTAL") == "1"
        if os.environ.get("COOPDIR_INBOX_UPSTREAM"):
            given["inbox_upstream"] = os.environ["COOPDIR_INBOX_UPSTREAM"]
        given["keys_dir"] = (
            Path(given["keys_dir"]).expanduser() if given.get("keys_dir") else default_keys_dir()
        )
        if os.environ.get("COOPDIR_PARALLEL_FROM"):
            given["parallel_from"] = int(os.environ["COOPDIR_PARALLEL_FROM"])
        if os.environ.get("COOPDIR_COOPS"):
            given["coops_path"] = os.environ["COOPDIR_COOPS"]
        if "coops_path" in given:
            given["coops_path"] = (base / Path(given["coops_path"])).resolve()
        else:
            given["coops_path"] = (base / cls.coops_path).resolve()
        return cls(**given)
