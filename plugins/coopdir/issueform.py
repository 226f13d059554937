"""Turn an "Add a co-op" issue into a co-op file, or say which answer in it is wrong.

People who do not use git fill in the issue form `.github/ISSUE_TEMPLATE/add-coop.yml`; GitHub
renders their answers as Markdown (``### Label``, a blank line, the answer; ``_No response_`` when
empty; ``- [X] option`` for ticked boxes). The form itself says where each answer goes: a field's
``id`` is its place in the co-op file with ``-`` between levels (``openings-pay-min`` is
``openings[0].pay.min``), and ids starting with ``form_`` are for the maintainers only. Reading
the form here, rather than keeping a second table, means the form and this parser cannot drift.

The issue body is untrusted text: it only ever becomes values in a YAML file, which then goes
through the same checks as ``coopdir validate``. Nothing in it is run or interpreted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from .coopfile import slug_for, write_checked_coop_file
from .load import display_path
from .problems import Problem
from .schema import coop_schema, resolve_ref

FORM_PATH = Path(".github/ISSUE_TEMPLATE/add-coop.yml")
NO_RESPONSE = "_No response_"
FORM_ONLY = "form_"
"""Ids with this prefix are questions for the maintainers, not fields of the co-op file."""
MAX_BODY_CHARS = 65_536
"""GitHub's own limit on an issue body; anything longer did not come from the form."""
_HEADING = re.compile(r"^### (.*?)[ \t]*$", re.MULTILINE)
_TICKED = re.compile(r"^- \[[xX]\] (.*?)\s*$", re.MULTILINE)
_MISSING = re.compile(r"^`(\w+)` is missing$")
_INTEGER = re.compile(r"-?[0-9]+\Z")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


class FormError(ValueError):
    """Raised when the issue form names a field the co-op schema does not have."""


@dataclass(frozen=True)
class FormField:
    """One question of the form, and the place in a co-op file its answer goes."""

    id: str
    label: str
    kind: str
    """The form element: input, textarea, dropdown or checkboxes."""
    path: tuple[str | int, ...]
    """Where the answer goes, such as ("openings", 0, "pay", "min"); empty for form_ ids."""
    schema: dict[str, Any]
    """The schema of the value there (``$ref`` resolved), which decides how to read the text."""


@dataclass(frozen=True)
class Answer:
    """What the issue says for one question, and the line of the issue it starts on."""

    field: FormField
    text: str
    line: int


def schema_path(field_id: str) -> tuple[tuple[str | int, ...], dict[str, Any]]:
    """Return the co-op file path of a form id and the schema of its value.

    A list of sets of fields gets index 0 (the form asks for one location, one opening...).
    """
    schema = coop_schema()
    node: dict[str, Any] = schema
    path: list[str | int] = []
    for name in field_id.split("-"):
        if node.get("type") == "array":
            node = resolve_ref(node["items"], schema)
            path.append(0)
        properties = node.get("properties", {})
        if name not in properties:
            raise FormError(
                f"the form field id {field_id!r} is not a co-op field: {name!r} is not one of "
                f"{', '.join(properties)}"
            )
        node = resolve_ref(properties[name], schema)
        path.append(name)
    if node.get("type") == "object" or (
        node.get("type") == "array" and resolve_ref(node["items"], schema).get("type") == "object"
    ):
        raise FormError(f"the form field id {field_id!r} is a set of fields; name one of them")
    return tuple(path), node


def read_form(path: Path = FORM_PATH) -> list[FormField]:
    """Read the questions of the issue form that have an answer (markdown blocks have none)."""
    form = yaml.safe_load(path.read_text("utf-8"))
    fields = []
    for element in form["body"]:
        if element["type"] == "markdown":
            continue
        field_id = element["id"]
        where, node = ((), {}) if field_id.startswith(FORM_ONLY) else schema_path(field_id)
        fields.append(
            FormField(field_id, element["attributes"]["label"], element["type"], where, node)
        )
    return fields


def _sections(body: str, fields: list[FormField], shown: str) -> tuple[list[Answer], list[Problem]]:
    """Split the rendered body at the headings of the form's labels; the rest is answer text."""
    by_label = {field.label: field for field in fields}
    starts = [match for match in _HEADING.finditer(body) if match.group(1) in by_label]
    answers: list[Answer] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, match in enumerate(starts):
        label = match.group(1)
        line = body.count("\n", 0, match.start()) + 1
        if label in seen:
            problems.append(
                Problem(
                    shown,
                    line,
                    1,
                    f"a second `### {label}` heading (the first is on line {seen[label]})",
                    "headings that start with ### separate the answers: remove this line from "
                    "your answer",
                    label,
                )
            )
            continue
        seen[label] = line
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        raw = body[match.end() : end]
        text = raw.strip()
        # The answer's own line (a blank line follows the heading), for messages that point at it.
        start = match.end() + len(raw) - len(raw.lstrip()) if text else match.end()
        answer_line = body.count("\n", 0, start) + 1
        answers.append(Answer(by_label[label], "" if text == NO_RESPONSE else text, answer_line))
    return answers, problems


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\n]", text) if item.strip()]


def _typed(text: str, node: dict[str, Any]) -> Any:
    """Read an answer as the schema's type; text that does not fit stays text for the checks."""
    kind = node.get("type")
    if kind == "integer" and _INTEGER.match(text):
        return int(text)
    if kind == "number" and _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return text


def _value(answer: Answer) -> Any:
    """Return the file value of one non-empty answer."""
    node = answer.field.schema
    if answer.field.kind == "checkboxes":
        return bool(_TICKED.search(answer.text)) or None
    if node.get("type") == "array":
        item = resolve_ref(node["items"], coop_schema())
        return [_typed(part, item) for part in _split_list(answer.text)] or None
    return _typed(answer.text, node)


