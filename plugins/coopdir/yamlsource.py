"""Read one YAML file into plain values, remembering where every value was written.

PyYAML's loaders are the wrong tool for files written by strangers: they keep the last of two
duplicate keys, follow anchors and aliases (the "billion laughs"), turn ``NO`` into ``False`` and
``1.10`` into ``1.1``, and forget positions. This module walks libyaml's parse events instead and
builds the values itself, with the stricter rules of YAML 1.2's core schema:

* a quoted or block scalar is always text; a plain scalar is ``null``/``~``/empty → None,
  ``true``/``false`` → bool, a decimal integer without leading zeros → int, a decimal fraction
  → float, and anything else is text exactly as written (``NO``, ``on``, ``0123``, ``12:30``,
  ``2026-03-01``). The schema then says whether that type is the one it wants.
* duplicate keys, anchors, aliases, merge keys and tags are problems, not features.
* byte-order marks, CRLF line ends, tabs used for indentation, bytes that are not UTF-8, empty
  files, several documents and oversized files each get a message that says how to fix them.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import Problem

try:
    _Loader: type = yaml.CSafeLoader  # libyaml's C parser: the events are the same, 10x faster
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

Key = str | int
YamlPath = tuple[Key, ...]

MAX_DEPTH = 20
_INT = re.compile(r"-?(0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+([eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_ODD_BREAKS = re.compile("[\u2028\u2029\u0085]")  # YAML counts them as line ends; editors do not
_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)
_BOMS = {
    b"\xef\xbb\xbf": "UTF-8",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


@dataclass
class YamlDocument:
    """The plain values of one file, and the position of every value and key in it."""

    path: str
    data: Any
    positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    raw: dict[YamlPath, str] = field(default_factory=dict)
    digest: str = ""
    """SHA-1 of the file's bytes: pages built from this file change only when it does."""
    has_float: bool | None = None
    """Whether any value is a fraction (noted by the walk; None: not known, look)."""

    def position(self, path: YamlPath) -> tuple[int, int]:
        """Return the 1-based (line, column) of a value, or of its nearest written parent."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def slim(self, keys: tuple[str, ...]) -> YamlDocument:
        """Return a copy with only the given top-level fields, their values and positions."""
        return YamlDocument(
            path=self.path,
            digest=self.digest,
            data={key: self.data[key] for key in keys if key in self.data},
            positions={p: v for p, v in self.positions.items() if not p or p[0] in keys},
            key_positions={p: v for p, v in self.key_positions.items() if p and p[0] in keys},
        )

    def key_position(self, path: YamlPath) -> tuple[int, int]:
        """Return where a key was written, falling back to its value's position."""
        return self.key_positions.get(path) or self.position(path)


class _Stop(Exception):
    """Raised inside the walk when the file cannot be read any further."""


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _resolve_plain(value: str) -> Any:
    """Give a plain (unquoted) scalar its YAML 1.2 core type; everything else stays text."""
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        number = float(value)
        return number if math.isfinite(number) else value
    return value


