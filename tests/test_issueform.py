"""`coopdir from-issue`: an "Add a co-op" issue, as GitHub renders it, becomes a co-op file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import write_coop
from sitecheck import ROOT

from coopdir.cli import main
from coopdir.issueform import MAX_BODY_CHARS, FormError, read_form, schema_path
from coopdir.yamlsource import read_yaml_file

FORM = ROOT / ".github" / "ISSUE_TEMPLATE" / "add-coop.yml"
FIELDS = read_form(FORM)
TODAY = "2026-11-01"  # the workdir fixture's SOURCE_DATE_EPOCH

# A valid answer to every question of the form, as a person types or picks it, and the value the
# co-op file must then hold. hires_from-worldwide cannot go with countries and regions (a check
# says so), so it has a body of its own.
ANSWERS: dict[str, tuple[str, Any]] = {
    "name": ("Tëst Co-op: <b>Ünïon</b>", "Tëst Co-op: <b>Ünïon</b>"),
    "website": ("https://test.example/", "https://test.example/"),
    "summary": ("Web & hosting: 100% \"co-op\"", 'Web & hosting: 100% "co-op"'),
    "description": (
        "We build *websites*.\n\n- one\n- two\n\n```\nname: not a field\n```",
        "We build *websites*.\n\n- one\n- two\n\n```\nname: not a field\n```",
    ),
    "founded": ("2015", 2015),
    "type": ("worker-coop", "worker-coop"),
    "legal_form": ("eG", "eG"),
    "registration-registry": ("Amtsgericht Leipzig", "Amtsgericht Leipzig"),
    "registration-number": ("01234", "01234"),
    "registration-url": ("https://register.example/01234", "https://register.example/01234"),
    "networks-network": ("cotech", "cotech"),
    "networks-evidence": ("https://www.coops.tech/members", "https://www.coops.tech/members"),
    "services": ("web-development, hosting", ["web-development", "hosting"]),
    "technologies": ("python,django", ["python", "django"]),
    "sectors": ("education", ["education"]),
    "locations-country": ("DE", "DE"),
    "locations-region": ("Sachsen", "Sachsen"),
    "locations-city": ("Leipzig", "Leipzig"),
    "remote": ("remote-first", "remote-first"),
    "hires_from-countries": ("DE, AT", ["DE", "AT"]),
    "hires_from-regions": ("europe, european-union", ["europe", "european-union"]),
    "languages": ("de, en", ["de", "en"]),
    "members": ("7", 7),
    "workers": ("9", 9),
    "governance": ("consensus", "consensus"),
    "pay_model": ("equal-pay", "equal-pay"),
    "hiring-status": ("hiring", "hiring"),
    "contact-email": ("hello@test.example", "hello@test.example"),
    "contact-fediverse": ("@test@social.coop", "@test@social.coop"),
    "provenance-added_by": ("third-party", "third-party"),
    "provenance-source": ("https://test.example/about", "https://test.example/about"),
    "form_evidence": ("Registered eG: https://register.example/01234", None),
    "openings-title": ("Backend developer (Python)", "Backend developer (Python)"),
    "openings-id": ("backend-2026", "backend-2026"),
    "openings-kind": ("member-track", "member-track"),
    "openings-employment_type": ("full-time, part-time", ["full-time", "part-time"]),
    "openings-description": ("## The work\n\nDjango.", "## The work\n\nDjango."),
    "openings-posted": ("2026-10-20", "2026-10-20"),
    "openings-closes": ("2026-12-15", "2026-12-15"),
    "openings-apply": ("mailto:jobs@test.example", "mailto:jobs@test.example"),
    "openings-remote": ("hybrid", "hybrid"),
    "openings-hours_per_week": ("32.5", 32.5),
    "openings-pay-min": ("48000", 48000),
    "openings-pay-max": ("52000.50", 52000.5),
    "openings-pay-currency": ("EUR", "EUR"),
    "openings-pay-period": ("year", "year"),
    "openings-pay-policy": ("equal pay, 32 EUR an hour", "equal pay, 32 EUR an hour"),
    "openings-technologies": ("python, postgresql", ["python", "postgresql"]),
}
WORLDWIDE = {"hires_from-worldwide": ("People may live anywhere in the world.", True)}
REQUIRED = ("name", "website", "provenance-added_by", "form_evidence")


def render(answers: dict[str, str]) -> str:
    """Render answers as GitHub renders an issue form: every question, in the form's order."""
    parts = []
    for field in FIELDS:
        text = answers.get(field.id, "")
        if field.kind == "checkboxes":
            text = f"- [{'X' if text else ' '}] People may live anywhere in the world."
        parts.append(f"### {field.label}\n\n{text or '_No response_'}")
    return "\n\n".join(parts) + "\n"


