"""Rules the schema cannot say: one named check per rule, in a file or across files.

File checks see one document that already matches the schema (so types are right); directory
checks see every such document at once. Each returns problems; none stops the others, so one run
reports everything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

from .problems import Problem, field_name
from .urls import AP_DIRECTORY_ACCOUNT
from .yamlsource import YamlDocument, YamlPath

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class CheckedFile:
    """A document that matches the schema, with the slug taken from its file name."""

    slug: str
    doc: YamlDocument

    @cached_property
    def website(self) -> str:
        """Return the file's website as ``website_key`` reduces it (made once, then cached).

        The loader makes it as it checks the file, so the parse cache keeps it: the directory
        check compares 10,000 of them on every rebuild, and reducing them costs 0.1 s.
        """
        return website_key(self.doc.data["website"])


def _problem(
    doc: YamlDocument, path: YamlPath, message: str, hint: str, at_key: bool = False
) -> Problem:
    line, column = doc.key_position(path) if at_key else doc.position(path)
    return Problem(doc.path, line, column, message, hint, field_name(path))


# --- file checks ------------------------------------------------------------------------------


def closes_not_before_posted(item: CheckedFile, today: dt.date) -> Iterator[Problem]:
    """Reject an opening that closes before it was posted."""
    for index, opening in enumerate(item.doc.data.get("openings", ())):
        if "updated" in opening and opening["updated"] < opening["posted"]:
            yield _problem(
                item.doc,
                ("openings", index, "updated"),
                f"updated on {opening['updated']}, before it was posted on {opening['posted']}",
                "check both dates",
            )
        if "closes" in opening and opening["closes"] < opening["posted"]:
            yield _problem(
                item.doc,
                ("openings", index, "closes"),
                f"closes on {opening['closes']}, before it was posted on {opening['posted']}",
                "check both dates",
            )


def opening_ids_unique(item: CheckedFile, today: dt.date) -> Iterator[Problem]:
    """Keep opening ids unique within a co-op: feeds and followers key on them."""
    first_seen: dict[str, int] = {}
    for index, opening in enumerate(item.doc.data.get("openings", ())):
        if opening["id"] in first_seen:
            line = item.doc.position(("openings", first_seen[opening["id"]], "id"))[0]
            yield _problem(
                item.doc,
                ("openings", index, "id"),
                f"the id {opening['id']!r} is already used on line {line}",
                "give each opening its own id, and never reuse an old one",
            )
        else:
            first_seen[opening["id"]] = index


def pay_is_consistent(item: CheckedFile, today: dt.date) -> Iterator[Problem]:
    """Require a currency and period with a pay range, and min not above max."""
    for index, opening in enumerate(item.doc.data.get("openings", ())):
        pay = opening.get("pay")
        if not pay:
            continue
        where = ("openings", index, "pay")
        has_amount = "min" in pay or "max" in pay
        if "min" in pay and "max" in pay and pay["min"] > pay["max"]:
            yield _problem(
                item.doc,
                (*where, "min"),
                f"min ({pay['min']}) is above max ({pay['max']})",
                "swap them",
            )
        if has_amount and "currency" not in pay:
            yield _problem(
                item.doc,
                where,
                "a pay amount needs a currency",
                "add `currency: EUR` (or USD, ...)",
            )
        if has_amount and "period" not in pay:
            yield _problem(
                item.doc,
                where,
                "a pay amount needs a period",
                "add `period: year` (or hour, day, week, month)",
            )
        if not has_amount and ("currency" in pay or "period" in pay):
            yield _problem(
                item.doc, where, "currency and period need an amount", "add `min:` and/or `max:`"
            )


def pay_ratio_needs_model(item: CheckedFile, today: dt.date) -> Iterator[Problem]:
    """``pay_ratio`` only means something with ``pay_model: pay-ratio``."""
    data = item.doc.data
    if "pay_ratio" in data and data.get("pay_model") != "pay-ratio":
        yield _problem(
            item.doc,
            ("pay_ratio",),
            "pay_ratio is set but pay_model is not pay-ratio",
            "add `pay_model: pay-ratio`, or remove pay_ratio",
            at_key=True,
        )


def reach_is_consistent(item: CheckedFile, today: dt.date) -> Iterator[Problem]:
    """``worldwide: true`` and a list of places contradict each other."""
    data = item.doc.data
    places = [(("hires_from",), data.get("hires_from"))] + [
        (("openings", index, "applicants_from"), opening.get("applicants_from"))
        for index, opening in enumerate(data.get("openings", ()))
    ]
    for where, reach in places:
        if reach and reach.get("worldwide") and (reach.get("countries") or reach.get("regions")):
            yield _problem(
                item.doc,
                (*where, "worldwide"),
                "says worldwide and also lists places",
                "keep `worldwide: true` alone, or list the places and remove it",
            )


def dates_not_in_future(item: CheckedFile, today: dt.date) -> Iterator[Problem]:
    """Founding years, status changes and checks happened in the past."""
    data = item.doc.data
    if data.get("founded", 0) > today.year:
        yield _problem(
            item.doc,
            ("founded",),
            f"{data['founded']} is in the future",
            "give the year it was founded",
        )
    dated = [
        ("status_since",),
        ("provenance", "added"),
        ("provenance", "last_verified"),
        ("hiring", "confirmed"),
    ]
    for where in dated:
        value = data.get(where[0])
        if len(where) == 2 and isinstance(value, dict):
            value = value.get(where[1])
        # A day of slack: "today" is UTC, and the author may be a timezone ahead of it.
        if isinstance(value, str) and value > (today + dt.timedelta(days=1)).isoformat():
            yield _problem(item.doc, where, f"{value} is in the future", "give the day it happened")


def dissolved_has_date(item: CheckedFile, today: dt.date) -> Iterator[Problem]:
    """Require a merged co-op to be dissolved: its page must not invite applications."""
    data = item.doc.data
    if data.get("lineage", {}).get("merged_into") and data.get("status", "active") != "dissolved":
        yield _problem(
            item.doc,
            ("lineage", "merged_into"),
            "a co-op that merged into another is dissolved",
            "add `status: dissolved` and `status_since:` with the day of the merger",
        )


RESERVED_SLUGS = {AP_DIRECTORY_ACCOUNT: "the directory's own fediverse account"}
"""Slugs a co-op cannot take: a co-op's slug is also its fediverse account name."""


