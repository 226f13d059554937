"""schema.org JSON-LD for opening and co-op pages (coopdir.jsonld), on small inline co-op files.

The rules come from Google's "Job posting structured data" documentation: required title,
description, datePosted, hiringOrganization and jobLocation (not for 100% remote jobs);
TELECOMMUTE and applicantLocationRequirements for remote ones; and nothing that is not true of
the data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, write_coop
from sitecheck import ROOT

from coopdir.jsonld import EUROPEAN_UNION, job_posting, organization
from coopdir.load import load_directory
from coopdir.model import Coop, Directory, Opening

SITE = "https://coops.example/"

HEAD = """\
name: Example Co-op
website: https://example.coop/
locations:
  - country: DE
    region: Berlin
    city: Berlin
  - country: FR
    city: Lyon
"""

# What each schema.org type may carry here: the properties Google's job posting and logo /
# organization documentation name, all of them schema.org terms of that type (or inherited
# from Thing). Anything else that appears in the markup is a mistake.
TERMS: dict[str, set[str]] = {
    "JobPosting": {
        "title", "description", "datePosted", "validThrough", "hiringOrganization",
        "jobLocation", "jobLocationType", "applicantLocationRequirements", "employmentType",
        "baseSalary", "directApply", "identifier", "url", "skills",
    },
    "Organization": {
        "name", "url", "sameAs", "logo", "foundingDate", "dissolutionDate", "address",
        "email", "numberOfEmployees", "description", "memberOf", "mainEntityOfPage",
    },
    "Place": {"address"},
    "PostalAddress": {"addressLocality", "addressRegion", "addressCountry"},
    "Country": {"name"},
    "MonetaryAmount": {"currency", "value"},
    "QuantitativeValue": {"value", "minValue", "maxValue", "unitText"},
    "PropertyValue": {"name", "value"},
}
# The types a property's value may have, where it is an object.
RANGES: dict[tuple[str, str], set[str]] = {
    ("JobPosting", "hiringOrganization"): {"Organization"},
    ("JobPosting", "jobLocation"): {"Place"},
    ("JobPosting", "applicantLocationRequirements"): {"Country", "AdministrativeArea"},
    ("JobPosting", "baseSalary"): {"MonetaryAmount"},
    ("JobPosting", "identifier"): {"PropertyValue"},
    ("Place", "address"): {"PostalAddress"},
    ("MonetaryAmount", "value"): {"QuantitativeValue"},
    ("Organization", "address"): {"PostalAddress"},
    ("Organization", "numberOfEmployees"): {"QuantitativeValue"},
    ("Organization", "memberOf"): {"Organization"},
}
EMPLOYMENT_TYPES = {
    "FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN", "VOLUNTEER", "PER_DIEM",
}
UNITS = {"HOUR", "DAY", "WEEK", "MONTH", "YEAR"}


def vocabulary_problems(node: Any, where: str = "$") -> list[str]:
    """Return every key that is not a term of its object's type, and every misplaced type."""
    problems: list[str] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            problems += vocabulary_problems(item, f"{where}[{index}]")
        return problems
    if not isinstance(node, dict):
        return problems
    kind = node.get("@type")
    if kind not in TERMS:
        return [f"{where}: unknown @type {kind!r}"]
    for key, value in node.items():
        if key in ("@type", "@context"):
            continue
        if key not in TERMS[kind]:
            problems.append(f"{where}: {key!r} is not a {kind} term here")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and item.get("@type") not in RANGES.get((kind, key), ()):
                problems.append(f"{where}.{key}: {kind}.{key} takes no {item.get('@type')}")
        problems += vocabulary_problems(value, f"{where}.{key}")
    return problems


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def load(tmp_path: Path, text: str, slug: str = "example-coop") -> Directory:
    write_coop(tmp_path, slug, text)
    return load_directory(tmp_path / "coops", today=TODAY)


