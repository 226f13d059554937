"""Following a co-op and getting its openings, end to end, with a follower built on bovine.

"bob" is a remote account that shares no code with ours: an aiohttp app serving his actor and
an inbox, signing with bovine (``signed_post``, draft-cavage as Mastodon signs) and checking
what he receives with bovine's own verifier (``build_validate_http_signature_raw``), against
our actor's key as nginx serves it. The fixture site (a copy) is built with an inbox service,
served by nginx with the build's configuration, and ``coopdir deliver`` runs after each build,
as a cron job would:

build → deliver (baseline) → bob follows → signed Accept → add an opening → build → deliver →
one Create → edit it → one Update → close it → one Delete → deliver again → nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from bovine.clients.signed_http_methods import signed_post
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from conftest import TODAY_EPOCH
from sitecheck import ROOT
from test_inbox import Loop
from test_serving import SITE_HOST, free_port, running

from coopdir.apvocab import accounts
from coopdir.inbox import FollowerStore, InboxSettings, make_app
from coopdir.load import load_directory

FIXTURE = ROOT / "tests" / "fixtures" / "directory"
SITE_URL = f"http://{SITE_HOST}"
COOP = "alder-harbour"
ACTOR = f"{SITE_URL}/ap/coops/{COOP}/actor"
NOTE = f"{SITE_URL}/ap/coops/{COOP}/openings/frontend-dev-2026"
NEW_OPENING = """
  - id: frontend-dev-2026
    title: {title}
    kind: job
    employment_type: [full-time]
    posted: 2026-10-28
{extra}    closes: {closes}
    apply: https://harbour.example.coop/jobs/frontend
    remote: remote
    applicants_from:
      regions: [europe]
    technologies: [javascript]
    example: true
"""


class SiteResolver(AbstractResolver):
    """Send the site's host (localhost:8000) to nginx's loopback port, as DNS would."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[
        ResolveResult
    ]:
        target = self.port if (host, port) == ("localhost", 8000) else port
        return [{"hostname": host, "host": "127.0.0.1", "port": target, "family": family,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        return None


class Bob:
    """A remote account on bovine: his actor, his inbox, what arrived and whether it verified."""

    def __init__(self) -> None:
        self.public_pem, self.private_pem = generate_rsa_public_private_key()
        self.base = ""
        self.site_port = 0
        self.received: list[tuple[dict[str, Any], str | None]] = []

    @property
    def id(self) -> str:
        return f"{self.base}/users/bob"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/users/bob", self.actor_view)
        app.router.add_post("/users/bob/inbox", self.inbox_view)
        return app

    def session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(resolver=SiteResolver(self.site_port))
        return aiohttp.ClientSession(connector=connector)

    async def actor_view(self, request: web.Request) -> web.Response:
        actor = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.id,
            "type": "Person",
            "preferredUsername": "bob",
            "inbox": f"{self.id}/inbox",
            "publicKey": {"id": f"{self.id}#main-key", "owner": self.id,
                          "publicKeyPem": self.public_pem},
        }
        return web.json_response(actor, content_type="application/activity+json")

    async def inbox_view(self, request: web.Request) -> web.Response:
        body = await request.read()

        async def key_retriever(key_id: str) -> CryptographicIdentifier | None:
            # Our actor, as nginx serves it on the site's host.
            async with self.session() as session, session.get(
                key_id.split("#")[0], headers={"Accept": "application/activity+json"}
            ) as response:
                actor = await response.json(content_type="application/activity+json")
            key = actor["publicKey"]
            return CryptographicIdentifier.from_pem(key["publicKeyPem"], key["owner"])

        async def read_body() -> bytes:
            return body

        validate = build_validate_http_signature_raw(key_retriever)
        headers = {name.lower(): value for name, value in request.headers.items()}
        signer = await validate("post", f"{self.id}/inbox", headers, read_body)
        self.received.append((json.loads(body), signer))
        return web.Response(status=202)

    async def follow(self) -> int:
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.id}#follows/1",
            "type": "Follow",
            "actor": self.id,
            "object": ACTOR,
        }
        secret = CryptographicSecret.from_pem(f"{self.id}#main-key", self.private_pem)
        async with self.session() as session:
            response = await signed_post(
                session,
                secret,
                f"{SITE_URL}/ap/coops/{COOP}/inbox",
                json.dumps(activity),
                digest_method=lambda body: ("digest", content_digest_sha256(body, "SHA-256")),
            )
            return response.status


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("delivery")
    coops = folder / "coops"
    shutil.copytree(FIXTURE, coops)
    upstream = free_port()
    environment = {
        **os.environ,
        "SOURCE_DATE_EPOCH": TODAY_EPOCH,
        "COOPDIR_KEYS_DIR": str(folder / "keys"),
        "COOPDIR_INBOX_UPSTREAM": f"127.0.0.1:{upstream}",
        "COOPDIR_SITE_URL": SITE_URL,
    }
    world: dict[str, Any] = {
        "coops": coops,
        "site": folder / "site",
        "database": folder / "followers.sqlite",
        "environment": environment,
    }
    build(world)
    directory = load_directory(coops)
    settings = InboxSettings(
        SITE_URL, tuple(accounts(directory)), folder / "keys", world["database"],
        allow_http=True, allow_loopback=True,
    )
    loop = Loop()
    bob = Bob()
    bob.base = f"http://127.0.0.1:{loop.serve(bob.app())}"
    loop.serve(make_app(settings), upstream)
    with running("nginx", world["site"]) as port:
        bob.site_port = port
        world.update(loop=loop, bob=bob)
        try:
            yield world
        finally:
            loop.close()


