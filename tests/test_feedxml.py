"""Feeds joined from entries written once are exactly the feeds feedgen writes whole.

An opening's Atom and RSS entries are written once per build and reused in every feed that
lists it (``feedxml.py``): a reader must get the same bytes whichever feed was written first.
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from conftest import TODAY
from sitecheck import ROOT

from coopdir.facets import slice_directory
from coopdir.feeds import FeedWriter, plan_feeds
from coopdir.feedxml import ATOM, RSS, Shape, split_feed
from coopdir.load import load_directory

GOLDEN = ROOT / "tests" / "golden"
FIXTURES = ROOT / "tests" / "fixtures" / "directory"


def golden_feeds(suffix: str) -> list[Path]:
    """Return the golden site's feeds in one format."""
    return sorted(GOLDEN.rglob(f"feed.{suffix}"))


@pytest.mark.parametrize(("suffix", "shape"), [("atom", ATOM), ("rss", RSS)])
def test_every_golden_feed_splits_into_its_entries_and_joins_back(
    suffix: str, shape: Shape
) -> None:
    """Each feed is its head, then one text per entry a reader sees, then the closing tags."""
    feeds = golden_feeds(suffix)
    assert any(len(feedparser.parse(path.read_bytes()).entries) > 1 for path in feeds)
    for path in feeds:
        text = path.read_bytes()
        count = len(feedparser.parse(text).entries)
        parts = split_feed(text, shape, count)
        assert parts is not None, path
        head, entries = parts
        assert shape.join(head, entries) == text, path
        assert all(entry.count(shape.start[1:]) == 1 for entry in entries), path
        # A wrong count is refused: the feed is then written whole.
        assert split_feed(text, shape, count + 1) is None, path
        if count:
            assert split_feed(text, shape, count - 1) is None, path


def test_an_unexpected_layout_is_refused() -> None:
    """Anything after the entries, or a feed not ending as expected, is not cut up."""
    text = (GOLDEN / "openings" / "feed.atom").read_bytes()
    count = len(feedparser.parse(text).entries)
    after_entries = text.replace(ATOM.tail, b"  <rights>r</rights>\n" + ATOM.tail)
    assert split_feed(after_entries, ATOM, count) is None
    assert split_feed(text.rstrip(b"\n"), ATOM, count) is None
    assert split_feed(text, RSS, count) is None


def feed_bytes(order: str) -> dict[str, bytes]:
    """Return every feed file of the fixture directory, written in an order.

    ``planned`` and ``reversed`` share one writer, which reuses entries; ``alone`` gives each
    feed a writer of its own, so every entry is written by feedgen in that very feed.
    """
    directory = load_directory(FIXTURES, today=TODAY)
    feeds = plan_feeds(directory, slice_directory(directory), limit=50)

    def writer() -> FeedWriter:
        return FeedWriter(
            directory,
            "https://coops.example",
            "coopdir",
            lambda opening: f"<p>{opening.title} & more</p>",
            lambda coop: f"<p>{coop.name}</p>",
        )

    shared = writer()
    files: dict[str, bytes] = {}
    for feed in reversed(feeds) if order == "reversed" else feeds:
        files.update((writer() if order == "alone" else shared).files(feed))
    return files


def test_a_feed_is_the_same_whichever_feeds_were_written_before_it() -> None:
    """Entries reused from other feeds give every feed the bytes feedgen writes for it alone.

    As planned, the co-ops' feeds write the entries the slices' feeds reuse; reversed, the
    slices' feeds write them first.
    """
    alone = feed_bytes("alone")
    xml = [name for name in alone if name.endswith((".atom", ".rss"))]
    assert len(xml) > 20
    for order in ("planned", "reversed"):
        files = feed_bytes(order)
        assert files.keys() == alone.keys()
        for name in xml:
            assert files[name] == alone[name], (order, name)
