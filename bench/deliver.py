"""Benchmark ``coopdir deliver``: 1,000 follower inboxes on loopback, 10% of them misbehaving.

A separate process serves 1,000 inboxes spread over 100 "servers" (100 loopback ports). On its
first request, an inbox may misbehave: 5% answer 500, 3% answer slowly (0.2 s, then 202), 2%
hang past the client's timeout (then 503); ten more (1%) answer 410 Gone every time. A co-op
with those 1,000 followers publishes ``--activities`` new openings; ``coopdir deliver``'s code
(``delivery.deliver``, retries 0.2 s apart within the run) sends them. The inbox process logs
every (activity, inbox) it answered with 202, so the figures come with proof: each pair arrived
exactly once, none to a gone inbox, and the gone inboxes' followers were dropped. The same run
with one request at a time is the baseline.

    .venv/bin/python bench/deliver.py [--activities 3] [--concurrency 50] [--no-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

from coopdir.activitypub import ActivityPubWriter
from coopdir.apvocab import accounts
from coopdir.delivery import DeliverySettings, deliver
from coopdir.deliverylog import DeliveryLog
from coopdir.keys import public_key_pem
from coopdir.load import load_directory

INBOXES = 1000
SERVERS = 100
TODAY = dt.date(2026, 11, 1)
SITE_URL = "https://jobs.example"


def behaviour(number: int) -> str:
    """Return how inbox ``number`` answers its first request (the same in every run)."""
    slot = number % 100
    if slot < 5:
        return "error"
    if slot < 8:
        return "slow"
    if slot < 10:
        return "hang"
    if slot == 10:
        return "gone"
    return "ok"


def serve_inboxes(ports: Any, ready: Any) -> None:
    """The inbox process: 100 ports, 1,000 inbox paths, a log of what was taken."""
    taken: Counter[tuple[str, str]] = Counter()
    first_seen: set[int] = set()

    async def inbox(request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        body = await request.json()
        kind = behaviour(number)
        first = number not in first_seen
        first_seen.add(number)
        if kind == "gone":
            return web.Response(status=410)
        if first and kind == "error":
            return web.Response(status=500)
        if first and kind == "hang":
            await asyncio.sleep(1.5)
            return web.Response(status=503)
        if first and kind == "slow":
            await asyncio.sleep(0.2)
        taken[(body["id"], str(number))] += 1
        return web.Response(status=202)

    async def log(request: web.Request) -> web.Response:
        return web.json_response([[a, i, n] for (a, i), n in taken.items()])

    async def reset(request: web.Request) -> web.Response:
        taken.clear()
        first_seen.clear()
        return web.Response(status=204)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/users/{number}/inbox", inbox)
        app.router.add_get("/log", log)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        bound = []
        for _ in range(SERVERS):
            site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
            await site.start()
            bound.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        ports.extend(bound)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def inbox_url(ports: list[int], number: int) -> str:
    return f"http://127.0.0.1:{ports[number % SERVERS]}/users/{number}/inbox"


def publish(folder: Path, keys: Path, count: int) -> tuple[Path, Any]:
    """Write a co-op with ``count`` openings and build its outboxes; return (output, accounts)."""
    coops = folder / "coops"
    coops.mkdir(exist_ok=True)
    openings = "".join(
        f"  - id: role-{n}\n    title: Role {n}\n    kind: job\n    posted: 2026-10-20\n"
        f"    closes: 2026-12-31\n    apply: https://acme.example.org/jobs/{n}\n"
        "    remote: remote\n    example: true\n"
        for n in range(count)
    )
    (coops / "acme.yaml").write_text(
        "name: Acme\nwebsite: https://acme.example.org/\n"
        + (f"openings:\n{openings}" if count else ""),
        "utf-8",
    )
    directory = load_directory(coops, today=TODAY)
    writer = ActivityPubWriter(
        directory, site_url=SITE_URL, site_name="coopdir",
        note_html=lambda opening, coop, tags: f"<p>{opening.title}</p>",
        public_key=lambda account: public_key_pem(keys, account),
        page_exists=lambda url: True, poll_only=False,
    )
    output = folder / "site"
    for path, data in writer.coop_files(directory.by_slug["acme"]).items():
        target = output / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return output, tuple(a for a in accounts(directory) if a.coop is not None)


def run(ports: list[int], activities: int, concurrency: int, label: str) -> dict[str, Any]:
    """One full delivery into fresh state; return its figures and the inbox log."""
    import requests

    session = requests.Session()
    session.trust_env = False
    log_url = f"http://127.0.0.1:{ports[0]}"
    session.post(f"{log_url}/reset", timeout=10)
    with tempfile.TemporaryDirectory(prefix="coopdir-bench-deliver-") as scratch:
        folder = Path(scratch)
        keys, database = folder / "keys", folder / "state.sqlite"
        output, actors = publish(folder, keys, 0)
        settings = DeliverySettings(
            SITE_URL, output, actors, keys, database, concurrency=concurrency, timeout=1.0,
            first_backoff=0.2, max_attempts=6, wait_within_run=60, allow_http=True,
            allow_loopback=True,
        )
        deliver(settings)  # the baseline run: no followers yet, nothing sent
        log = DeliveryLog(database)
        log.connection.executemany(
            "INSERT INTO followers VALUES ('acme', ?, ?, NULL, ?)",
            [(f"follower-{n}", inbox_url(ports, n), f"follow-{n}") for n in range(INBOXES)],
        )
        log.connection.commit()
        log.close()
        output, actors = publish(folder, keys, activities)
        started = time.perf_counter()
        report = deliver(replace(settings, output=output, accounts=actors))
        seconds = time.perf_counter() - started
        with sqlite3.connect(database) as connection:
            (left,) = connection.execute("SELECT COUNT(*) FROM followers").fetchone()
    taken = session.get(f"{log_url}/log", timeout=10).json()
    print(
        f"{label}: {report.sent} deliveries in {seconds:.2f} s = "
        f"{report.sent / seconds:.0f} activities/s (concurrency {concurrency}; "
        f"{report.failed_attempts} failed attempts retried, {len(report.gone_inboxes)} inboxes "
        f"gone, {report.dropped_followers} followers dropped, {report.pending} pending, "
        f"{report.gave_up} given up)"
    )
    return {"seconds": seconds, "report": report, "taken": taken, "followers_left": left}


def prove(figures: dict[str, Any], activities: int, ports: list[int]) -> None:
    """Check the inbox log: every (activity, live inbox) exactly once, nothing to gone ones."""
    live = [n for n in range(INBOXES) if behaviour(n) != "gone"]
    ids = {f"{SITE_URL}/ap/coops/acme/create/role-{n}" for n in range(activities)}
    expected = {(a, str(n)) for a in ids for n in live}
    taken = {(a, i): count for a, i, count in figures["taken"]}
    duplicated = {pair: count for pair, count in taken.items() if count != 1}
    missing = expected - set(taken)
    extra = set(taken) - expected
    assert not duplicated, f"delivered more than once: {list(duplicated)[:5]}"
    assert not missing, f"never delivered: {sorted(missing)[:5]}"
    assert not extra, f"delivered where it should not be: {sorted(extra)[:5]}"
    assert figures["report"].sent == len(expected)
    assert figures["followers_left"] == len(live), "followers behind 410 inboxes are dropped"
    print(
        f"  proof: {len(expected)} (activity, inbox) pairs, each taken exactly once; "
        f"0 to the {INBOXES - len(live)} gone inboxes; {figures['followers_left']} followers left"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--no-baseline", action="store_true")
    arguments = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    ports_proxy, ready = manager.list(), context.Event()
    server = context.Process(target=serve_inboxes, args=(ports_proxy, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise SystemExit("the inbox process did not start")
        ports = list(ports_proxy)
        print(
            f"{INBOXES} inboxes on {SERVERS} loopback ports; {arguments.activities} new "
            "activities; first requests: 5% 500, 3% slow (0.2 s), 2% hang past the 1 s "
            "timeout, 1% 410 Gone always"
        )
        concurrent = run(ports, arguments.activities, arguments.concurrency, "concurrent")
        prove(concurrent, arguments.activities, ports)
        if not arguments.no_baseline:
            sequential = run(ports, arguments.activities, 1, "sequential (baseline)")
            prove(sequential, arguments.activities, ports)
            print(f"  ratio: {sequential['seconds'] / concurrent['seconds']:.1f}x faster")
    finally:
        server.terminate()
        server.join(10)
        manager.shutdown()


if __name__ == "__main__":
    main()