def coopdir(world: dict[str, Any], *arguments: str) -> str:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "coopdir"), *arguments],
        cwd=ROOT, env=world["environment"], capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def build(world: dict[str, Any]) -> None:
    coopdir(world, "build", "--coops", str(world["coops"]), "--output", str(world["site"]))


def deliver(world: dict[str, Any]) -> str:
    return coopdir(
        world, "deliver", "--coops", str(world["coops"]), "--output", str(world["site"]),
        "--database", str(world["database"]), "--allow-loopback",
    )


def write_opening(world: dict[str, Any], *, title: str, closes: str, updated: str = "") -> None:
    path = world["coops"] / f"{COOP}.yaml"
    original = (FIXTURE / f"{COOP}.yaml").read_text("utf-8")
    extra = f"    updated: {updated}\n" if updated else ""
    path.write_text(original + NEW_OPENING.format(title=title, closes=closes, extra=extra))


def arrivals(bob: Bob, since: int) -> list[tuple[dict[str, Any], str | None]]:
    return bob.received[since:]


def test_a_follower_gets_accept_then_create_update_delete_exactly_once(
    world: dict[str, Any],
) -> None:
    bob, loop = world["bob"], world["loop"]
    key_id = ACTOR  # bovine answers with the verified key's owner

    assert "first run" in deliver(world), "the first run records the outboxes as they are"
    assert bob.received == []

    assert loop.run(bob.follow()) == 202
    store = FollowerStore(world["database"])
    assert store.followers(COOP) == [bob.id]
    store.close()
    [(accept, signer)] = bob.received
    assert (accept["type"], accept["object"]["id"]) == ("Accept", f"{bob.id}#follows/1")
    assert signer == key_id, "bovine verified the Accept against the key nginx serves"

    write_opening(world, title="Frontend developer", closes="2026-12-30")
    build(world)
    seen = len(bob.received)
    output = deliver(world)
    assert "delivered 1," in output
    [(create, signer)] = arrivals(bob, seen)
    assert (create["type"], create["object"]["id"], signer) == ("Create", NOTE, key_id)
    assert create["object"]["name"].startswith("Frontend developer")
    assert "updated" not in create["object"]

    write_opening(world, title="Frontend developer (Vue)", closes="2026-12-30",
                  updated="2026-10-31")
    build(world)
    seen = len(bob.received)
    deliver(world)
    [(update, signer)] = arrivals(bob, seen)
    assert (update["type"], update["object"]["id"], signer) == ("Update", NOTE, key_id)
    assert update["object"]["name"].startswith("Frontend developer (Vue)")
    assert update["object"]["updated"] == "2026-10-31T00:00:00Z"

    write_opening(world, title="Frontend developer (Vue)", closes="2026-10-31",
                  updated="2026-10-31")
    build(world)
    seen = len(bob.received)
    deliver(world)
    [(delete, signer)] = arrivals(bob, seen)
    assert (delete["type"], delete["object"]["id"], signer) == ("Delete", NOTE, key_id)
    assert delete["object"]["type"] == "Tombstone"

    seen = len(bob.received)
    assert "queued 0, delivered 0," in deliver(world)
    assert arrivals(bob, seen) == [], "nothing changed, nothing sent"
