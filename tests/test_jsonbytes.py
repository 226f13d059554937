"""Every JSON file the site writes has exactly the bytes ``json.dumps`` would have given it.

``jsonbytes.dumps`` encodes with orjson for speed; feed readers, fediverse servers and people
diffing the bulk data must not see a byte move because of it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sitecheck import ROOT

from coopdir import jsonbytes

GOLDEN = ROOT / "tests" / "golden"

OPTIONS = [
    {"indent": indent, "sort_keys": sort_keys}
    for indent in (False, True)
    for sort_keys in (False, True)
]


def reference(data: Any, *, indent: bool, sort_keys: bool) -> bytes:
    """Return what ``json.dumps`` writes with the same options."""
    layout: dict[str, Any] = {"indent": 2} if indent else {"separators": (",", ":")}
    return json.dumps(data, ensure_ascii=False, sort_keys=sort_keys, **layout).encode("utf-8")


def json_files() -> list[Path]:
    """Return the site's JSON files in the golden copy (ActivityPub, bulk data, feeds...)."""
    return sorted(
        path
        for path in GOLDEN.rglob("*")
        if path.is_file() and (path.suffix == ".json" or "/ap/" in path.as_posix())
    )


def test_the_golden_site_has_json_of_every_kind() -> None:
    """The comparison below covers the ActivityPub, WebFinger, bulk data and feed files."""
    names = [path.relative_to(GOLDEN).as_posix() for path in json_files()]
    assert any(name.startswith("ap/") for name in names)
    assert any(name.startswith("api/coops/") for name in names)
    assert any(name.endswith("feed.json") for name in names)
    assert any(name.startswith(".well-known/webfinger") for name in names)


LAYOUTS = ["compact", "compact-sorted", "indented", "indented-sorted"]


@pytest.mark.parametrize("options", OPTIONS, ids=LAYOUTS)
def test_every_golden_document_encodes_as_json_dumps_does(options: dict[str, bool]) -> None:
    """Each document of the fixture site, in each layout we use, gives json's bytes."""
    for path in json_files():
        document = json.loads(path.read_bytes())
        assert jsonbytes.dumps(document, **options) == reference(document, **options), path


def test_a_trailing_newline_is_added_on_request() -> None:
    """Files end with a newline; the pieces joined into bigger files do not."""
    assert jsonbytes.dumps({"a": 1}, newline=True) == b'{"a":1}\n'
    assert jsonbytes.dumps({"a": 1}) == b'{"a":1}'


@pytest.mark.parametrize(
    "value",
    [
        1e-05,  # orjson: 0.00001
        7.272378753924006e-09,  # orjson: 7.272378753924006e-9
        {"pay": [0.00003, 12.5]},
        2**64,  # beyond orjson's integers
        {1: "a key that is not a string"},
        "1e-5 written in text",  # looks like an orjson float: json is used, same bytes
    ],
)
def test_values_orjson_writes_differently_keep_json_bytes(value: Any) -> None:
    """Tiny floats, huge integers and odd strings or keys still give json's exact bytes."""
    for options in OPTIONS:
        assert jsonbytes.dumps(value, **options) == reference(value, **options)


def test_floats_of_every_size_keep_json_bytes() -> None:
    """From the smallest float to the largest, in every layout, the digits are json's."""
    floats = [
        mantissa * 10.0**exponent
        for exponent in range(-320, 300)
        for mantissa in (1, 1.5, 9.999999, 3.141592653589793)
    ]
    for options in OPTIONS:
        assert jsonbytes.dumps(floats, **options) == reference(floats, **options)
        for number in floats[::7]:
            document = {"pay": number}
            assert jsonbytes.dumps(document, **options) == reference(document, **options)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.sampled_from(OPTIONS))
def test_any_json_value_gives_json_dumps_bytes(value: Any, options: dict[str, bool]) -> None:
    """Whatever the data (any number, any text), the bytes are json's."""
    assert jsonbytes.dumps(value, **options) == reference(value, **options)


def test_what_json_refuses_is_still_refused() -> None:
    """A date left in a document, or a lone surrogate, is a bug: it must not pass unnoticed."""
    with pytest.raises(TypeError):
        jsonbytes.dumps({"day": dt.date(2026, 11, 1)})
    with pytest.raises(UnicodeEncodeError):
        jsonbytes.dumps({"text": "\ud800"}, indent=True)