def one_opening(tmp_path: Path, fields: str, head: str = HEAD) -> tuple[Opening, Coop]:
    """Load a co-op with one opening whose extra fields are ``fields`` (YAML at 4 spaces)."""
    text = head + (
        "openings:\n"
        "  - id: dev\n"
        "    title: Developer\n"
        "    posted: 2026-10-01\n"
        "    apply: https://example.coop/jobs\n"
    ) + "".join(f"    {line}\n" for line in fields.strip("\n").splitlines())
    coop = load(tmp_path, text).coops[0]
    return coop.openings[0], coop


def posting_for(tmp_path: Path, fields: str = "", head: str = HEAD, **kwargs: Any) -> dict:
    opening, coop = one_opening(tmp_path, fields, head)
    posting = job_posting(opening, coop, site_url=SITE, **kwargs)
    assert vocabulary_problems(posting) == []
    assert json.loads(json.dumps(posting)) == posting  # JSON types only
    return posting


# --- required properties --------------------------------------------------------------------


def test_a_minimal_opening_has_every_required_property(tmp_path: Path) -> None:
    posting = posting_for(tmp_path)
    assert posting["@context"] == "https://schema.org"
    assert posting["@type"] == "JobPosting"
    assert posting["title"] == "Developer"
    assert posting["datePosted"] == "2026-10-01"
    assert posting["description"].startswith("<p>") and "Developer" in posting["description"]
    assert posting["hiringOrganization"] == {
        "@type": "Organization",
        "name": "Example Co-op",
        "sameAs": "https://example.coop/",
        "url": "https://coops.example/coops/example-coop/",
    }
    assert posting["url"] == "https://coops.example/coops/example-coop/openings/dev/"
    assert posting["identifier"] == {
        "@type": "PropertyValue", "name": "Example Co-op", "value": "dev"
    }
    # No remote policy: the work happens where the co-op is.
    assert "jobLocationType" not in posting
    assert len(as_list(posting["jobLocation"])) == 2


def test_the_description_is_the_sanitised_html(tmp_path: Path) -> None:
    posting = posting_for(
        tmp_path,
        'description: "Write **Python** <script>alert(1)</script> [here](javascript:x)"',
    )
    assert "<strong>Python</strong>" in posting["description"]
    assert "<script" not in posting["description"]
    assert "&lt;script&gt;" in posting["description"]  # shown as text, never run
    assert 'href="javascript' not in posting["description"]


def test_a_generated_description_escapes_the_title(tmp_path: Path) -> None:
    posting = posting_for(
        tmp_path, "kind: internship", head=HEAD.replace("Example Co-op", "A & B <Co-op>")
    )
    assert posting["description"] == (
        "<p>Internship at A &amp; B &lt;Co-op&gt;: Developer.</p>"
    )


