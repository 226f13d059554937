"""JSON-LD on the built fixture site, read the way crawlers read it (extruct).

Each opening page carries exactly one schema.org JobPosting, each co-op page exactly one
Organization, in the page's head; list pages carry neither.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import extruct
import pytest
from conftest import TODAY
from sitecheck import ROOT, html_files, parse

from coopdir import urls
from coopdir.load import load_directory

FIXTURE = load_directory(ROOT / "tests/fixtures/directory", today=TODAY)
OPENING_PAGES = {urls.save_as(urls.opening_url(o)): o for o in FIXTURE.openings()}
CLOSED_PAGES = sorted(
    urls.save_as(urls.opening_url(o))
    for o in FIXTURE.openings()
    if FIXTURE.opening_state(o) == "closed"
)
COOP_PAGES = {urls.save_as(urls.coop_url(c)): c for c in FIXTURE.coops}


def items(page: Path) -> list[dict[str, Any]]:
    """Return every JSON-LD and microdata item of a page, as extruct finds them."""
    found = extruct.extract(
        page.read_text("utf-8"), syntaxes=["json-ld", "microdata"], uniform=True
    )
    return found["json-ld"] + found["microdata"]


def of_type(page: Path, kind: str) -> list[dict[str, Any]]:
    return [item for item in items(page) if item.get("@type") == kind]


def head_scripts(page: Path) -> list[Any]:
    """Return the JSON of every ld+json script in the page's head."""
    head = parse(page).head
    assert head is not None
    return [
        json.loads(script.string or "")
        for script in head.find_all("script", attrs={"type": "application/ld+json"})
    ]


@pytest.mark.parametrize("path", CLOSED_PAGES)
def test_a_closed_opening_says_it_expired(directory_site: Path, path: str) -> None:
    # Google: a validThrough in the past marks an expired posting; no direct-apply claim.
    (posting,) = of_type(directory_site / path, "JobPosting")
    assert posting["validThrough"] < TODAY.isoformat()
    assert "directApply" not in posting


@pytest.mark.parametrize("path", sorted(OPENING_PAGES))
def test_an_opening_page_has_one_job_posting(directory_site: Path, path: str) -> None:
    page = directory_site / path
    opening = OPENING_PAGES[path]
    coop = FIXTURE.by_slug[opening.coop_slug]
    postings = of_type(page, "JobPosting")
    assert len(postings) == 1, f"{path}: {len(postings)} JobPostings"
    assert of_type(page, "Organization") == []  # the co-op is inside it, not beside it
    posting = postings[0]
    assert posting["title"] == opening.title == parse(page).h1.get_text(strip=True)
    assert posting["url"].endswith(urls.opening_url(opening))
    assert posting["identifier"]["value"] == opening.id
    assert posting["hiringOrganization"]["name"] == coop.name
    assert posting["datePosted"] == opening.posted.isoformat()
    assert posting["description"]
    assert [s for s in head_scripts(page) if s.get("@type") == "JobPosting"] == [posting]


@pytest.mark.parametrize("path", sorted(COOP_PAGES))
def test_a_coop_page_has_one_organization(directory_site: Path, path: str) -> None:
    page = directory_site / path
    coop = COOP_PAGES[path]
    orgs = of_type(page, "Organization")
    assert len(orgs) == 1, f"{path}: {len(orgs)} Organizations"
    assert of_type(page, "JobPosting") == []
    assert orgs[0]["name"] == coop.name
    assert orgs[0]["url"] == coop.website
    assert [s for s in head_scripts(page) if s.get("@type") == "Organization"] == orgs


def test_list_pages_have_no_job_posting_or_organization(directory_site: Path) -> None:
    marked = {}
    checked = 0
    for page in html_files(directory_site):
        path = str(page.relative_to(directory_site))
        if path in OPENING_PAGES or path in COOP_PAGES:
            continue
        checked += 1
        kinds = [item.get("@type") for item in items(page)]
        if {"JobPosting", "Organization"} & set(kinds):
            marked[path] = kinds
    assert checked > 10  # home, lists, archive, facets, 404
    assert marked == {}


def test_every_opening_and_coop_page_was_built(directory_site: Path) -> None:
    missing = [p for p in (*OPENING_PAGES, *COOP_PAGES) if not (directory_site / p).is_file()]
    assert missing == []
