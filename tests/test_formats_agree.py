"""One source, five renderings: the open openings read back from the HTML, RSS, Atom, JSON Feed
and ``api/openings.json`` of the built site are the same openings, with the same titles and dates.
"""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
from sitecheck import parse

SITE_URL = "http://localhost:8000"


def from_html(site: Path) -> dict[str, tuple[str, str, str]]:
    """Read each open opening's own page, found through the openings list."""
    found = {}
    listing = parse(site / "openings/index.html")
    for link in listing.select("main .card .card-title a"):
        page = parse(site / link["href"].lstrip("/") / "index.html")
        times = {
            value.find_previous_sibling("dt").get_text(): value.find("time")["datetime"]
            for value in page.select("dl.facts dd") if value.find("time")
        }
        found[SITE_URL + link["href"]] = (
            page.h1.get_text(strip=True), times["Posted"], times["Closes"]
        )
    return found


def from_xml_feed(site: Path, name: str) -> dict[str, tuple[str, str, str]]:
    feed = feedparser.parse(str(site / "openings" / name))
    assert not feed.bozo, feed.bozo_exception
    return {
        entry.id: (
            entry.title.split(" · ")[0],
            entry.job_posted,
            entry.job_closes,
        )
        for entry in feed.entries
    }


def from_json_feed(site: Path) -> dict[str, tuple[str, str, str]]:
    feed = json.loads((site / "openings/feed.json").read_text("utf-8"))
    return {
        item["id"]: (
            item["title"].split(" · ")[0],
            item["_coopdir"]["posted"],
            item["_coopdir"]["closes"],
        )
        for item in feed["items"]
    }


def from_bulk_data(site: Path) -> dict[str, tuple[str, str, str]]:
    data = json.loads((site / "api/openings.json").read_text("utf-8"))
    return {
        record["url"]: (record["title"], record["posted"], record["closes"])
        for record in data["openings"]
        if record["state"] == "open"
    }


def test_html_rss_atom_json_feed_and_bulk_data_agree(directory_site: Path) -> None:
    html = from_html(directory_site)
    assert html, "the fixture has open openings"
    assert from_xml_feed(directory_site, "feed.rss") == html
    assert from_xml_feed(directory_site, "feed.atom") == html
    assert from_json_feed(directory_site) == html
    assert from_bulk_data(directory_site) == html


def test_dates_in_feeds_are_the_data_dates_not_the_build_day(directory_site: Path) -> None:
    feed = feedparser.parse(str(directory_site / "openings/feed.atom"))
    build_day = "2026-11-01"
    data = json.loads((directory_site / "api/openings.json").read_text("utf-8"))
    changed = {r["url"]: r["last_changed"] for r in data["openings"] if r["state"] == "open"}
    for entry in feed.entries:
        assert entry.updated.startswith(changed[entry.id])
    assert not feed.feed.updated.startswith(build_day) or build_day in changed.values()
