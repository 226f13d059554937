"""The feeds, as feed readers and scripts read them: RSS 2.0, Atom and JSON Feed 1.1.

Everything is checked on built sites (``make html`` on the fixed day, 2026-11-01): the fixture
directory, a folder of edge cases written here (an opening closing today, one posted today, one
that closed yesterday, one that starts tomorrow, one at a dissolved co-op, a co-op hiring in two
countries) and the hostile fixture (markup and script in every field). Feeds are parsed, never
grepped: feedparser for what readers see, ElementTree for exact XML attributes, jsonschema for
JSON Feed. What a feed should carry is worked out from the co-op files themselves (read with
``yaml.safe_load``), not from coopdir's models, so the two can disagree.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import shutil
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import feedparser
import pytest
import yaml
from bs4 import BeautifulSoup, Tag
from conftest import TODAY
from jsonschema import Draft202012Validator, FormatChecker
from sitecheck import ROOT, html_files, make_html, parse

from coopdir.facets import slice_directory
from coopdir.feeds import Feed, FeedWriter, plan_feeds
from coopdir.load import load_directory
from coopdir.settings import CoopdirSettings

FIXTURES = ROOT / "tests" / "fixtures"
SCHEMA_PATH = ROOT / "tests" / "schemas" / "jsonfeed-1.1.schema.json"
VOCAB = ROOT / "plugins" / "coopdir" / "vocab"
SITE_URL = (os.environ.get("COOPDIR_SITE_URL") or CoopdirSettings.site_url).rstrip("/")
"""Where the test builds say the site lives (``make html`` reads COOPDIR_SITE_URL too)."""
DEFAULT_OPENING_DAYS = CoopdirSettings.default_opening_days
FEED_LIMIT = CoopdirSettings.feed_limit

MIME = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}

# --- the co-op files: what the feeds should say -----------------------------------------------


def _day(value: Any) -> dt.date:
    """A YAML date, whether PyYAML read it as a date or (quoted) as a string."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@functools.cache
def term_label(vocabulary: str, slug: str) -> str:
    terms = yaml.safe_load((VOCAB / f"{vocabulary}.yaml").read_text("utf-8"))
    return terms[slug]["label"] if slug in terms else slug


@dataclass(frozen=True)
class Posting:
    """One opening as its co-op file writes it."""

    slug: str
    coop: dict[str, Any]
    data: dict[str, Any]

    @property
    def posted(self) -> dt.date:
        return _day(self.data["posted"])

    @property
    def closes(self) -> dt.date:
        given = self.data.get("closes")
        return _day(given) if given else self.posted + dt.timedelta(days=DEFAULT_OPENING_DAYS)

    @property
    def last_changed(self) -> dt.date:
        return _day(self.data["updated"]) if self.data.get("updated") else self.posted

    @property
    def state(self) -> str:
        """``open``, ``closed`` or ``upcoming`` on TODAY; a dissolved co-op hires nobody."""
        if self.coop.get("status") == "dissolved" or self.closes < TODAY:
            return "closed"
        return "upcoming" if self.posted > TODAY else "open"

    @property
    def url(self) -> str:
        return f"{SITE_URL}/coops/{self.slug}/openings/{self.data['id']}/"

    @property
    def technologies(self) -> list[str]:
        return self.data.get("technologies") or self.coop.get("technologies") or []

    def facts(self) -> dict[str, str]:
        """The job facts, keyed as feedparser names them (``job_paymin`` → ``paymin``)."""
        pay = self.data.get("pay") or {}
        facts = {
            "coop": self.coop["name"],
            "coopslug": self.slug,
            "kind": self.data.get("kind", "job"),
            "employmenttype": " ".join(self.data.get("employment_type") or []),
            "remote": self.data.get("remote"),
            "paymin": pay.get("min"),
            "paymax": pay.get("max"),
            "paycurrency": pay.get("currency"),
            "payperiod": pay.get("period"),
            "paypolicy": pay.get("policy"),
            "posted": self.posted.isoformat(),
            "closes": self.closes.isoformat(),
            "apply": self.data["apply"],
            "example": "true" if self.data.get("example") else None,
        }
        return {name: str(value) for name, value in facts.items() if value not in (None, "")}


# Which slice of each facet an opening is in, as facets.py documents it: what the opening says
# itself (kind, technologies, location), else what its co-op says.
FACET_VALUES: dict[str, Callable[[Posting], list[str]]] = {
    "countries": lambda p: [p.data["location"]["country"]]
    if p.data.get("location")
    else [place["country"] for place in p.coop.get("locations", [])],
    "remote": lambda p: [p.coop["remote"]] if p.coop.get("remote") else [],
    "technologies": lambda p: p.technologies,
    "services": lambda p: p.coop.get("services", []),
    "kinds": lambda p: [p.data.get("kind", "job")],
    "hiring": lambda p: [p.coop["hiring"]["status"]] if p.coop.get("hiring") else [],
    "types": lambda p: [p.coop["type"]] if p.coop.get("type") else [],
    "networks": lambda p: [n["network"] for n in p.coop.get("networks", [])],
}


