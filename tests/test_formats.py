"""Web addresses: the quick match for plain ones accepts only what every check accepts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coopdir.formats import _PLAIN_WEB_ADDRESS, _check_any_http_url, check_http_url


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(_PLAIN_WEB_ADDRESS, fullmatch=True))
def test_whatever_the_quick_match_accepts_every_check_accepts(address: str) -> None:
    assert _check_any_http_url(address) is None, address


def test_addresses_the_quick_match_leaves_are_still_checked() -> None:
    """Ports, credentials, spaces, non-ASCII hosts: each still gets its check and its reason."""
    assert check_http_url("https://example.coop:8443/jobs") is None
    assert check_http_url("https://codeursenliberté.fr/") is None
    assert check_http_url("https://example.coop:99999/") is not None
    refused = check_http_url("https://jane:secret@example.coop/")
    assert refused is not None and "password" in refused[0]
    assert check_http_url("https://example.coop/a b") is not None
    assert check_http_url("htps://example.coop") == (
        "'htps://example.coop' is not a web address",
        "did you mean https://example.coop?",
    )
