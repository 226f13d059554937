"""The ActivityPub static tier as fediverse software reads it: shapes, ids, JSON-LD, discovery.

Documents come from the session's build of tests/fixtures/directory (served at the default
site URL), or, for rules that need more openings than the fixtures have, from the writer run
on co-op files written inline. JSON-LD is expanded with pyld against the official contexts that
the apmodel wheel ships, with every other URL refused, so nothing here touches the network.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
import yaml
from apmodel._core._jsonjd.loader import PRELOAD_JSONLD_PATH_MAPPINGS, get_schema
from apmodel.nodeinfo.nodeinfo import Nodeinfo
from conftest import TODAY, check, problems_for, write_coop
from pyld import jsonld
from sitecheck import ROOT, parse

from coopdir import urls
from coopdir.activitypub import FEATURED, ActivityPubWriter
from coopdir.apvocab import hashtag_name
from coopdir.keys import private_key_path, public_key_path, public_key_pem
from coopdir.model import Directory
from coopdir.serverconf import netlify_redirects

FIXTURE = ROOT / "tests" / "fixtures" / "directory"
SITE_URL = "http://localhost:8000"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def read(site: Path, url: str) -> dict[str, Any]:
    """Read the document an absolute or root-relative URL of the site names."""
    path = urlsplit(url).path
    return json.loads((site / path.lstrip("/")).read_bytes())


def ap_documents(site: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (URL, document) for every file under /ap/."""
    for path in sorted((site / "ap").rglob("*")):
        if path.is_file():
            yield SITE_URL + "/" + path.relative_to(site).as_posix(), json.loads(path.read_bytes())


def fixture_coops() -> list[dict[str, Any]]:
    return [
        {"slug": path.stem, **yaml.safe_load(path.read_text("utf-8"))}
        for path in sorted(FIXTURE.glob("*.yaml"))
    ]


# --- every document -----------------------------------------------------------------------------


def test_every_document_is_served_at_its_id_on_the_sites_host(directory_site: Path) -> None:
    documents = list(ap_documents(directory_site))
    assert len(documents) > 50
    for url, document in documents:
        assert document["id"] == url
        for value in _strings(document):
            if value.startswith(("http://", "https://")) and "/ap/" in value:
                assert urlsplit(value).netloc == "localhost:8000", (url, value)
                assert (directory_site / urlsplit(value).path.lstrip("/")).is_file(), (url, value)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value.split("#")[0]
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("@context", "content", "contentMap", "summary", "value"):
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Serve the official contexts from apmodel's copies; refuse every other URL."""
    if url not in PRELOAD_JSONLD_PATH_MAPPINGS:
        raise jsonld.JsonLdError(f"offline: refused {url}", "jsonld.LoadDocumentError")
    return {
        "contextUrl": None,
        "documentUrl": url,
        "contentType": "application/ld+json",
        "document": get_schema(PRELOAD_JSONLD_PATH_MAPPINGS[url]),
    }


def _undefined_terms(expanded: Any) -> Iterator[str]:
    """Yield every property or type that expanded to a blank-node IRI: an undefined term."""
    if isinstance(expanded, list):
        for item in expanded:
            yield from _undefined_terms(item)
    elif isinstance(expanded, dict):
        for key, value in expanded.items():
            if key.startswith("_:"):
                yield key
            if key == "@type":
                yield from (t for t in (value if isinstance(value, list) else [value])
                            if t.startswith("_:"))
            yield from _undefined_terms(value)


def _compact_keys(document: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            if key != "@context":
                keys.add(key)
                keys |= _compact_keys(value)
    elif isinstance(document, list):
        for item in document:
            keys |= _compact_keys(item)
    return keys


def test_every_document_expands_with_the_official_contexts_and_no_undefined_term(
    directory_site: Path,
) -> None:
    options = {"documentLoader": offline_loader}
    checked_keys: set[str] = set()
    for url, document in ap_documents(directory_site):
        expanded = jsonld.expand(document, options)
        assert list(_undefined_terms(expanded)) == [], url
        # Nothing was dropped either: compacting back gives every key that was written.
        compacted = jsonld.compact(expanded, document["@context"], options)
        assert _compact_keys(compacted) == _compact_keys(document), url
        checked_keys |= _compact_keys(document)
    # The extension terms were really exercised, not skipped.
    assert {"pollOnly", "featured", "featuredTags", "webfinger", "publicKeyPem"} <= checked_keys


def test_the_offline_check_catches_a_misspelled_term() -> None:
    actor = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://jobs.example/ap/x",
        "type": "Organization",
        "preferedUsername": "x",
    }
    expanded = jsonld.expand(actor, {"documentLoader": offline_loader})
    assert list(_undefined_terms(expanded)) == ["_:preferedUsername"]


