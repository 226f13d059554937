"""Requests to other servers go only to public addresses (no server-side request forgery).

The inbox fetches whatever actor a signature's ``keyId`` names, and ``coopdir deliver`` POSTs to
whatever inbox a follower's actor gives: both are addresses chosen by strangers. Without a
guard, ``keyId="http://127.0.0.1:6379/..."`` or ``http://169.254.169.254/`` would make the site
probe its own host or cloud metadata. So every connection is checked where it is made: the
resolver refuses names that resolve to loopback, private, link-local, reserved or multicast
addresses (so DNS rebinding and redirects are checked too: each new connection resolves again),
and address literals, which aiohttp does not resolve, are checked before the request.

Tests on loopback set ``allow_loopback`` (127.0.0.0/8 and ::1 only; private ranges stay refused).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver


class RefusedAddress(aiohttp.ClientConnectionError):
    """A URL whose host is not a public internet address."""


def address_allowed(address: str, *, allow_loopback: bool = False) -> bool:
    """Return True for a globally routable unicast address (or loopback, when allowed)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_http: bool = False, allow_loopback: bool = False) -> None:
    """Refuse a URL that is not https (or http, when allowed) or names a non-public address."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise RefusedAddress(f"{url}: only https:// addresses are fetched")
    host = parts.hostname or ""
    if not host:
        raise RefusedAddress(f"{url}: no host")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: the resolver checks what it resolves to, on every connection
    if not address_allowed(str(literal), allow_loopback=allow_loopback):
        raise RefusedAddress(f"{url}: {host} is not a public address")


class PublicResolver(ThreadedResolver):
    """The system resolver, keeping only public addresses (and refusing a name with none)."""

    def __init__(self, *, allow_loopback: bool = False) -> None:
        super().__init__()
        self.allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` and drop every address that is not public."""
        found = await super().resolve(host, port, family)
        kept = [
            result
            for result in found
            if address_allowed(result["host"], allow_loopback=self.allow_loopback)
        ]
        if not kept:
            raise RefusedAddress(f"{host} resolves to no public address")
        return kept


def guarded_session(*, allow_loopback: bool = False, limit: int = 100, **options: Any) -> (
    aiohttp.ClientSession
):
    """Return a client session whose every connection goes to a public address only."""
    connector = aiohttp.TCPConnector(
        resolver=PublicResolver(allow_loopback=allow_loopback), limit=limit
    )
    return aiohttp.ClientSession(connector=connector, **options)
