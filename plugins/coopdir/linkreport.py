"""The Markdown report of a link check: broken first, then what is worth updating.

Each row names the file and line where the address is written, so whoever reads the nightly
report can open the file and fix it; each group says what to do, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from . import mdreport
from .linkresult import LinkClass, LinkResult
from .linksources import LinkSources, UrlUse


def _where(use: UrlUse) -> str:
    return mdreport.code(use.where)


def _class_section(
    link_class: LinkClass, rows: list[tuple[UrlUse, LinkResult]], last_header: str
) -> list[str]:
    addresses = len({use.url for use, _ in rows})
    lines = [
        f"### {mdreport.text(link_class.label)} ({link_class.code}): {addresses} "
        f"address{'es' if addresses != 1 else ''}",
        "",
        f"What to do: {mdreport.text(link_class.advice)}.",
        "",
    ]
    table_rows = []
    for use, result in rows:
        if link_class.fine:
            last = mdreport.code(result.final_url or "")
        else:
            last = mdreport.text(result.detail or link_class.label)
        table_rows.append(
            [_where(use), mdreport.code(use.field), mdreport.code(use.url), last]
        )
    lines.extend(mdreport.table(["where", "field", "address", last_header], table_rows))
    lines.append("")
    return lines


def broken_count(results: Mapping[str, LinkResult]) -> int:
    """Return how many checked addresses do not work."""
    return sum(not result.link_class.fine for result in results.values())


def link_report(
    sources: LinkSources, results: Mapping[str, LinkResult], *, today: dt.date
) -> str:
    """Write the report of one run: a summary, then a table per class, broken ones first."""
    by_class: dict[LinkClass, list[tuple[UrlUse, LinkResult]]] = {}
    for use in sources.uses:
        result = results[use.url]
        by_class.setdefault(result.link_class, []).append((use, result))
    counts = {
        link_class: len({use.url for use, _ in rows}) for link_class, rows in by_class.items()
    }
    broken = sum(count for link_class, count in counts.items() if not link_class.fine)
    noted = counts.get(LinkClass.REDIRECTED, 0) + counts.get(LinkClass.HTTPS_UPGRADE, 0)
    fine = counts.get(LinkClass.OK, 0)
    lines = [
        "# Link check",
        "",
        f"Checked {len(results)} address{'es' if len(results) != 1 else ''} written "
        f"{len(sources.uses)} time(s) in {sources.files} co-op file(s) on {today.isoformat()}: "
        f"{broken} broken, {noted} worth updating, {fine} fine.",
        "",
    ]
    if broken:
        lines += ["## Broken", ""]
        for link_class in LinkClass:
            if not link_class.fine and link_class in by_class:
                lines += _class_section(link_class, by_class[link_class], "what happened")
    if noted:
        lines += ["## Worth updating", ""]
        for link_class in (LinkClass.HTTPS_UPGRADE, LinkClass.REDIRECTED):
            if link_class in by_class:
                lines += _class_section(link_class, by_class[link_class], "write instead")
    if sources.skipped:
        lines += [
            "## Not checked",
            "",
            *mdreport.table(
                ["where", "field", "address", "why"],
                (
                    [
                        _where(item.use),
                        mdreport.code(item.use.field),
                        mdreport.code(item.use.url),
                        mdreport.text(item.reason),
                    ]
                    for item in sources.skipped
                ),
            ),
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"
