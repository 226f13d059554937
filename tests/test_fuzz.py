"""Whatever bytes a stranger commits, the checker answers with problems, never a crash.

Each property feeds input through ``read_yaml_text`` and through ``check_paths`` on a real file,
and checks that only ``Problem`` objects (or valid co-ops) come back, each pointing at a real
position with a message.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from conftest import TODAY
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coopdir.formats import FORMAT_CHECKS
from coopdir.load import LoadSettings, check_paths
from coopdir.model import Coop
from coopdir.problems import Problem
from coopdir.schema import coop_schema, coop_validator, fast_says_valid
from coopdir.yamlsource import read_yaml_text

MAX_BYTES = 64 * 1024
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALID = """\
# yaml-language-server: $schema=../plugins/coopdir/schema/coop.schema.json
name: Example Tech Co-op
website: https://example.coop/
summary: Web development and hosting for non-profits.
founded: 2015
type: worker-coop
services: [web-development, hosting]
technologies: [python, django, postgresql]
locations:
  - country: DE
    city: Leipzig
remote: remote-first
hires_from:
  countries: [DE, AT]
hiring:
  status: hiring
  confirmed: 2026-10-01
provenance:
  added_by: coop
  last_verified: 2026-10-01
openings:
  - id: backend-dev-2026
    title: Backend developer
    kind: member-track
    description: |
      # The work
      Mostly **Python**. [Apply](https://example.coop/jobs)
    posted: 2026-10-01
    closes: 2026-12-15
    apply: mailto:jobs@example.coop
    pay:
      min: 48000
      max: 52000
      currency: EUR
      period: year
"""
INJECTIONS = [
    "&a ", "*a", "<<: ", "<<: *a\n", "!!", "!!python/object:os.system ", "! ", "\t", "---\n",
    "...\n", "? ", ": ", "- ", "{", "}", "[", "]", "'", '"', "#", "|", ">", "%YAML 1.1\n", "@",
    "`", ",", "\n", "  ", "\x00", "\x07", "\r\n", "\r", "\ufeff", "\u2028", "\x85", "é", "🙂",
    "~", "null", "NO", "1.10", "0123", "12:30", "2026-02-30", "1e999", "1.0e999", "-", "\\",
]


@pytest.fixture
def fuzz_file(tmp_path: Path) -> Path:
    (tmp_path / "coops").mkdir()
    return tmp_path / "coops" / "fuzz.yaml"


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) if the block runs longer than ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_problems_are_well_formed(problems: list[Problem], path: str, raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    # the end of the file is the line after the last line break (libyaml adds one if missing)
    lines = text.count("\n") + (1 if text.endswith("\n") else 2)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.path == path
        assert problem.line >= 1 and problem.column >= 1, problem
        assert problem.message.strip(), problem
        assert str(problem).startswith(f"{path}:{problem.line}:{problem.column}: ")
        assert problem.line <= lines, f"{problem}\nin a file of {lines} line(s)"
        json.dumps(problem.as_dict())


def check_everything(raw: bytes, fuzz_file: Path) -> list[Problem]:
    """Run both entry points on one input; return the loader's problems."""
    doc, problems = read_yaml_text("fuzz.yaml", raw, max_bytes=MAX_BYTES)
    assert (doc is None) == bool(problems), problems
    assert_problems_are_well_formed(problems, "fuzz.yaml", raw)
    if doc is not None:
        assert isinstance(doc.data, dict)
        # The compiled first check may only pass what python-jsonschema, whose errors we explain,
        # passes too: otherwise a bad file would be built.
        if fast_says_valid(doc.data):
            assert not list(coop_validator().iter_errors(doc.data)), doc.data

    fuzz_file.write_bytes(raw)
    coops, problems = check_paths(
        [fuzz_file.parent], settings=LoadSettings(max_file_bytes=MAX_BYTES), today=TODAY
    )
    assert bool(coops) != bool(problems), (coops, problems)
    assert all(isinstance(coop, Coop) for coop in coops)
    shown = problems[0].path if problems else ""
    assert_problems_are_well_formed(problems, shown, raw)
    for coop in coops:  # a valid co-op renders without errors too
        assert isinstance(coop.description_html, str)
        for opening in coop.openings:
            assert opening.posted <= opening.closes
            assert isinstance(opening.description_html, str)
    return problems


def test_the_seed_file_is_valid(fuzz_file: Path) -> None:
    assert check_everything(VALID.encode(), fuzz_file) == []


@FUZZ
@given(raw=st.binary(max_size=2000))
@example(raw=b"\xef\xbb\xbf")
@example(raw=b"\xff\xfe\x00n\x00a")
@example(raw=b"name: \xc3")
@example(raw=b"\x00")
def test_arbitrary_bytes(raw: bytes, fuzz_file: Path) -> None:
    check_everything(raw, fuzz_file)


@FUZZ
@given(text=st.text(max_size=500))
@example(text="name: x\nname: y")
@example(text="[" * 5000)
@example(text="- " * 3000 + "x")
@example(text="a:\n" + "".join(" " * i + "b:\n" for i in range(1, 200)))
@example(text="? - a\n: b\n")
@example(text="{? a: b}: c")
@example(text="name: !<tag:yaml.org,2002:str> x")
@example(text="%TAG ! tag:x,2000:\n--- !x\nname: a")
def test_arbitrary_text(text: str, fuzz_file: Path) -> None:
    check_everything(text.encode("utf-8"), fuzz_file)


@st.composite
def mutated_coop_file(draw: st.DrawFn) -> str:
    lines = VALID.splitlines(keepends=True)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        operation = draw(
            st.sampled_from(
                ["insert", "delete", "replace", "duplicate", "indent", "dedent", "swap"]
            )
        )
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        line = lines[index]
        if operation == "duplicate":
            lines.insert(index, line)
        elif operation == "indent":
            lines[index] = " " * draw(st.integers(1, 4)) + line
        elif operation == "dedent":
            lines[index] = line.lstrip(" ")
        elif operation == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], line
        else:
            at = draw(st.integers(min_value=0, max_value=len(line)))
            piece = draw(st.sampled_from(INJECTIONS) | st.text(max_size=3))
            if operation == "insert":
                lines[index] = line[:at] + piece + line[at:]
            elif operation == "delete":
                lines[index] = line[:at] + line[at + draw(st.integers(1, 5)) :]
            else:
                lines[index] = line[:at] + piece + line[at + draw(st.integers(1, 3)) :]
    return "".join(lines)


