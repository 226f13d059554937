"""CONTRIBUTING.md tells the truth: its example is valid, its links land, its names are real."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from conftest import check, write_coop
from sitecheck import ROOT

TEXT = (ROOT / "CONTRIBUTING.md").read_text("utf-8")


def github_anchor(heading: str) -> str:
    """Return the anchor GitHub gives a heading: lowercase, punctuation dropped, - for spaces."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_the_example_is_a_valid_co_op_file_with_an_opening(tmp_path: Path) -> None:
    example = re.search(r"## An example\n\n```yaml\n(.*?)```", TEXT, re.DOTALL).group(1)
    write_coop(tmp_path, "example-tech-co-op", example)
    coops, problems = check(tmp_path / "coops")
    assert problems == []
    assert [opening.id for opening in coops[0].openings] == ["backend-dev-2026"]


def test_every_link_to_a_section_lands_on_a_heading() -> None:
    anchors = {github_anchor(heading) for heading in re.findall(r"^#+ (.*)$", TEXT, re.MULTILINE)}
    links = re.findall(r"\]\(#([^)]+)\)", TEXT)
    assert len(links) >= 4
    assert set(links) <= anchors, set(links) - anchors


def test_the_names_people_look_for_are_the_real_ones() -> None:
    github = ROOT / ".github"
    form = yaml.safe_load((github / "ISSUE_TEMPLATE/add-coop.yml").read_text("utf-8"))
    check_name = yaml.safe_load((github / "workflows/pull-request.yml").read_text("utf-8"))["name"]
    assert f"choose **{form['name']}**" in TEXT
    assert f"A check named **{check_name}** runs" in TEXT
    assert "(coops/)" in TEXT and (ROOT / "coops").is_dir()
