"""Checks for the value formats the schema names (``"format": "http-url"`` and friends).

Each check returns None when the value is fine, or a (what is wrong, how to fix it) pair, so the
same function both accepts values and explains rejections. jsonschema calls them through
``format_checker()``; the explanations reach people through ``explain()``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import langcodes
import pycountry

from .vocab import VOCABULARY_NAMES, vocabulary

if TYPE_CHECKING:
    from jsonschema import FormatChecker

Explanation = tuple[str, str]
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_NEVER_IN_URLS = frozenset('"<>\\^`{|}')  # RFC 3986 allows none of them unencoded
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$|^xn--")


_PLAIN_WEB_ADDRESS = re.compile(
    r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(?:[/?#][^\s\"<>\\^`{|}\x00-\x1f\x7f]*)?"
)
"""Most addresses: an ASCII host name, no port, no credentials, nothing a check below refuses.

A co-op file holds a dozen addresses and a build reads thousands of files: these pass with
one match, and only the others go through every check."""


def check_http_url(value: str) -> Explanation | None:
    """Accept an absolute http(s) address with a real host name and no credentials."""
    if _PLAIN_WEB_ADDRESS.fullmatch(value):
        return None
    return _check_any_http_url(value)


def _check_any_http_url(value: str) -> Explanation | None:
    """Every check of ``check_http_url``, each with its own explanation."""
    stripped = value.strip()
    if stripped != value or any(ch.isspace() for ch in value):
        return f"{value!r} contains spaces", "remove the spaces from the address"
    bad = sorted({ch for ch in value if ch in _NEVER_IN_URLS or ord(ch) < 32})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        encoded = " ".join(f"%{ord(ch):02X}" for ch in bad)
        return f"{value!r} contains {shown}, which web addresses never contain", (
            f"percent-encode it ({encoded}), as your browser's address bar does"
        )
    lowered = value.lower()
    if lowered.startswith(("javascript:", "data:", "vbscript:", "file:")):
        return f"{value!r} is not a web address", "give an https:// address"
    for typo in ("htp://", "htps://", "http//", "https//", "http:/", "https:/"):
        if lowered.startswith(typo) and not lowered.startswith(("http://", "https://")):
            fixed = "https://" + value[len(typo) :].lstrip("/")
            return f"{value!r} is not a web address", f"did you mean {fixed}?"
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a bad port
    except ValueError:
        return f"{value!r} is not a web address", "check the address for typos"
    del port
    if parts.scheme not in ("http", "https"):
        if not parts.scheme and "." in value.split("/")[0]:
            return f"{value!r} has no https://", f"write https://{value}"
        return f"{value!r} is not a web address", "give an address starting with https://"
    if parts.username is not None or parts.password is not None:
        return (
            f"{value!r} has a user name or password in it",
            "remove the part before @; never put credentials in a link",
        )
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")  # codeursenliberté.fr is a real address
    except UnicodeError:
        return f"{value!r} has no valid host name", "check the address for typos"
    if not _HOST.match(host):
        return (
            f"{value!r} has no valid host name",
            "write the full address, e.g. https://example.coop/",
        )
    return None


def check_apply_url(value: str) -> Explanation | None:
    """Accept a web address or a ``mailto:`` address."""
    if value.lower().startswith("mailto:"):
        address = value[len("mailto:") :].split("?", 1)[0]
        if check_email(address) is None:
            return None
        return f"{value!r} is not an email link", "write mailto:jobs@example.coop"
    if "@" in value and "/" not in value and check_email(value) is None:
        return f"{value!r} is an email address, not a link", f"write mailto:{value}"
    return check_http_url(value)


def check_email(value: str) -> Explanation | None:
    """Accept a plain email address."""
    if _EMAIL.match(value):
        return None
    if value.lower().startswith("mailto:"):
        return f"{value!r} starts with mailto:", f"write only the address: {value[7:]}"
    return f"{value!r} is not an email address", "write it as name@example.coop"


def check_date(value: str) -> Explanation | None:
    """Accept a real calendar date written YYYY-MM-DD."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            dt.date.fromisoformat(value)
            return None
        except ValueError:
            return f"{value} is not a real date", "check the month and the day"
    return f"{value!r} is not a date", "write it as YYYY-MM-DD, for example 2026-03-01"


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def check_country(value: str) -> Explanation | None:
    """Accept an ISO 3166-1 alpha-2 code in capitals."""
    if value in _country_codes():
        return None
    if value.upper() in _country_codes():
        return f"{value!r} must be in capitals", f"write {value.upper()}"
    if value.upper() == "UK":
        return "UK is not an ISO 3166-1 code", "write GB for the United Kingdom"
    guesses = _countries_named(value)
    if guesses:
        return (
            f"{value!r} is not a two-letter country code",
            f"did you mean {' or '.join(guesses)}?",
        )
    return (
        f"{value!r} is not a country code",
        "use the two-letter ISO 3166-1 code, for example DE, FR, US or GB",
    )