def _put(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set ``value`` at ``path``, creating the sets of fields and one-item lists on the way."""
    here: Any = data
    for step, after in zip(path, path[1:], strict=False):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(step, int):
            if not here:
                here.append(empty)
            here = here[step]
        else:
            here = here.setdefault(step, empty)
    here[path[-1]] = value


def coop_from_answers(answers: list[Answer], today: dt.date) -> dict[str, Any]:
    """Build the co-op's data from the answers, adding what a form cannot sensibly ask.

    Those are: today's date as ``provenance.added`` and ``last_verified`` and as
    ``hiring.confirmed``; and for an opening, ``posted`` (today) and an ``id`` made from its
    title and year when they were left empty.
    """
    data: dict[str, Any] = {}
    for answer in answers:
        if not answer.field.path or not answer.text:
            continue
        value = _value(answer)
        if value is not None:
            _put(data, answer.field.path, value)
    stamp = today.isoformat()
    if "hiring" in data:
        data["hiring"]["confirmed"] = stamp
    if "provenance" in data:
        data["provenance"] |= {"added": stamp, "last_verified": stamp}
    for opening in data.get("openings", []):
        opening.setdefault("posted", stamp)
        title = opening.get("title")
        posted = str(opening["posted"])
        year = posted[:4] if re.match(r"[0-9]{4}-", posted) else str(today.year)
        if "id" not in opening and isinstance(title, str) and slug_for(title):
            opening["id"] = f"{slug_for(title)[:70].rstrip('-')}-{year}"
    return data


def _answer_for(problem: Problem, answers: dict[str, Answer]) -> tuple[Answer | None, str, str]:
    """Find the answer a problem in the file is about; return it with the message and hint."""
    field, message, hint = problem.field, problem.message, problem.hint
    missing = _MISSING.match(message)
    if missing:  # "`title` is missing" on openings[0]: the answer to fill in is the title
        field = f"{field}.{missing.group(1)}" if field else missing.group(1)
        message, hint = "is missing", "fill it in"
    field_id = re.sub(r"\[\d+\]", "", field).replace(".", "-")
    while field_id and field_id not in answers:
        below = [key for key in answers if key.startswith(field_id + "-")]
        if below:
            return answers[below[0]], message, hint
        field_id = field_id.rpartition("-")[0]
    return answers.get(field_id), message, hint


def issue_problems(
    file_problems: list[Problem], answers: list[Answer], fields: list[FormField], shown: str
) -> list[Problem]:
    """Say each problem the checks found in the file about the answer in the issue it came from.

    Problems about values the form did not ask for keep the file's field name.
    """
    by_id = {answer.field.id: answer for answer in answers}
    by_id |= {
        field.id: Answer(field, "", 1) for field in fields if field.id not in by_id
    }
    found = []
    for problem in file_problems:
        answer, message, hint = _answer_for(problem, by_id)
        where = answer.field.label if answer else problem.field
        found.append(Problem(shown, answer.line if answer else 1, 1, message, hint, where))
    return sorted(set(found))


def coop_from_issue(
    body: str, fields: list[FormField], shown: str, today: dt.date
) -> tuple[dict[str, Any], list[Answer], list[Problem]]:
    """Read an issue body into co-op data; return the data, the answers and reading problems."""
    if len(body) > MAX_BODY_CHARS:
        return {}, [], [
            Problem(
                shown,
                1,
                1,
                f"the issue is {len(body):,} characters long; an issue form gives at most "
                f"{MAX_BODY_CHARS:,}",
                "shorten the description",
            )
        ]
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    answers, problems = _sections(body, fields, shown)
    if not answers:
        return {}, [], [
            Problem(
                shown,
                1,
                1,
                "this issue was not written with the 'Add a co-op' form: it has none of its "
                "### headings",
                "open a new issue and choose 'Add a co-op'",
            )
        ]
    return coop_from_answers(answers, today), answers, problems


def write_from_issue(
    issue: Path, shown: str, coops_dir: Path, fields: list[FormField], today: dt.date
) -> tuple[Path | None, list[Problem]]:
    """Write ``coops_dir/<slug>.yaml`` from an issue body file; or return what is wrong in it."""
    body = issue.read_text("utf-8", errors="replace")
    data, answers, problems = coop_from_issue(body, fields, shown, today)
    if problems:
        return None, problems
    name = data.get("name")
    slug = slug_for(name) if isinstance(name, str) else ""
    if not slug:
        missing = [Problem("", 1, 1, "`name` is missing", "")] if name is None else []
        wrong = [Problem("", 1, 1, "has no letters or digits", "write the co-op's name", "name")]
        return None, issue_problems(missing or wrong, answers, fields, shown)
    try:
        path, file_problems = write_checked_coop_file(coops_dir, slug, data)
    except FileExistsError as error:
        exists = Problem(
            "",
            1,
            1,
            f"a co-op file with this name exists already: {error.args[0]}",
            "to change that co-op, edit its file (CONTRIBUTING.md says how); "
            "to add another co-op, give its own name",
            "name",
        )
        return None, issue_problems([exists], answers, fields, shown)
    if file_problems:
        # A clash between two files (a shared website) may be reported on the other file,
        # naming the new one; the person filling in the form needs it the other way round.
        new_file = display_path(path)
        turned = [
            replace(problem, message=problem.message.replace(new_file, problem.path))
            if problem.path != new_file
            else problem
            for problem in file_problems
        ]
        return None, issue_problems(turned, answers, fields, shown)
    return path, []
