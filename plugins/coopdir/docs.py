"""Generate the field table in CONTRIBUTING.md from the schema, so the two never drift.

``make docs`` rewrites the part of CONTRIBUTING.md between the two markers; a test fails when the
file and the schema disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .schema import coop_schema, resolve_ref

START = "<!-- fields:start (generated from the schema by `make docs`; do not edit) -->"
END = "<!-- fields:end -->"
FORMAT_WORDS = {
    "http-url": "web address",
    "apply-url": "web address or mailto: address",
    "email-address": "email address",
    "date": "date (YYYY-MM-DD)",
    "country": "country code (ISO 3166-1)",
    "language": "language tag (BCP 47)",
    "currency": "currency code (ISO 4217)",
    "technology": "term from vocab/technologies.yaml",
    "service": "term from vocab/services.yaml",
    "sector": "term from vocab/sectors.yaml",
    "network": "term from vocab/networks.yaml",
}
TYPE_WORDS = {
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "boolean": "true or false",
    "object": "fields below",
}


def _kind(node: dict[str, Any], schema: dict[str, Any]) -> str:
    if "enum" in node:
        return "one of: " + ", ".join(f"`{value}`" for value in node["enum"])
    if node.get("type") == "array":
        item = resolve_ref(node["items"], schema)
        return "list of " + ("items with the fields below" if item.get("type") == "object"
                             else _kind(item, schema))
    if "format" in node:
        return FORMAT_WORDS.get(node["format"], node["format"])
    return TYPE_WORDS.get(node.get("type", ""), str(node.get("type", "")))


def _rows(node: dict[str, Any], schema: dict[str, Any], prefix: str) -> Iterator[tuple[str, ...]]:
    required = set(node.get("required", ()))
    for name, child in node.get("properties", {}).items():
        child = resolve_ref(child, schema)
        field = f"{prefix}{name}"
        yield (f"`{field}`", "yes" if name in required else "", _kind(child, schema),
               child.get("description", ""))
        if child.get("type") == "object":
            yield from _rows(child, schema, f"{field}.")
        elif child.get("type") == "array":
            item = resolve_ref(child["items"], schema)
            if item.get("type") == "object":
                yield from _rows(item, schema, f"{field}[].")


def field_table() -> str:
    """Return the Markdown table of every field the schema allows."""
    schema = coop_schema()
    lines = ["| field | required | value | what it means |", "|---|---|---|---|"]
    for row in _rows(schema, schema, ""):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def with_field_table(text: str) -> str:
    """Return ``text`` with the generated table between the markers (which must be there)."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"the markers {START!r} and {END!r} are missing")
    return pattern.sub(lambda _: f"{START}\n{field_table()}\n{END}", text)


def update_contributing(path: Path) -> bool:
    """Rewrite the table in a CONTRIBUTING.md; return True when it changed."""
    old = path.read_text("utf-8")
    new = with_field_table(old)
    if new != old:
        path.write_text(new, "utf-8")
    return new != old