def test_the_default_closing_day_is_noted_only_when_asked_and_true(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    noted = posting_for(tmp_path / "a", default_days_note=True)
    assert "gave no closing date" in noted["description"]
    assert "90 days after it was posted, on 30 December 2026" in noted["description"]
    assert "gave no closing date" not in posting_for(tmp_path / "a")["description"]
    given = posting_for(tmp_path / "b", "closes: 2026-12-15", default_days_note=True)
    assert "closing date" not in given["description"]


def test_the_hiring_organization_has_the_logo_when_there_is_one(tmp_path: Path) -> None:
    posting = posting_for(tmp_path, head=HEAD + "logo: https://example.coop/logo.png\n")
    assert posting["hiringOrganization"]["logo"] == "https://example.coop/logo.png"


# --- where ----------------------------------------------------------------------------------


def test_a_remote_opening_is_telecommute_with_its_countries_and_no_invented_place(
    tmp_path: Path,
) -> None:
    posting = posting_for(tmp_path, "remote: remote\napplicants_from:\n  countries: [DE, AT]")
    assert posting["jobLocationType"] == "TELECOMMUTE"
    assert "jobLocation" not in posting  # the co-op's offices are not where the work happens
    assert posting["applicantLocationRequirements"] == [
        {"@type": "Country", "name": "Germany"},
        {"@type": "Country", "name": "Austria"},
    ]


def test_a_remote_opening_falls_back_to_where_the_coop_hires_from(tmp_path: Path) -> None:
    posting = posting_for(
        tmp_path, "remote: remote", head=HEAD + "hires_from:\n  countries: [GB]\n"
    )
    assert posting["applicantLocationRequirements"] == {
        "@type": "Country", "name": "United Kingdom"
    }


def test_a_worldwide_remote_opening_names_no_country(tmp_path: Path) -> None:
    posting = posting_for(tmp_path, "remote: remote\napplicants_from:\n  worldwide: true")
    assert posting["jobLocationType"] == "TELECOMMUTE"
    assert "applicantLocationRequirements" not in posting
    assert "jobLocation" not in posting


def test_a_remote_opening_with_nothing_known_names_no_country(tmp_path: Path) -> None:
    posting = posting_for(tmp_path, "remote: remote")
    assert "applicantLocationRequirements" not in posting
    assert "jobLocation" not in posting


def test_a_world_region_is_not_narrowed_to_the_countries_listed_beside_it(
    tmp_path: Path,
) -> None:
    # "Europe and GB": naming GB alone would say that the rest of Europe cannot apply.
    posting = posting_for(
        tmp_path, "remote: remote\napplicants_from:\n  regions: [europe]\n  countries: [GB]"
    )
    assert "applicantLocationRequirements" not in posting


def test_the_european_union_is_its_member_states(tmp_path: Path) -> None:
    posting = posting_for(
        tmp_path,
        "remote: remote\napplicants_from:\n  countries: [DE, NO]\n  regions: [european-union]",
    )
    names = [country["name"] for country in posting["applicantLocationRequirements"]]
    assert len(EUROPEAN_UNION) == 27
    assert len(names) == 28 == len(set(names))  # 27 member states and Norway, Germany once
    assert {"Norway", "Germany", "France", "Poland"} <= set(names)


def test_a_remote_opening_with_its_own_place_keeps_it(tmp_path: Path) -> None:
    posting = posting_for(tmp_path, "remote: remote\nlocation:\n  country: NL\n  city: Utrecht")
    assert posting["jobLocationType"] == "TELECOMMUTE"
    assert posting["jobLocation"]["address"] == {
        "@type": "PostalAddress", "addressCountry": "NL", "addressLocality": "Utrecht"
    }


def test_an_on_site_opening_has_its_place(tmp_path: Path) -> None:
    posting = posting_for(
        tmp_path, "remote: on-site\nlocation:\n  country: CA\n  region: Québec\n  city: Montréal"
    )
    assert "jobLocationType" not in posting
    assert "applicantLocationRequirements" not in posting
    assert posting["jobLocation"] == {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Montréal",
            "addressRegion": "Québec",
            "addressCountry": "CA",
        },
    }


def test_a_hybrid_opening_without_a_place_is_where_the_coop_is(tmp_path: Path) -> None:
    posting = posting_for(tmp_path, "remote: hybrid")
    assert "jobLocationType" not in posting
    assert [place["address"] for place in posting["jobLocation"]] == [
        {"@type": "PostalAddress", "addressCountry": "DE", "addressRegion": "Berlin",
         "addressLocality": "Berlin"},
        {"@type": "PostalAddress", "addressCountry": "FR", "addressLocality": "Lyon"},
    ]


# --- pay, dates, terms, applying ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pay", "value"),
    [
        ("min: 38000\n  max: 42000", {"minValue": 38000, "maxValue": 42000}),
        ("min: 25.5", {"minValue": 25.5}),  # "from 25.50": a minimum, not the salary
        ("max: 3000", {"maxValue": 3000}),
        ("min: 30\n  max: 30", {"value": 30}),
    ],
)
def test_base_salary_is_a_monetary_amount(tmp_path: Path, pay: str, value: dict) -> None:
    posting = posting_for(tmp_path, f"pay:\n  {pay}\n  currency: EUR\n  period: hour")
    assert posting["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "EUR",
        "value": {"@type": "QuantitativeValue", **value, "unitText": "HOUR"},
    }