# --- actors -----------------------------------------------------------------------------------


def test_each_coop_has_an_organization_actor_mastodon_and_misskey_accept(
    directory_site: Path,
) -> None:
    for coop in fixture_coops():
        url = f"{SITE_URL}/ap/coops/{coop['slug']}/actor"
        actor = read(directory_site, url)
        assert actor["@context"][0] == "https://www.w3.org/ns/activitystreams"
        assert actor["type"] == "Organization"
        assert actor["id"] == url
        assert actor["name"] == coop["name"]
        assert actor["preferredUsername"] == coop["slug"]
        assert actor["webfinger"] == f"{coop['slug']}@localhost:8000"
        assert actor["url"] == f"{SITE_URL}/coops/{coop['slug']}/"
        # Poll-only (FEP-b06c): an inbox that exists, is empty, and says so.
        assert actor["pollOnly"] is True
        inbox = read(directory_site, actor["inbox"])
        assert (inbox["type"], inbox["totalItems"]) == ("OrderedCollection", 0)
        assert read(directory_site, actor["followers"])["totalItems"] == 0
        assert actor["publicKey"]["id"] == url + "#main-key"
        assert actor["publicKey"]["owner"] == url
        assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_the_directory_has_a_service_actor_that_boosts_every_open_opening(
    directory_site: Path,
) -> None:
    actor = read(directory_site, f"{SITE_URL}/ap/directory/actor")
    assert (actor["type"], actor["preferredUsername"]) == ("Service", "directory")
    outbox = read(directory_site, actor["outbox"])
    page = read(directory_site, outbox["first"])
    boosted = {item["object"] for item in page["orderedItems"]}
    assert {item["type"] for item in page["orderedItems"]} == {"Announce"}
    api = json.loads((directory_site / "api/openings.json").read_bytes())
    open_now = [o for o in api["openings"] if o["state"] == "open"]
    assert len(boosted) == outbox["totalItems"] == len(open_now) > 0
    for item in boosted:
        assert read(directory_site, item)["type"] == "Note"


def test_published_keys_are_the_keys_folders_and_no_private_key_is_in_the_site(
    directory_site: Path, fediverse_keys: Path
) -> None:
    for coop in fixture_coops():
        actor = read(directory_site, f"{SITE_URL}/ap/coops/{coop['slug']}/actor")
        expected = public_key_path(fediverse_keys, coop["slug"]).read_text("ascii")
        assert actor["publicKey"]["publicKeyPem"] == expected
    for path in directory_site.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path


# --- openings ---------------------------------------------------------------------------------


def test_an_open_opening_is_a_note_written_for_mastodon(directory_site: Path) -> None:
    note = read(directory_site, f"{SITE_URL}/ap/coops/alder-harbour/openings/backend-dev-2026")
    assert note["type"] == "Note"
    assert "summary" not in note  # Mastodon shows a Note's summary as a content warning
    assert note["name"] == "Backend developer (Python) · Alder Harbour Tech Co-op"
    assert note["attributedTo"] == f"{SITE_URL}/ap/coops/alder-harbour/actor"
    assert note["url"] == f"{SITE_URL}/coops/alder-harbour/openings/backend-dev-2026/"
    assert note["published"] == "2026-10-15T00:00:00Z"
    assert note["to"] == [PUBLIC]
    content = parse_html(note["content"])
    text = content.get_text(" ")
    for fact in (
        "Backend developer (Python)",
        "Alder Harbour Tech Co-op",
        "Hybrid, Glasgow, United Kingdom",
        "38,000–42,000 GBP a year",
        "15 December 2026",
    ):
        assert fact in text
    assert note["url"] in [a["href"] for a in content.find_all("a")]
    hashtags = {a.get_text() for a in content.select("a.hashtag[rel~=tag]")}
    assert hashtags == {tag["name"] for tag in note["tag"]} == {"#Python", "#Django", "#CoopJobs"}
    for tag in note["tag"]:
        assert tag["type"] == "Hashtag"
        assert (directory_site / urlsplit(tag["href"]).path.lstrip("/") / "index.html").is_file()


