"""Fedify, an independent TypeScript ActivityPub implementation, reads our documents as meant.

``tests/fedify_parse.mjs`` parses every file under ``/ap/`` of the built fixture site with
Fedify's vocabulary (offline: its preloaded JSON-LD contexts, every fetch refused) and prints
what it understood; here that is compared with what we wrote. Signatures are not checked: the
static tier signs nothing (signed requests come with the inbox service, issue 5 part 3).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sitecheck import ROOT

INSTALL_HINT = "run `make test` once (its .ci/install-test-deps installs node and @fedify/fedify)"


@pytest.fixture(scope="module")
def fedify_view(directory_site: Path) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules/@fedify/fedify/package.json").is_file():
        pytest.fail(f"node or @fedify/fedify missing: {INSTALL_HINT}", pytrace=False)
    result = subprocess.run(
        [node, str(ROOT / "tests/fedify_parse.mjs"), str(directory_site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {entry["path"]: entry for entry in json.loads(result.stdout)}


def ours(site: Path, path: str) -> dict[str, Any]:
    return json.loads((site / path).read_bytes())


def test_fedify_parses_every_document_with_our_ids(
    fedify_view: dict[str, dict[str, Any]], directory_site: Path
) -> None:
    on_disk = sorted(
        p.relative_to(directory_site).as_posix()
        for p in (directory_site / "ap").rglob("*")
        if p.is_file()
    )
    assert sorted(fedify_view) == on_disk
    for path, seen in fedify_view.items():
        assert "error" not in seen, f"{path}: {seen.get('error')}"
        document = ours(directory_site, path)
        assert seen["id"] == document["id"]
        assert seen["type"] == document["type"]


def test_fedify_reads_each_actor_and_its_rsa_public_key(
    fedify_view: dict[str, dict[str, Any]], directory_site: Path
) -> None:
    actors = {path: seen for path, seen in fedify_view.items() if path.endswith("/actor")}
    assert len(actors) == len(list((directory_site / "ap/coops").iterdir())) + 1
    for path, seen in actors.items():
        actor = ours(directory_site, path)
        for field in ("preferredUsername", "name", "inbox", "outbox", "followers", "featured",
                      "featuredTags", "discoverable"):
            assert seen[field] == actor[field], (path, field)
        assert seen["keyId"] == actor["publicKey"]["id"]
        assert seen["keyOwner"] == actor["id"]
        assert seen["keyAlgorithm"] == "RSASSA-PKCS1-v1_5"


def test_fedify_reads_notes_with_their_hashtags_and_outboxes_with_their_activities(
    fedify_view: dict[str, dict[str, Any]], directory_site: Path
) -> None:
    notes = [seen for seen in fedify_view.values() if seen["type"] == "Note"]
    assert notes
    for seen in notes:
        note = ours(directory_site, seen["path"])
        assert seen["content"] == note["content"]
        assert seen["attributedTo"] == note["attributedTo"]
        assert seen["tags"] == [tag["name"] for tag in note["tag"]]
    pages = [seen for seen in fedify_view.values() if seen["type"] == "OrderedCollectionPage"]
    assert any(page["items"] for page in pages)
    for seen in pages:
        page = ours(directory_site, seen["path"])
        assert [item["id"] for item in seen["items"]] == [i["id"] for i in page["orderedItems"]]
        assert [item["type"] for item in seen["items"]] == [
            i["type"] for i in page["orderedItems"]
        ]