@dataclass(frozen=True)
class Built:
    """A built site and the co-op files it was built from."""

    name: str
    output: Path
    coops: dict[str, dict[str, Any]]

    @cached_property
    def postings(self) -> list[Posting]:
        return [
            Posting(slug, coop, opening)
            for slug, coop in self.coops.items()
            for opening in coop.get("openings") or []
        ]

    @cached_property
    def by_url(self) -> dict[str, Posting]:
        return {posting.url: posting for posting in self.postings}

    def open(self) -> list[Posting]:
        return [p for p in self.postings if p.state == "open"]

    def listed(self) -> dict[str, dict[str, Any]]:
        return {s: c for s, c in self.coops.items() if c.get("status") != "dissolved"}

    def expected_ids(self, folder: str) -> set[str]:
        """The entry ids the feeds in ``folder`` should carry (every one: each is under the cap)."""
        if folder == "/openings/":
            return {p.url for p in self.open()}
        if folder == "/coops/":  # listed co-ops; those without provenance.added may be left out
            return {f"{SITE_URL}/coops/{slug}/" for slug in self.listed()}
        if match := re.fullmatch(r"/coops/([^/]+)/", folder):
            return {p.url for p in self.open() if p.slug == match[1]}
        match = re.fullmatch(r"/([a-z]+)/([^/]+)/", folder)
        assert match and match[1] in FACET_VALUES, f"a feed where no page shows openings: {folder}"
        values = FACET_VALUES[match[1]]
        return {p.url for p in self.open() if match[2] in [v.lower() for v in values(p)]}

    def feeds(self, fmt: str) -> list[Path]:
        return sorted(self.output.rglob(f"feed.{fmt}"))

    def folders(self) -> list[str]:
        return sorted({folder_of(self.output, path) for path in self.output.rglob("feed.*")})

    def file(self, url: str) -> Path:
        """The file a root-relative or absolute site URL is served from."""
        path = url.removeprefix(SITE_URL).lstrip("/")
        target = self.output / path
        return target / "index.html" if url.endswith("/") else target


def read_coops(folder: Path) -> dict[str, dict[str, Any]]:
    return {
        path.stem: yaml.safe_load(path.read_text("utf-8")) for path in sorted(folder.glob("*.yaml"))
    }


def folder_of(site: Path, feed: Path) -> str:
    """The root-relative folder URL a feed file sits in (``/openings/``)."""
    return "/" + feed.parent.relative_to(site).as_posix() + "/"


def url_of(site: Path, feed: Path) -> str:
    return SITE_URL + "/" + feed.relative_to(site).as_posix()


@functools.cache
def parsed(path: Path) -> feedparser.FeedParserDict:
    return feedparser.parse(path.read_bytes())