@pytest.mark.parametrize(("period", "unit"), [
    ("hour", "HOUR"), ("day", "DAY"), ("week", "WEEK"), ("month", "MONTH"), ("year", "YEAR"),
])
def test_every_pay_period_has_its_unit(tmp_path: Path, period: str, unit: str) -> None:
    posting = posting_for(tmp_path, f"pay:\n  min: 1\n  currency: EUR\n  period: {period}")
    assert posting["baseSalary"]["value"]["unitText"] == unit
    assert unit in UNITS


def test_a_pay_policy_alone_is_no_salary(tmp_path: Path) -> None:
    assert "baseSalary" not in posting_for(tmp_path, "pay:\n  policy: equal pay for all")


def test_valid_through_is_the_end_of_the_closing_day(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    given = posting_for(tmp_path / "a", "closes: 2026-12-15")
    assert given["validThrough"] == "2026-12-15T23:59:59+00:00"
    moment = dt.datetime.fromisoformat(given["validThrough"])
    assert moment.utcoffset() == dt.timedelta(0)
    default = posting_for(tmp_path / "b")  # posted 2026-10-01, 90 days by default
    assert default["validThrough"] == "2026-12-30T23:59:59+00:00"


def test_a_dissolved_coop_takes_no_applications_after_it_dissolved(tmp_path: Path) -> None:
    head = HEAD + "status: dissolved\nstatus_since: 2026-10-20\n"
    posting = posting_for(tmp_path, "closes: 2026-12-15", head=head)
    assert posting["validThrough"] == "2026-10-19T23:59:59+00:00"


@pytest.mark.parametrize(
    ("apply", "direct"),
    [
        ("https://example.coop/jobs", True),
        ("http://example.coop/jobs", True),
        ("mailto:jobs@example.coop", False),
    ],
)
def test_direct_apply_only_for_a_web_address(tmp_path: Path, apply: str, direct: bool) -> None:
    opening, coop = one_opening(tmp_path, "")
    opening = dataclasses.replace(opening, apply=apply)
    assert job_posting(opening, coop, site_url=SITE)["directApply"] is direct


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("employment_type: [full-time]", "FULL_TIME"),
        ("employment_type: [part-time, temporary]", ["PART_TIME", "TEMPORARY"]),
        ("employment_type: [contractor, per-diem]", ["CONTRACTOR", "PER_DIEM"]),
        ("employment_type: [intern, volunteer]", ["INTERN", "VOLUNTEER"]),
        ("kind: internship", "INTERN"),
        ("kind: volunteer", "VOLUNTEER"),
        ("kind: contract", "CONTRACTOR"),
        ("kind: contract\nemployment_type: [part-time]", "PART_TIME"),  # the terms win
        ("kind: job", None),
        ("kind: member-track", None),
        ("kind: founding-member", None),
    ],
)
def test_employment_type(tmp_path: Path, fields: str, expected: str | list | None) -> None:
    posting = posting_for(tmp_path, fields)
    assert posting.get("employmentType") == expected
    assert set(as_list(posting.get("employmentType", []))) <= EMPLOYMENT_TYPES


def test_skills_are_the_technology_labels(tmp_path: Path) -> None:
    posting = posting_for(tmp_path, "technologies: [js, postgresql]")
    assert posting["skills"] == ["JavaScript", "PostgreSQL"]


def test_no_skills_without_technologies(tmp_path: Path) -> None:
    assert "skills" not in posting_for(tmp_path)


# --- organisations --------------------------------------------------------------------------


