"""Serialise JSON fast, to exactly the bytes ``json.dumps`` writes.

A 10,000-co-op build encodes hundreds of thousands of documents; ``json.dumps(indent=2)`` runs
its pure-Python encoder for them, and even its C encoder is several times slower than orjson.
orjson writes the same text as ``json.dumps(..., ensure_ascii=False)`` with the separators we
use, but for a few cases, where we hand the document to ``json`` instead so no byte changes:

- a float below 1e-4 (``json`` writes ``1e-05``, orjson ``0.00001`` or ``1e-9``): the output is
  searched for those forms (an opening's text rarely has them, and then ``json`` is just slower);
- what orjson refuses: an integer beyond 64 bits, a lone surrogate, a key that is not a string.

NaN and infinity (which orjson writes as ``null``) never reach here: ``yamlsource.py`` keeps
them as strings, which the schema rejects. Dates and dataclasses are passed through to
``json`` too, which refuses them as it always did.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_PASS_THROUGH = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
_EXPONENT_HINT = re.compile(rb"e-[1-9]")
_EXPONENT = re.compile(rb"[0-9]e-[1-9]")


def _may_have_small_float(encoded: bytes) -> bool:
    """Return True when orjson may have written a float below 1e-4 as ``json`` would not.

    orjson writes ``0.00001`` (json ``1e-05``) or ``1.5e-9`` (json ``1.5e-09``). The searches
    are ordered so most documents cost two fast scans: a pattern starting with a class is
    several times slower in ``re`` than one starting with literal text.
    """
    if b".0000" in encoded:
        return True
    return _EXPONENT_HINT.search(encoded) is not None and _EXPONENT.search(encoded) is not None


def dumps(
    data: Any, *, indent: bool = False, sort_keys: bool = False, newline: bool = False
) -> bytes:
    """Return ``json.dumps(data, ensure_ascii=False, ...)`` as UTF-8 bytes.

    ``indent`` is two spaces (else compact: no spaces after ``,`` and ``:``); ``newline`` ends
    the text with one.
    """
    option = _PASS_THROUGH
    if indent:
        option |= orjson.OPT_INDENT_2
    if sort_keys:
        option |= orjson.OPT_SORT_KEYS
    try:
        encoded = orjson.dumps(data, option=option)
    except TypeError:  # orjson.JSONEncodeError is one
        encoded = None
    if encoded is None or _may_have_small_float(encoded):
        text = json.dumps(
            data,
            ensure_ascii=False,
            sort_keys=sort_keys,
            **({"indent": 2} if indent else {"separators": (",", ":")}),
        )
        encoded = text.encode("utf-8")
    return encoded + b"\n" if newline else encoded