def from_issue(workdir: Path, body: str) -> Any:
    (workdir / "coops").mkdir(exist_ok=True)
    (workdir / "issue.md").write_text(body, "utf-8")
    return CliRunner().invoke(
        main, ["from-issue", "issue.md", "--coops-dir", "coops", "--form", str(FORM)]
    )


def read_back(path: Path) -> dict[str, Any]:
    doc, problems = read_yaml_file(path, str(path), max_bytes=256 * 1024)
    assert not problems, problems
    return doc.data


def value_at(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def test_every_question_of_the_form_has_a_sample_answer() -> None:
    assert {field.id for field in FIELDS} == set(ANSWERS) | set(WORLDWIDE)


@pytest.mark.parametrize("answers", [ANSWERS, {**WORLDWIDE, **{k: ANSWERS[k] for k in REQUIRED}}])
def test_every_answer_round_trips_into_the_file(workdir: Path, answers: dict) -> None:
    body = render({field_id: typed for field_id, (typed, _) in answers.items()})
    result = from_issue(workdir, body)
    assert result.exit_code == 0, result.output
    path = workdir / "coops" / "test-co-op-b-union-b.yaml"
    assert result.stdout == f"Wrote {Path('coops') / path.name}.\n"
    data = read_back(path)
    by_id = {field.id: field for field in FIELDS}
    for field_id, (_, expected) in answers.items():
        if expected is not None:
            assert value_at(data, by_id[field_id].path) == expected, field_id
    assert data["provenance"]["added"] == data["provenance"]["last_verified"] == TODAY
    # ... and the written file passes the same checks as every other co-op file.
    assert CliRunner().invoke(main, ["validate", "coops"]).exit_code == 0


def test_empty_optional_answers_are_left_out(workdir: Path) -> None:
    body = render({"name": "Small Co-op", "website": "https://small.example/",
                   "provenance-added_by": "coop", "form_evidence": "an eG"})
    result = from_issue(workdir, body)
    assert result.exit_code == 0, result.output
    data = read_back(workdir / "coops" / "small-co-op.yaml")
    assert data == {
        "name": "Small Co-op",
        "website": "https://small.example/",
        "provenance": {"added_by": "coop", "added": TODAY, "last_verified": TODAY},
    }


def test_what_a_form_cannot_ask_is_filled_in(workdir: Path) -> None:
    body = render({"name": "Hiring Co-op", "website": "https://hiring.example/",
                   "provenance-added_by": "coop", "hiring-status": "hiring",
                   "openings-title": "Front-end développeur!", "openings-apply": "https://hiring.example/jobs"})
    assert from_issue(workdir, body).exit_code == 0
    data = read_back(workdir / "coops" / "hiring-co-op.yaml")
    assert data["hiring"] == {"status": "hiring", "confirmed": TODAY}
    assert data["openings"] == [{
        "id": "front-end-developpeur-2026",
        "title": "Front-end développeur!",
        "posted": TODAY,
        "apply": "https://hiring.example/jobs",
    }]


def test_the_text_file_is_written_as_people_write_it(workdir: Path) -> None:
    body = render({field_id: typed for field_id, (typed, _) in ANSWERS.items()})
    assert from_issue(workdir, body).exit_code == 0
    text = (workdir / "coops" / "test-co-op-b-union-b.yaml").read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert "description: |-\n  We build *websites*.\n\n  - one\n" in text
    assert "\nopenings:\n- id: backend-2026\n  title: " in text  # schema order, id first


def test_github_line_ends_are_read(workdir: Path) -> None:
    body = render({"name": "Crlf Co-op", "website": "https://crlf.example/",
                   "description": "one\ntwo", "provenance-added_by": "coop"})
    assert from_issue(workdir, body.replace("\n", "\r\n")).exit_code == 0
    assert read_back(workdir / "coops" / "crlf-co-op.yaml")["description"] == "one\ntwo"


def lines_of(body: str) -> dict[str, int]:
    """Return the line each answer starts on, by label."""
    lines = body.splitlines()
    return {line[4:]: number + 2 for number, line in enumerate(lines, 1) if line.startswith("### ")}


def test_bad_answers_are_named_by_their_label_and_line(workdir: Path) -> None:
    answers = {field_id: typed for field_id, (typed, _) in ANSWERS.items()}
    answers |= {
        "website": "htp://test.example",
        "founded": "fifteen",
        "locations-country": "Germany",
        "services": "web-development, knitting",
        "openings-pay-min": "-5",
        "openings-closes": "15/12/2026",
    }
    del answers["openings-apply"]
    body = render(answers)
    result = from_issue(workdir, body)
    assert result.exit_code == 1
    assert list((workdir / "coops").iterdir()) == []  # nothing written
    at = lines_of(body)
    out = result.stdout.splitlines()
    expected_labels = {
        "Website", "Year founded", "Country", "Services", "Lowest pay", "Closes on", "How to apply"
    }
    assert len(out) == len(expected_labels)
    for line in out:
        label = next(label for label in expected_labels if f": {label}: " in line)
        assert line.startswith(f"issue.md:{at[label]}:1: {label}: "), line
        assert " — " in line or label == "Lowest pay", line  # how to fix it
    text = result.stdout
    assert "'fifteen'" in text and "'Germany'" in text and "knitting" in text
    assert "How to apply: is missing — fill it in" in text
    assert "answer(s) to fix; nothing was written" in result.stderr


def test_a_new_coop_may_not_take_an_existing_name_or_website(workdir: Path) -> None:
    write_coop(workdir, "taken-co-op", "name: Taken Co-op\nwebsite: https://taken.example/\n")
    same_name = render({"name": "Taken Co-op", "website": "https://other.example/",
                        "provenance-added_by": "coop"})
    result = from_issue(workdir, same_name)
    assert result.exit_code == 1
    assert f"issue.md:{lines_of(same_name)['Name']}:1: Name: a co-op file with this name" in (
        result.stdout
    )
    same_site = render({"name": "New Co-op", "website": "https://taken.example/",
                        "provenance-added_by": "coop"})
    result = from_issue(workdir, same_site)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"issue.md:{lines_of(same_site)['Website']}:1: Website: ")
    assert "coops/taken-co-op.yaml already uses this website" in result.stdout
    assert sorted(path.name for path in (workdir / "coops").iterdir()) == ["taken-co-op.yaml"]


