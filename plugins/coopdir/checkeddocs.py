"""Valid co-op files as both typed models and positioned YAML, for reports that cite lines.

The models say what a file means (is this opening still open? has the co-op dissolved?); the
YAML document says where each value was written, so a report can send a contributor to
``coops/foo.yaml:12``. Only files the loader accepts get here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .load import LoadSettings, check_paths, display_path, find_coop_files
from .model import Coop
from .problems import Problem
from .yamlsource import YamlDocument, YamlPath, read_yaml_file


@dataclass(frozen=True)
class CheckedDocument:
    """One valid co-op file: its model and its positioned YAML."""

    coop: Coop
    doc: YamlDocument

    def line(self, path: YamlPath) -> int:
        """Return the line a value was written on (or its nearest written parent's)."""
        return self.doc.position(path)[0]


def read_checked_documents(
    paths: Iterable[Path], *, today: dt.date, settings: LoadSettings | None = None
) -> tuple[list[CheckedDocument], list[Problem]]:
    """Return every co-op file, by file name, or no documents and every problem found."""
    settings = settings or LoadSettings()
    paths = list(paths)
    coops, problems = check_paths(paths, settings=settings, today=today)
    if problems:
        return [], problems
    by_slug = {coop.slug: coop for coop in coops}
    files, _ = find_coop_files(paths)
    documents = []
    for file in files:
        doc, problems = read_yaml_file(file, display_path(file), max_bytes=settings.max_file_bytes)
        if doc is None:  # pragma: no cover - the loader read the same file a moment ago
            return [], problems
        documents.append(CheckedDocument(by_slug[file.stem], doc))
    return documents, []