@functools.cache
def json_feed(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def ids_in(path: Path) -> list[str]:
    if path.suffix == ".json":
        return [item["id"] for item in json_feed(path)["items"]]
    return [entry.id for entry in parsed(path).entries]


def no_problems(problems: list[str], what: str) -> None:
    """Fail listing the first few problems, readably, and how many there are."""
    shown = "\n".join(f"  {problem}" for problem in problems[:8])
    more = f"\n  ... and {len(problems) - 8} more" if len(problems) > 8 else ""
    assert not problems, f"{len(problems)} {what}:\n{shown}{more}"


# --- the sites --------------------------------------------------------------------------------

EDGE_COOPS = {
    "edge-dev": """\
        # Made up for tests/test_feeds.py: the days around TODAY (2026-11-01).
        name: Edge Dev Co-op
        website: https://edge.example.org/
        locations:
          - country: GB
            city: Leeds
          - country: IE
            city: Cork
        technologies: [go, python]
        hiring:
          status: hiring
          confirmed: 2026-10-20
        provenance:
          added_by: coop
          added: 2026-10-02
        openings:
          - id: posted-today
            title: Posted today
            posted: 2026-11-01
            closes: 2026-11-30
            apply: https://edge.example.org/jobs/today
            remote: remote
            example: true
          - id: closes-today
            title: Closes today
            posted: 2026-10-01
            closes: 2026-11-01
            apply: https://edge.example.org/jobs/closes-today
            example: true
          - id: closed-yesterday
            title: Closed yesterday
            posted: 2026-10-01
            closes: 2026-10-31
            apply: https://edge.example.org/jobs/closed
            example: true
          - id: starts-tomorrow
            title: Starts tomorrow
            posted: 2026-11-02
            closes: 2026-12-01
            apply: https://edge.example.org/jobs/upcoming
            example: true
          - id: no-closing-date
            title: No closing date given
            kind: contract
            posted: 2026-09-01
            updated: 2026-10-20
            apply: https://edge.example.org/jobs/default
            technologies: [rust]
            pay:
              min: 20.5
              currency: EUR
              period: hour
            example: true
        """,
    "gone-dev": """\
        # Made up for tests/test_feeds.py: dissolved, with an opening whose dates are still open.
        name: Gone Dev Co-op
        website: https://gone.example.org/
        status: dissolved
        status_since: 2026-10-01
        locations:
          - country: NL
            city: Utrecht
        provenance:
          added_by: coop
          added: 2026-01-10
        openings:
          - id: still-dated-open
            title: Developer at a co-op that has dissolved
            posted: 2026-09-20
            closes: 2026-12-31
            apply: https://gone.example.org/jobs
            technologies: [go]
            example: true
        """,
}


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for slug, text in files.items():
        (folder / f"{slug}.yaml").write_text(textwrap.dedent(text), "utf-8", newline="\n")
    return folder


@pytest.fixture(scope="module")
def edge_coops(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("feed-edges") / "coops", EDGE_COOPS)


SITES = {
    "directory": lambda request: FIXTURES / "directory",
    "edge": lambda request: request.getfixturevalue("edge_coops"),
    "hostile": lambda request: FIXTURES / "hostile",
}


@pytest.fixture(scope="module", params=list(SITES))
def built(request: pytest.FixtureRequest, build_site: Callable[[Path], Path]) -> Built:
    folder = SITES[request.param](request)
    return Built(request.param, build_site(folder), read_coops(folder))


@pytest.fixture(scope="module")
def fixture_site(directory_site: Path) -> Built:
    return Built("directory", directory_site, read_coops(FIXTURES / "directory"))


def each(paths: list[Path], site: Path) -> Iterator[tuple[str, Path]]:
    assert paths, f"no feeds in {site}"
    for path in paths:
        yield path.relative_to(site).as_posix(), path


# --- RSS 2.0 ----------------------------------------------------------------------------------


def test_every_rss_feed_parses_and_points_at_its_page_and_itself(built: Built) -> None:
    for name, path in each(built.feeds("rss"), built.output):
        feed = parsed(path)
        assert feed.bozo == 0, f"{name}: {feed.get('bozo_exception')}"
        assert feed.version == "rss20", name
        page = SITE_URL + folder_of(built.output, path)
        assert feed.feed.link == page, f"{name}: channel <link> is not the page it follows"
        selves = [link for link in feed.feed.links if link.rel == "self"]
        assert [(s.href, s.type) for s in selves] == [(url_of(built.output, path), MIME["rss"])], (
            f"{name}: atom:link rel=self must be the RSS file's own URL"
        )
        assert feed.feed.title, name
        assert feed.feed.get("description"), name


def test_every_rss_item_has_a_permalink_guid_a_date_a_link_and_categories(built: Built) -> None:
    for name, path in each(built.feeds("rss"), built.output):
        items = ElementTree.parse(path).getroot().findall("channel/item")
        entries = parsed(path).entries
        assert len(items) == len(entries), name
        coop_feed = folder_of(built.output, path) == "/coops/"
        for item, entry in zip(items, entries, strict=True):
            guid = item.find("guid")
            assert guid is not None and guid.get("isPermaLink") == "true", name
            assert guid.text == item.findtext("link") == entry.link == entry.id, (
                f"{name}: guid and link must both be the entry's page"
            )
            assert entry.get("published_parsed"), f"{name}: {entry.id} has no pubDate"
            assert entry.title, name
            categories = {(c.text, c.get("domain")) for c in item.findall("category")}
            if coop_feed:
                slug = entry.id.removeprefix(f"{SITE_URL}/coops/").strip("/")
                services = built.coops[slug].get("services") or []
                expected = {(term_label("services", s), f"{SITE_URL}/services/") for s in services}
            else:
                posting = built.by_url[entry.id]
                expected = {
                    (term_label("technologies", t), f"{SITE_URL}/technologies/")
                    for t in posting.technologies
                }
            assert categories == expected, f"{name}: categories of {entry.id}"


# --- Atom -------------------------------------------------------------------------------------


def test_every_atom_feed_parses_with_author_updated_and_self_link(built: Built) -> None:
    for name, path in each(built.feeds("atom"), built.output):
        feed = parsed(path)
        assert feed.bozo == 0, f"{name}: {feed.get('bozo_exception')}"
        assert feed.version == "atom10", name
        assert feed.feed.get("id") and feed.feed.title, name
        assert feed.feed.get("author_detail", {}).get("name"), f"{name}: a feed needs an author"
        links = {(link.rel, link.href, link.get("type")) for link in feed.feed.links}
        page = SITE_URL + folder_of(built.output, path)
        assert ("self", url_of(built.output, path), MIME["atom"]) in links, name
        assert ("alternate", page, "text/html") in links, name
        assert feed.feed.get("updated_parsed"), f"{name}: a feed needs <updated>"
        if feed.entries:
            newest = max(entry.updated_parsed for entry in feed.entries)
            assert feed.feed.updated_parsed == newest, (
                f"{name}: feed <updated> {feed.feed.updated} is not its newest entry's"
            )


def test_every_atom_entry_has_id_title_updated_and_an_alternate_link(built: Built) -> None:
    for name, path in each(built.feeds("atom"), built.output):
        for entry in parsed(path).entries:
            assert entry.get("id") and entry.get("title"), name
            assert entry.get("updated_parsed"), f"{name}: {entry.id} has no <updated>"
            alternates = [link.href for link in entry.links if link.rel == "alternate"]
            assert alternates == [entry.id], f"{name}: {entry.id} links {alternates}"


def test_atom_entry_content_is_marked_as_html(built: Built) -> None:
    """Atom content without type="html" is plain text: readers show the tags as characters."""
    wrong = [
        f"{name}: {entry.id} content is {content.type}"
        for name, path in each(built.feeds("atom"), built.output)
        for entry in parsed(path).entries
        for content in entry.get("content", [])
        if content.type != "text/html"
    ]
    no_problems(wrong, "Atom entries whose content is not HTML (readers show the tags)")
    for name, path in each(built.feeds("atom"), built.output):
        for element in ElementTree.parse(path).getroot().iter("{http://www.w3.org/2005/Atom}entry"):
            content = element.find("{http://www.w3.org/2005/Atom}content")
            assert content is not None and content.get("type") == "html", name


# --- JSON Feed 1.1 ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jsonfeed_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    checker = FormatChecker()
    assert "date-time" in checker.checkers, (
        "jsonschema cannot check RFC 3339 dates: install the test extras "
        "(pyproject.toml: rfc3339-validator) with `make test`"
    )
    return Draft202012Validator(schema, format_checker=checker)


SPEC_EXAMPLE: dict[str, Any] = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "My Example Feed",
    "home_page_url": "https://example.org/",
    "feed_url": "https://example.org/feed.json",
    "authors": [{"name": "Optional Author", "url": "https://example.org/authors/a"}],
    "language": "en-US",
    "_blue_shed": {"about": "https://blueshed-podcasts.com/json-feed-extension-docs"},
    "items": [
        {"id": "2", "content_text": "This is a second item.", "url": "https://example.org/second"},
        {
            "id": "1",
            "content_html": "<p>Hello, world!</p>",
            "url": "https://example.org/initial-post",
            "date_published": "2010-02-07T14:04:00-05:00",
            "tags": ["one"],
            "_blue_shed": {"explicit": False},
        },
    ],
}


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.pop(key)