def parse_html(html: str) -> Any:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def test_a_closed_opening_is_a_tombstone_and_its_outbox_has_a_delete(directory_site: Path) -> None:
    url = f"{SITE_URL}/ap/coops/alder-harbour/openings/sysadmin-2026"
    tombstone = read(directory_site, url)
    assert tombstone["type"] == "Tombstone"
    assert tombstone["formerType"] == "Note"
    assert "content" not in tombstone
    outbox = read(directory_site, f"{SITE_URL}/ap/coops/alder-harbour/outbox")
    items = read(directory_site, outbox["first"])["orderedItems"]
    assert outbox["totalItems"] == len(items) == 3
    kinds = {(item["type"], item["object"]["id"]) for item in items}
    assert ("Delete", url) in kinds and ("Create", url) in kinds
    published = [item["published"] for item in items]
    assert published == sorted(published, reverse=True), "the outbox is newest first"
    for item in items:
        assert item["actor"] == f"{SITE_URL}/ap/coops/alder-harbour/actor"
        assert read(directory_site, item["id"])["id"] == item["id"]


def test_an_upcoming_opening_is_not_published_yet(directory_site: Path) -> None:
    for coop in fixture_coops():
        for opening in coop.get("openings", []):
            if str(opening["posted"]) > TODAY.isoformat():
                note = directory_site / f"ap/coops/{coop['slug']}/openings/{opening['id']}"
                assert not note.exists()


def test_pages_link_their_activitypub_documents(directory_site: Path) -> None:
    coop_page = parse(directory_site / "coops/alder-harbour/index.html")
    link = coop_page.select_one('link[rel=alternate][type="application/activity+json"]')
    assert link["href"] == f"{SITE_URL}/ap/coops/alder-harbour/actor"
    opening = "coops/alder-harbour/openings/backend-dev-2026/index.html"
    opening_page = parse(directory_site / opening)
    link = opening_page.select_one('link[rel=alternate][type="application/activity+json"]')
    assert read(directory_site, link["href"])["type"] == "Note"
    closed = parse(directory_site / "coops/alder-harbour/openings/sysadmin-2026/index.html")
    assert closed.select_one('link[type="application/activity+json"]') is None


# --- featured -----------------------------------------------------------------------------------


def many_openings(count: int, closed: int) -> str:
    lines = []
    for number in range(count):
        posted = f"2026-10-{number + 1:02d}"
        closes = "2026-10-20" if number < closed else "2026-12-31"
        lines.append(
            f"  - id: job-{number}\n    title: Job {number}\n    posted: {posted}\n"
            f"    closes: {closes}\n    apply: https://busy.example.org/jobs/{number}\n"
            f"    technologies: [python]\n"
            + ("    updated: 2026-10-25\n" if number == count - 1 else "")
        )
    return "".join(lines)


def test_featured_pins_the_five_newest_open_openings_and_notes_carry_their_edits(
    tmp_path: Path,
) -> None:
    write_coop(
        tmp_path,
        "busy",
        "name: Busy Co-op\nwebsite: https://busy.example.org/\nopenings:\n"
        + many_openings(9, closed=2),
    )
    coops, problems = check(tmp_path / "coops")
    assert problems == []
    directory = Directory(tuple(coops), TODAY)
    writer = ActivityPubWriter(
        directory,
        site_url="https://jobs.example",
        site_name="coopdir",
        note_html=lambda opening, coop, tags: f"<p>{opening.title}</p>",
        public_key=lambda account: "-----BEGIN PUBLIC KEY-----\n",
        page_exists=lambda url: True,
    )
    files = writer.coop_files(directory.by_slug["busy"])
    featured = json.loads(files["/ap/coops/busy/featured"])
    newest_open = [f"https://jobs.example/ap/coops/busy/openings/job-{n}" for n in (8, 7, 6, 5, 4)]
    assert featured["orderedItems"] == newest_open
    assert len(featured["orderedItems"]) == FEATURED
    edited = json.loads(files["/ap/coops/busy/openings/job-8"])
    assert edited["published"] == "2026-10-09T00:00:00Z"
    assert edited["updated"] == "2026-10-25T00:00:00Z"
    assert "updated" not in json.loads(files["/ap/coops/busy/openings/job-7"])
    tags = json.loads(files["/ap/coops/busy/featured-tags"])
    assert [tag["name"] for tag in tags["items"]] == ["#Python", "#CoopJobs"]


# --- discovery ----------------------------------------------------------------------------------