class _Walker:
    """Turn parse events into plain values, noting positions and problems on the way."""

    def __init__(self, path: str, events: _PeekableEvents) -> None:
        self.path = path
        self.events = events
        self.problems: list[Problem] = []
        self.doc = YamlDocument(path=path, data=None, has_float=False)

    def problem(self, mark: Any, message: str, hint: str, where: YamlPath = ()) -> None:
        from .problems import field_name

        self.problems.append(
            Problem(self.path, mark.line + 1, mark.column + 1, message, hint, field_name(where))
        )

    def _check_node(self, event: Any, where: YamlPath) -> None:
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.problem(
                event.start_mark,
                f"anchor &{anchor} is not allowed",
                "write the value out in full; co-op files do not use anchors or aliases",
                where,
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(
                event.start_mark,
                f"the YAML tag {shown} is not allowed",
                "remove the tag; if the value must stay text, put it in quotes instead",
                where,
            )

    def value(self, where: YamlPath, depth: int) -> Any:
        event = next(self.events)
        mark = event.start_mark
        self.doc.positions[where] = (mark.line + 1, mark.column + 1)
        if depth > MAX_DEPTH:
            self.problem(
                mark, "the file is nested too deeply", "remove the extra indentation", where
            )
            raise _Stop
        kind = type(event)
        if kind is yaml.AliasEvent:
            self.problem(
                mark,
                f"alias *{event.anchor} is not allowed",
                "write the value out in full; co-op files do not use anchors or aliases",
                where,
            )
            return None
        if getattr(event, "anchor", None) is not None or getattr(event, "tag", None) not in _NO_TAG:
            self._check_node(event, where)
        if kind is yaml.ScalarEvent:
            if event.style in _PLAIN:
                resolved = _resolve_plain(event.value)
                if resolved.__class__ is not str:
                    self.doc.raw[where] = event.value
                    if resolved.__class__ is float:
                        self.doc.has_float = True
                return resolved
            return event.value
        if kind is yaml.SequenceStartEvent:
            items: list[Any] = []
            peek = self.events.peek
            while type(peek()) is not yaml.SequenceEndEvent:
                items.append(self.value((*where, len(items)), depth + 1))
            next(self.events)
            return items
        if kind is yaml.MappingStartEvent:
            return self.mapping(where, depth)
        raise _Stop  # pragma: no cover - libyaml emits no other event here

    def mapping(self, where: YamlPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        events = self.events
        key_positions = self.doc.key_positions
        while True:
            key_event = events.peek()
            kind = type(key_event)
            if kind is yaml.MappingEndEvent:
                break
            if kind is not yaml.ScalarEvent:
                self.problem(
                    key_event.start_mark,
                    "a key must be a plain word",
                    "write `field: value`, with the field name on the left of the colon",
                    where,
                )
                self.value((*where, "?"), depth + 1)  # skip the complex key
                self.value((*where, "?"), depth + 1)
                continue
            next(events)
            if key_event.anchor is not None or key_event.tag not in _NO_TAG:
                self._check_node(key_event, where)
            key = key_event.value
            mark = key_event.start_mark
            child = (*where, key)
            if key == "<<" and key_event.style in _PLAIN:
                self.problem(
                    mark,
                    "merge keys (<<) are not allowed",
                    "write the fields out in full",
                    where,
                )
            if key in result:
                first_line = key_positions[child][0]
                self.problem(
                    mark,
                    f"`{key}` is written twice (first on line {first_line})",
                    "keep one of them; YAML would silently use only the last",
                    child,
                )
                self.value((*where, f"{key} (again)"), depth + 1)
                continue
            key_positions[child] = (mark.line + 1, mark.column + 1)
            result[key] = self.value(child, depth + 1)
        next(events)
        return result


_NO_TAG = (None, "!")
"""A node's tag when the file gave none (``!`` is what a quoted scalar reports)."""
_PLAIN = (None, "")
"""A scalar's style when it was written without quotes or a block indicator."""


class _PeekableEvents:
    """A file's parse events, read ahead in one go, with one event of look-ahead.

    A parse error is kept and raised only when the walk reaches it, after every event before
    it: problems found before a syntax error are still reported with it, as in a lazy walk.
    """

    def __init__(self, loader: Any) -> None:
        self.events: list[Any] = []
        self.error: yaml.YAMLError | None = None
        self.index = 0
        append = self.events.append
        get_event = loader.get_event
        try:
            while (event := get_event()) is not None:
                append(event)
        except yaml.YAMLError as error:
            self.error = error

    def __iter__(self) -> _PeekableEvents:
        return self

    def __next__(self) -> Any:
        index = self.index
        if index < len(self.events):
            self.index = index + 1
            return self.events[index]
        raise self._end()

    def peek(self) -> Any:
        if self.index < len(self.events):
            return self.events[self.index]
        raise self._end()

    def _end(self) -> Exception:
        return self.error if self.error is not None else _Stop()


def _pre_checks(
    path: str, raw: bytes, max_bytes: int, size: int | None = None
) -> tuple[str | None, list[Problem]]:
    """Catch what the YAML parser would report badly: size, encoding, BOM, line ends, tabs."""
    size = len(raw) if size is None else size
    if size > max_bytes:
        return None, [
            Problem(
                path,
                1,
                1,
                f"the file is {size:,} bytes; the limit is {max_bytes:,}",
                "shorten the descriptions or move old openings out of the file",
            )
        ]
    for bom, encoding in _BOMS.items():
        if raw.startswith(bom):
            return None, [
                Problem(
                    path,
                    1,
                    1,
                    f"the file starts with a {encoding} byte-order mark",
                    "save it as UTF-8 without a byte-order mark (BOM)",
                )
            ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        good = raw[: error.start].decode("utf-8")
        line, column = _line_col(good, len(good))
        return None, [
            Problem(
                path,
                line,
                column,
                f"byte 0x{raw[error.start]:02x} is not UTF-8",
                "save the file as UTF-8 (your editor's 'Save with encoding' setting)",
            )
        ]
    problems = []
    if not text.strip():
        problems.append(
            Problem(path, 1, 1, "the file is empty", "start with `name:` and `website:`")
        )
    if "\r" in text:
        line, column = _line_col(text, text.index("\r"))
        problems.append(
            Problem(
                path,
                line,
                column,
                "the file has Windows (CRLF) or old Mac (CR) line ends",
                "save it with Unix (LF) line ends (an editor setting, or `dos2unix FILE`)",
            )
        )
    separator = _ODD_BREAKS.search(text)
    if separator:
        line, column = _line_col(text, separator.start())
        problems.append(
            Problem(
                path,
                line,
                column,
                f"the file contains the line separator U+{ord(separator.group()):04X}",
                "replace it with an ordinary line break or a space",
            )
        )
    tab = _TAB_INDENT.search(text)
    if tab:
        line, column = _line_col(text, tab.end() - 1)
        problems.append(
            Problem(
                path,
                line,
                column,
                "a tab is used for indentation",
                "indent with spaces only (two per level)",
            )
        )
    return (None if problems else text), problems


def _parser_problem(path: str, text: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    found = text[mark.index] if mark and mark.index < len(text) else ""
    what = " ".join(part for part in (error.context, error.problem) if part)
    hint = "check the indentation and the colons on this line and the one above"
    if found in "@`%|>!&*" and found and "cannot start any token" in what:
        hint = f"a value that starts with {found} must be put in quotes"
    elif "\\t" in what or "'\\t'" in what:
        hint = "indent with spaces only, never tabs"
    elif "special characters are not allowed" in what:
        hint = "remove the invisible control character at this position"
    elif "mapping values are not allowed" in what:
        hint = "put the value in quotes, since it contains ': ', or fix the indentation"
    elif "expected <block end>" in what:
        hint = "line the field up with the fields around it"
    elif "could not find expected ':'" in what:
        hint = "every field needs `name: value`; quote values that span lines"
    return Problem(path, line, column, f"this is not valid YAML: {what}", hint)


def read_yaml_text(
    path: str, raw: bytes, *, max_bytes: int, size: int | None = None
) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse the bytes of one file; return its document, or None and the problems found."""
    text, problems = _pre_checks(path, raw, max_bytes, size)
    if text is None:
        return None, problems
    loader = _Loader(text)
    events = _PeekableEvents(loader)
    walker = _Walker(path, events)
    try:
        try:
            next(events)  # StreamStart
            documents = 0
            while not isinstance(events.peek(), yaml.StreamEndEvent):
                start = next(events)  # DocumentStart
                documents += 1
                if documents > 1:
                    walker.problem(
                        start.start_mark,
                        "the file holds more than one YAML document",
                        "keep one co-op per file and remove the `---` line",
                    )
                    break
                walker.doc.data = walker.value((), 1)
                next(events)  # DocumentEnd
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        return None, [*walker.problems, _parser_problem(path, text, error)]
    except yaml.reader.ReaderError as error:  # a character YAML does not allow
        # libyaml counts bytes of UTF-8, not characters
        index = len(text.encode("utf-8")[: max(0, error.position)].decode("utf-8", "ignore"))
        line, column = _line_col(text, index)
        return None, [
            *walker.problems,
            Problem(
                path,
                line,
                column,
                f"the invisible character U+{error.character:04X} is not allowed here"
                if isinstance(error.character, int)
                else f"character {error.character!r} is not allowed here",
                "delete it (it often comes from copying text out of a word processor)",
            ),
        ]
    except yaml.YAMLError as error:
        return None, [
            *walker.problems,
            Problem(
                path,
                1,
                1,
                "this is not valid YAML: " + str(error).split("\n")[0],
                "save the file as plain UTF-8 text",
            ),
        ]
    except (_Stop, RecursionError):
        return None, walker.problems or [
            Problem(path, 1, 1, "the file could not be read as YAML", "check its structure")
        ]
    if walker.problems:
        return None, walker.problems
    walker.doc.digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    if walker.doc.data is None:
        return None, [Problem(path, 1, 1, "the file is empty", "start with `name:` and `website:`")]
    if not isinstance(walker.doc.data, dict):
        line, column = walker.doc.positions.get((), (1, 1))
        return None, [
            Problem(
                path,
                line,
                column,
                "the file must be a set of `field: value` lines",
                "start with `name: Your Co-op` and `website: https://...` at the left margin",
            )
        ]
    return walker.doc, []


def read_yaml_file(
    path: Path, display: str, *, max_bytes: int
) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse one file from disk (reading at most one byte past the limit)."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        raw = handle.read(max_bytes + 1)
    return read_yaml_text(display, raw, max_bytes=max_bytes, size=max(size, len(raw)))
