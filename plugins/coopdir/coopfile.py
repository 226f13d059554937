"""Write co-op files the way a person would: schema line first, fields in schema order.

``coopdir new`` and ``coopdir import-csv`` both write through here, so every generated file
looks the same and reads back unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from slugify import slugify

from .schema import coop_schema

SCHEMA_LINE = "# yaml-language-server: $schema=../plugins/coopdir/schema/coop.schema.json\n"


def slug_for(name: str) -> str:
    """Return the file-name slug for a co-op name: ``Coopérative Ünïon`` → ``cooperative-union``."""
    return slugify(name, max_length=80, word_boundary=True, replacements=[["'", ""], ["’", ""]])


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    order = list(coop_schema()["properties"])
    known = {key: data[key] for key in order if key in data}
    return known | {key: value for key, value in data.items() if key not in known}


def dump_coop_yaml(data: dict[str, Any]) -> str:
    """Return the text of a co-op file for ``data`` (fields in schema order, UTF-8, block style)."""
    body = yaml.safe_dump(
        _ordered(data),
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