def _item(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        for key, value in changes.items():
            if value is None:
                doc["items"][1].pop(key)
            else:
                doc["items"][1][key] = value

    return change


@pytest.mark.parametrize(
    ("why", "change"),
    [
        ("no version", _without("version")),
        ("no title", _without("title")),
        ("no items", _without("items")),
        ("version 1.0 URL", lambda doc: doc.update(version="https://jsonfeed.org/version/1")),
        ("unknown top-level key", lambda doc: doc.update(homepage="https://example.org/")),
        ("extension without underscore", lambda doc: doc.update(blue_shed={})),
        ("extension name not a letter after _", lambda doc: doc.update(_1shed={})),
        ("extension name with a dot", lambda doc: doc.update({"_blue.shed": {}})),
        ("empty author", lambda doc: doc.update(authors=[{}])),
        ("item without id", _item(id=None)),
        ("numeric item id", _item(id=1)),
        ("item without content", _item(content_html=None)),
        ("date without time", _item(date_published="2010-02-07")),
        ("date not RFC 3339", _item(date_published="Sun, 07 Feb 2010 14:04:00 -0500")),
        ("unknown item key", _item(published="2010-02-07T14:04:00-05:00")),
        ("tags not strings", _item(tags=[1])),
    ],
)
def test_the_json_feed_schema_rejects_what_the_spec_forbids(
    jsonfeed_validator: Draft202012Validator, why: str, change: Callable[[dict[str, Any]], None]
) -> None:
    assert list(jsonfeed_validator.iter_errors(SPEC_EXAMPLE)) == []
    doc = json.loads(json.dumps(SPEC_EXAMPLE))
    change(doc)
    assert list(jsonfeed_validator.iter_errors(doc)), f"the schema accepts a feed with {why}"


def test_every_json_feed_is_valid_json_feed_1_1(
    built: Built, jsonfeed_validator: Draft202012Validator
) -> None:
    for name, path in each(built.feeds("json"), built.output):
        doc = json_feed(path)
        errors = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in jsonfeed_validator.iter_errors(doc)
        ]
        assert errors == [], f"{name}:\n" + "\n".join(errors)
        assert doc["feed_url"] == url_of(built.output, path), name
        assert doc["home_page_url"] == SITE_URL + folder_of(built.output, path), name
        for item in doc["items"]:
            assert item["url"] == item["id"], f"{name}: url is the permalink"


