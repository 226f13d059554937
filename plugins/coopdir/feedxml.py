"""Cut a feed feedgen wrote into its head and its entries, to reuse the entries elsewhere.

An opening is listed in its co-op's feed, the feed of every slice it falls in and the feed of
all openings; its entry is the same text in each. feedgen builds and serialises an lxml tree per
feed, which makes the entries most of a large build's feed time. feedgen pretty-prints a feed as
its head (the feed's own elements), its entries one after another, each indented the same in
every feed, and the closing tags; an entry's text is escaped, so the marker lines below cannot
occur inside one. ``feeds.py`` keeps each opening's entries as first written and joins later
feeds from their own head and those entries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """How one format lays out its entries in feedgen's pretty-printed text."""

    start: bytes
    """The line that opens an entry, with the newline before it."""
    end: bytes
    """The line that closes an entry, with the newlines around it."""
    tail: bytes
    """What follows the last entry: the closing tags."""

    def join(self, head: bytes, entries: list[bytes]) -> bytes:
        """Return a feed's text from its head and its entries' texts."""
        return head + b"".join(entries) + self.tail


ATOM = Shape(b"\n  <entry>\n", b"\n  </entry>\n", b"</feed>\n")
RSS = Shape(b"\n    <item>\n", b"\n    </item>\n", b"  </channel>\n</rss>\n")


def split_feed(text: bytes, shape: Shape, count: int) -> tuple[bytes, list[bytes]] | None:
    """Return a feed's head and its ``count`` entries' texts, or None if it is not laid out so.

    ``shape.join(head, entries)`` gives ``text`` back. None makes the caller write the feed
    whole, as feedgen does, instead of reusing entries.
    """
    if not text.endswith(shape.tail):
        return None
    body_end = len(text) - len(shape.tail)
    first = text.find(shape.start)
    if count == 0:
        return (text[:body_end], []) if first < 0 else None
    if first < 0:
        return None
    position = first + 1
    head = text[:position]
    entries = []
    opening = shape.start[1:]
    for _ in range(count):
        end = text.find(shape.end, position)
        if end < 0 or not text.startswith(opening, position):
            return None
        stop = end + len(shape.end)
        entries.append(text[position:stop])
        position = stop
    return (head, entries) if position == body_end else None