def _countries_named(name: str) -> list[str]:
    """Return the codes of countries a name could mean (at most three), or none for non-names."""
    if sum(ch.isalpha() for ch in name) < 3:
        return []  # fuzzy search turns "" into GB and "XX" into MT: no guess beats a bad one
    try:
        return [pycountry.countries.lookup(name).alpha_2]
    except LookupError:
        pass
    try:
        return [country.alpha_2 for country in pycountry.countries.search_fuzzy(name)[:3]]
    except LookupError:
        return []


def check_language(value: str) -> Explanation | None:
    """Accept a well-formed, valid BCP 47 language tag."""
    if "_" in value:
        return (
            f"{value!r} uses _ (a locale, not a language tag)",
            f"write {value.replace('_', '-')}",
        )
    if langcodes.tag_is_valid(value):
        return None
    return f"{value!r} is not a BCP 47 language tag", "write e.g. en, fr, es, de or pt-BR"


@cache
def _currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def check_currency(value: str) -> Explanation | None:
    """Accept an ISO 4217 currency code in capitals."""
    if value in _currency_codes():
        return None
    if value.upper() in _currency_codes():
        return f"{value!r} must be in capitals", f"write {value.upper()}"
    symbols = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
    if value in symbols:
        return f"{value!r} is a symbol, not a code", f"write {symbols[value]}"
    return f"{value!r} is not a currency code", "use the ISO 4217 code, e.g. EUR, USD or GBP"


def _vocabulary_check(name: str) -> Callable[[str], Explanation | None]:
    def check(value: str) -> Explanation | None:
        terms = vocabulary(name)
        if terms.resolve(value) is not None:
            return None
        for other in VOCABULARY_NAMES:
            if other != name and vocabulary(other).resolve(value):
                return (
                    f"{value!r} is in vocab/{other}.yaml, not vocab/{name}.yaml",
                    f"move it to `{other}`",
                )
        suggestions = terms.suggest(value)
        if suggestions:
            return (
                f"{value!r} is not in vocab/{name}.yaml",
                "did you mean " + " or ".join(suggestions) + "?",
            )
        return (
            f"{value!r} is not in vocab/{name}.yaml",
            f"pick a term from plugins/coopdir/vocab/{name}.yaml, or propose a new one there",
        )

    check.__doc__ = f"Accept a term or alias from vocab/{name}.yaml."
    return check


FORMAT_CHECKS: dict[str, Callable[[str], Explanation | None]] = {
    "http-url": check_http_url,
    "apply-url": check_apply_url,
    "email-address": check_email,
    "date": check_date,
    "country": check_country,
    "language": check_language,
    "currency": check_currency,
    "technology": _vocabulary_check("technologies"),
    "service": _vocabulary_check("services"),
    "sector": _vocabulary_check("sectors"),
    "network": _vocabulary_check("networks"),
}


def explain(format_name: str, value: object) -> Explanation:
    """Say why a value failed a format check, and how to fix it."""
    check = FORMAT_CHECKS.get(format_name)
    result = check(value) if check and isinstance(value, str) else None
    return result or (f"{value!r} is not a valid {format_name}", "")


def format_predicates() -> dict[str, Callable[[object], bool]]:
    """Return, per format, whether a value passes: what both schema validators are given.

    A value that is not text passes: its type is the schema's ``type`` keyword's business.
    """
    return {
        name: lambda value, check=check: not isinstance(value, str) or check(value) is None
        for name, check in FORMAT_CHECKS.items()
    }


def format_checker() -> FormatChecker:
    """Return a jsonschema FormatChecker that knows only our formats."""
    from jsonschema import FormatChecker  # most of a second to import: only when needed

    checker = FormatChecker(formats=())
    for name, passes in format_predicates().items():
        checker.checks(name)(passes)
    return checker
