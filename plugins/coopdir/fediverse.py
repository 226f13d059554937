"""Everything the build writes for the fediverse, gathered from one Directory.

The ActivityPub documents of every actor (``activitypub.py``), a WebFinger JRD per account,
host-meta and NodeInfo (``webfinger.py``), and the server configurations that serve them with
the right content types and route WebFinger queries (``serverconf.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import urls
from .activitypub import ActivityPubWriter, NoteHtml
from .apvocab import Account, accounts
from .incremental import write_new_file
from .keys import public_key_pem
from .model import Coop, Directory
from .serverconf import server_files
from .webfinger import (
    HOST_META,
    NODEINFO_URL,
    WELL_KNOWN_NODEINFO,
    host_meta,
    jrd,
    nodeinfo,
    nodeinfo_links,
)


class Fediverse:
    """The fediverse files of one build: the site's own, and each co-op's (written apart).

    A co-op's documents depend on its file alone (and on the settings and the day, which any
    rebuild fingerprints), so a rebuild makes them only for co-ops that changed; the site's
    files (the directory's actor, which boosts every opening, NodeInfo, server configurations)
    depend on every co-op.
    """

    def __init__(
        self,
        directory: Directory,
        *,
        site_url: str,
        site_name: str,
        note_html: NoteHtml,
        keys_dir: Path,
        page_exists: Callable[[str], bool],
        inbox_upstream: str | None = None,
    ) -> None:
        """``inbox_upstream`` is where the inbox service listens, when one runs."""
        self.directory = directory
        self.site_url = site_url
        self.site_name = site_name
        self.inbox_upstream = inbox_upstream
        self.writer = ActivityPubWriter(
            directory,
            site_url=site_url,
            site_name=site_name,
            note_html=note_html,
            public_key=lambda account: public_key_pem(keys_dir, account),
            page_exists=page_exists,
            poll_only=inbox_upstream is None,
        )

    def coop_files(self, coop: Coop) -> dict[str, bytes]:
        """Return a co-op's files: output-relative path → bytes.

        Its documents, its WebFinger JRD, and the directory's boosts of its openings.
        """
        files = self.writer.coop_files(coop)
        files.update(self.writer.announce_files(coop))
        files[urls.webfinger_file(coop.slug)] = jrd(Account(coop.slug, coop), self.site_url)
        return {path.lstrip("/"): data for path, data in files.items()}

    def site_files(self) -> dict[str, bytes]:
        """Return the directory's documents (but boosts) and discovery files."""
        every = accounts(self.directory)
        files = self.writer.directory_files(announces=False)
        directory_account = every[0]
        files[urls.webfinger_file(directory_account.name)] = jrd(directory_account, self.site_url)
        posts = sum(len(self.writer.published(coop)) for coop in self.directory.coops)
        files[HOST_META] = host_meta(self.site_url)
        files[WELL_KNOWN_NODEINFO] = nodeinfo_links(self.site_url)
        files[NODEINFO_URL] = nodeinfo(len(every), posts, self.site_name)
        return {path.lstrip("/"): data for path, data in files.items()}

    def server_files(self) -> dict[str, bytes]:
        """Return the web servers' configurations: they change only with the list of accounts."""
        return server_files(
            self.site_url,
            [(a.name, a.actor) for a in accounts(self.directory)],
            inbox_upstream=self.inbox_upstream,
        )

    def server_files_key(self) -> str:
        """Return what the server configurations depend on, as one string (see above)."""
        names = [account.name for account in accounts(self.directory)]
        return "\0".join([self.site_url, str(self.inbox_upstream), *names])


def fediverse_files(directory: Directory, **settings: Any) -> dict[str, bytes]:
    """Return every fediverse file of the site: output-relative path → bytes."""
    fediverse = Fediverse(directory, **settings)
    files = fediverse.site_files() | fediverse.server_files()
    for coop in directory.coops:
        files.update(fediverse.coop_files(coop))
    return files


def write_changed_files(output: Path, files: dict[str, bytes], *, compare: bool = True) -> int:
    """Write the files whose bytes differ from what is there; return how many were written.

    On a rebuild (``compare``), comparing bytes keeps it from touching (and re-uploading) a
    co-op's documents that did not change when its file did (most of them, after a one-line
    edit), without fingerprints to maintain. A full build starts from an empty folder: nothing
    is read. A changed file is written as a new file (``write_new_file``): a rebuild starts
    from hard links to the previous site, which must never be written through.
    """
    written = 0
    base = os.fspath(output)
    for name, data in files.items():
        path = os.path.join(base, name)
        if compare and _holds(path, data):
            continue
        write_new_file(path, data)
        written += 1
    return written


def _holds(path: str, data: bytes) -> bool:
    """Return True when the file at ``path`` has exactly these bytes."""
    try:
        with open(path, "rb") as file:
            return file.read(len(data) + 1) == data
    except FileNotFoundError:
        return False
