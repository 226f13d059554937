"""Render the Markdown in co-op files to HTML that is safe to put on our pages.

markdown-it-py parses CommonMark with raw HTML turned off (it is shown as text), and nh3
(the Rust ammonia sanitiser) then keeps only a small set of tags, only http(s) and mailto links,
and marks every link ``rel="nofollow ugc noopener"``: the text comes from strangers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "a", "em", "strong", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

TOP_HEADING = 3  # a description sits under the page's h1 and a section's h2

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _absolute_link(url: str) -> bool:
    """Accept only absolute http(s) and mailto links; anything else stays plain text."""
    return urlsplit(url.strip()).scheme.lower() in URL_SCHEMES


_parser.validateLink = _absolute_link  # type: ignore[method-assign]


def _image_as_link(self, tokens, idx, options, env) -> str:  # noqa: ANN001 - markdown-it's API
    """Show an image as a link to it: an <img> would make readers' browsers call other hosts."""
    token = tokens[idx]
    src = escapeHtml(str(token.attrGet("src") or ""))
    alt = escapeHtml(token.content or str(token.attrGet("src") or ""))
    return f'<a href="{src}">{alt}</a>'


_parser.add_render_rule("image", _image_as_link)


_NOT_PROSE = re.compile(r"[^\w\n ,.;:?!'()/%-]")
"""A character that is not plain prose (nor is ``_``, a word character): Markdown, or an
HTML escape, may give it a meaning.

Plain prose is letters, digits, spaces and punctuation that no Markdown construct or HTML
escape starts with (no ``*_`[]<>&#\\|~="``); each line also starts with a letter (not a
list's digit, dash or plus, not an indent) and ends with no space (two would be a line break).
"""
_LETTER = re.compile(r"[^\W\d_]")


def _prose_paragraphs(text: str) -> list[str] | None:
    """Return the paragraphs of a text of plain prose lines, or None if it is not one."""
    if "_" in text or _NOT_PROSE.search(text):
        return None
    paragraphs: list[str] = []
    lines: list[str] = []
    for line in text.split("\n"):
        if not line:
            if lines:
                paragraphs.append("\n".join(lines))
                lines = []
        elif _LETTER.match(line) and line[-1] != " ":
            lines.append(line)
        else:
            return None
    if lines:
        paragraphs.append("\n".join(lines))
    return paragraphs


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Return sanitised HTML for a Markdown text from a co-op file.

    Most descriptions are plain paragraphs: those skip the parser and the sanitiser (a third
    of what loading a co-op file costs), for the very bytes they would have made;
    ``tests/test_markdown.py`` checks that on generated prose.
    """
    paragraphs = _prose_paragraphs(text)
    if paragraphs is not None:
        return "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return _render_markdown(text)


def _render_markdown(text: str) -> str:
    """Parse, render and sanitise a Markdown text (any text; ``render_markdown`` says when)."""
    tokens = _parser.parse(text)
    headings = [token for token in tokens if token.type in ("heading_open", "heading_close")]
    if headings:
        # The description's own top level, whatever it is (# or ##), becomes h3, and levels
        # below keep their distance, so the page's outline never skips a level.
        shift = TOP_HEADING - min(int(token.tag[1]) for token in headings)
        for token in headings:
            token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"
    return sanitise_html(_parser.renderer.render(tokens, _parser.options, {}))


def _absolute_links_only(tag: str, attribute: str, value: str) -> str | None:
    """Drop an href that is not an absolute http(s) or mailto link.

    nh3's scheme list only applies to URLs with a scheme: ``//host/``, ``/admin`` and
    ``page.html`` would otherwise survive, and they mean nothing (or something else) on our site.
    """
    if attribute == "href" and not _absolute_link(value):
        return None
    return value


def sanitise_html(html: str) -> str:
    """Keep only harmless tags, attributes and link schemes from an HTML fragment."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow ugc noopener",
        attribute_filter=_absolute_links_only,
        strip_comments=True,
    ).strip()
