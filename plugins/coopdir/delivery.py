"""``coopdir deliver``: after a build, push what changed in the outboxes to followers.

The build writes every actor's outbox (``Create`` for each opening, ``Delete`` once it closed,
the directory's ``Announce`` of each open one). This compares those outboxes with what
followers were already told (``deliverylog.py``) and sends:

- ``Create`` for an opening followers have not seen;
- ``Update`` when its Note's ``updated`` changed (id ``<note>#updates/<updated>``: a retry or a
  second run sends the same id, so servers take it once);
- ``Delete`` (with a ``Tombstone``) when it closed or was removed from the co-op's file;
- ``Announce`` from the directory actor for an opening it has not boosted yet.

Each goes to every follower of its actor, once per server with a shared inbox, signed as that
actor. The first run for an actor only records its outbox (a baseline): followers are not sent
the openings that were there before deliveries began. Failed deliveries are retried with
exponential backoff, within a run (while the next try is due soon) and in later runs, until
``max_attempts``; a ``410 Gone`` drops the followers behind that inbox. Concurrency is bounded
by one aiohttp connector.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from . import urls
from .apvocab import MEDIA_TYPE, OBJECT_CONTEXT, Account
from .deliverylog import Delivery, DeliveryLog
from .netguard import check_url, guarded_session
from .signatures import signed_headers


@dataclass(frozen=True)
class DeliverySettings:
    """Where the site and its state are, and how hard to try."""

    site_url: str
    output: Path
    accounts: tuple[Account, ...]
    keys_dir: Path
    database: Path
    concurrency: int = 50
    """Requests in flight at once."""
    timeout: float = 10.0
    """Seconds before a request counts as failed (and is retried)."""
    first_backoff: float = 60.0
    """Seconds before the first retry; each further retry waits twice as long."""
    max_attempts: int = 10
    """Attempts before giving up (60 s doubling: the last after about 8.5 hours)."""
    wait_within_run: float = 120.0
    """Retries due within this many seconds are waited for in the same run."""
    allow_http: bool = False
    """Deliver over plain http too (tests on loopback); never in production."""
    allow_loopback: bool = False
    """Deliver to loopback addresses (tests); private ranges stay refused."""


@dataclass
class DeliveryReport:
    """What one run did."""

    queued: int = 0
    sent: int = 0
    failed_attempts: int = 0
    gone_inboxes: list[str] = field(default_factory=list)
    dropped_followers: int = 0
    pending: int = 0
    gave_up: int = 0
    baselines: list[str] = field(default_factory=list)


# --- reading the built outboxes -------------------------------------------------------------


def read_outbox(output: Path, account: Account) -> list[dict[str, Any]]:
    """Return the activities of an account's built outbox, page after page (newest first)."""
    folder = output / account.folder.strip("/")
    activities: list[dict[str, Any]] = []
    number = 1
    while (page := folder / f"outbox-page-{number}").is_file():
        activities.extend(json.loads(page.read_bytes()).get("orderedItems", []))
        number += 1
    return activities


def _with_context(activity: dict[str, Any]) -> dict[str, Any]:
    return {"@context": OBJECT_CONTEXT, **activity}


def update_of(create: dict[str, Any]) -> dict[str, Any]:
    """Return the ``Update`` of an edited opening: stable id from the Note's ``updated``."""
    note = create["object"]
    return _with_context(
        {
            "id": f"{note['id']}#updates/{note.get('updated') or note['published']}",
            "type": "Update",
            "actor": create["actor"],
            "published": note.get("updated") or note["published"],
            "to": create["to"],
            "cc": create["cc"],
            "object": note,
        }
    )


def delete_of_removed(site_url: str, account: Account, note_id: str) -> dict[str, Any]:
    """Return the ``Delete`` of an opening removed from its co-op's file (no outbox entry)."""
    actor = urls.absolute(site_url, account.actor)
    opening = note_id.rsplit("/", 1)[-1]
    return _with_context(
        {
            "id": urls.absolute(site_url, account.path(f"delete/{opening}")),
            "type": "Delete",
            "actor": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [urls.absolute(site_url, account.path("followers"))],
            "object": {"id": note_id, "type": "Tombstone", "formerType": "Note"},
        }
    )


