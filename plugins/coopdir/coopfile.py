"""Write co-op files the way a person would: schema line first, fields in schema order.

``coopdir new``, ``coopdir import-csv`` and ``coopdir from-issue`` all write through here, so every
generated file looks the same and reads back unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from slugify import slugify

from .problems import Problem
from .schema import coop_schema, resolve_ref

SCHEMA_LINE = "# yaml-language-server: $schema=../plugins/coopdir/schema/coop.schema.json\n"


def slug_for(name: str) -> str:
    """Return the file-name slug for a co-op name: ``Coopérative Ünïon`` → ``cooperative-union``."""
    return slugify(name, max_length=80, word_boundary=True, replacements=[["'", ""], ["’", ""]])


def _ordered(data: Any, node: dict[str, Any] | None = None) -> Any:
    """Return ``data`` with the fields of every set of fields in the schema's order."""
    schema = coop_schema()
    node = resolve_ref(node if node is not None else schema, schema)
    if isinstance(data, list) and "items" in node:
        return [_ordered(item, node["items"]) for item in data]
    if not isinstance(data, dict):
        return data
    properties = node.get("properties", {})
    known = {key: _ordered(data[key], properties[key]) for key in properties if key in data}
    return known | {key: value for key, value in data.items() if key not in known}


class _CoopDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing text of several lines as a ``|`` block people can edit."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_CoopDumper.add_representer(str, _represent_text)


def dump_coop_yaml(data: dict[str, Any]) -> str:
    """Return the text of a co-op file for ``data`` (fields in schema order, UTF-8, block style)."""
    body = yaml.dump(
        _ordered(data),
        Dumper=_CoopDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return SCHEMA_LINE + body


def write_coop_file(
    folder: Path, slug: str, data: dict[str, Any], *, overwrite: bool = False
) -> Path:
    """Write ``folder/slug.yaml``; refuse to replace an existing file unless told to."""
    path = folder / f"{slug}.yaml"
    if path.exists() and not overwrite:
        raise FileExistsError(path)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_coop_yaml(data), encoding="utf-8", newline="\n")
    return path


def write_checked_coop_file(
    folder: Path, slug: str, data: dict[str, Any]
) -> tuple[Path, list[Problem]]:
    """Write a new co-op file and check it with the whole folder; take it back if it is wrong.

    Returns the path and the problems the new file caused, wherever they are reported (a
    website two co-ops share is reported on whichever file sorts second); the file is kept only
    when there are none. Raises FileExistsError when the file exists already.
    """
    from .load import check_paths  # jsonschema is slow to import; only writers need it

    _, before = check_paths([folder]) if folder.is_dir() else ([], [])
    path = write_coop_file(folder, slug, data)
    _, after = check_paths([folder])
    caused = sorted(set(after) - set(before))
    if caused:
        path.unlink()
    return path, caused