def test_a_heading_inside_an_answer_is_refused(workdir: Path) -> None:
    body = render({"name": "Sly Co-op", "website": "https://sly.example/",
                   "description": "Nice.\n\n### Website\n\nhttps://evil.example/",
                   "provenance-added_by": "coop"})
    result = from_issue(workdir, body)
    assert result.exit_code == 1
    assert "a second `### Website` heading" in result.stdout
    assert list((workdir / "coops").iterdir()) == []


def test_markup_and_yaml_in_answers_stay_text(workdir: Path) -> None:
    hostile = (
        '<script>alert(1)</script> [x](javascript:alert(1)) !!python/object "\'\n'
        "name: Evil\nwebsite: https://evil.example/\n--- &a [*a, *a]\n\u202e\u0000 end"
    )
    body = render({"name": "Plain Co-op", "website": "https://plain.example/",
                   "description": hostile, "provenance-added_by": "coop"})
    result = from_issue(workdir, body)
    assert result.exit_code == 0, result.output
    data = read_back(workdir / "coops" / "plain-co-op.yaml")
    assert data["description"] == hostile
    assert data["name"] == "Plain Co-op"


def test_a_huge_issue_is_refused_with_a_reason(workdir: Path) -> None:
    body = render({"name": "Big Co-op", "website": "https://big.example/",
                   "description": "x" * MAX_BODY_CHARS, "provenance-added_by": "coop"})
    result = from_issue(workdir, body)
    assert result.exit_code == 1
    assert result.stdout.startswith("issue.md:1:1: the issue is ")
    assert "shorten the description" in result.stdout


def test_a_long_answer_gets_the_schemas_limit(workdir: Path) -> None:
    body = render({"name": "Wordy Co-op", "website": "https://wordy.example/",
                   "summary": "y" * 500, "provenance-added_by": "coop"})
    result = from_issue(workdir, body)
    assert result.exit_code == 1
    assert "What it does, in one line: is 500 characters long; the limit is 200" in result.stdout


def test_an_issue_not_written_with_the_form_is_refused(workdir: Path) -> None:
    result = from_issue(workdir, "Please add Example Co-op, https://example.coop/ thanks!\n")
    assert result.exit_code == 1
    assert "was not written with the 'Add a co-op' form" in result.stdout


def test_the_form_may_only_name_fields_of_the_schema(tmp_path: Path) -> None:
    assert schema_path("openings-pay-min")[0] == ("openings", 0, "pay", "min")
    form = yaml.safe_load(FORM.read_text("utf-8"))
    form["body"].append({"type": "input", "id": "openings-salary", "attributes": {"label": "X"}})
    broken = tmp_path / "form.yml"
    broken.write_text(yaml.safe_dump(form), "utf-8")
    with pytest.raises(FormError, match="'salary' is not one of"):
        read_form(broken)
    with pytest.raises(FormError, match="set of fields"):
        schema_path("openings-pay")
