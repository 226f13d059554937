"""The ``coopdir`` command as contributors and CI run it: validate, and new."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY, check, write_coop

from coopdir.cli import format_github, main
from coopdir.problems import Problem

GOOD = "name: Good Co-op\nwebsite: https://good.example/\n"
BAD = """\
name: Bad Co-op
website: htp://bad.example/
founded: "1999"
locations:
  - country: "50%"
"""
GITHUB_LINE = re.compile(r"::error file=([^,]*),line=(\d+),col=(\d+)::(.*)")
SCHEMA_LINE = "# yaml-language-server: $schema="


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def github_unescape(text: str) -> str:
    return (
        text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",")
        .replace("%25", "%")
    )


def without_location(problem: Problem) -> str:
    return str(problem).removeprefix(f"{problem.path}:{problem.line}:{problem.column}: ")


# --- validate --------------------------------------------------------------------------------


def test_validate_good_folder_exits_0(workdir: Path) -> None:
    write_coop(workdir, "good", GOOD)
    result = run("validate", "coops")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "1 co-op(s)" in result.stderr


def test_validate_defaults_to_the_coops_folder(workdir: Path) -> None:
    write_coop(workdir, "bad", BAD)
    result = run("validate")
    assert result.exit_code == 1
    assert result.stdout.startswith("coops/bad.yaml:")


def test_validate_bad_folder_exits_1_with_path_line_col_lines(workdir: Path) -> None:
    write_coop(workdir, "good", GOOD)
    write_coop(workdir, "bad", BAD)
    expected = check(workdir / "coops")[1]
    result = run("validate", "coops")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(expected) == 3
    for line, problem in zip(lines, expected, strict=True):
        assert re.match(r"coops/bad\.yaml:\d+:\d+: ", line), line
        assert line == str(problem)
    assert "3 problem(s) in 1 file(s)" in result.stderr


def test_validate_a_single_file(workdir: Path) -> None:
    write_coop(workdir, "good", GOOD)
    path = write_coop(workdir, "bad", BAD)
    assert run("validate", "coops/good.yaml").exit_code == 0
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert all(line.startswith("coops/bad.yaml:") for line in result.stdout.splitlines())


def test_validate_a_single_file_with_lineage(workdir: Path) -> None:
    write_coop(workdir, "b", GOOD)
    write_coop(
        workdir, "a", "name: A\nwebsite: https://a.example/\nlineage:\n  spun_off_from: [b]\n"
    )
    assert run("validate", "coops").exit_code == 0
    result = run("validate", "coops/a.yaml")
    assert result.exit_code == 0, result.stdout


def test_validate_a_file_named_twice(workdir: Path) -> None:
    write_coop(workdir, "good", GOOD)
    result = run("validate", "coops", "coops/good.yaml")
    assert result.exit_code == 0, result.stdout


def test_validate_github_format(workdir: Path) -> None:
    folder = workdir / "we, the:coops"
    folder.mkdir()
    (folder / "bad.yaml").write_text(BAD + '"odd\\nkey": 1\n', "utf-8")
    expected = check(folder)[1]
    result = run("validate", "--format", "github", "we, the:coops")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(expected) == 4  # the newline in a message did not split a line
    for line, problem in zip(lines, expected, strict=True):
        match = GITHUB_LINE.fullmatch(line)
        assert match, line
        file, line_no, column, message = match.groups()
        assert file == "we%2C the%3Acoops/bad.yaml"
        assert github_unescape(file) == problem.path
        assert (int(line_no), int(column)) == (problem.line, problem.column)
        assert "\r" not in message and "\n" not in message
        assert github_unescape(message) == without_location(problem)
    assert "'50%25' is not a country code" in result.stdout
    assert "`odd%0Akey`" in result.stdout


def test_github_annotation_is_exactly_githubs_workflow_command_encoding() -> None:
    """GitHub's documented encoding (actions/toolkit, command.ts): in the message, % CR LF
    become %25 %0D %0A; in a property value (file=), also : and , become %3A and %2C."""
    problem = Problem(
        "coops/we, the:100%.yaml", 12, 3, "50% done: a, b\r\nnext::x", "write: 1,2", "a.b"
    )
    assert format_github(problem) == (
        "::error file=coops/we%2C the%3A100%25.yaml,line=12,col=3::"
        "a.b: 50%25 done: a, b%0D%0Anext::x — write: 1,2"
    )
    assert format_github(Problem("coops/x.yaml", 1, 1, "broken")) == (
        "::error file=coops/x.yaml,line=1,col=1::broken"
    )


def test_validate_github_format_with_colon_space_in_path(workdir: Path) -> None:
    folder = workdir / "notes: coops"
    folder.mkdir()
    (folder / "bad.yaml").write_text(BAD, "utf-8")
    expected = check(folder)[1]
    result = run("validate", "--format", "github", "notes: coops")
    for line, problem in zip(result.stdout.splitlines(), expected, strict=True):
        message = GITHUB_LINE.fullmatch(line).group(4)
        assert github_unescape(message) == without_location(problem), line


def test_validate_json_format(workdir: Path) -> None:
    write_coop(workdir, "bad", BAD.replace("Bad Co-op", "Coopérative"))
    expected = check(workdir / "coops")[1]
    result = run("validate", "--format", "json", "coops")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == len(expected) == 3
    for item, problem in zip(data, expected, strict=True):
        assert set(item) == {"path", "line", "column", "field", "message", "hint"}
        assert Problem(**item) == problem
    assert data[0]["path"] == "coops/bad.yaml"
    assert {item["field"] for item in data} == {"website", "founded", "locations[0].country"}


def test_validate_json_format_on_a_good_folder_is_an_empty_list(workdir: Path) -> None:
    write_coop(workdir, "good", GOOD)
    result = run("validate", "--format", "json", "coops")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_validate_missing_path(workdir: Path) -> None:
    result = run("validate", "nowhere")
    assert result.exit_code == 1
    assert result.stdout.startswith("nowhere:1:1: no such file or folder")


# --- new -------------------------------------------------------------------------------------

NEW_FLAGS = [
    "new", "--no-input", "--name", "Coopérative Ünïon", "--website", "https://union.example/",
    "--summary", "Hosting: for everyone", "--country", "FR", "--city", "Lyon",
    "--remote", "fully-remote", "--services", "webdev, hosting", "--technologies", "python,js",
    "--email", "hello@union.example",
]


def test_new_writes_a_file_that_validates(workdir: Path) -> None:
    result = run(*NEW_FLAGS)
    assert result.exit_code == 0, result.output
    path = workdir / "coops" / "cooperative-union.yaml"
    text = path.read_text("utf-8")
    assert text.startswith(SCHEMA_LINE)
    assert text.splitlines()[1].startswith("name:")  # fields in schema order, name first
    assert run("validate", "coops").exit_code == 0
    coops, problems = check(workdir / "coops")
    assert problems == []
    coop = coops[0]
    assert (coop.name, coop.website, coop.summary) == (
        "Coopérative Ünïon", "https://union.example/", "Hosting: for everyone"
    )
    assert [(p.country, p.city) for p in coop.locations] == [("FR", "Lyon")]
    assert coop.remote == "fully-remote"
    assert coop.services == ("web-development", "hosting")
    assert coop.technologies == ("python", "javascript")
    assert coop.contact.email == "hello@union.example"
    assert coop.provenance.added_by == "coop"
    assert coop.provenance.last_verified == TODAY


def test_new_keeps_values_yaml_would_misread(workdir: Path) -> None:
    result = run(
        "new", "--no-input", "--name", "NO", "--website", "https://no.example/",
        "--summary", "1.10", "--country", "NO", "--city", "12:30",
    )
    assert result.exit_code == 0, result.output
    coop = check(workdir / "coops")[0][0]
    assert (coop.name, coop.summary) == ("NO", "1.10")
    assert (coop.locations[0].country, coop.locations[0].city) == ("NO", "12:30")


def test_new_with_slug_and_folder(workdir: Path) -> None:
    result = run(
        "new", "--no-input", "--name", "X", "--website", "https://x.example/", "--slug", "ex",
        "--coops-dir", "elsewhere", "--added-by", "third-party",
    )
    assert result.exit_code == 0, result.output
    coop = check(workdir / "elsewhere")[0][0]
    assert coop.slug == "ex"
    assert coop.provenance.added_by == "third-party"


def test_new_refuses_to_overwrite(workdir: Path) -> None:
    path = write_coop(workdir, "good-co-op", GOOD + "summary: Hand-written.\n")
    before = path.read_text("utf-8")
    result = run("new", "--no-input", "--name", "Good Co-op", "--website", "https://o.example/")
    assert result.exit_code != 0
    assert "exists already" in result.output
    assert path.read_text("utf-8") == before


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--country", "Germany"], ["locations[0].country", "did you mean DE?"]),
        (["--technologies", "pyhton"], ["technologies[0]", "did you mean python"]),
        (["--email", "not-an-address"], ["contact.email", "name@example.coop"]),
    ],
    ids=["country", "technology", "email"],
)
def test_new_writes_nothing_when_a_value_is_invalid(
    workdir: Path, flags: list[str], words: list[str]
) -> None:
    result = run("new", "--no-input", "--name", "Bad", "--website", "https://bad.example/", *flags)
    assert result.exit_code != 0
    assert "nothing was written" in result.stderr
    problem_lines = [line for line in result.stderr.splitlines() if "coops/bad.yaml:" in line]
    assert problem_lines, result.stderr
    assert all(re.match(r"coops/bad\.yaml:\d+:\d+: ", line) for line in problem_lines)
    for word in words:
        assert word in result.stderr
    assert list((workdir / "coops").iterdir()) == []


def test_new_writes_nothing_when_the_website_is_invalid(workdir: Path) -> None:
    result = run("new", "--no-input", "--name", "Bad", "--website", "bad.example")
    assert result.exit_code != 0
    assert "write https://bad.example" in result.stderr
    assert list((workdir / "coops").iterdir()) == []


def test_new_refuses_a_website_already_listed(workdir: Path) -> None:
    write_coop(workdir, "alpha", "name: Alpha\nwebsite: https://same.example/\n")
    result = run("new", "--no-input", "--name", "Zeta", "--website", "https://www.same.example")
    assert result.exit_code != 0
    assert "already uses this website" in result.stderr
    assert not (workdir / "coops" / "zeta.yaml").exists()


def test_new_refuses_a_website_already_listed_by_a_later_file(workdir: Path) -> None:
    write_coop(workdir, "zeta", "name: Zeta\nwebsite: https://same.example/\n")
    result = run("new", "--no-input", "--name", "Alpha", "--website", "https://same.example/")
    assert result.exit_code != 0
    assert not (workdir / "coops" / "alpha.yaml").exists()


def test_new_is_not_stopped_by_a_broken_neighbour(workdir: Path) -> None:
    write_coop(workdir, "broken", "name: Broken\n")
    result = run("new", "--no-input", "--name", "Fine", "--website", "https://fine.example/")
    assert result.exit_code == 0, result.output
    assert (workdir / "coops" / "fine.yaml").exists()


def test_new_without_input_needs_name_and_website(workdir: Path) -> None:
    result = run("new", "--no-input", "--name", "Only A Name")
    assert result.exit_code == 2
    assert "--website" in result.output
    assert not (workdir / "coops").exists()


def test_new_interactive(workdir: Path) -> None:
    answers = "\n".join([
        "Asked Co-op",            # name
        "https://asked.example/",  # website
        "Apps for libraries",      # summary
        "DE",                      # country
        "Leipzig",                 # city (asked because a country was given)
        "",                        # services: skipped
        "python",                  # technologies
        "",                        # email: skipped
        "third-party",             # part of the co-op?
    ]) + "\n"
    result = run("new", input=answers)
    assert result.exit_code == 0, result.output
    assert "Name" in result.output and "Are you part of this co-op?" in result.output
    path = workdir / "coops" / "asked-co-op.yaml"
    assert path.read_text("utf-8").startswith(SCHEMA_LINE)
    coop = check(workdir / "coops")[0][0]
    assert (coop.name, coop.summary) == ("Asked Co-op", "Apps for libraries")
    assert [(p.country, p.city) for p in coop.locations] == [("DE", "Leipzig")]
    assert coop.technologies == ("python",)
    assert coop.services == ()
    assert coop.contact is None
    assert coop.provenance.added_by == "third-party"


def test_new_interactive_asks_again_for_a_required_answer(workdir: Path) -> None:
    answers = "\n".join(["", "Second Try", "https://second.example/", "", "", "", "", "", ""])
    result = run("new", input=answers + "\n")
    assert result.exit_code == 0, result.output
    assert (workdir / "coops" / "second-try.yaml").exists()


def test_new_interactive_asks_again_after_an_invalid_answer(workdir: Path) -> None:
    answers = "\n".join([
        "Retry Co-op",
        "retry.example",            # no https:// → asked again
        "https://retry.example/",
        "",                         # summary
        "Germany",                  # not a code → asked again
        "DE",
        "",                         # city
        "",                         # services
        "pyhton",                   # misspelled → asked again
        "python",
        "",                         # email
        "coop",
    ]) + "\n"
    result = run("new", input=answers)
    assert result.exit_code == 0, result.output
    assert "write https://retry.example" in result.output
    assert "did you mean DE?" in result.output
    assert "did you mean python" in result.output
    coop = check(workdir / "coops")[0][0]
    assert (coop.website, coop.locations[0].country) == ("https://retry.example/", "DE")
    assert coop.technologies == ("python",)