# --- the three formats agree, and follow the data ---------------------------------------------


def test_every_feed_comes_in_all_three_formats_with_the_same_entries(built: Built) -> None:
    for folder in built.folders():
        base = built.output / folder.strip("/")
        rss, atom, json_path = (base / f"feed.{fmt}" for fmt in ("rss", "atom", "json"))
        assert rss.is_file() and atom.is_file() and json_path.is_file(), folder
        assert ids_in(rss) == ids_in(atom) == ids_in(json_path), folder
        titles = [
            [entry.title for entry in parsed(rss).entries],
            [entry.title for entry in parsed(atom).entries],
            [item["title"] for item in json_feed(json_path)["items"]],
        ]
        assert titles[0] == titles[1] == titles[2], folder
        assert parsed(rss).feed.title == parsed(atom).feed.title == json_feed(json_path)["title"]


def test_each_feed_carries_exactly_what_its_page_shows(built: Built) -> None:
    assert len(built.open()) < FEED_LIMIT, "the fixture must stay under the cap for this test"
    for folder in built.folders():
        got = ids_in(built.output / folder.strip("/") / "feed.atom")
        assert len(got) == len(set(got)), f"{folder}: an entry twice"
        if folder == "/coops/":
            dated = {
                f"{SITE_URL}/coops/{slug}/"
                for slug, coop in built.listed().items()
                if (coop.get("provenance") or {}).get("added")
            }
            assert dated <= set(got) <= built.expected_ids(folder), folder
        else:
            assert set(got) == built.expected_ids(folder), folder


def test_entries_are_newest_first(built: Built) -> None:
    for name, path in each(built.feeds("rss") + built.feeds("atom"), built.output):
        days = [entry.published_parsed for entry in parsed(path).entries]
        assert days == sorted(days, reverse=True), name
    for name, path in each(built.feeds("json"), built.output):
        days = [dt.datetime.fromisoformat(i["date_published"]) for i in json_feed(path)["items"]]
        assert days == sorted(days, reverse=True), name


def test_closed_upcoming_and_dissolved_coops_openings_are_in_no_feed(built: Built) -> None:
    states = Counter(p.state for p in built.postings)
    if built.name == "edge":  # the edge cases are really there
        assert states["closed"] >= 2 and states["upcoming"] == 1, states
        assert any(p.coop.get("status") == "dissolved" for p in built.postings)
    if built.name == "directory":
        assert states["closed"] >= 1, states
    shut = {p.url: p.state for p in built.postings if p.state != "open"}
    found = [
        f"{name}: {entry} ({shut[entry]})"
        for fmt in MIME
        for name, path in each(built.feeds(fmt), built.output)
        for entry in ids_in(path)
        if entry in shut
    ]
    no_problems(found, "entries of openings no one can apply to")


def test_every_open_opening_is_in_the_openings_feed_and_its_coops_feed(built: Built) -> None:
    everything = {fmt: set(ids_in(built.output / "openings" / f"feed.{fmt}")) for fmt in MIME}
    for posting in built.open():
        for fmt in MIME:
            assert posting.url in everything[fmt], f"{posting.url} missing from /openings/ {fmt}"
            own = built.output / "coops" / posting.slug / f"feed.{fmt}"
            assert posting.url in ids_in(own), f"{posting.url} missing from its co-op's {fmt}"


def test_entry_ids_are_the_absolute_urls_of_pages_on_the_site(built: Built) -> None:
    """Ids never depend on the build: an opening's is its page, a co-op's is its page."""
    opening = re.compile(re.escape(SITE_URL) + r"/coops/[^/]+/openings/[^/]+/")
    coop = re.compile(re.escape(SITE_URL) + r"/coops/[^/]+/")
    for fmt in MIME:
        for name, path in each(built.feeds(fmt), built.output):
            pattern = coop if folder_of(built.output, path) == "/coops/" else opening
            for entry in ids_in(path):
                assert pattern.fullmatch(entry), f"{name}: id {entry}"
                assert pattern is coop or entry in built.by_url, f"{name}: {entry} is no opening"
                assert built.file(entry).is_file(), f"{name}: {entry} has no page"


