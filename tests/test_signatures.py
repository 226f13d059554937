"""Requests the site signs verify against the keys its actors publish, in independent code.

Fedify (TypeScript, ``tests/fedify_verify.mjs``) and apsig's verifier check a POST signed as a
co-op's actor, dereferencing the key id to the actor document the build writes; a changed body,
a changed target or another actor's key must fail. The key pair is made for the test in a
temporary keys folder: no private key exists anywhere in the repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from apsig.draft.verify import Verifier
from conftest import TODAY, check, write_coop
from sitecheck import ROOT

from coopdir.activitypub import ActivityPubWriter
from coopdir.apvocab import Account
from coopdir.keys import private_key, public_key_path, public_key_pem
from coopdir.model import Directory
from coopdir.signatures import key_id, signed_headers

SITE_URL = "https://jobs.example"
INBOX = "https://social.example/users/alice/inbox"
INSTALL_HINT = "run `make test` once (its .ci/install-test-deps installs node and @fedify/fedify)"


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Any]:
    """Two co-ops' actors, with key pairs in a temporary keys folder."""
    for slug in ("acme", "other"):
        write_coop(tmp_path, slug, f"name: {slug.title()}\nwebsite: https://{slug}.example.org/\n")
    coops, problems = check(tmp_path / "coops")
    assert problems == []
    directory = Directory(tuple(coops), TODAY)
    keys = tmp_path / "keys"
    writer = ActivityPubWriter(
        directory,
        site_url=SITE_URL,
        site_name="coopdir",
        note_html=lambda opening, coop, tags: "",
        public_key=lambda account: public_key_pem(keys, account),
        page_exists=lambda url: True,
    )
    documents = {}
    for coop in directory.coops:
        actor = json.loads(writer.coop_files(coop)[Account(coop.slug, coop).actor])
        documents[actor["id"]] = actor
    return {"keys": keys, "documents": documents, "directory": directory}


def sign(site: dict[str, Any], slug: str, body: bytes) -> dict[str, str]:
    account = Account(slug, site["directory"].by_slug[slug])
    return signed_headers(
        "POST",
        INBOX,
        body,
        account=account,
        site_url=SITE_URL,
        keys_dir=site["keys"],
        headers={"Content-Type": "application/activity+json"},
    )


def fedify_verify(documents: dict[str, Any], requests: list[dict[str, Any]]) -> list[str | None]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules/@fedify/fedify/package.json").is_file():
        pytest.fail(f"node or @fedify/fedify missing: {INSTALL_HINT}", pytrace=False)
    result = subprocess.run(
        [node, str(ROOT / "tests/fedify_verify.mjs")],
        input=json.dumps({"documents": documents, "requests": requests}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_fedify_verifies_a_signed_post_and_rejects_tampering(site: dict[str, Any]) -> None:
    body = json.dumps({"type": "Accept", "actor": f"{SITE_URL}/ap/coops/acme/actor"}).encode()
    headers = sign(site, "acme", body)
    other = sign(site, "other", body)
    acme_key = key_id(SITE_URL, Account("acme", site["directory"].by_slug["acme"]))
    forged = {**other, "Signature": other["Signature"].replace("/other/", "/acme/")}
    requests = [
        {"method": "POST", "url": INBOX, "headers": headers, "body": body.decode()},
        {"method": "POST", "url": INBOX, "headers": headers, "body": body.decode() + " "},
        {"method": "POST", "url": INBOX + "2", "headers": headers, "body": body.decode()},
        {"method": "POST", "url": INBOX, "headers": forged, "body": body.decode()},
    ]
    assert fedify_verify(site["documents"], requests) == [acme_key, None, None, None]


def test_apsig_verifies_against_the_published_key(site: dict[str, Any]) -> None:
    body = b'{"type":"Follow"}'
    headers = sign(site, "acme", body)
    actor = site["documents"][f"{SITE_URL}/ap/coops/acme/actor"]
    published = actor["publicKey"]["publicKeyPem"]
    assert Verifier(published, "POST", INBOX, headers, body).verify() == actor["publicKey"]["id"]
    tampered = Verifier(published, "POST", INBOX, headers, b'{"type":"Undo"}')
    assert tampered.verify() is None


def test_a_folder_with_only_a_public_key_cannot_sign(tmp_path: Path) -> None:
    made = tmp_path / "made"
    public_key_pem(made, "acme")
    copied = tmp_path / "copied"
    copied.mkdir()
    shutil.copy(public_key_path(made, "acme"), public_key_path(copied, "acme"))
    with pytest.raises(FileNotFoundError, match="no private key for 'acme', only its public key"):
        private_key(copied, "acme")
