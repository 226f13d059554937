"""The GitHub workflows, issue form and pre-commit hook: valid, least privilege, no injection.

GitHub itself cannot be reached from here, so the workflows are checked the way GitHub and the
security linters read them: check-jsonschema with the vendored GitHub schemas, zizmor offline,
and the rules we hold ourselves to, asserted on the parsed YAML.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import write_coop
from sitecheck import ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
WRITES = {
    # (workflow, job): the only write grants anywhere, each where it is needed.
    ("publish.yml", "deploy"): {"pages", "id-token"},
    ("nightly-checks.yml", "report"): {"issues"},
    ("from-issue.yml", "pull-request"): {"contents", "pull-requests"},
    ("from-issue.yml", "reply"): {"issues"},
}


def load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text("utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on` as true
    return workflow


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    return load(path)["jobs"]


def steps(path: Path) -> list[dict[str, Any]]:
    return [step for job in jobs(path).values() for step in job.get("steps", [])]


def workflow(name: str) -> Path:
    return GITHUB / "workflows" / name


def test_there_are_the_four_workflows() -> None:
    assert [path.name for path in WORKFLOWS] == [
        "from-issue.yml", "nightly-checks.yml", "publish.yml", "pull-request.yml"
    ]


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True, text=True, check=False,
    )


def test_workflows_pass_githubs_workflow_schema() -> None:
    result = check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_issue_form_and_chooser_pass_their_schemas() -> None:
    form = check_jsonschema("vendor.github-issue-forms", GITHUB / "ISSUE_TEMPLATE/add-coop.yml")
    assert form.returncode == 0, form.stdout + form.stderr
    config = check_jsonschema("vendor.github-issue-config", GITHUB / "ISSUE_TEMPLATE/config.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_the_schema_check_does_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: {pull_request: {}}\njobs: {a: {runs-on: 3, stepz: []}}\n")
    assert check_jsonschema("vendor.github-workflows", bad).returncode == 1


def serious_zizmor_findings(folder: Path) -> list[str]:
    """Run zizmor offline; return its medium and high severity findings as readable lines."""
    result = subprocess.run(
        [BIN / "zizmor", "--offline", "--no-progress", "--format", "json", str(folder)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.stdout.strip(), result.stderr  # it ran and reported (an empty list or more)
    return [
        f"{finding['ident']} ({finding['determinations']['severity']}): "
        f"{finding['locations'][0]['concrete']['feature']}"
        for finding in json.loads(result.stdout)
        if finding["determinations"]["severity"] in ("Medium", "High")
    ]


def test_zizmor_finds_nothing_serious() -> None:
    assert serious_zizmor_findings(GITHUB) == []


def test_zizmor_does_catch_what_we_avoid(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "bad.yml").write_text(
        "on: {issues: {}}\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo \"${{ github.event.issue.body }}\"\n"
        "      - uses: actions/checkout@v4\n"
    )
    found = " ".join(serious_zizmor_findings(tmp_path / ".github"))
    assert "template-injection" in found and "unpinned-uses" in found


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_least_privilege(path: Path) -> None:
    assert load(path)["permissions"] == {}, "no permissions at the top: each job asks for its own"
    for name, job in jobs(path).items():
        grants = job.get("permissions")
        assert isinstance(grants, dict), f"{name} must say what it needs"
        writes = {scope for scope, level in grants.items() if level == "write"}
        assert writes == WRITES.get((path.name, name), set()), name
        runs_our_code = any(
            "make " in step.get("run", "") or ".venv/bin/" in step.get("run", "")
            for step in job["steps"]
        )
        assert not (writes and runs_our_code), f"{name} runs repository code with a write token"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_actions_are_pinned_and_credentials_not_kept(path: Path) -> None:
    text = path.read_text("utf-8")
    for step in steps(path):
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), step["uses"]
            assert re.search(re.escape(step["uses"]) + r"  # v\d+\.\d+\.\d+\n", text), (
                f"{step['uses']} needs its version in a comment"
            )
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_no_expression_is_pasted_into_a_script(path: Path) -> None:
    for step in steps(path):
        assert "${{" not in step.get("run", ""), f"pass it through env: {step['run']}"


def test_pull_requests_are_checked_without_secrets_or_write_access() -> None:
    path = workflow("pull-request.yml")
    assert load(path)["on"] == {"pull_request": None}
    text = path.read_text("utf-8")
    assert "secrets." not in text and "pull_request_target:" not in text
    runs = [step.get("run", "") for step in steps(path)]
    assert ".venv/bin/coopdir validate --format github coops" in runs
    assert "make html" in runs
    upload = next(step for step in steps(path) if "upload-artifact" in step.get("uses", ""))
    assert upload["with"]["path"] == "output/"


def test_no_workflow_runs_fork_code_with_a_write_token() -> None:
    for path in WORKFLOWS:
        triggers = load(path)["on"]
        assert "pull_request_target" not in triggers and "workflow_run" not in triggers


def test_main_is_published_with_its_pages_address() -> None:
    path = workflow("publish.yml")
    triggers = load(path)["on"]
    assert triggers["push"] == {"branches": ["main"]} and "schedule" in triggers
    build = jobs(path)["build"]
    pages = next(step for step in build["steps"] if step.get("id") == "pages")
    assert pages["uses"].startswith("actions/configure-pages@")
    make = next(step for step in build["steps"] if step.get("run") == "make html")
    assert make["env"] == {"COOPDIR_SITE_URL": "${{ steps.pages.outputs.base_url }}"}
    deploy = jobs(path)["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"


def test_nightly_checks_keep_one_issue() -> None:
    path = workflow("nightly-checks.yml")
    assert set(load(path)["on"]) == {"schedule", "workflow_dispatch"}
    script = "\n".join(step.get("run", "") for step in steps(path))
    assert ".venv/bin/coopdir check-links coops --report links.md" in script
    assert ".venv/bin/coopdir stale coops --report stale.md" in script
    assert 'gh issue list --label "$label" --state open' in script
    assert 'gh issue edit "$number" --body-file report.md' in script


def test_issues_from_the_form_become_pull_requests() -> None:
    path = workflow("from-issue.yml")
    form = yaml.safe_load((GITHUB / "ISSUE_TEMPLATE/add-coop.yml").read_text("utf-8"))
    assert load(path)["on"] == {"issues": {"types": ["opened", "edited", "labeled"]}}
    convert = jobs(path)["convert"]
    assert f"contains(github.event.issue.labels.*.name, '{form['labels'][0]}')" in convert["if"]
    write = next(step for step in convert["steps"] if step.get("id") == "convert")
    assert write["env"] == {"ISSUE_BODY": "${{ github.event.issue.body }}"}
    assert '.venv/bin/coopdir from-issue answers/issue.md' in write["run"]
    assert any(
        step.get("uses", "").startswith("peter-evans/create-pull-request@")
        for step in jobs(path)["pull-request"]["steps"]
    )


# --- pre-commit -------------------------------------------------------------------------------


def test_pre_commit_runs_the_validator_on_co_op_files() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    [repo] = config["repos"]
    [hook] = repo["hooks"]
    assert repo["repo"] == "local" and hook["language"] == "system"
    assert hook["entry"] == ".venv/bin/coopdir validate coops"
    assert re.match(hook["files"], "coops/agaric.yaml")
    assert not re.match(hook["files"], "theme/base.html")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_stops_a_commit_of_a_bad_file(tmp_path: Path) -> None:
    repo = tmp_path / "clone"
    (repo / "coops").mkdir(parents=True)
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo)
    (repo / ".venv").symlink_to(Path(sys.prefix))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=False)

    run("git", "init", "-q")
    good = repo / "coops" / "good.yaml"
    good.write_text("name: Good Co-op\nwebsite: https://good.example/\n")
    run("git", "add", "-A")
    passed = run(str(BIN / "pre-commit"), "run", "--files", "coops/good.yaml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    bad = repo / "coops" / "new.yaml"
    bad.write_text("name: Bad Co-op\nwebsite: https://good.example\n")
    run("git", "add", "-A")
    failed = run(str(BIN / "pre-commit"), "run", "--files", "coops/new.yaml")
    assert failed.returncode == 1
    assert re.search(
        r"^coops/new\.yaml:2:\d+: website: coops/good\.yaml already uses this website — ",
        failed.stdout,
        re.MULTILINE,
    ), failed.stdout


# --- the from-issue scripts, run as the runner runs them --------------------------------------


def step_script(path: Path, job: str, name_or_id: str) -> str:
    return next(
        step["run"]
        for step in jobs(path)[job]["steps"]
        if name_or_id in (step.get("id"), step.get("name"))
    )


def run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step's script with the shell GitHub uses for `run:` (bash -eo pipefail)."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=False,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout of main as the convert job sees it: co-op files, the form, coopdir installed."""
    repo = tmp_path / "checkout"
    (repo / ".github" / "ISSUE_TEMPLATE").mkdir(parents=True)
    shutil.copy(GITHUB / "ISSUE_TEMPLATE" / "add-coop.yml", repo / ".github" / "ISSUE_TEMPLATE")
    write_coop(repo, "listed-co-op", "name: Listed Co-op\nwebsite: https://listed.example/\n")
    (repo / ".venv").symlink_to(Path(sys.prefix))
    (repo / ".gitignore").write_text(".venv\n")
    for command in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *command], cwd=repo, check=True)
    return repo


