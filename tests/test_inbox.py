"""The inbox service on loopback: a remote account follows a co-op, gets a signed Accept, unfollows.

Two real aiohttp servers run in a background event loop: ours (``coopdir.inbox``) and a stand-in
for a remote Mastodon account ("alice": her actor document and an inbox that records what it
receives). Alice signs with apsig as Mastodon does (draft-cavage, rsa-sha256); the Accept she
gets is checked against the key our actor publishes, by apsig and by Fedify.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web
from apsig.draft.sign import Signer
from apsig.draft.verify import Verifier
from conftest import TODAY, check, write_coop
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from test_serving import free_port
from test_signatures import fedify_verify

from coopdir.activitypub import ActivityPubWriter
from coopdir.apvocab import Account, accounts
from coopdir.inbox import FollowerStore, InboxSettings, make_app
from coopdir.keys import public_key_pem
from coopdir.model import Directory


class Loop:
    """An asyncio loop in a thread, to run aiohttp servers beside synchronous tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runners: list[web.AppRunner] = []

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def serve(self, app: web.Application, port: int = 0) -> int:
        async def start() -> int:
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", port)
            await site.start()
            self.runners.append(runner)
            return runner.addresses[0][1]

        return self.run(start())

    def close(self) -> None:
        for runner in self.runners:
            self.run(runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class Alice:
    """A remote account: an actor document and an inbox that records signed deliveries."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/users/alice", self.actor_view)
        app.router.add_post("/users/alice/inbox", self.inbox_view)
        return app

    @property
    def id(self) -> str:
        return f"{self.base}/users/alice"

    def actor(self) -> dict[str, Any]:
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.id,
            "type": "Person",
            "preferredUsername": "alice",
            "inbox": f"{self.id}/inbox",
            "publicKey": {
                "id": f"{self.id}#main-key",
                "owner": self.id,
                "publicKeyPem": pem.decode(),
            },
        }

    async def actor_view(self, request: web.Request) -> web.Response:
        return web.json_response(self.actor(), content_type="application/activity+json")

    async def inbox_view(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=202)

    def post(self, url: str, activity: dict[str, Any], *, key: Any = None) -> requests.Response:
        body = json.dumps(activity).encode()
        headers = Signer(
            headers={"Content-Type": "application/activity+json"},
            private_key=key or self.key,
            method="POST",
            url=url,
            key_id=f"{self.id}#main-key",
            body=body,
        ).sign()
        return requests.post(url, data=body, headers=headers, timeout=30)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with running_world(tmp_path) as running:
        yield running


@contextlib.contextmanager
def running_world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Run our inbox (one co-op, acme) and alice on loopback; keys and followers in tmp_path."""
    write_coop(tmp_path, "acme", "name: Acme\nwebsite: https://acme.example.org/\n")
    coops, problems = check(tmp_path / "coops")
    assert problems == []
    directory = Directory(tuple(coops), TODAY)
    loop = Loop()
    alice = Alice()
    alice.base = f"http://127.0.0.1:{loop.serve(alice.app())}"
    keys = tmp_path / "keys"
    # Our site's URL is where the inbox listens: ids, key ids and signatures all use it.
    port = free_port()
    site_url = f"http://127.0.0.1:{port}"
    settings = InboxSettings(
        site_url, tuple(accounts(directory)), keys, tmp_path / "followers.db", allow_http=True,
        allow_loopback=True,
    )
    loop.serve(make_app(settings), port)
    try:
        yield {
            "alice": alice,
            "site_url": site_url,
            "inbox": f"{site_url}/ap/coops/acme/inbox",
            "actor": f"{site_url}/ap/coops/acme/actor",
            "database": tmp_path / "followers.db",
            "keys": keys,
            "directory": directory,
        }
    finally:
        loop.close()


def our_actor(world: dict[str, Any]) -> dict[str, Any]:
    """Return our co-op's actor document as the build writes it for this site URL."""
    writer = ActivityPubWriter(
        world["directory"],
        site_url=world["site_url"],
        site_name="coopdir",
        note_html=lambda opening, coop, tags: "",
        public_key=lambda account: public_key_pem(world["keys"], account),
        page_exists=lambda url: True,
    )
    coop = world["directory"].by_slug["acme"]
    return json.loads(writer.coop_files(coop)[Account("acme", coop).actor])


def test_a_follow_is_stored_and_accepted_with_a_signed_accept(world: dict[str, Any]) -> None:
    alice = world["alice"]
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{alice.id}#follows/1",
        "type": "Follow",
        "actor": alice.id,
        "object": world["actor"],
    }
    response = alice.post(world["inbox"], follow)
    assert response.status_code == 202, response.text
    store = FollowerStore(world["database"])
    assert store.followers("acme") == [alice.id]
    assert len(alice.received) == 1
    headers, body = alice.received[0]
    accept = json.loads(body)
    assert (accept["type"], accept["actor"], accept["object"]["id"]) == (
        "Accept", world["actor"], follow["id"]
    )
    actor = our_actor(world)
    published = actor["publicKey"]["publicKeyPem"]
    assert Verifier(published, "POST", alice.id + "/inbox", headers, body).verify() == (
        actor["publicKey"]["id"]
    )
    request = {"method": "POST", "url": f"{alice.id}/inbox", "headers": headers,
               "body": body.decode()}
    assert fedify_verify({actor["id"]: actor}, [request]) == [actor["publicKey"]["id"]]
    undo = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{alice.id}#follows/1/undo",
        "type": "Undo",
        "actor": alice.id,
        "object": {k: v for k, v in follow.items() if k != "@context"},
    }
    assert alice.post(world["inbox"], undo).status_code == 202
    assert store.followers("acme") == []
    store.close()


def test_unsigned_or_forged_posts_are_refused(world: dict[str, Any]) -> None:
    alice = world["alice"]
    follow = {"id": f"{alice.id}#f", "type": "Follow", "actor": alice.id, "object": world["actor"]}
    unsigned = requests.post(world["inbox"], data=json.dumps(follow), timeout=30)
    assert unsigned.status_code == 401
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert alice.post(world["inbox"], follow, key=stranger).status_code == 401
    someone_else = {**follow, "actor": "http://127.0.0.1:1/users/mallory"}
    assert alice.post(world["inbox"], someone_else).status_code == 401
    assert alice.received == []
    store = FollowerStore(world["database"])
    assert store.followers("acme") == []
    store.close()


def test_the_inbox_command_wants_the_sites_https_address(workdir: Path) -> None:
    from click.testing import CliRunner

    from coopdir.cli import main

    result = CliRunner().invoke(main, ["inbox", "--site-url", "http://jobs.example"], env={})
    assert result.exit_code != 0
    assert "Give the site's https:// address" in str(result.output) + str(result.exception)
