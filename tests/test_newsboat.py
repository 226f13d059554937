"""A real feed reader subscribes to the built feeds: newsboat, over loopback HTTP.

newsboat (Debian's, installed by ``.ci/install-test-deps``) fetches the RSS and Atom feeds of
``/openings/`` and of one co-op from a local server, non-interactively (``-x reload``) with its
own config and cache, and what it stored in its SQLite cache is compared with the feeds as
feedparser reads them: the same items, titles, links, authors, dates, and the same text to read.

Not the JSON Feed: newsboat 2.21 (Debian 12 and 13) reads RSS and Atom only; JSON Feed support
is an open request upstream (newsboat/newsboat#426). test_feeds.py checks the JSON Feed against
its schema instead.

Each feed gets its own cache: newsboat keeps one item per guid across all the feeds of a cache,
and the same opening is rightly in ``/openings/`` and in its co-op's feed with the same id.
"""

from __future__ import annotations

import calendar
import functools
import json
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest
from bs4 import BeautifulSoup

FEEDS = [
    "/openings/feed.rss",
    "/openings/feed.atom",
    "/coops/alder-harbour/feed.rss",
    "/coops/alder-harbour/feed.atom",
]
INSTALL_HINT = "run `make test` once (its .ci/install-test-deps installs newsboat with apt-get)"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="module")
def served(directory_site: Path) -> Iterator[str]:
    """Serve the built fixture site on a loopback port for this module."""
    handler = functools.partial(_QuietHandler, directory=str(directory_site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="newsboat feeds", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def newsboat() -> str:
    path = shutil.which("newsboat")
    if path is None:
        pytest.fail(f"newsboat not found on PATH: {INSTALL_HINT}", pytrace=False)
    return path


def subscribe(newsboat: str, url: str, folder: Path) -> sqlite3.Connection:
    """Have newsboat fetch one feed into a fresh cache, and return the cache."""
    folder.mkdir(parents=True)
    (folder / "urls").write_text(url + "\n", "utf-8")
    (folder / "config").write_text("", "utf-8")  # newsboat's defaults
    env = {  # no proxy variables: loopback is fetched directly
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "config-home"),
        "XDG_DATA_HOME": str(folder / "data-home"),
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
    }
    command = [
        newsboat, "-u", str(folder / "urls"), "-c", str(folder / "cache.db"),
        "-C", str(folder / "config"), "-l", "4", "-d", str(folder / "newsboat.log"),
        "-x", "reload",
    ]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, check=False,
    )
    log = (folder / "newsboat.log").read_text("utf-8", "replace")[-3000:] if (
        folder / "newsboat.log").exists() else ""
    assert result.returncode == 0, f"newsboat failed:\n{result.stdout}{result.stderr}\n{log}"
    db = sqlite3.connect(folder / "cache.db")
    db.row_factory = sqlite3.Row
    feeds = db.execute("SELECT rssurl FROM rss_feed").fetchall()
    assert [row["rssurl"] for row in feeds] == [url], f"newsboat did not fetch {url}:\n{log}"
    return db


def text_of(html: str) -> str:
    """The words a reader shows for some HTML, whitespace collapsed."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


@pytest.fixture(scope="module")
def read_by_newsboat(
    newsboat: str, served: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], sqlite3.Connection]]:
    caches: dict[str, sqlite3.Connection] = {}

    def read(path: str) -> sqlite3.Connection:
        if path not in caches:
            folder = tmp_path_factory.mktemp("newsboat") / path.strip("/").replace("/", "-")
            caches[path] = subscribe(newsboat, served + path, folder)
        return caches[path]

    yield read
    for db in caches.values():
        db.close()


@pytest.mark.parametrize("path", FEEDS)
def test_newsboat_stores_the_feeds_entries(
    path: str, directory_site: Path, served: str,
    read_by_newsboat: Callable[[str], sqlite3.Connection],
) -> None:
    db = read_by_newsboat(path)
    feed = feedparser.parse((directory_site / path.lstrip("/")).read_bytes())
    assert feed.entries, f"{path}: the fixture should give this feed entries"
    channel = db.execute("SELECT title, url FROM rss_feed").fetchone()
    assert (channel["title"], channel["url"]) == (feed.feed.title, feed.feed.link)
    rows = db.execute(
        "SELECT guid, title, url, author, pubDate FROM rss_item WHERE feedurl = ? "
        "AND deleted = 0 ORDER BY pubDate DESC, id",
        (served + path,),
    ).fetchall()
    assert len(rows) == len(feed.entries), path
    stored = {row["guid"]: row for row in rows}
    for entry in feed.entries:
        row = stored.get(entry.id)
        assert row is not None, f"{path}: newsboat did not store {entry.id}"
        assert row["title"] == entry.title, path
        assert row["url"] == entry.link, path
        assert row["author"] == entry.author, path
        assert row["pubDate"] == calendar.timegm(entry.published_parsed), path
    assert [row["guid"] for row in rows] == [entry.id for entry in feed.entries], (
        f"{path}: newsboat lists by date, newest first, in another order than the feed's"
    )


@pytest.mark.parametrize("path", FEEDS)
def test_newsboat_shows_the_entry_text_not_its_markup(
    path: str, directory_site: Path, served: str,
    read_by_newsboat: Callable[[str], sqlite3.Connection],
) -> None:
    """newsboat renders HTML content as text; content it was told is text shows its tags."""
    db = read_by_newsboat(path)
    json_path = (directory_site / path.lstrip("/")).with_suffix(".json")
    html = {item["id"]: item["content_html"] for item in json.loads(json_path.read_text())["items"]}
    for row in db.execute("SELECT guid, content FROM rss_item WHERE feedurl = ?", (served + path,)):
        assert text_of(row["content"]) == text_of(html[row["guid"]]), (
            f"{path}: newsboat would show {text_of(row['content'])[:120]!r}…"
        )