def test_entry_dates_come_from_the_files(built: Built) -> None:
    for name, path in each(built.feeds("atom"), built.output):
        for entry in parsed(path).entries:
            if posting := built.by_url.get(entry.id):
                published, updated = posting.posted, posting.last_changed
            else:
                added = (built.coops[entry.id.split("/")[-2]].get("provenance") or {}).get("added")
                if not added:
                    continue
                published = updated = _day(added)
            assert entry.published == _midnight(published).isoformat(), f"{name}: {entry.id}"
            assert entry.updated == _midnight(updated).isoformat(), f"{name}: {entry.id}"
    for name, path in each(built.feeds("rss"), built.output):
        for entry in parsed(path).entries:
            if posting := built.by_url.get(entry.id):
                assert entry.published_parsed[:3] == posting.posted.timetuple()[:3], name
    for name, path in each(built.feeds("json"), built.output):
        for item in json_feed(path)["items"]:
            if posting := built.by_url.get(item["id"]):
                assert item["date_published"] == _midnight(posting.posted).isoformat(), name
                assert item["date_modified"] == _midnight(posting.last_changed).isoformat(), name


def test_job_facts_equal_the_coop_files(built: Built) -> None:
    checked = 0
    for name, path in each(built.feeds("rss") + built.feeds("atom"), built.output):
        for entry in parsed(path).entries:
            posting = built.by_url.get(entry.id)
            if posting is None:
                assert not [key for key in entry if key.startswith("job_")], name
                continue
            facts = {key[4:]: value for key, value in entry.items() if key.startswith("job_")}
            facts.pop("location", None)  # what the page says: the next test
            assert facts == posting.facts(), f"{name}: {entry.id}"
            checked += 1
    assert checked or not built.open()


def _page_where(built: Built, posting: Posting) -> str:
    page = parse(built.file(posting.url))
    for term in page.select("dl.facts dt"):
        if term.get_text(strip=True) == "Where":
            return " ".join(term.find_next_sibling("dd").get_text().split())
    raise AssertionError(f"{posting.url}: no Where on the page")


def test_job_location_says_what_the_opening_page_says(built: Built) -> None:
    wrong = []
    for name, path in each(built.feeds("rss") + built.feeds("atom"), built.output):
        for entry in parsed(path).entries:
            if posting := built.by_url.get(entry.id):
                shown = _page_where(built, posting)
                if " ".join(entry.get("job_location", "").split()) != shown:
                    wrong.append(f"{name}: {entry.id}: feed {entry.get('job_location')!r}, "
                                 f"page {shown!r}")
    no_problems(wrong, "entries whose job:location is not the Where their page shows")


def test_json_feed_carries_the_same_job_facts(built: Built) -> None:
    for name, path in each(built.feeds("json"), built.output):
        atom = {e.id: e for e in parsed(path.with_suffix(".atom")).entries}
        for item in json_feed(path)["items"]:
            facts = item.get("_coopdir")
            if item["id"] not in built.by_url:
                assert facts is None, name
                continue
            xml = {k[4:]: v for k, v in atom[item["id"]].items() if k.startswith("job_")}
            # JSON keeps numbers as numbers; XML has only text.
            assert {key.lower(): str(value) for key, value in facts.items()} == xml, name
            assert item["external_url"] == built.by_url[item["id"]].data["apply"], name


def test_entry_html_is_sanitised(built: Built) -> None:
    """Readers render content_html: no script, no event handlers, no javascript: links."""
    for name, path in each(built.feeds("json"), built.output):
        for item in json_feed(path)["items"]:
            soup = BeautifulSoup(item["content_html"], "html.parser")
            for element in soup.find_all(True):
                assert element.name not in ("script", "style", "iframe", "form"), name
                for attribute, value in element.attrs.items():
                    assert not attribute.startswith("on"), f"{name}: {element}"
                    text = " ".join(value) if isinstance(value, list) else value
                    assert not re.match(r"\s*(javascript|vbscript|data):", text, re.I), name


# --- discovery: the head links and the visible subscribe links --------------------------------


def _page_url(site: Path, page: Path) -> str:
    relative = page.relative_to(site).as_posix()
    return "/" + relative.removesuffix("index.html")


def _visible(element: Tag) -> bool:
    return not any(
        parent.has_attr("hidden") or parent.get("aria-hidden") == "true"
        for parent in [element, *element.parents]
        if isinstance(parent, Tag)
    )