@settings(FUZZ, max_examples=1000)
@given(text=mutated_coop_file())
@example(text=VALID.replace("name:", "name: &a").replace("summary:", "summary: *a #"))
@example(text=VALID + "<<: {name: x}\n")
@example(text=VALID + "---\n" + VALID)
@example(text=VALID.replace("  - country", "\t- country"))
@example(text=VALID.replace("founded: 2015", "founded: !!python/object/apply:os.system [ls]"))
def test_mutated_coop_file(text: str, fuzz_file: Path) -> None:
    check_everything(text.encode("utf-8"), fuzz_file)


def schema_names(node: object) -> set[str]:
    if isinstance(node, dict):
        properties = node.get("properties")
        names = set(properties) if isinstance(properties, dict) else set()
        return names.union(*(schema_names(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(schema_names(value) for value in node))
    return set()


FIELD_NAMES = sorted(schema_names(coop_schema()))
PLAUSIBLE = [
    "https://example.coop/", "mailto:jobs@example.coop", "2026-03-01", "2026-02-30", "DE", "UK",
    "EUR", "en", "python", "js", "cotech", "hosting", "education", "worker-coop", "hiring",
    "coop", "year", "remote", "UTC+01:00", "dev", "x", "example", "",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(PLAUSIBLE)
)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)
coop_like = st.fixed_dictionaries(
    {"name": st.text(max_size=20) | st.just("Example"), "website": st.sampled_from(PLAUSIBLE)},
    optional={
        name: json_like
        for name in coop_schema()["properties"]
        if name not in ("name", "website")
    },
)


@FUZZ
@given(value=json_like | coop_like, unicode=st.booleans(), flow=st.booleans())
@example(value={"name": "A", "website": "https://a.example/", "openings": [{}]}, unicode=False,
         flow=False)
@example(value={"name": float("nan"), "founded": float("inf")}, unicode=True, flow=True)
def test_dumped_values(value: object, unicode: bool, flow: bool, fuzz_file: Path) -> None:
    text = yaml.safe_dump(value, allow_unicode=unicode, default_flow_style=flow)
    check_everything(text.encode("utf-8"), fuzz_file)


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=40) | st.sampled_from(PLAUSIBLE))
def test_format_checks_explain_or_accept_any_text(value: str) -> None:
    for name, format_check in FORMAT_CHECKS.items():
        result = format_check(value)
        assert result is None or (
            isinstance(result, tuple)
            and len(result) == 2
            and all(isinstance(part, str) for part in result)
            and result[0]
        ), (name, value, result)


def billion_laughs(levels: int = 10, width: int = 10) -> str:
    lines = ['a0: &a0 "lol"']
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    lines.append(f"name: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_without_expanding(fuzz_file: Path) -> None:
    raw = billion_laughs().encode()
    with time_limit(5):
        doc, problems = read_yaml_text("laughs.yaml", raw, max_bytes=MAX_BYTES)
        assert doc is None
        assert any("anchor &a0 is not allowed" in p.message for p in problems)
        assert any("alias *a8 is not allowed" in p.message for p in problems)
        check_everything(raw, fuzz_file)
