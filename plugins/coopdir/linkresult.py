"""What a link check can find, in words a contributor can act on.

Each class says whether the address still works (``fine``), how the report names it, and what
to do about it. The checker (``linkcheck``), the cache (``linkcache``) and the report
(``linkreport``) all speak in these terms.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class LinkClass(enum.Enum):
    """The outcome of checking one address."""

    OK = ("ok", True, "works", "nothing to do")
    REDIRECTED = (
        "redirected",
        True,
        "redirects to another address",
        "write the address it ends at, so readers skip the detour",
    )
    HTTPS_UPGRADE = (
        "https-upgrade",
        True,
        "has a working https:// version",
        "write the https:// address: it is private and cannot be tampered with on the way",
    )
    NOT_FOUND = (
        "not-found",
        False,
        "not found (404)",
        "find the page's new address on the co-op's site and write it, or remove the link",
    )
    GONE = (
        "gone",
        False,
        "gone for good (410)",
        "the site says the page was removed: remove the link, or find what replaced it",
    )
    CLIENT_ERROR = (
        "client-error",
        False,
        "refused the request (4xx)",
        "open the address in a browser; if it fails there too, find a working one",
    )
    SERVER_ERROR = (
        "server-error",
        False,
        "server error (5xx)",
        "the site is failing; if it still fails next week, ask the co-op",
    )
    THROTTLED = (
        "throttled",
        False,
        "turned the checker away (429, 403)",
        "open it in a browser; if it loads, nothing to do (the site blocks automated checks)",
    )
    DNS_FAILURE = (
        "dns-failure",
        False,
        "the name does not exist (DNS)",
        "the domain may have lapsed: find the co-op's current site, or mark the co-op dormant "
        "or dissolved",
    )
    TIMEOUT = (
        "timeout",
        False,
        "no answer in time",
        "open it in a browser; if it hangs there too, the site is down: ask the co-op",
    )
    REFUSED = (
        "refused",
        False,
        "connection refused or reset",
        "the server is not accepting connections; if it lasts, ask the co-op",
    )
    TLS_ERROR = (
        "tls-error",
        False,
        "certificate or TLS error",
        "the site's certificate is invalid or expired: tell the co-op, or use a working address",
    )
    REDIRECT_LOOP = (
        "redirect-loop",
        False,
        "too many redirects",
        "the address redirects in a circle: find the page's real address",
    )
    ERROR = ("error", False, "could not be checked", "open it in a browser and check by hand")

    def __init__(self, code: str, fine: bool, label: str, advice: str) -> None:
        self.code = code
        self.fine = fine
        self.label = label
        self.advice = advice

    @classmethod
    def from_code(cls, code: str) -> LinkClass:
        """Return the class with this code (as stored in the cache)."""
        for member in cls:
            if member.code == code:
                return member
        raise ValueError(f"unknown link class {code!r}")


@dataclass(frozen=True)
class LinkResult:
    """What checking one address found: its class, the HTTP status and where it ended."""

    url: str
    link_class: LinkClass
    status: int | None = None
    final_url: str | None = None
    """Where the address ended after redirects, or its https:// version: what to write."""
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        """Return the result as plain data for the cache file."""
        return {
            "url": self.url,
            "class": self.link_class.code,
            "status": self.status,
            "final_url": self.final_url,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LinkResult:
        """Read a result written by ``as_dict``; raise ValueError/KeyError/TypeError if odd."""
        status = data.get("status")
        final_url = data.get("final_url")
        return cls(
            url=str(data["url"]),
            link_class=LinkClass.from_code(str(data["class"])),
            status=int(status) if isinstance(status, int) else None,
            final_url=str(final_url) if final_url else None,
            detail=str(data.get("detail", "")),
        )