def test_pages_link_the_feeds_that_follow_them(built: Built) -> None:
    linked: dict[str, str] = {}
    for page in html_files(built.output):
        soup = parse(page)
        url = _page_url(built.output, page)
        alternates = [
            link
            for link in soup.head.find_all("link")
            if "alternate" in (link.get("rel") or []) and link.get("type") in MIME.values()
        ]
        if not alternates:
            continue
        types = Counter(link["type"] for link in alternates)
        assert types == Counter(MIME.values()), f"{url}: {types}"
        folders = set()
        for link in alternates:
            href = link["href"]
            target = built.file(href)
            assert target.is_file(), f"{url}: {href} does not exist"
            fmt = next(f for f, mime in MIME.items() if mime == link["type"])
            assert target.name == f"feed.{fmt}", f"{url}: {link['type']} links {href}"
            folders.add(folder_of(built.output, target))
            title = json_feed(target)["title"] if fmt == "json" else parsed(target).feed.title
            assert title in link.get("title", ""), f"{url}: {href} is called {link.get('title')}"
            subscribe = [a for a in soup.body.find_all("a", href=href) if _visible(a)]
            assert subscribe, f"{url}: no visible subscribe link to {href}"
            assert all(a.get_text(strip=True) for a in subscribe), url
        assert len(folders) == 1, f"{url}: links feeds of {folders}"
        linked[url] = folders.pop()
    expected = {folder: folder for folder in built.folders()}
    expected["/"] = "/openings/"
    assert linked == expected


def test_home_and_openings_link_the_all_openings_feeds(fixture_site: Built) -> None:
    directory = fixture_site
    for page in ("index.html", "openings/index.html"):
        soup = parse(directory.output / page)
        hrefs = {
            link["type"]: link["href"]
            for link in soup.head.find_all("link", rel="alternate")
            if link.get("type") in MIME.values()
        }
        assert hrefs == {mime: f"/openings/feed.{fmt}" for fmt, mime in MIME.items()}, page
    for slug, data in directory.coops.items():
        soup = parse(directory.output / "coops" / slug / "index.html")
        hrefs = {link["href"] for link in soup.head.find_all("link", rel="alternate")}
        if data.get("status") == "dissolved":  # it will never post again: no feed to follow
            assert hrefs == set(), slug
            assert soup.select(".subscribe") == []
            assert not (directory.output / "coops" / slug / "feed.rss").exists()
        else:
            assert hrefs >= {f"/coops/{slug}/feed.{fmt}" for fmt in MIME}, slug
    soup = parse(directory.output / "technologies" / "python" / "index.html")
    hrefs = {link["href"] for link in soup.head.find_all("link", rel="alternate")}
    assert hrefs >= {f"/technologies/python/feed.{fmt}" for fmt in MIME}


# --- the cap, and stability, with the feed code itself ----------------------------------------


def _opening(ident: str, posted: str, closes: str = "2026-12-31", **more: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "title": f"Opening {ident}",
        "posted": dt.date.fromisoformat(posted),
        "closes": dt.date.fromisoformat(closes),
        "apply": f"https://cap.example.org/{ident}",
        "technologies": ["python"],
        "example": True,
        **more,
    }


def _coop(slug: str, added: str | None, openings: list[dict[str, Any]]) -> dict[str, Any]:
    provenance: dict[str, Any] = {"added_by": "coop"}
    if added:
        provenance["added"] = dt.date.fromisoformat(added)
    return {
        "name": f"Co-op {slug}",
        "website": f"https://{slug}.example.org/",
        "locations": [{"country": "DE"}],
        "services": ["hosting"],
        "provenance": provenance,
        "openings": openings,
    }


