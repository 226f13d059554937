"""The co-op file schema, and its errors translated into what a contributor can act on.

The shape lives once, in ``schema/coop.schema.json``; editors read it through the
``yaml-language-server`` line at the top of each file, and this module reads it for the loader.
jsonschema's own messages ("'x' is not of type 'string'") are written for programmers, so each
kind of error gets a sentence that names the field and says how to fix it.

Most files are valid, and python-jsonschema takes about a millisecond to say so (ten seconds for
10,000 co-ops) and most of a second to import. So a file is first checked by jsonschema-rs
(compiled, thirty times faster, same schema, our own format checks); only a file it rejects, or
one it cannot judge as we do, goes through python-jsonschema, whose errors we explain.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .formats import explain, format_checker, format_predicates
from .problems import Problem, field_name
from .yamlsource import YamlDocument

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "schema/coop.schema.json"
_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a set of fields",
    "null": "nothing",
}


@cache
def coop_schema() -> dict[str, Any]:
    """Return the co-op JSON Schema shipped with the package."""
    return json.loads(resources.files("coopdir").joinpath(SCHEMA_FILE).read_text("utf-8"))


def resolve_ref(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Merge a ``$ref`` target under the node's own keys (the node's description wins)."""
    if "$ref" not in node:
        return node
    target = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return resolve_ref(target, schema) | {k: v for k, v in node.items() if k != "$ref"}


@cache
def coop_validator() -> Draft202012Validator:
    """Return the validator whose errors we explain (built once per process)."""
    from jsonschema import Draft202012Validator, validators

    schema = coop_schema()
    Draft202012Validator.check_schema(schema)
    # JSON Schema counts 2009.0 as an integer; a year or a head count written with a fraction
    # is a mistake worth pointing out, so only real integers pass.
    strict = validators.extend(
        Draft202012Validator,
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
            "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
        ),
    )
    return strict(schema, format_checker=format_checker())