def slug_not_reserved(item: CheckedFile, today: dt.date) -> Iterator[Problem]:
    """Keep a co-op's slug, also its fediverse account (``@slug@host``), off the site's own."""
    if item.slug in RESERVED_SLUGS:
        yield Problem(
            item.doc.path,
            1,
            1,
            f"the slug {item.slug!r} is taken by {RESERVED_SLUGS[item.slug]}",
            f"rename the file, e.g. to {item.slug}-coop.yaml",
        )


FILE_CHECKS: list[Callable[[CheckedFile, dt.date], Iterator[Problem]]] = [
    slug_not_reserved,
    closes_not_before_posted,
    opening_ids_unique,
    pay_is_consistent,
    pay_ratio_needs_model,
    reach_is_consistent,
    dates_not_in_future,
    dissolved_has_date,
]


# --- directory checks -------------------------------------------------------------------------


def website_key(url: str) -> str:
    """Reduce a website to what makes it the same site.

    Scheme, host case, a leading ``www.``, a trailing slash and the Unicode or ASCII (``xn--``)
    spelling of the host do not count; the path and query do.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    query = f"?{parts.query}" if parts.query else ""
    return host.removeprefix("www.") + parts.path.rstrip("/") + query


def websites_unique(items: list[CheckedFile], known_slugs: frozenset[str]) -> Iterator[Problem]:
    """No two co-ops share a website: the same co-op must not be listed twice."""
    first: dict[str, CheckedFile] = {}
    for item in items:
        key = item.website
        if key in first:
            yield _problem(
                item.doc,
                ("website",),
                f"{first[key].doc.path} already uses this website",
                "a co-op is listed once; update that file instead, or correct the address",
            )
        else:
            first[key] = item


def slugs_unique(items: list[CheckedFile], known_slugs: frozenset[str]) -> Iterator[Problem]:
    """Each slug names one file (``foo.yaml`` and ``foo.yml`` would both claim ``foo``)."""
    first: dict[str, CheckedFile] = {}
    for item in items:
        if item.slug in first:
            yield Problem(
                item.doc.path,
                1,
                1,
                f"the slug {item.slug!r} is also used by {first[item.slug].doc.path}",
                "rename one of the files",
            )
        else:
            first[item.slug] = item


def lineage_targets_exist(
    items: list[CheckedFile], known_slugs: frozenset[str]
) -> Iterator[Problem]:
    """Lineage names co-ops in the directory, and never the co-op itself."""
    slugs = known_slugs  # every co-op file found, valid or not: one typo must not cascade
    for item in items:
        lineage = item.doc.data.get("lineage", {})
        targets = [
            (("lineage", "spun_off_from", index), slug)
            for index, slug in enumerate(lineage.get("spun_off_from", ()))
        ]
        if "merged_into" in lineage:
            targets.append((("lineage", "merged_into"), lineage["merged_into"]))
        for where, slug in targets:
            if slug == item.slug:
                yield _problem(
                    item.doc,
                    where,
                    "a co-op cannot be its own parent",
                    "name the other co-op's slug",
                )
            elif slug not in slugs:
                close = difflib.get_close_matches(slug, slugs, n=1)
                hint = (
                    f"did you mean {close[0]}?"
                    if close
                    else ("use the file name (without .yaml) of a co-op in coops/")
                )
                yield _problem(item.doc, where, f"no co-op has the slug {slug!r}", hint)


# The top-level fields the directory checks read; the loader keeps only these per file.
CROSS_FILE_FIELDS = ("website", "lineage")

DIRECTORY_CHECKS: list[Callable[[list[CheckedFile], frozenset[str]], Iterator[Problem]]] = [
    slugs_unique,
    websites_unique,
    lineage_targets_exist,
]