def _write(folder: Path, coops: dict[str, dict[str, Any]]) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for slug, data in coops.items():
        (folder / f"{slug}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return folder


def _render(feed: Feed, writer: FeedWriter) -> dict[str, list[str]]:
    files = writer.files(feed)
    base = feed.folder.lstrip("/")
    ids = {
        fmt: [e.id for e in feedparser.parse(files[base + f"feed.{fmt}"]).entries]
        for fmt in ("rss", "atom")
    }
    ids["json"] = [item["id"] for item in json.loads(files[base + "feed.json"])["items"]]
    return ids


def _writer(directory: Any) -> FeedWriter:
    return FeedWriter(
        directory, "https://coops.example", "coopdir", lambda o: "<p>o</p>", lambda c: "<p>c</p>"
    )


def test_feeds_carry_only_the_newest_entries_up_to_the_limit(tmp_path: Path) -> None:
    coops = {
        "cap-one": _coop("cap-one", "2026-03-01", [
            _opening("a1", "2026-10-01"),
            _opening("a2", "2026-10-02"),
            _opening("a3", "2026-10-03"),
            _opening("a4", "2026-10-04"),
            _opening("a-closed", "2026-10-09", closes="2026-10-10"),  # newer, but closed
            _opening("a-soon", "2026-11-09"),  # newer, but upcoming
        ]),
        "cap-two": _coop("cap-two", "2026-04-01", [
            _opening("b5", "2026-10-05"),
            _opening("b6", "2026-10-06"),
        ]),
        "cap-three": _coop("cap-three", "2026-05-01", []),
        "cap-four": _coop("cap-four", "2026-06-01", []),
        "cap-five": _coop("cap-five", None, []),
    }
    folder = _write(tmp_path / "coops", coops)
    directory = load_directory(folder, today=TODAY)
    planned = plan_feeds(directory, slice_directory(directory), limit=3)
    feeds = {feed.folder: feed for feed in planned}
    url = "https://coops.example/coops/{}/openings/{}/".format
    newest = {
        "/openings/": [url("cap-two", "b6"), url("cap-two", "b5"), url("cap-one", "a4")],
        "/technologies/python/": [url("cap-two", "b6"), url("cap-two", "b5"), url("cap-one", "a4")],
        "/coops/cap-one/": [url("cap-one", "a4"), url("cap-one", "a3"), url("cap-one", "a2")],
        "/coops/cap-two/": [url("cap-two", "b6"), url("cap-two", "b5")],
        "/coops/cap-three/": [],
        "/coops/": [f"https://coops.example/coops/{slug}/"
                    for slug in ("cap-four", "cap-three", "cap-two")],
    }
    writer = _writer(directory)
    for folder_url, expected in newest.items():
        rendered = _render(feeds[folder_url], writer)
        assert rendered == {"rss": expected, "atom": expected, "json": expected}, folder_url
    for feed in feeds.values():
        assert all(len(ids) <= 3 for ids in _render(feed, writer).values()), feed.folder


def test_an_undated_coops_entry_keeps_its_date_when_another_coop_posts(tmp_path: Path) -> None:
    """A co-op file without provenance.added must not get a new date from other files' dates."""
    coops = {
        "undated": _coop("undated", None, []),
        "busy": _coop("busy", "2026-02-01", [_opening("first", "2026-10-01")]),
    }

    def dates() -> dict[str, tuple[str, str]]:
        directory = load_directory(_write(tmp_path / "coops", coops), today=TODAY)
        feed = next(f for f in plan_feeds(directory, {}, limit=50) if f.folder == "/coops/")
        items = json.loads(_writer(directory).json_feed(feed))["items"]
        return {item["id"]: (item["date_published"], item["date_modified"]) for item in items}

    before = dates()
    coops["busy"]["openings"].append(_opening("second", "2026-10-20"))
    after = dates()
    undated = "https://coops.example/coops/undated/"
    assert undated in before or undated not in after  # dated from its own file, or left out
    assert after.get(undated) == before.get(undated), (
        "the undated co-op's entry was re-dated by another co-op's new opening"
    )


def test_a_rebuild_writes_the_same_feeds_as_a_full_build(
    tmp_path: Path, edge_coops: Path, build_site: Callable[[Path], Path]
) -> None:
    """Change two openings' dates and rebuild incrementally: every feed equals a full build's.

    The change adds and removes no page (a new page makes the rebuild render everything), and it
    moves the newest date in the data, from 2026-10-28 to 2026-11-01 (open openings only) or
    2026-11-02 (all of them).
    """
    full = build_site(edge_coops)
    text = EDGE_COOPS["edge-dev"]
    assert text.count("posted: 2026-11-01") == text.count("posted: 2026-11-02") == 1
    earlier = text.replace("posted: 2026-11-01", "posted: 2026-10-28").replace(
        "posted: 2026-11-02", "posted: 2026-10-25"
    )
    coops = write_folder(tmp_path / "coops", {**EDGE_COOPS, "edge-dev": earlier})
    output = tmp_path / "site"
    result = make_html(coops, output)
    assert result.returncode == 0, result.stdout + result.stderr
    write_folder(coops, EDGE_COOPS)  # the corrected dates: the nightly rebuild
    result = make_html(coops, output)
    assert result.returncode == 0, result.stdout + result.stderr
    ours = {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("feed.*")}
    theirs = {p.relative_to(full).as_posix(): p.read_bytes() for p in full.rglob("feed.*")}
    assert ours.keys() == theirs.keys()
    stale = sorted(name for name in ours if ours[name] != theirs[name])
    no_problems(stale, "feeds the rebuild left as they were (a full build writes them otherwise)")


def test_no_feed_is_dated_after_the_day_it_was_built(built: Built) -> None:
    """An upcoming opening changes no feed: none may say it was updated tomorrow."""
    late = [
        f"{name}: updated {parsed(path).feed.updated}"
        for name, path in each(built.feeds("atom"), built.output)
        if dt.date(*parsed(path).feed.updated_parsed[:3]) > TODAY
    ]
    no_problems(late, "feeds dated after the build day")
