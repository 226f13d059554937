"""Markdown from co-op files renders to inert HTML: no scripts, frames, images or handlers."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coopdir.markdown import _prose_paragraphs, _render_markdown, render_markdown, sanitise_html

HOSTILE = {
    "script-tag": "Hello <script>alert(1)</script> world",
    "script-block": "<script>\nalert(document.cookie)\n</script>\n\ntext",
    "img-onerror": '<img src="x" onerror="alert(1)">',
    "svg-onload": "<svg onload=alert(1)><circle/></svg>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "object-embed": '<object data="x.swf"></object><embed src="x.swf">',
    "raw-anchor-onclick": '<a href="https://ok.example/" onclick="steal()">click</a>',
    "raw-anchor-javascript": '<a href="javascript:alert(1)">click</a>',
    "style": "<style>body{display:none}</style><p style='color:red'>x</p>",
    "form": '<form action="https://evil.example/"><input name="password"></form>',
    "md-javascript-link": "[click me](javascript:alert(1))",
    "md-javascript-mixed-case": "[click me](JaVaScRiPt:alert(1))",
    "md-vbscript-link": "[click me](vbscript:msgbox(1))",
    "md-data-link": "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-data-image": "![pixel](data:image/png;base64,iVBORw0KGgo=)",
    "md-image": "![logo](https://tracker.example/pixel.png)",
    "md-image-javascript": "![x](javascript:alert(1))",
    "autolink-javascript": "<javascript:alert(1)>",
    "reference-link": "[click][evil]\n\n[evil]: javascript:alert(1)",
    "link-title-breakout": '[x](https://ok.example/ "a\\" onmouseover=\\"alert(1)")',
    "html-comment": "<!-- <script>alert(1)</script> -->text",
    "html-in-heading": "# <img src=x onerror=alert(1)> Title",
    "html-entity-script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "nested": "> - **[x](javascript:alert(1))** <script>1</script>\n>   ![y](https://e.example/y.png)",
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def assert_inert(html: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    banned = soup.find_all(
        ["script", "iframe", "img", "svg", "object", "embed", "style", "form", "input", "frame"]
    )
    assert banned == [], html
    for element in soup.find_all(True):
        assert not any(name.lower().startswith("on") for name in element.attrs), html
        assert "style" not in element.attrs, html
    for link in soup.find_all("a", href=True):
        assert urlsplit(link["href"]).scheme in ALLOWED_SCHEMES, html
        assert {"nofollow", "ugc", "noopener"} <= set(link.get("rel", [])), html
    return soup


@pytest.mark.parametrize("markdown", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markdown_renders_inert(markdown: str) -> None:
    assert_inert(render_markdown(markdown))


def test_raw_html_is_shown_as_text_not_dropped() -> None:
    """A contributor who writes HTML sees it as text on the page, and learns it does not work."""
    soup = assert_inert(render_markdown("Hello <b>there</b>"))
    assert soup.get_text() == "Hello <b>there</b>"
    assert soup.find("b") is None


def test_images_become_plain_links() -> None:
    soup = assert_inert(render_markdown("![our logo](https://example.coop/logo.png)"))
    link = soup.find("a")
    assert link["href"] == "https://example.coop/logo.png"
    assert link.get_text() == "our logo"


def test_good_markdown_keeps_its_structure() -> None:
    text = (
        "We **build** _things_.\n\n"
        "- [our site](https://example.coop/)\n"
        "- [write to us](mailto:hello@example.coop)\n\n"
        "3. three\n4. four\n\n"
        "> quoted `code`\n\n"
        "```\nmake test\n```\n"
    )
    soup = assert_inert(render_markdown(text))
    assert soup.strong.get_text() == "build"
    assert soup.em.get_text() == "things"
    assert [a["href"] for a in soup.find_all("a")] == [
        "https://example.coop/",
        "mailto:hello@example.coop",
    ]
    assert soup.ol["start"] == "3"
    assert soup.blockquote.code.get_text() == "code"
    assert soup.pre.code.get_text() == "make test\n"


@pytest.mark.parametrize(
    ("markdown", "tags"),
    [
        ("# Title", ["h3"]),
        ("## Title", ["h3"]),
        ("#### Title", ["h3"]),
        ("Title\n=====", ["h3"]),
        ("## Title\n\n### Sub\n\n## Title", ["h3", "h4", "h3"]),
        ("# Title\n\n###### Deep", ["h3", "h6"]),
    ],
)
def test_headings_start_under_the_page_headings_without_skipping(
    markdown: str, tags: list[str]
) -> None:
    soup = assert_inert(render_markdown(markdown))
    headings = soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])
    assert [h.name for h in headings] == tags


def test_relative_and_protocol_relative_links_stay_plain_text() -> None:
    soup = assert_inert(render_markdown("[a](/admin) [b](//evil.example.org/x) [c](page.html)"))
    assert soup.find("a") is None
    assert "a" in soup.get_text()


def test_sanitiser_alone_strips_what_markdown_would_never_make() -> None:
    html = (
        '<h1>big</h1><p onclick="x()">p</p><a href="javascript:alert(1)">j</a>'
        '<a href="https://ok.example/" target="_blank">ok</a><script>alert(1)</script>'
    )
    soup = assert_inert(sanitise_html(html))
    assert soup.find("h1") is None
    assert "alert" not in soup.get_text()
    assert soup.find("a", href=True)["href"] == "https://ok.example/"
    assert "target" not in soup.find("a", href=True).attrs


@pytest.mark.parametrize(
    "markdown",
    ["[x](//evil.example/phish)", "[x](/admin)", "[x](page.html)", "[x](java&#09;script:alert(1))"],
    ids=["protocol-relative", "root-relative", "relative", "encoded-tab"],
)
def test_relative_links_are_not_kept(markdown: str) -> None:
    soup = BeautifulSoup(render_markdown(markdown), "html.parser")
    for link in soup.find_all("a", href=True):
        assert urlsplit(link["href"]).scheme in ALLOWED_SCHEMES, link


_PROSE_PUNCTUATION = list(" ,.;:?!'()/%-")
_letters = st.characters(categories=("L",))
_prose_line = st.builds(
    lambda first, rest: first + rest,
    _letters,
    st.text(
        st.one_of(_letters, st.characters(categories=("N",)), st.sampled_from(_PROSE_PUNCTUATION))
    ),
)
_prose = st.lists(st.one_of(st.just(""), _prose_line), max_size=8).map("\n".join)


@settings(max_examples=2000, deadline=None)
@given(_prose)
def test_plain_prose_skips_the_parser_and_gives_the_same_html(text: str) -> None:
    """Plain paragraphs take the quick way, and show exactly what the parser would have made."""
    assume(_prose_paragraphs(text) is not None)
    assert render_markdown.__wrapped__(text) == _render_markdown(text)


@pytest.mark.parametrize(
    "text",
    [
        "1. a list, not prose",
        "Two spaces end this line  \nso it breaks",
        "- a dash starts a list",
        "Some *emphasis* here",
        "A heading\n---",
        "    indented code",
        "Tom & Jerry",
        'She said "hi"',
        "snake_case",
        "A line \nwith a trailing space",
    ],
)
def test_text_that_markdown_reads_is_not_taken_for_prose(text: str) -> None:
    """Anything Markdown (or an HTML escape) gives a meaning goes through the parser."""
    assert _prose_paragraphs(text) is None
    assert render_markdown(text) == _render_markdown(text)
