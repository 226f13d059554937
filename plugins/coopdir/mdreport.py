"""Small pieces of GitHub-flavoured Markdown for the reports the nightly job posts.

Values come from co-op files and from servers, so every one is escaped: a co-op called
``*Best* | Co-op`` must not turn into emphasis or break a table, and an address is shown as
code so it is never rendered as a link nobody has vetted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>|~&])")
"""The characters that start inline markup (emphasis, links, HTML, code, tables, entities)."""


def text(value: object) -> str:
    """Return a value as Markdown that shows exactly its characters, on one line."""
    one_line = " ".join(str(value).split())
    return _INLINE_MARKUP.sub(r"\\\1", one_line)


def code(value: object) -> str:
    """Return a value as an inline code span, safe inside a table cell."""
    shown = " ".join(str(value).split())
    fence = "``" if "`" in shown else "`"
    padded = f" {shown} " if fence == "``" else shown
    # GitHub splits table cells on | even inside code spans; \| shows a | there.
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Return the lines of a table; cells must already be Markdown (``text``/``code``)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines
