"""Checking the HTTP signature of a request to an inbox: draft-cavage and RFC 9421.

Fediverse servers sign with one of two schemes: draft-cavage (``Signature: keyId=...,
headers="(request-target) host date digest"``, what Mastodon and most servers send) and RFC 9421
(``Signature-Input`` + ``Signature``, what Mastodon 4.5+, WordPress and Fedify can send). The
cryptography is done by maintained libraries (apsig for draft-cavage, http-message-signatures
for RFC 9421); this module adds the policy those libraries leave to their caller, as Mastodon
applies it (``app/lib/signed_request.rb``):

- what must be signed: the method and target, the host, the time (``Date`` or ``created``) and,
  for a body, its digest (``Digest`` or ``Content-Digest``), checked against the body;
- the time must lie within 12 hours before now and 1 hour after (Mastodon's
  ``EXPIRATION_WINDOW_LIMIT`` and ``CLOCK_SKEW_MARGIN``); an exact signature seen before is a
  replay (the inbox remembers signatures for that window).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import http_sf
from apsig.draft.verify import Verifier
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import (
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

PAST_LIMIT = dt.timedelta(hours=12)
"""How old a signature may be (Mastodon's EXPIRATION_WINDOW_LIMIT)."""
FUTURE_LIMIT = dt.timedelta(hours=1)
"""How far ahead of our clock a signature may be dated (Mastodon's CLOCK_SKEW_MARGIN)."""

CAVAGE_PARAMETER = re.compile(r'(\w+)="([^"]*)"')
CAVAGE_REQUIRED = ("(request-target)", "host", "date")
RFC9421_REQUIRED = ("@method", "@target-uri")


class SignatureRefused(Exception):
    """A request whose signature is missing, malformed, stale or does not verify."""


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers: method, the public URL it was sent to, headers and body."""

    method: str
    url: str
    headers: Mapping[str, str]
    """Header fields, repeated ones kept (aiohttp's ``CIMultiDictProxy``)."""
    body: bytes

    @property
    def is_rfc9421(self) -> bool:
        """Return True when the request carries an RFC 9421 signature (``Signature-Input``)."""
        return "Signature-Input" in self.headers


def signature_token(request: SignedRequest) -> str:
    """Return what identifies one signature (to recognise a replay of the same request)."""
    return hashlib.sha256(request.headers.get("Signature", "").encode("utf-8")).hexdigest()


def key_id(request: SignedRequest) -> str:
    """Return the id of the key that signed the request, or refuse an unsigned request."""
    if request.is_rfc9421:
        try:
            inputs = http_sf.parse(
                request.headers["Signature-Input"].encode("ascii"), tltype="dictionary"
            )
        except (ValueError, UnicodeEncodeError) as error:
            raise SignatureRefused(f"the Signature-Input header is malformed: {error}") from error
        if len(inputs) != 1:
            raise SignatureRefused("send exactly one signature (Signature-Input has several)")
        (_, (_, parameters)), = inputs.items()
        found = parameters.get("keyid")
        if not isinstance(found, str):
            raise SignatureRefused("the Signature-Input header has no keyid")
        return found
    parameters = _cavage_parameters(request)
    if "keyId" not in parameters:
        raise SignatureRefused("the request is not signed (no Signature header with a keyId)")
    return parameters["keyId"]


def verify(request: SignedRequest, public_pem: str, *, now: dt.datetime | None = None) -> None:
    """Check the request's signature against ``public_pem``, or raise SignatureRefused."""
    now = now or dt.datetime.now(dt.UTC)
    if request.is_rfc9421:
        _verify_rfc9421(request, public_pem)
    else:
        _verify_cavage(request, public_pem, now)


def _cavage_parameters(request: SignedRequest) -> dict[str, str]:
    return dict(CAVAGE_PARAMETER.findall(request.headers.get("Signature", "")))


def _verify_cavage(request: SignedRequest, public_pem: str, now: dt.datetime) -> None:
    parameters = _cavage_parameters(request)
    covered = parameters.get("headers", "date").lower().split()
    missing = [name for name in CAVAGE_REQUIRED if name not in covered]
    if request.body and not {"digest", "content-digest"} & set(covered):
        missing.append("digest")
    if missing:
        raise SignatureRefused(f"the signature must cover {', '.join(missing)}")
    _check_time(_parse_date(request.headers.get("Date", "")), now)
    if request.body and not _digest_matches(request, covered):
        raise SignatureRefused("the Digest header does not match the body")
    verifier = Verifier(
        public_pem,
        request.method,
        request.url,
        _as_rsa_sha256(dict(request.headers), parameters),
        b"",  # the digest is checked above, in every spelling servers send (apsig's is exact)
        clock_skew=int(PAST_LIMIT.total_seconds()),  # the window is checked above
    )
    try:
        verified = verifier.verify()
    except (ValueError, KeyError) as error:
        raise SignatureRefused(f"the Signature header is malformed: {error}") from error
    if verified is None:
        raise SignatureRefused("the signature does not verify")


def _as_rsa_sha256(headers: dict[str, str], parameters: dict[str, str]) -> dict[str, str]:
    """Name the algorithm rsa-sha256 when the signer said ``hs2019`` or nothing.

    GoToSocial (and others after draft-cavage-12) write ``algorithm="hs2019"``, "derive it from
    the key", and sign with RSA-SHA256 as everyone does; apsig accepts only the literal
    ``rsa-sha256``. The algorithm is not part of the signed text, so naming it changes nothing
    else; any other algorithm stays as given and is refused.
    """
    if parameters.get("algorithm", "hs2019").lower() != "hs2019":
        return headers
    name = next(key for key in headers if key.lower() == "signature")
    value = re.sub(r'algorithm="[^"]*",?', "", headers[name]).rstrip(",")
    return {**headers, name: f'{value},algorithm="rsa-sha256"'}


DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def _digest_matches(request: SignedRequest, covered: list[str]) -> bool:
    """Check the signed digest of the body, in the spellings servers send.

    ``Digest: SHA-256=<b64>`` in any case (Mastodon and bovine differ), several separated by
    commas, or RFC 9530's ``Content-Digest``. Every digest in a known algorithm must match,
    and at least one must be given.
    """
    given: list[tuple[str, str]] = []
    if "digest" in covered:
        for part in request.headers.get("Digest", "").split(","):
            algorithm, _, value = part.strip().partition("=")
            given.append((algorithm.lower(), value))
    if "content-digest" in covered:
        for part in request.headers.get("Content-Digest", "").split(","):
            algorithm, _, value = part.strip().partition("=")
            given.append((algorithm.lower(), value.strip(":")))
    known = [(algorithm, value) for algorithm, value in given if algorithm in DIGESTS]
    return bool(known) and all(
        value == base64.b64encode(DIGESTS[algorithm](request.body).digest()).decode()
        for algorithm, value in known
    )


def _parse_date(value: str) -> dt.datetime:
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError) as error:
        raise SignatureRefused("the Date header is missing or not an HTTP date") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _check_time(moment: dt.datetime, now: dt.datetime) -> None:
    if moment < now - PAST_LIMIT:
        raise SignatureRefused("the signature is too old (more than 12 hours): a replay?")
    if moment > now + FUTURE_LIMIT:
        raise SignatureRefused("the signature is dated in the future (more than 1 hour ahead)")


@dataclass
class _Message:
    """The request as http-message-signatures reads it."""

    method: str
    url: str
    headers: Any


def _verify_rfc9421(request: SignedRequest, public_pem: str) -> None:
    public_key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    if isinstance(public_key, rsa.RSAPublicKey):
        algorithm: Any = algorithms.RSA_V1_5_SHA256
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        algorithm = algorithms.ED25519
    else:
        raise SignatureRefused("the key is neither RSA nor Ed25519")
    signer_key = key_id(request)
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={signer_key: public_key}, private_keys={}),
    )
    verifier.max_clock_skew = FUTURE_LIMIT
    try:
        verifier.verify(
            _Message(request.method, request.url, request.headers),
            max_age=PAST_LIMIT,
            require_components=RFC9421_REQUIRED,
            body=request.body,
        )
    except InvalidSignature as error:
        raise SignatureRefused(f"the signature does not verify: {error}") from error
