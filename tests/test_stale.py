"""``coopdir stale``: co-ops due for a check and openings about to close, on TODAY (2026-11-01)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner, Result
from conftest import write_coop

from coopdir.cli import main

OLD = """\
name: Old Co-op
website: https://old.example/
hiring:
  status: hiring
  confirmed: 2026-07-01
provenance:
  added_by: coop
  added: 2024-01-01
  last_verified: 2025-10-01
openings:
  - id: soon
    title: Backend developer
    posted: 2026-10-01
    closes: 2026-11-05
  - id: later
    title: Designer
    posted: 2026-10-01
    closes: 2026-11-20
  - id: over
    title: Closed already
    posted: 2026-09-01
    closes: 2026-10-20
"""
FRESH = """\
name: Fresh Co-op
website: https://fresh.example/
hiring:
  status: not-hiring
  confirmed: 2026-09-01
provenance:
  added_by: third-party
  added: 2023-05-01
  last_verified: 2026-06-01
openings:
  - id: default-close
    title: Member track
    posted: 2026-08-05
"""
NEVER = """\
name: Never Verified | *Co-op*
website: https://never.example/
provenance:
  added_by: third-party
  added: 2025-02-01
"""
UNDATED = """\
name: Undated Co-op
website: https://undated.example/
"""
DISSOLVED = """\
name: Dissolved Co-op
website: https://dissolved.example/
status: dissolved
provenance:
  added_by: third-party
  last_verified: 2020-01-01
"""


def with_apply(text: str) -> str:
    """Give every opening an apply address (required), after its title."""
    return text.replace("    posted:", "    apply: mailto:jobs@example.coop\n    posted:")


def write_all(workdir: Path) -> None:
    for slug, text in [
        ("old-coop", OLD),
        ("fresh-coop", FRESH),
        ("never", NEVER),
        ("undated", UNDATED),
        ("dissolved", DISSOLVED),
    ]:
        write_coop(workdir, slug, with_apply(text))


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["stale", *args])


def test_the_report_lists_what_to_check_with_file_line_and_the_edit(workdir: Path) -> None:
    write_all(workdir)
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stderr == "6 item(s) to look at.\n"
    assert result.stdout == textwrap.dedent("""\
        # Stale entries

        On 2026-11-01: 3 co-op(s) not verified in 365 days, 1 hiring status(es) not confirmed in 90 days, 2 opening(s) closing within 7 days.

        ## Not verified in 365 days: 3

        | where | co-op | found | what to do |
        |---|---|---|---|
        | `coops/undated.yaml:1` | Undated Co-op | never verified, and no date added | confirm the entry is still right and set `last_verified: 2026-11-01` under `provenance:` |
        | `coops/never.yaml:5` | Never Verified \\| \\*Co-op\\* | never verified; added 2025-02-01, 638 days ago | confirm the entry is still right and set `last_verified: 2026-11-01` under `provenance:` |
        | `coops/old-coop.yaml:9` | Old Co-op | last verified 2025-10-01, 396 days ago | confirm the entry is still right and set `last_verified: 2026-11-01` under `provenance:` |

        ## Hiring status not confirmed in 90 days: 1

        | where | co-op | status | what to do |
        |---|---|---|---|
        | `coops/old-coop.yaml:5` | Old Co-op | hiring, confirmed 2026-07-01, 123 days ago | ask the co-op whether it is still hiring, then set `confirmed: 2026-11-01` under `hiring:` (or change the status) |

        ## Openings closing within 7 days: 2

        | where | co-op | opening | what to do |
        |---|---|---|---|
        | `coops/fresh-coop.yaml:11` | Fresh Co-op | Member track (default-close) closes in 2 days, on 2026-11-03 | it has no `closes:`, so it closes a set time after `posted:`; to keep it open, add `closes: YYYY-MM-DD` |
        | `coops/old-coop.yaml:15` | Old Co-op | Backend developer (soon) closes in 4 days, on 2026-11-05 | if it stays open longer, move `closes:` to the new last day; else nothing to do |
        """)  # noqa: E501 - the report's lines are as long as they are


def test_thresholds_are_options_and_the_report_can_go_to_a_file(workdir: Path) -> None:
    write_all(workdir)
    result = run("coops/fresh-coop.yaml", "--days=100", "--closing-days=1", "--report=r/s.md")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    report = (workdir / "r" / "s.md").read_text(encoding="utf-8")
    assert "1 co-op(s) not verified in 100 days" in report
    assert "`coops/fresh-coop.yaml:9` | Fresh Co-op | last verified 2026-06-01, 153 days ago" in (
        report
    )
    assert "0 opening(s) closing within 1 day." in report
    assert "## Openings closing" not in report


def test_nothing_stale_says_so_and_exits_0(workdir: Path) -> None:
    write_coop(
        workdir,
        "fine",
        "name: Fine\nwebsite: https://fine.example/\n"
        "provenance:\n  added_by: coop\n  last_verified: 2026-10-01\n",
    )
    result = run()
    assert result.exit_code == 0
    assert result.stdout == (
        "# Stale entries\n\nOn 2026-11-01: 0 co-op(s) not verified in 365 days, 0 hiring "
        "status(es) not confirmed in 90 days, 0 opening(s) closing within 7 days.\n"
    )


def test_an_invalid_file_is_reported_and_exits_1(workdir: Path) -> None:
    write_coop(workdir, "bad", "name: Bad\nwebsite: htp://bad.example/\n")
    result = run()
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("coops/bad.yaml:2:10: website: ")