def issue_body(**answers: str) -> str:
    return "".join(f"### {label}\n\n{text}\n\n" for label, text in answers.items())


def test_the_convert_step_keeps_exactly_the_new_file(checkout: Path) -> None:
    script = step_script(workflow("from-issue.yml"), "convert", "convert")
    outputs = checkout.parent / "outputs"
    body = issue_body(**{"Name": "New Co-op $(touch pwned)", "Website": "https://new.example/",
                         "Who is adding it": "coop"})
    result = run_step(script, checkout, {"ISSUE_BODY": body, "GITHUB_OUTPUT": str(outputs)})
    assert result.returncode == 0, result.stderr
    assert outputs.read_text() == "written=true\n"
    written = [path.name for path in (checkout / "new-coop").iterdir()]
    assert written == ["new-co-op-touch-pwned.yaml"]
    assert not (checkout / "pwned").exists()


def test_the_reply_lists_each_answer_to_fix_by_line(checkout: Path, tmp_path: Path) -> None:
    path = workflow("from-issue.yml")
    outputs = tmp_path / "outputs"
    body = issue_body(**{"Name": "Bad Co-op", "Website": "htp://bad.example",
                         "Year founded": "1066", "Who is adding it": "coop"})
    result = run_step(step_script(path, "convert", "convert"), checkout,
                      {"ISSUE_BODY": body, "GITHUB_OUTPUT": str(outputs)})
    assert result.returncode == 0, result.stderr
    assert outputs.read_text() == "written=false\n"
    assert list((checkout / "new-coop").iterdir()) == []
    # The reply job, with `gh` (GitHub's command, which needs GitHub) replaced by a recorder.
    reply = tmp_path / "reply"
    reply.mkdir()
    shutil.copy(checkout / "answers" / "result.txt", reply)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "gh").write_text('#!/bin/sh\necho "$@" > gh-args\ncp comment.md posted.md\n')
    (fake_bin / "gh").chmod(0o755)
    result = run_step(step_script(path, "reply", "Comment"), reply,
                      {"ISSUE": "7", "PATH": f"{fake_bin}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert (reply / "gh-args").read_text() == "issue comment 7 --body-file comment.md\n"
    posted = (reply / "posted.md").read_text()
    assert "line 7: Website: 'htp://bad.example' is not a web address" in posted
    assert "line 11: Year founded: 1066 is too small" in posted
    assert "answers/issue.md" not in posted


def test_the_write_jobs_guard_refuses_anything_but_one_co_op_file(checkout: Path) -> None:
    script = step_script(
        workflow("from-issue.yml"), "pull-request", "Make sure only one new co-op file is there"
    )
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e.org", "commit", "-qm", "main"],
        cwd=checkout, check=True,
    )
    assert run_step(script, checkout, {}).returncode == 1  # nothing new
    (checkout / "coops" / "new-co-op.yaml").write_text("name: New\nwebsite: https://n.example/\n")
    assert run_step(script, checkout, {}).returncode == 0
    (checkout / ".github" / "workflows").mkdir()
    (checkout / ".github" / "workflows" / "evil.yml").write_text("on: push\n")
    assert run_step(script, checkout, {}).returncode == 1


# --- the nightly report scripts ---------------------------------------------------------------


def test_the_nightly_report_fits_in_an_issue(tmp_path: Path) -> None:
    script = step_script(workflow("nightly-checks.yml"), "check", "Write the report")
    (tmp_path / "links.md").write_text("## Broken links\n\n" + "- https://gone.example/\n" * 4000)
    (tmp_path / "stale.md").write_text("## Stale entries\n\n- coops/old.yaml\n")
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "coopdir/coopdir",
           "GITHUB_RUN_ID": "42"}
    assert run_step(script, tmp_path, env).returncode == 0
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("Findings of the nightly checks on ")
    assert "(https://github.com/coopdir/coopdir/actions/runs/42)" in report
    assert len(report.encode()) < 65_536
    assert report.rstrip().endswith("the whole report is attached to "
                                    "https://github.com/coopdir/coopdir/actions/runs/42")


@pytest.mark.parametrize(("open_issue", "expected"), [
    ("12", "issue edit 12 --body-file report.md"),
    ("", "issue create --label nightly-report --body-file report.md --title Nightly checks: "
         "broken links and stale entries"),
])
def test_the_nightly_issue_is_updated_or_opened(tmp_path: Path, open_issue: str,
                                                expected: str) -> None:
    script = step_script(workflow("nightly-checks.yml"), "report", "Open or update the issue")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    # `gh` needs GitHub; this one records its calls and answers `issue list` as GitHub would.
    (fake_bin / "gh").write_text(
        f'#!/bin/sh\necho "$*" >> calls\n'
        f'[ "$1 $2" = "issue list" ] && echo "{open_issue}"\nexit 0\n'
    )
    (fake_bin / "gh").chmod(0o755)
    (tmp_path / "report.md").write_text("findings\n")
    result = run_step(script, tmp_path, {"PATH": f"{fake_bin}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0].startswith("label create nightly-report --force")
    assert calls[1].startswith("issue list --label nightly-report --state open")
    assert calls[2:] == [expected]
