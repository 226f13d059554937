"""coopdir deliver against inboxes on loopback that fail, come back, share a server, or are gone.

The outboxes are the build's own (ActivityPubWriter writes them into a folder); followers are
rows as the inbox service stores them; the inboxes are one aiohttp app whose answers each
test scripts. Backoff is shortened to fractions of a second.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from apsig.draft.verify import Verifier
from conftest import TODAY, check, write_coop
from test_inbox import Loop

from coopdir.activitypub import ActivityPubWriter
from coopdir.apvocab import accounts
from coopdir.delivery import DeliverySettings, deliver
from coopdir.deliverylog import DeliveryLog
from coopdir.keys import public_key_pem
from coopdir.model import Directory

SITE_URL = "https://jobs.example"
OPENING = """
  - id: {id}
    title: {title}
    kind: job
    posted: 2026-10-20
    closes: {closes}
    apply: https://acme.example.org/jobs
    remote: remote
"""


class Inboxes:
    """Many inboxes on one loopback server; each answers from a script, then 202."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[int]] = {}
        self.received: list[tuple[str, dict[str, Any], dict[str, str], bytes]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{name}/inbox", self.view)
        return app

    async def view(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        script = self.scripts.get(name, [])
        status = script.pop(0) if script else 202
        body = await request.read()
        if 200 <= status < 300:
            self.received.append((name, json.loads(body), dict(request.headers), body))
        return web.Response(status=status)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    loop = Loop()
    inboxes = Inboxes()
    base = f"http://127.0.0.1:{loop.serve(inboxes.app())}"
    keys, database = tmp_path / "keys", tmp_path / "state.sqlite"
    world = {"tmp": tmp_path, "base": base, "inboxes": inboxes, "keys": keys,
             "database": database}
    openings = [("one", "First role", "2026-12-31")]
    publish(world, openings)
    try:
        yield world
    finally:
        loop.close()


def publish(world: dict[str, Any], openings: list[tuple[str, str, str]]) -> None:
    """Write acme with these openings and build its outboxes, as the build would."""
    publish_text(world, "".join(OPENING.format(id=i, title=t, closes=c) for i, t, c in openings))


def publish_text(world: dict[str, Any], openings_text: str) -> None:
    text = "name: Acme\nwebsite: https://acme.example.org/\n"
    if openings_text:
        text += f"openings:\n{openings_text}"
    write_coop(world["tmp"], "acme", text)
    coops, problems = check(world["tmp"] / "coops")
    assert problems == []
    directory = Directory(tuple(coops), TODAY)
    writer = ActivityPubWriter(
        directory, site_url=SITE_URL, site_name="coopdir",
        note_html=lambda opening, coop, tags: f"<p>{opening.title}</p>",
        public_key=lambda account: public_key_pem(world["keys"], account),
        page_exists=lambda url: True, poll_only=False,
    )
    output = world["tmp"] / "site"
    files = {**writer.directory_files(), **writer.coop_files(directory.by_slug["acme"])}
    for path, data in files.items():
        target = output / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    world["settings"] = DeliverySettings(
        SITE_URL, output, tuple(accounts(directory)), world["keys"], world["database"],
        first_backoff=0.05, wait_within_run=5, timeout=5, allow_http=True, allow_loopback=True,
    )


def follow(world: dict[str, Any], account: str, name: str, shared: str | None = None) -> None:
    log = DeliveryLog(world["database"])
    base = world["base"]
    log.connection.execute(
        "INSERT INTO followers VALUES (?, ?, ?, ?, ?)",
        (account, f"{base}/{name}", f"{base}/{name}/inbox",
         f"{base}/{shared}/inbox" if shared else None, f"{base}/{name}#follow"),
    )
    log.connection.commit()
    log.close()


def followers(world: dict[str, Any]) -> list[str]:
    with sqlite3.connect(world["database"]) as connection:
        return [actor for (actor,) in connection.execute("SELECT actor FROM followers")]


def received(world: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    return Counter((name, a["type"], a["id"]) for name, a, _, _ in world["inboxes"].received)


def test_the_first_run_is_a_baseline_then_new_openings_go_once_per_server(
    world: dict[str, Any],
) -> None:
    report = deliver(world["settings"])
    assert sorted(report.baselines) == ["acme", "directory"] and report.queued == 0
    follow(world, "acme", "ann", shared="server-a")
    follow(world, "acme", "ada", shared="server-a")
    follow(world, "acme", "cy")
    follow(world, "directory", "dee")
    publish(world, [("one", "First role", "2026-12-31"), ("two", "Second role", "2026-12-31")])
    report = deliver(world["settings"])
    create = f"{SITE_URL}/ap/coops/acme/create/two"
    announce = f"{SITE_URL}/ap/directory/announce/acme/two"
    assert received(world) == Counter(
        {("server-a", "Create", create): 1, ("cy", "Create", create): 1,
         ("dee", "Announce", announce): 1}
    ), "one Create per server (ann and ada share one inbox), one boost for the directory's"
    assert report.sent == 3
    # Signed as the actor whose activity it is, with the key its actor publishes.
    name, activity, headers, body = world["inboxes"].received[0]
    pem = public_key_pem(world["keys"], "acme" if activity["type"] == "Create" else "directory")
    assert Verifier(pem, "POST", f"{world['base']}/{name}/inbox", headers, body).verify() == (
        f"{activity['actor']}#main-key"
    )
    again = deliver(world["settings"])
    assert (again.queued, again.sent) == (0, 0)
    assert sum(received(world).values()) == 3


def test_failures_are_retried_with_backoff_and_delivered_exactly_once(
    world: dict[str, Any],
) -> None:
    deliver(world["settings"])
    for name in ("ok", "flaky", "down"):
        follow(world, "acme", name)
    world["inboxes"].scripts = {"flaky": [500, 503], "down": [500] * 20}
    publish(world, [("one", "First role", "2026-12-31"), ("two", "Second role", "2026-12-31")])
    settings = replace(world["settings"], max_attempts=4)
    started = time.monotonic()
    report = deliver(settings)
    assert time.monotonic() - started < 5
    create = f"{SITE_URL}/ap/coops/acme/create/two"
    assert received(world) == Counter({("ok", "Create", create): 1, ("flaky", "Create", create): 1})
    assert (report.sent, report.failed_attempts, report.gave_up) == (2, 2 + 4, 1)


def test_a_retry_waits_for_its_time_across_runs(world: dict[str, Any]) -> None:
    deliver(world["settings"])
    follow(world, "acme", "later")
    world["inboxes"].scripts = {"later": [500]}
    publish(world, [("one", "First role", "2026-12-31"), ("two", "Second role", "2026-12-31")])
    settings = replace(world["settings"], first_backoff=0.5, wait_within_run=0)
    first = deliver(settings)
    assert (first.sent, first.pending) == (0, 1)
    soon = deliver(settings)
    assert (soon.sent, soon.pending) == (0, 1), "not due yet: the backoff is kept between runs"
    time.sleep(0.6)
    due = deliver(settings)
    assert (due.sent, due.pending) == (1, 0)
    assert list(received(world)) == [("later", "Create", f"{SITE_URL}/ap/coops/acme/create/two")]


def test_a_gone_inbox_drops_its_followers(world: dict[str, Any]) -> None:
    deliver(world["settings"])
    follow(world, "acme", "stays")
    follow(world, "acme", "gone1", shared="gone-server")
    follow(world, "acme", "gone2", shared="gone-server")
    world["inboxes"].scripts = {"gone-server": [410]}
    publish(world, [("one", "First role", "2026-12-31"), ("two", "Second role", "2026-12-31")])
    report = deliver(world["settings"])
    assert report.dropped_followers == 2 and report.pending == 0
    assert followers(world) == [f"{world['base']}/stays"]


def test_edits_and_closing_send_update_then_delete(world: dict[str, Any]) -> None:
    deliver(world["settings"])
    follow(world, "acme", "reader")
    opening = OPENING.format(id="one", title="First role", closes="2026-12-31")
    edited = opening + "    updated: 2026-10-30\n"
    publish_text(world, edited.replace("First role", "First role, edited"))
    deliver(world["settings"])
    publish(world, [])  # removed from the file altogether
    deliver(world["settings"])
    deliver(world["settings"])
    note = f"{SITE_URL}/ap/coops/acme/openings/one"
    assert received(world) == Counter(
        {("reader", "Update", f"{note}#updates/2026-10-30T00:00:00Z"): 1,
         ("reader", "Delete", f"{SITE_URL}/ap/coops/acme/delete/one"): 1}
    )
    update = next(a for _, a, _, _ in world["inboxes"].received if a["type"] == "Update")
    assert update["object"]["name"].startswith("First role, edited")



def test_deliver_wants_a_built_site_first(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from coopdir.cli import main

    result = CliRunner().invoke(
        main,
        ["deliver", "--output", str(tmp_path / "nothing"), "--site-url", "https://jobs.example"],
    )
    assert result.exit_code != 0
    assert "no ap/ folder — build the site first" in str(result.output) + str(result.exception)
