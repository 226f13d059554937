"""The schema documents itself, and CONTRIBUTING.md shows what the schema says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from coopdir.docs import END, START, field_table, with_field_table
from coopdir.schema import coop_schema

CONTRIBUTING = Path(__file__).resolve().parent.parent / "CONTRIBUTING.md"


def resolve(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/$defs/"), ref
        node = schema["$defs"][ref.removeprefix("#/$defs/")] | {
            key: value for key, value in node.items() if key != "$ref"
        }
    return node


def walk(node: dict[str, Any], schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict]]:
    """Yield (path, resolved node) for the node and everything under it, following $refs."""
    node = resolve(node, schema)
    yield where, node
    for name, child in node.get("properties", {}).items():
        yield from walk(child, schema, f"{where}.{name}" if where else name)
    if "items" in node:
        yield from walk(node["items"], schema, f"{where}[]")


def every_node() -> list[tuple[str, dict]]:
    schema = coop_schema()
    nodes = list(walk(schema, schema, ""))
    nodes += [(f"$defs/{name}", resolve(node, schema)) for name, node in schema["$defs"].items()]
    return nodes


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(coop_schema())


def test_every_property_has_a_description() -> None:
    schema = coop_schema()
    undocumented = []
    for where, node in every_node():
        for name, child in node.get("properties", {}).items():
            # the property's own description, or the one of the definition it refers to
            if not str(resolve(child, schema).get("description", "")).strip():
                undocumented.append(f"{where}.{name}")
        if "items" in node and not str(resolve(node["items"], schema).get("description", "")):
            undocumented.append(f"{where}[]")
    assert undocumented == []


def test_every_object_forbids_unknown_fields() -> None:
    open_objects = [
        where or "(top level)"
        for where, node in every_node()
        if (node.get("type") == "object" or "properties" in node)
        and node.get("additionalProperties") is not False
    ]
    assert open_objects == []


def test_every_ref_points_at_a_definition() -> None:
    schema = coop_schema()
    refs: list[str] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema)
    assert refs
    missing = [ref for ref in refs if ref.removeprefix("#/$defs/") not in schema["$defs"]]
    assert missing == []


def test_contributing_field_table_matches_the_schema() -> None:
    text = CONTRIBUTING.read_text("utf-8")
    assert START in text and END in text
    assert with_field_table(text) == text, "run `make docs` and commit CONTRIBUTING.md"


def test_field_table_lists_every_field_once() -> None:
    schema = coop_schema()
    rows = field_table().splitlines()[2:]
    names = [row.split(" | ")[0].removeprefix("| ").strip("`") for row in rows]
    fields = [where for where, _ in walk(schema, schema, "") if where and not where.endswith("[]")]
    assert names == fields
    assert len(set(names)) == len(names)


def test_field_table_marks_required_fields() -> None:
    required = {
        row.split(" | ")[0].removeprefix("| ").strip("`")
        for row in field_table().splitlines()[2:]
        if row.split(" | ")[1] == "yes"
    }
    assert {"name", "website", "openings[].id", "openings[].title", "openings[].posted",
            "openings[].apply"} <= required
    assert "summary" not in required and "openings[].closes" not in required


def test_with_field_table_needs_the_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        with_field_table("# Contributing\n\nNo table here.\n")


def test_with_field_table_replaces_a_stale_table() -> None:
    stale = f"before\n{START}\n| old | table |\n{END}\nafter\n"
    fresh = with_field_table(stale)
    assert fresh.startswith(f"before\n{START}\n| field |")
    assert fresh.endswith(f"{END}\nafter\n")
    assert "| old | table |" not in fresh
    assert with_field_table(fresh) == fresh
