"""What the inbox refuses, and the second signature scheme it takes.

The ``world`` fixture (tests/test_inbox.py) runs our inbox and "alice", a stand-in remote
account, on loopback. Here alice signs with RFC 9421 too (http-message-signatures, as Mastodon
4.5+ and Fedify can send), and a mallory sends what a hostile server would: stale or future
dates, a body that is not the signed one, the same request twice, a 2 MB body, and key ids
that point the inbox at its own host or at private addresses.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from apsig.draft.sign import Signer
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from test_inbox import Alice, Loop, running_world
from test_serving import free_port

from coopdir.apvocab import Account
from coopdir.inbox import FollowerStore, InboxSettings, make_app
from coopdir.netguard import PublicResolver, RefusedAddress, address_allowed, check_url


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with running_world(tmp_path) as running:
        yield running


def follow(world: dict[str, Any], number: int = 1) -> dict[str, Any]:
    alice = world["alice"]
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{alice.id}#follows/{number}",
        "type": "Follow",
        "actor": alice.id,
        "object": world["actor"],
    }


def cavage(alice: Alice, url: str, body: bytes, **headers: str) -> dict[str, str]:
    return dict(
        Signer(
            headers={"Content-Type": "application/activity+json", **headers},
            private_key=alice.key,
            method="POST",
            url=url,
            key_id=f"{alice.id}#main-key",
            body=body,
        ).sign()
    )


def rfc9421(alice: Alice, url: str, body: bytes) -> requests.PreparedRequest:
    """A POST signed as Mastodon 4.5 signs: @method, @target-uri and a Content-Digest."""
    prepared = requests.Request(
        "POST", url, data=body, headers={"Content-Type": "application/activity+json"}
    ).prepare()
    key_id = f"{alice.id}#main-key"
    HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: alice.key}),
    ).sign(
        prepared,
        key_id=key_id,
        covered_component_ids=("@method", "@target-uri"),
        body=body,
    )
    return prepared


def followers(world: dict[str, Any]) -> list[str]:
    store = FollowerStore(world["database"])
    try:
        return store.followers("acme")
    finally:
        store.close()


def test_an_rfc9421_signed_follow_is_accepted(world: dict[str, Any]) -> None:
    alice = world["alice"]
    body = json.dumps(follow(world)).encode()
    prepared = rfc9421(alice, world["inbox"], body)
    assert "Signature-Input" in prepared.headers and "Content-Digest" in prepared.headers
    response = requests.Session().send(prepared, timeout=30)
    assert response.status_code == 202, response.text
    assert followers(world) == [alice.id]
    assert json.loads(alice.received[-1][1])["type"] == "Accept"


def test_an_rfc9421_signature_over_another_body_is_refused(world: dict[str, Any]) -> None:
    alice = world["alice"]
    prepared = rfc9421(alice, world["inbox"], json.dumps(follow(world)).encode())
    prepared.body = json.dumps(follow(world, 2)).encode()
    prepared.headers["Content-Length"] = str(len(prepared.body))
    response = requests.Session().send(prepared, timeout=30)
    assert response.status_code == 401
    assert "Content-Digest" in response.text or "digest" in response.text.lower()
    assert followers(world) == []


@pytest.mark.parametrize(
    ("offset", "why"), [(-13 * 3600, "too old"), (2 * 3600, "in the future")]
)
def test_a_stale_or_future_date_is_refused(world: dict[str, Any], offset: int, why: str) -> None:
    alice = world["alice"]
    body = json.dumps(follow(world)).encode()
    date = email.utils.formatdate(time.time() + offset, usegmt=True)
    headers = cavage(alice, world["inbox"], body, date=date)
    response = requests.post(world["inbox"], data=body, headers=headers, timeout=30)
    assert response.status_code == 401
    assert why in response.text
    assert followers(world) == [] and alice.received == []


def test_a_date_within_mastodons_window_is_taken(world: dict[str, Any]) -> None:
    alice = world["alice"]
    body = json.dumps(follow(world)).encode()
    date = email.utils.formatdate(time.time() - 3600, usegmt=True)  # a retry an hour later
    headers = cavage(alice, world["inbox"], body, date=date)
    assert requests.post(world["inbox"], data=body, headers=headers, timeout=30).status_code == 202


def test_a_body_that_is_not_the_signed_one_is_refused(world: dict[str, Any]) -> None:
    alice = world["alice"]
    signed = json.dumps(follow(world)).encode()
    headers = cavage(alice, world["inbox"], signed)
    other = json.dumps(follow(world, 2)).encode()
    response = requests.post(world["inbox"], data=other, headers=headers, timeout=30)
    assert response.status_code == 401
    assert "Digest" in response.text
    assert followers(world) == []


def test_a_signature_that_leaves_the_digest_out_is_refused(world: dict[str, Any]) -> None:
    alice = world["alice"]
    body = json.dumps(follow(world)).encode()
    headers = dict(
        Signer(
            headers={"Content-Type": "application/activity+json"},
            private_key=alice.key,
            method="POST",
            url=world["inbox"],
            key_id=f"{alice.id}#main-key",
            body=body,
            signed_headers=["(request-target)", "host", "date"],
        ).sign()
    )
    response = requests.post(world["inbox"], data=body, headers=headers, timeout=30)
    assert response.status_code == 401
    assert "must cover digest" in response.text


def test_the_same_request_twice_is_a_replay(world: dict[str, Any]) -> None:
    alice = world["alice"]
    body = json.dumps(follow(world)).encode()
    headers = cavage(alice, world["inbox"], body)
    first = requests.post(world["inbox"], data=body, headers=headers, timeout=30)
    assert first.status_code == 202
    again = requests.post(world["inbox"], data=body, headers=headers, timeout=30)
    assert again.status_code == 401
    assert "replay" in again.text
    assert len(alice.received) == 1, "one Accept, for the first request only"


def test_an_oversized_body_is_refused_before_anything_is_fetched(world: dict[str, Any]) -> None:
    alice = world["alice"]
    activity = {**follow(world), "padding": "x" * (2 * 1024 * 1024)}
    body = json.dumps(activity).encode()
    headers = cavage(alice, world["inbox"], body)
    response = requests.post(world["inbox"], data=body, headers=headers, timeout=30)
    assert response.status_code == 413
    assert followers(world) == []


@pytest.mark.parametrize(
    "key_id",
    [
        "http://10.0.0.7/users/mallory#main-key",
        "http://169.254.169.254/latest/meta-data#main-key",
        "http://[::ffff:192.168.1.1]/users/mallory#main-key",
        "file:///etc/passwd#main-key",
    ],
)
def test_a_key_id_on_a_private_address_is_never_fetched(
    world: dict[str, Any], key_id: str
) -> None:
    alice = world["alice"]
    body = json.dumps(follow(world)).encode()
    headers = dict(
        Signer(
            headers={"Content-Type": "application/activity+json"},
            private_key=alice.key,
            method="POST",
            url=world["inbox"],
            key_id=key_id,
            body=body,
        ).sign()
    )
    response = requests.post(world["inbox"], data=body, headers=headers, timeout=30)
    assert response.status_code == 401
    assert "not a public address" in response.text or "only https" in response.text


def test_without_the_test_setting_loopback_is_refused_too(tmp_path: Path) -> None:
    """Production settings: alice on 127.0.0.1 is a loopback address, so she is not fetched."""
    loop = Loop()
    alice = Alice()
    served: list[str] = []
    app = alice.app()

    async def record(request: Any, handler: Any) -> Any:
        served.append(request.path)
        return await handler(request)

    app.middlewares.append(_middleware(record))
    alice.base = f"http://127.0.0.1:{loop.serve(app)}"
    port = free_port()
    site_url = f"http://127.0.0.1:{port}"
    settings = InboxSettings(
        site_url, (Account("directory"),), tmp_path / "keys", tmp_path / "f.db", allow_http=True
    )
    loop.serve(make_app(settings), port)
    try:
        inbox = f"{site_url}/ap/directory/inbox"
        activity = {"id": f"{alice.id}#f", "type": "Follow", "actor": alice.id,
                    "object": f"{site_url}/ap/directory/actor"}
        response = alice.post(inbox, activity)
        assert response.status_code == 401
        assert "not a public address" in response.text
        assert served == [], "nothing was fetched from loopback"
    finally:
        loop.close()


def _middleware(function: Any) -> Any:
    from aiohttp import web

    return web.middleware(function)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_only_public_addresses_are_allowed(address: str, public: bool) -> None:
    assert address_allowed(address) is public


def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    async def resolve() -> Any:
        return await PublicResolver().resolve("localhost", 80)

    with pytest.raises(RefusedAddress, match="no public address"):
        asyncio.run(resolve())
    with pytest.raises(RefusedAddress, match="only https"):
        check_url("http://example.org/actor")


@pytest.mark.parametrize("spelling", ["sha-256", "SHA-256", "content-digest"])
def test_digests_are_taken_in_the_spellings_servers_send(
    world: dict[str, Any], spelling: str
) -> None:
    """Mastodon sends ``SHA-256=``, bovine ``sha-256=``, RFC 9530 ``Content-Digest``."""
    alice = world["alice"]
    body = json.dumps(follow(world)).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    if spelling == "content-digest":
        extra, covered = {"Content-Digest": f"sha-256=:{digest}:"}, "content-digest"
    else:
        extra, covered = {"Digest": f"{spelling}={digest}"}, "digest"
    headers = dict(
        Signer(
            headers={"Content-Type": "application/activity+json", **extra},
            private_key=alice.key,
            method="POST",
            url=world["inbox"],
            key_id=f"{alice.id}#main-key",
            body=b"",  # apsig would add its own Digest: the test writes the header itself
            signed_headers=["(request-target)", "host", "date", covered],
        ).sign()
    )
    response = requests.post(world["inbox"], data=body, headers=headers, timeout=30)
    assert response.status_code == 202, response.text
    tampered = json.dumps(follow(world, 2)).encode()
    again = requests.post(world["inbox"], data=tampered, headers=headers, timeout=30)
    assert again.status_code == 401
    assert "Digest header does not match" in again.text


@pytest.mark.parametrize(("algorithm", "status"), [("hs2019", 202), (None, 202), ("ed25519", 401)])
def test_hs2019_as_gotosocial_names_it_is_rsa_sha256(
    world: dict[str, Any], algorithm: str | None, status: int
) -> None:
    alice = world["alice"]
    body = json.dumps(follow(world)).encode()
    headers = cavage(alice, world["inbox"], body)
    name = next(key for key in headers if key.lower() == "signature")
    without = re.sub(r',?algorithm="rsa-sha256"', "", headers[name])
    headers[name] = without + (f',algorithm="{algorithm}"' if algorithm else "")
    response = requests.post(world["inbox"], data=body, headers=headers, timeout=30)
    assert response.status_code == status, response.text