def test_a_minimal_coop_is_a_minimal_organization(tmp_path: Path) -> None:
    coop = load(tmp_path, "name: Tiny\nwebsite: https://tiny.example/\n").coops[0]
    org = organization(coop, site_url=SITE)
    assert org == {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "Tiny",
        "url": "https://tiny.example/",
        "sameAs": "https://tiny.example/",
        "mainEntityOfPage": "https://coops.example/coops/example-coop/",
    }
    assert vocabulary_problems(org) == []


def test_a_full_coop_is_a_full_organization(tmp_path: Path) -> None:
    text = HEAD + """\
summary: We write software.
logo: https://example.coop/logo.png
founded: 2009
workers: 12
networks:
  - network: cotech
    evidence: https://example.coop/cotech
  - network: tech-coops-de
    evidence: https://example.coop/tcde
contact:
  email: hello@example.coop
  links:
    - kind: forge
      url: https://git.example/coop
"""
    org = organization(load(tmp_path, text).coops[0], site_url=SITE)
    assert vocabulary_problems(org) == []
    assert json.loads(json.dumps(org)) == org
    assert org["sameAs"] == ["https://example.coop/", "https://git.example/coop"]
    assert org["description"] == "We write software."
    assert org["logo"] == "https://example.coop/logo.png"
    assert org["foundingDate"] == "2009"
    assert org["email"] == "hello@example.coop"
    assert org["numberOfEmployees"] == {"@type": "QuantitativeValue", "value": 12}
    assert org["address"][0] == {
        "@type": "PostalAddress", "addressCountry": "DE", "addressRegion": "Berlin",
        "addressLocality": "Berlin",
    }
    assert org["memberOf"] == [
        {"@type": "Organization", "name": "CoTech", "url": "https://www.coops.tech/"},
        {"@type": "Organization", "name": "Tech-Coops DE"},  # no confirmed home page
    ]
    assert "dissolutionDate" not in org


def test_a_dissolved_coop_has_its_dissolution_date(tmp_path: Path) -> None:
    text = HEAD + "status: dissolved\nstatus_since: 2025-03-01\n"
    org = organization(load(tmp_path, text).coops[0], site_url=SITE)
    assert org["dissolutionDate"] == "2025-03-01"


# --- the fixture directory ------------------------------------------------------------------


FIXTURE = load_directory(ROOT / "tests/fixtures/directory", today=TODAY)


@pytest.mark.parametrize("key", [o.key for o in FIXTURE.openings()])
def test_every_fixture_opening_is_a_valid_job_posting(key: str) -> None:
    opening = next(o for o in FIXTURE.openings() if o.key == key)
    coop = FIXTURE.by_slug[opening.coop_slug]
    posting = job_posting(opening, coop, site_url=SITE, default_days_note=True)
    assert vocabulary_problems(posting) == []
    for required in ("title", "description", "datePosted", "hiringOrganization", "validThrough"):
        assert posting[required], required
    # Google: jobLocation is required unless the job is 100% remote.
    assert "jobLocation" in posting or posting.get("jobLocationType") == "TELECOMMUTE"


@pytest.mark.parametrize("slug", [c.slug for c in FIXTURE.coops])
def test_every_fixture_coop_is_a_valid_organization(slug: str) -> None:
    org = organization(FIXTURE.by_slug[slug], site_url=SITE)
    assert vocabulary_problems(org) == []
    assert org["name"] and org["url"]


def test_the_term_check_catches_what_is_not_schema_org() -> None:
    assert vocabulary_problems({"@type": "JobPosting", "salary": 1}) == [
        "$: 'salary' is not a JobPosting term here"
    ]
    assert vocabulary_problems({"@type": "JobPosting", "jobLocation": {"@type": "Country"}}) == [
        "$.jobLocation: JobPosting.jobLocation takes no Country"
    ]
    assert vocabulary_problems({"@type": "Job"}) == ["$: unknown @type 'Job'"]
