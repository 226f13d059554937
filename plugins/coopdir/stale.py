"""Entries that may no longer be true, and openings about to close: ``coopdir stale``.

A directory goes out of date quietly: a co-op stops hiring and nobody edits its file, an
opening's closing day arrives unnoticed. The nightly job posts this report so that someone asks
the co-op, with the file, the line and the edit to make.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import mdreport
from .checkeddocs import CheckedDocument, read_checked_documents
from .problems import Problem


@dataclass(frozen=True)
class StaleSettings:
    """How old is too old."""

    verify_days: int = 365
    """A co-op not verified (or, never verified, not added) for longer than this is listed."""
    hiring_days: int = 90
    """A hiring status confirmed longer ago than this is listed."""
    closing_days: int = 7
    """An open opening that closes within this many days is listed."""


@dataclass(frozen=True)
class StaleEntry:
    """One thing to look at: where, which co-op, what was found and what to do."""

    where: str
    coop: str
    found: str
    fix: str
    since: dt.date
    """The date the finding is about (sorts the report: oldest or soonest first)."""


@dataclass(frozen=True)
class StaleFindings:
    """Everything ``coopdir stale`` found, by kind."""

    unverified: tuple[StaleEntry, ...]
    hiring: tuple[StaleEntry, ...]
    closing: tuple[StaleEntry, ...]

    @property
    def total(self) -> int:
        """Return how many items the report lists."""
        return len(self.unverified) + len(self.hiring) + len(self.closing)


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _unverified(document: CheckedDocument, today: dt.date, limit: int) -> StaleEntry | None:
    provenance = document.coop.provenance
    verified = provenance.last_verified if provenance else None
    added = provenance.added if provenance else None
    since = verified or added
    if since is not None and (today - since).days <= limit:
        return None
    fix = f"confirm the entry is still right and set `last_verified: {today.isoformat()}`"
    fix += " under `provenance:`"
    if verified:
        found = f"last verified {verified.isoformat()}, {_days((today - verified).days)} ago"
        line = document.line(("provenance", "last_verified"))
    elif added:
        found = f"never verified; added {added.isoformat()}, {_days((today - added).days)} ago"
        line = document.line(("provenance", "added"))
    else:
        found = "never verified, and no date added"
        line = document.line(("provenance",))
    return StaleEntry(
        f"{document.doc.path}:{line}", document.coop.name, found, fix, since or dt.date.min
    )


def _hiring(document: CheckedDocument, today: dt.date, limit: int) -> StaleEntry | None:
    hiring = document.coop.hiring
    if hiring is None or (today - hiring.confirmed).days <= limit:
        return None
    return StaleEntry(
        f"{document.doc.path}:{document.line(('hiring', 'confirmed'))}",
        document.coop.name,
        f"{hiring.status}, confirmed {hiring.confirmed.isoformat()}, "
        f"{_days((today - hiring.confirmed).days)} ago",
        f"ask the co-op whether it is still {hiring.status}, then set "
        f"`confirmed: {today.isoformat()}` under `hiring:` (or change the status)",
        hiring.confirmed,
    )


def _closing(document: CheckedDocument, today: dt.date, limit: int) -> list[StaleEntry]:
    entries = []
    for index, opening in enumerate(document.coop.openings):
        if not opening.is_open(today) or (opening.closes - today).days > limit:
            continue
        left = (opening.closes - today).days
        when = "today" if left == 0 else f"in {_days(left)}"
        if opening.closes_given:
            line = document.line(("openings", index, "closes"))
            fix = "if it stays open longer, move `closes:` to the new last day; else nothing to do"
        else:
            line = document.line(("openings", index))
            fix = (
                "it has no `closes:`, so it closes a set time after `posted:`; to keep it open, "
                "add `closes: YYYY-MM-DD`"
            )
        entries.append(
            StaleEntry(
                f"{document.doc.path}:{line}",
                document.coop.name,
                f"{opening.title} ({opening.id}) closes {when}, on {opening.closes.isoformat()}",
                fix,
                opening.closes,
            )
        )
    return entries


def find_stale(
    paths: Iterable[Path], *, today: dt.date, settings: StaleSettings | None = None
) -> tuple[StaleFindings | None, list[Problem]]:
    """Return what is out of date in the co-op files, or None and the problems if invalid.

    Dissolved co-ops are left out: nobody needs to confirm them again.
    """
    settings = settings or StaleSettings()
    documents, problems = read_checked_documents(paths, today=today)
    if problems:
        return None, problems
    current = [document for document in documents if document.coop.status != "dissolved"]
    unverified = [_unverified(document, today, settings.verify_days) for document in current]
    hiring = [_hiring(document, today, settings.hiring_days) for document in current]
    closing = [
        entry for document in current for entry in _closing(document, today, settings.closing_days)
    ]

    def in_order(entries: Iterable[StaleEntry | None]) -> tuple[StaleEntry, ...]:
        return tuple(sorted((e for e in entries if e), key=lambda e: (e.since, e.where)))

    return StaleFindings(in_order(unverified), in_order(hiring), in_order(closing)), []


def _section(title: str, entries: tuple[StaleEntry, ...], found_header: str) -> list[str]:
    if not entries:
        return []
    rows = (
        [mdreport.code(e.where), mdreport.text(e.coop), mdreport.text(e.found), e.fix]
        for e in entries
    )
    return [
        f"## {title}: {len(entries)}",
        "",
        *mdreport.table(["where", "co-op", found_header, "what to do"], rows),
        "",
    ]


def stale_report(findings: StaleFindings, *, today: dt.date, settings: StaleSettings) -> str:
    """Write the report: co-ops to verify, hiring statuses to confirm, openings closing soon."""
    lines = [
        "# Stale entries",
        "",
        f"On {today.isoformat()}: {len(findings.unverified)} co-op(s) not verified in "
        f"{_days(settings.verify_days)}, {len(findings.hiring)} hiring status(es) not "
        f"confirmed in {_days(settings.hiring_days)}, {len(findings.closing)} opening(s) "
        f"closing within {_days(settings.closing_days)}.",
        "",
        *_section(
            f"Not verified in {_days(settings.verify_days)}", findings.unverified, "found"
        ),
        *_section(
            f"Hiring status not confirmed in {_days(settings.hiring_days)}",
            findings.hiring,
            "status",
        ),
        *_section(
            f"Openings closing within {_days(settings.closing_days)}", findings.closing, "opening"
        ),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