@cache
def fast_validator() -> Any:
    """Return jsonschema-rs's validator for co-op files, with our format checks; None without it.

    Its verdict is trusted only when it says "valid" about data without fractions (see
    ``fast_says_valid``): every rejection is explained by ``coop_validator``.
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a declared dependency; the slow path still works
        return None
    return jsonschema_rs.validator_for(
        coop_schema(), formats=format_predicates(), validate_formats=True
    )


def _has_fraction(value: Any) -> bool:
    """Say whether any number in the data is a float (JSON Schema would take 2009.0 as whole)."""
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_fraction(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_fraction(item) for item in value)
    return False


def fast_says_valid(data: Any, has_float: bool | None = None) -> bool:
    """Say whether jsonschema-rs passes the data, where its verdict can be trusted.

    ``has_float`` is whether the data holds a fraction, when the caller knows (the YAML walk
    notes it); otherwise the data is searched for one.
    """
    fast = fast_validator()
    if fast is None:
        return False
    if _has_fraction(data) if has_float is None else has_float:
        return False
    return fast.is_valid(data)


def _type_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of fields"
    return "text"


def _type_problem(error: ValidationError, doc: YamlDocument) -> tuple[str, str]:
    wanted = (
        error.validator_value
        if isinstance(error.validator_value, list)
        else [error.validator_value]
    )
    want = " or ".join(_TYPE_NAMES.get(name, name) for name in wanted)
    value = error.instance
    path = tuple(error.absolute_path)
    written = doc.raw.get(path, value)
    found = _type_of(value)
    message = f"expected {want}, found {found}"
    if "string" in wanted:
        if value is None:
            return f"{message}", "write a value after the colon, or remove the field"
        if not isinstance(value, list | dict):
            shown = message if str(written) == found else f"{message} ({written})"
            if "format" in error.schema:  # a date or a code: quoting alone will not fix it
                return shown, error.schema.get("description", "")
            return (
                shown,
                f"YAML reads {written} as {found}; put it in quotes: '{written}'",
            )
    if "boolean" in wanted and isinstance(value, str):
        return f"expected true or false, found {value!r}", "write true or false"
    if ("integer" in wanted or "number" in wanted) and isinstance(value, str):
        digits = value.lstrip("0") or "0"
        if value.isdigit():
            return (
                f"{message} ({value!r})",
                f"write the number without quotes or leading zeros: {digits}",
            )
        return f"{message} ({value!r})", "write a plain number such as 12 or 4.5, without units"
    if "integer" in wanted and isinstance(value, float):
        return f"expected a whole number, found {written}", "remove the fraction"
    if "array" in wanted and not isinstance(value, list):
        return message, "write a list, one `- item` per line"
    if "object" in wanted:
        return message, "this field has fields of its own; see the field table in CONTRIBUTING.md"
    return message, ""


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=2, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    return "allowed here: " + ", ".join(choices)


def _describe(error: ValidationError, doc: YamlDocument) -> Iterator[tuple[tuple, bool, str, str]]:
    """Yield (value path, point at key?, message, hint) for one jsonschema error."""
    path = tuple(error.absolute_path)
    kind = error.validator
    value = error.instance
    schema = error.schema
    if kind == "required":
        for name in error.validator_value:
            if name not in value:
                described = schema.get("properties", {}).get(name, {}).get("description", "")
                yield path, False, f"`{name}` is missing", f"add `{name}:` ({described})"
    elif kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for name in value:
            if name not in allowed:
                yield (*path, name), True, f"unknown field `{name}`", _did_you_mean(name, allowed)
    elif kind == "type":
        yield (path, False, *_type_problem(error, doc))
    elif kind == "enum":
        choices = [str(choice) for choice in error.validator_value]
        shown = doc.raw.get(path, value)
        if isinstance(value, str) and value.lower() in choices:
            yield (
                path,
                False,
                f"{value!r} is not allowed",
                f"write it in lowercase: {value.lower()}",
            )
        else:
            yield path, False, f"{shown!r} is not allowed", _did_you_mean(str(shown), choices)
    elif kind == "format":
        yield (path, False, *explain(error.validator_value, value))
    elif kind == "pattern":
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            yield (
                path,
                False,
                "must be one line",
                "remove the line breaks (use `description` for long text)",
            )
        elif isinstance(value, str) and not value.strip():
            yield path, False, "is blank", "write something, or remove the field"
        else:
            yield (
                path,
                False,
                f"{value!r} is not in the expected form",
                schema.get("description", ""),
            )
    elif kind == "minLength":
        yield path, False, "is empty", "write something, or remove the field"
    elif kind == "maxLength":
        yield (
            path,
            False,
            (f"is {len(value):,} characters long; the limit is {error.validator_value:,}"),
            "shorten it",
        )
    elif kind == "minimum":
        yield path, False, f"{value} is too small; it must be at least {error.validator_value}", ""
    elif kind == "exclusiveMinimum":
        yield path, False, f"{value} is too small; it must be more than {error.validator_value}", ""
    elif kind in ("maximum", "exclusiveMaximum"):
        yield path, False, f"{value} is too large; it must be at most {error.validator_value}", ""
    elif kind == "minItems":
        yield path, False, "the list is empty", "add an item, or remove the field"
    elif kind == "maxItems":
        yield path, False, f"the list has {len(value)} items; at most {error.validator_value}", ""
    elif kind == "minProperties":
        yield path, False, "is empty", "fill in its fields, or remove it"
    elif kind == "uniqueItems":
        seen: list[Any] = []
        for index, item in enumerate(value):
            if item in seen:
                yield (*path, index), False, f"{item!r} is listed twice", "remove the repeat"
            seen.append(item)
    else:
        yield path, False, error.message, ""


def schema_problems(doc: YamlDocument) -> list[Problem]:
    """Check one document against the schema; return every problem with its position."""
    if fast_says_valid(doc.data, doc.has_float):
        return []
    errors = list(coop_validator().iter_errors(doc.data))
    # A value of the wrong type also fails its enum, format and pattern: say the first thing
    # only. A value that fails its format also fails the pattern editors use: the format's
    # explanation is the more useful one.
    wrong_type = {tuple(error.absolute_path) for error in errors if error.validator == "type"}
    wrong_format = {tuple(error.absolute_path) for error in errors if error.validator == "format"}
    problems: dict[Problem, None] = {}
    for error in errors:
        where = tuple(error.absolute_path)
        if where in wrong_type and error.validator != "type":
            continue
        if where in wrong_format and error.validator == "pattern":
            continue
        for path, at_key, message, hint in _describe(error, doc):
            line, column = doc.key_position(path) if at_key else doc.position(path)
            problems[Problem(doc.path, line, column, message, hint, field_name(path))] = None
    return list(problems)