def changes(
    log: DeliveryLog, settings: DeliverySettings, account: Account
) -> list[dict[str, Any]]:
    """Return the activities followers of ``account`` have not been sent; record them as told."""
    outbox = read_outbox(settings.output, account)
    current: dict[str, tuple[str | None, bool, dict[str, Any]]] = {}
    for activity in outbox:
        kind, obj = activity.get("type"), activity.get("object")
        if kind == "Create" and isinstance(obj, dict) and obj.get("type") != "Tombstone":
            version = obj.get("updated") or obj.get("published")
            current.setdefault(obj["id"], (version, False, activity))
        elif kind == "Delete" and isinstance(obj, dict):
            current[obj["id"]] = (None, True, activity)
        elif kind == "Announce" and isinstance(obj, str):
            current[obj] = ("announced", False, activity)
    first_run = not log.seen(account.name)
    known = log.known(account.name)
    new: list[dict[str, Any]] = []
    for obj, (version, deleted, activity) in current.items():
        before = known.get(obj)
        if not first_run:
            was_open = before is not None and not before[1]
            if (before is None and not deleted) or (was_open and deleted):
                new.append(_with_context(activity))  # its Create, or its Delete
            elif was_open and before[0] != version:
                new.append(update_of(activity))
        log.record(account.name, obj, version, deleted)
    for obj, (_, deleted) in known.items():
        if obj in current or deleted:
            continue
        if account.coop is None:
            # A boost of an opening that closed: its co-op's Delete takes the boost down too.
            log.forget(account.name, obj)
            continue
        if not first_run:
            new.append(delete_of_removed(settings.site_url, account, obj))
        log.record(account.name, obj, None, True)
    log.mark_seen(account.name)
    return new


def plan(log: DeliveryLog, settings: DeliverySettings, report: DeliveryReport, now: float) -> None:
    """Queue every new activity for every follower's (shared) inbox, in one transaction."""
    for account in settings.accounts:
        if not log.seen(account.name):
            report.baselines.append(account.name)
        activities = changes(log, settings, account)
        inboxes = sorted({f.delivery_inbox for f in log.followers(account.name)})
        for activity in activities:
            for inbox in inboxes:
                report.queued += log.enqueue(activity, account.name, inbox, now)
    log.commit()


# --- sending ----------------------------------------------------------------------------------


async def _send(
    session: aiohttp.ClientSession,
    settings: DeliverySettings,
    accounts: dict[str, Account],
    delivery: Delivery,
    slots: asyncio.Semaphore,
) -> tuple[int | None, str]:
    """POST one delivery, signed as its account; return (status or None, error text).

    The timeout starts once a slot is free: time spent queueing behind other deliveries must
    not fail a request (a timed-out request the server did take would arrive twice).
    """
    async with slots:
        return await _post(session, settings, accounts, delivery)


async def _post(
    session: aiohttp.ClientSession,
    settings: DeliverySettings,
    accounts: dict[str, Account],
    delivery: Delivery,
) -> tuple[int | None, str]:
    try:
        check_url(
            delivery.inbox, allow_http=settings.allow_http, allow_loopback=settings.allow_loopback
        )
        headers = signed_headers(
            "POST",
            delivery.inbox,
            delivery.body,
            account=accounts[delivery.account],
            site_url=settings.site_url,
            keys_dir=settings.keys_dir,
            headers={"Content-Type": MEDIA_TYPE},
        )
        async with session.post(
            delivery.inbox, data=delivery.body, headers=headers, allow_redirects=False
        ) as response:
            await response.read()
            return response.status, f"HTTP {response.status}"
    except (aiohttp.ClientError, TimeoutError) as error:
        return None, f"{type(error).__name__}: {error}"


async def send_due(
    log: DeliveryLog,
    settings: DeliverySettings,
    report: DeliveryReport,
    clock: Callable[[], float] = time.time,
) -> None:
    """Send what is due, and keep retrying while the next try is due within the run."""
    accounts = {account.name: account for account in settings.accounts}
    slots = asyncio.Semaphore(settings.concurrency)
    async with guarded_session(
        allow_loopback=settings.allow_loopback,
        limit=settings.concurrency,
        timeout=aiohttp.ClientTimeout(total=settings.timeout),
    ) as session:
        while True:
            due = log.due(clock())
            gone: set[str] = set()
            results = await asyncio.gather(
                *(_send(session, settings, accounts, delivery, slots) for delivery in due)
            )
            for delivery, (status, error) in zip(due, results, strict=True):
                if status is not None and 200 <= status < 300:
                    log.delivered(delivery)
                    report.sent += 1
                elif status == 410:
                    gone.add(delivery.inbox)
                else:
                    report.failed_attempts += 1
                    attempts = delivery.attempts + 1
                    retry = (
                        clock() + settings.first_backoff * 2 ** (attempts - 1)
                        if attempts < settings.max_attempts
                        else None
                    )
                    log.failed(delivery, error, retry)
            for inbox in sorted(gone):
                report.gone_inboxes.append(inbox)
                report.dropped_followers += log.drop_inbox(inbox)
            upcoming = log.next_due()
            if upcoming is None or upcoming - clock() > settings.wait_within_run:
                break
            await asyncio.sleep(max(0.0, upcoming - clock()))
    counts = log.counts()
    report.pending = counts.get("pending", 0)
    report.gave_up = counts.get("gave-up", 0)


def deliver(settings: DeliverySettings) -> DeliveryReport:
    """Queue what changed since the last run and send it; return what was done."""
    report = DeliveryReport()
    log = DeliveryLog(settings.database)
    try:
        plan(log, settings, report, time.time())
        asyncio.run(send_due(log, settings, report))
    finally:
        log.close()
    return report
