"""Following a co-op end to end: through nginx or Caddy, to the inbox service, and back.

The fixture site is built with an inbox service (``COOPDIR_INBOX_UPSTREAM``) and fresh keys;
the web server runs the build's own configuration; ``coopdir.inbox`` runs on loopback; "alice"
(tests/test_inbox.py) stands in for a remote account. Her signed Follow goes to the co-op's
inbox URL on the site's host, the web server passes it on with its Host header, and she gets a
signed Accept. The documents stay static: GETs of the inbox are still the built files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from apsig.draft.sign import Signer
from apsig.draft.verify import Verifier
from conftest import TODAY
from sitecheck import ROOT, make_html
from test_inbox import Alice, Loop
from test_serving import SITE_HOST, free_port, running

from coopdir.apvocab import accounts
from coopdir.inbox import FollowerStore, InboxSettings, make_app
from coopdir.load import load_directory

FIXTURE = ROOT / "tests" / "fixtures" / "directory"
SITE_URL = f"http://{SITE_HOST}"
ACTOR = f"{SITE_URL}/ap/coops/alder-harbour/actor"
INBOX = f"{SITE_URL}/ap/coops/alder-harbour/inbox"


@pytest.fixture(scope="module")
def followable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Build the fixture site wired to an inbox service, and run the service and alice."""
    folder = tmp_path_factory.mktemp("followable")
    keys, database, output = folder / "keys", folder / "followers.db", folder / "site"
    upstream_port = free_port()
    built = make_html(
        FIXTURE,
        output,
        COOPDIR_KEYS_DIR=str(keys),
        COOPDIR_INBOX_UPSTREAM=f"127.0.0.1:{upstream_port}",
    )
    assert built.returncode == 0, built.stdout + built.stderr
    directory = load_directory(FIXTURE, today=TODAY)
    loop = Loop()
    alice = Alice()
    alice.base = f"http://127.0.0.1:{loop.serve(alice.app())}"
    settings = InboxSettings(
        SITE_URL, tuple(accounts(directory)), keys, database, allow_http=True, allow_loopback=True
    )
    loop.serve(make_app(settings), upstream_port)
    try:
        yield {"site": output, "alice": alice, "database": database}
    finally:
        loop.close()


def post_through(port: int, alice: Alice, activity: dict[str, Any]) -> requests.Response:
    """POST as alice to the co-op's inbox URL, sent to the web server on loopback."""
    body = json.dumps(activity).encode()
    headers = Signer(
        headers={"Content-Type": "application/activity+json", "Host": SITE_HOST},
        private_key=alice.key,
        method="POST",
        url=INBOX,
        key_id=f"{alice.id}#main-key",
        body=body,
    ).sign()
    target = f"http://127.0.0.1:{port}/ap/coops/alder-harbour/inbox"
    return requests.post(target, data=body, headers=headers, timeout=30)


@pytest.mark.parametrize("kind", ["nginx", "caddy"])
def test_a_follow_through_the_web_server_is_accepted(kind: str, followable: dict[str, Any]) -> None:
    site, alice = followable["site"], followable["alice"]
    actor = json.loads((site / "ap/coops/alder-harbour/actor").read_bytes())
    assert "pollOnly" not in actor, "with an inbox service, the actor takes follows"
    followers = json.loads((site / "ap/coops/alder-harbour/followers").read_bytes())
    assert "totalItems" not in followers, "the build cannot know how many follow: no count"
    alice.received.clear()
    with running(kind, site) as port:
        follow = {
            "id": f"{alice.id}#follows/{kind}",
            "type": "Follow",
            "actor": alice.id,
            "object": ACTOR,
        }
        response = post_through(port, alice, follow)
        assert response.status_code == 202, response.text
        headers, body = alice.received[-1]
        accept = json.loads(body)
        assert accept["type"] == "Accept" and accept["object"]["id"] == follow["id"]
        key = actor["publicKey"]
        verifier = Verifier(key["publicKeyPem"], "POST", f"{alice.id}/inbox", headers, body)
        assert verifier.verify() == key["id"]
        store = FollowerStore(followable["database"])
        assert store.followers("alder-harbour") == [alice.id]
        store.close()
        # Reads stay static: the inbox is the built (empty) collection, as the build wrote it.
        read = requests.get(
            f"http://127.0.0.1:{port}/ap/coops/alder-harbour/inbox",
            headers={"Host": SITE_HOST},
            timeout=10,
        )
        assert read.status_code == 200
        assert read.headers["Content-Type"] == "application/activity+json"
        # Other documents still take no POSTs.
        other = requests.post(
            f"http://127.0.0.1:{port}/ap/coops/alder-harbour/outbox",
            headers={"Host": SITE_HOST},
            data=b"{}",
            timeout=10,
        )
        assert other.status_code == 405