def test_each_account_has_a_webfinger_jrd_that_loops_back_to_its_actor(
    directory_site: Path,
) -> None:
    for name in ["directory"] + [coop["slug"] for coop in fixture_coops()]:
        jrd = json.loads((directory_site / urls.webfinger_file(name).lstrip("/")).read_bytes())
        assert jrd["subject"] == f"acct:{name}@localhost:8000"
        self_link = next(link for link in jrd["links"] if link["rel"] == "self")
        assert self_link["type"] == "application/activity+json"
        actor = read(directory_site, self_link["href"])
        # Mastodon's round trip: preferredUsername @ the actor's host gives the same subject.
        host = urlsplit(actor["id"]).netloc
        assert f"acct:{actor['preferredUsername']}@{host}" == jrd["subject"]
        assert actor["id"] == self_link["href"]
        profile = next(link for link in jrd["links"] if link["type"] == "text/html")
        assert profile["href"] == actor["url"]


def test_host_meta_gives_an_lrdd_template_for_webfinger(directory_site: Path) -> None:
    root = ElementTree.parse(directory_site / ".well-known/host-meta").getroot()
    namespace = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
    assert root.tag == f"{namespace}XRD"
    link = root.find(f"{namespace}Link")
    assert link is not None and link.get("rel") == "lrdd"
    assert link.get("template") == f"{SITE_URL}/.well-known/webfinger?resource={{uri}}"


def test_nodeinfo_is_linked_and_counts_accounts_and_posts(directory_site: Path) -> None:
    links = json.loads((directory_site / ".well-known/nodeinfo").read_bytes())["links"]
    assert links == [
        {
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": f"{SITE_URL}/nodeinfo/2.1",
        }
    ]
    document = json.loads((directory_site / "nodeinfo/2.1").read_bytes())
    info = Nodeinfo.model_validate(document)
    assert info.version == "2.1"
    assert document["protocols"] == ["activitypub"]
    assert document["openRegistrations"] is False
    assert document["usage"]["users"]["total"] == len(fixture_coops()) + 1
    notes = list((directory_site / "ap/coops").glob("*/openings/*"))
    assert document["usage"]["localPosts"] == len(notes)


def test_netlify_routes_raw_and_encoded_resources() -> None:
    text = netlify_redirects("https://jobs.example", [("acme", "/ap/coops/acme/actor")])
    target = "/.well-known/webfinger.d/acme.json 200!"
    assert f"/.well-known/webfinger resource=acct:acme@jobs.example {target}" in text
    assert f"/.well-known/webfinger resource=acct%3Aacme%40jobs.example {target}" in text


# --- names and keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "tag"),
    [
        ("Python", "Python"),
        ("Ruby on Rails", "RubyOnRails"),
        ("C++", "Cpp"),
        ("C#", "CSharp"),
        (".NET", "DotNET"),
        ("Node.js", "NodeJs"),
        ("AR / VR / XR", "ARVRXR"),
    ],
)
def test_technologies_become_hashtags_mastodon_links(label: str, tag: str) -> None:
    assert hashtag_name(label) == tag


def test_a_key_pair_is_made_once_and_the_private_key_is_its_owners_alone(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = public_key_pem(keys, "acme")
    assert first.startswith("-----BEGIN PUBLIC KEY-----")
    private = private_key_path(keys, "acme")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert public_key_pem(keys, "acme") == first
    # A lost public file is derived again from the private key, never replaced by a new pair.
    public_key_path(keys, "acme").unlink()
    assert public_key_pem(keys, "acme") == first
    assert os.listdir(keys) and public_key_pem(keys, "other") != first


def test_a_coop_cannot_take_the_directorys_account_name(workdir: Path) -> None:
    write_coop(workdir, "directory", "name: Directory Co-op\nwebsite: https://dir.example.org/\n")
    assert problems_for(workdir / "coops") == [
        "coops/directory.yaml:1:1: the slug 'directory' is taken by the directory's own "
        "fediverse account — rename the file, e.g. to directory-coop.yaml"
    ]


def _html_fields(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("content", "summary", "value") and isinstance(item, str):
                yield item
            else:
                yield from _html_fields(item)
    elif isinstance(value, list):
        for item in value:
            yield from _html_fields(item)


def test_hostile_text_stays_text_in_every_document(build_site: Any) -> None:
    site = build_site(ROOT / "tests" / "fixtures" / "hostile")
    fields = [html for _, document in ap_documents(site) for html in _html_fields(document)]
    assert any("window.__pwned" in html for html in fields), "the hostile text is in there"
    for html in fields:
        soup = parse_html(html)
        assert soup.find(["script", "img", "svg", "style", "iframe"]) is None, html[:200]
        for element in soup.find_all(True):
            assert not [name for name in element.attrs if name.startswith("on")], html[:200]
            href = element.get("href")
            if href:
                assert urlsplit(href).scheme in ("http", "https"), href
