"""The page writer: Pelican's output for a page, written as a new file, with Pelican's guards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from jinja2 import Environment
from pelican.writers import FileOverwriteFailedError, Writer

from coopdir.pagewriter import LinkSafeWriter

TEMPLATE = Environment(autoescape=True).from_string(
    "<title>{{ SITENAME }}</title><p>{{ page.title }} {{ output_file }} {{ extra }}</p>"
)
CONTEXT = {"SITENAME": "coopdir & co"}


class Page:
    title = "Réseau <b>"


def test_a_page_has_the_bytes_pelicans_writer_gives_it(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for folder, writer_class, method in (
        (ours, LinkSafeWriter, "write_page"),
        (theirs, Writer, "write_file"),
    ):
        writer = writer_class(str(folder), settings={})
        getattr(writer, method)("a/b/index.html", TEMPLATE, CONTEXT, page=Page(), extra="é")
    written = (ours / "a/b/index.html").read_bytes()
    assert written == (theirs / "a/b/index.html").read_bytes()
    assert "Réseau &lt;b&gt; a/b/index.html é".encode() in written


def test_a_page_is_never_written_through_a_link_to_the_previous_site(tmp_path: Path) -> None:
    previous = tmp_path / "previous.html"
    previous.write_text("the site being served")
    (tmp_path / "out" / "a").mkdir(parents=True)
    os.link(previous, tmp_path / "out" / "a" / "index.html")
    writer = LinkSafeWriter(str(tmp_path / "out"), settings={})
    writer.write_page("a/index.html", TEMPLATE, CONTEXT, page=Page(), extra="")
    assert previous.read_text() == "the site being served"
    assert b"coopdir &amp; co" in (tmp_path / "out" / "a" / "index.html").read_bytes()
    assert str(tmp_path / "out" / "a" / "index.html") in writer.written_files


def test_a_page_written_twice_or_outside_the_output_fails(tmp_path: Path) -> None:
    writer = LinkSafeWriter(str(tmp_path / "out"), settings={})
    writer.write_page("x/index.html", TEMPLATE, CONTEXT, page=Page(), extra="")
    with pytest.raises(FileOverwriteFailedError):
        writer.write_page("x/index.html", TEMPLATE, CONTEXT, page=Page(), extra="")
    with pytest.raises(RuntimeError, match="break out"):
        writer.write_page("../escaped.html", TEMPLATE, CONTEXT, page=Page(), extra="")
    assert not (tmp_path / "escaped.html").exists()
