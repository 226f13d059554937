"""The inbox service: what lets people follow a co-op from Mastodon (issue 5, part 3, first slice).

Mastodon treats every ``Follow`` as a request that stays "pending" until the followed actor POSTs
back a signed ``Accept``; a static site cannot do that. This small aiohttp service answers POSTs
to the actors' inboxes on the site's host:

1. The request must carry an HTTP signature, draft-cavage or RFC 9421, covering its target,
   host, time and body digest (``verification.py``); the signer's actor is fetched (with a GET
   signed as the directory, as servers in "authorized fetch" mode require, and only from a
   public address: ``netguard.py``) and the signature checked against the key it publishes.
   Unsigned, forged, stale or replayed: 401. A body over 1 MB (Mastodon's limit): 413.
2. ``Follow`` of one of our actors: the follower is stored (SQLite) and a signed ``Accept`` is
   POSTed to its inbox. ``Undo`` of a ``Follow``: the follower is removed. Anything else is
   acknowledged and ignored.

``coopdir deliver`` (``delivery.py``) pushes new openings to the followers kept here. Our
actors have no shared inbox: each actor's inbox takes its own follows.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from . import urls
from .apvocab import AS2, MEDIA_TYPE, Account
from .netguard import check_url, guarded_session
from .signatures import signed_headers
from .verification import (
    FUTURE_LIMIT,
    PAST_LIMIT,
    SignatureRefused,
    SignedRequest,
    signature_token,
    verify,
)
from .verification import key_id as signing_key_id

MAX_BODY = 1024 * 1024
"""The largest activity taken (Mastodon's ``MAX_JSON_SIZE``); a larger body gets 413."""


class FollowerStore:
    """Followers per account, in one SQLite file: the service's only state."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, timeout=30)  # coopdir deliver shares it
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS followers ("
            " account TEXT NOT NULL, actor TEXT NOT NULL, inbox TEXT NOT NULL,"
            " shared_inbox TEXT, follow TEXT NOT NULL, PRIMARY KEY (account, actor))"
        )
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS seen_signatures (token TEXT PRIMARY KEY, seen REAL)"
        )
        self.connection.commit()

    def first_sight(self, token: str, now: float) -> bool:
        """Record a signature; return False when it was seen before (a replayed request).

        Signatures older than the accepted window are forgotten: their requests are refused
        as stale anyway.
        """
        window = (PAST_LIMIT + FUTURE_LIMIT).total_seconds()
        self.connection.execute("DELETE FROM seen_signatures WHERE seen < ?", (now - window,))
        added = self.connection.execute(
            "INSERT OR IGNORE INTO seen_signatures VALUES (?, ?)", (token, now)
        ).rowcount
        self.connection.commit()
        return added == 1

    def add(
        self, account: str, actor: str, inbox: str, shared_inbox: str | None, follow: str
    ) -> None:
        """Record (or renew) that ``actor`` follows ``account``."""
        self.connection.execute(
            "INSERT OR REPLACE INTO followers VALUES (?, ?, ?, ?, ?)",
            (account, actor, inbox, shared_inbox, follow),
        )
        self.connection.commit()

    def remove(self, account: str, actor: str) -> None:
        """Forget that ``actor`` follows ``account``."""
        self.connection.execute(
            "DELETE FROM followers WHERE account = ? AND actor = ?", (account, actor)
        )
        self.connection.commit()

    def followers(self, account: str) -> list[str]:
        """Return the actors following ``account``, in a stable order."""
        rows = self.connection.execute(
            "SELECT actor FROM followers WHERE account = ? ORDER BY actor", (account,)
        )
        return [actor for (actor,) in rows]

    def close(self) -> None:
        """Close the database."""
        self.connection.close()


@dataclass(frozen=True)
class InboxSettings:
    """What the service needs: the site, its accounts, keys, and where followers are kept."""

    site_url: str
    accounts: tuple[Account, ...]
    keys_dir: Path
    database: Path
    allow_http: bool = False
    """Fetch and deliver over plain http too (tests on loopback); never in production."""
    allow_loopback: bool = False
    """Fetch from and deliver to loopback addresses (tests); private ranges stay refused."""


STORE = web.AppKey("store", FollowerStore)
SETTINGS = web.AppKey("settings", InboxSettings)
SESSION = web.AppKey("session", aiohttp.ClientSession)


def make_app(settings: InboxSettings) -> web.Application:
    """Return the aiohttp application: one POST route per actor's inbox."""
    app = web.Application(client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    for account in settings.accounts:
        app.router.add_post(account.path("inbox"), _inbox_handler(account))

    async def session_context(app: web.Application) -> Any:
        # Opened in the serving loop's thread: sqlite3 connections stay in their thread.
        app[STORE] = FollowerStore(settings.database)
        app[SESSION] = guarded_session(
            allow_loopback=settings.allow_loopback, timeout=aiohttp.ClientTimeout(total=20)
        )
        yield
        await app[SESSION].close()
        app[STORE].close()

    app.cleanup_ctx.append(session_context)
    return app


def _inbox_handler(account: Account) -> Any:
    async def handle(request: web.Request) -> web.Response:
        settings = request.app[SETTINGS]
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413, text=f"activities are limited to {MAX_BODY} bytes")
        body = await request.read()  # aiohttp answers 413 itself past client_max_size
        try:
            activity = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="the body is not JSON")
        if not isinstance(activity, dict):
            return web.Response(status=400, text="the body is not an activity")
        try:
            signer = await _verified_signer(request, body)
        except SignatureRefused as refusal:
            return web.Response(status=401, text=str(refusal))
        if activity.get("actor") != signer["id"]:
            return web.Response(status=401, text="the activity's actor did not sign it")
        if not isinstance(signer.get("inbox"), str):
            return web.Response(status=400, text="the signer's actor has no inbox")
        await _apply(request.app, account, activity, signer, settings)
        return web.Response(status=202)

    return handle


async def _verified_signer(request: web.Request, body: bytes) -> dict[str, Any]:
    """Return the actor whose key signed the request, or raise SignatureRefused."""
    settings = request.app[SETTINGS]
    signed = SignedRequest(
        request.method,
        urls.absolute(settings.site_url, request.path_qs),
        request.headers,
        body,
    )
    key_id = signing_key_id(signed)
    actor = await fetch_json(request.app, key_id.split("#")[0])
    if "publicKeyPem" in actor and isinstance(actor.get("owner"), str):
        actor = await fetch_json(request.app, actor["owner"])  # keyId named a key document
    key = actor.get("publicKey") or {}
    keys = key if isinstance(key, list) else [key]
    pem = next(
        (k.get("publicKeyPem") for k in keys if isinstance(k, dict) and k.get("id") == key_id),
        None,
    )
    if not pem or not any(k.get("owner") == actor.get("id") for k in keys):
        raise SignatureRefused(f"{key_id} is not a key its actor publishes")
    verify(signed, pem)
    if not request.app[STORE].first_sight(signature_token(signed), time.time()):
        raise SignatureRefused("this signed request was received before: a replay")
    return actor


async def fetch_json(app: web.Application, url: str) -> dict[str, Any]:
    """GET an ActivityPub document, signed as the directory (authorized-fetch servers ask that)."""
    settings = app[SETTINGS]
    try:
        check_url(url, allow_http=settings.allow_http, allow_loopback=settings.allow_loopback)
    except aiohttp.ClientError as error:
        raise SignatureRefused(str(error)) from error
    directory = next(a for a in settings.accounts if a.coop is None)
    headers = signed_headers(
        "GET",
        url,
        b"",
        account=directory,
        site_url=settings.site_url,
        keys_dir=settings.keys_dir,
        headers={"Accept": MEDIA_TYPE},
    )
    try:
        async with app[SESSION].get(url, headers=headers, allow_redirects=False) as response:
            if response.status != 200:
                raise SignatureRefused(f"{url} answered {response.status}")
            document = await response.json(content_type=None)
    except (aiohttp.ClientError, ValueError) as error:
        raise SignatureRefused(f"{url} could not be read: {error}") from error
    if not isinstance(document, dict) or document.get("id") != url:
        raise SignatureRefused(f"{url} is not an actor whose id is its URL")
    return document


async def _apply(
    app: web.Application,
    account: Account,
    activity: dict[str, Any],
    follower: dict[str, Any],
    settings: InboxSettings,
) -> None:
    """Act on a verified activity: Follow and Undo of a Follow; ignore the rest."""
    actor_id = urls.absolute(settings.site_url, account.actor)
    kind = activity.get("type")
    target = activity.get("object")
    if kind == "Follow" and target == actor_id:
        endpoints = follower.get("endpoints") or {}
        app[STORE].add(
            account.name,
            follower["id"],
            follower["inbox"],
            endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None,
            str(activity.get("id")),
        )
        # A failed Accept leaves the follow pending on their side; following again retries.
        with contextlib.suppress(aiohttp.ClientError):
            await deliver(app, account, follower["inbox"], accept(actor_id, activity))
    elif (
        kind == "Undo"
        and isinstance(target, dict)
        and target.get("type") == "Follow"
        and target.get("object") == actor_id
    ):
        app[STORE].remove(account.name, follower["id"])


def accept(actor_id: str, follow: dict[str, Any]) -> dict[str, Any]:
    """Return the Accept of a Follow: stable id, the Follow embedded as Mastodon expects."""
    digest = hashlib.sha256(str(follow.get("id")).encode("utf-8")).hexdigest()[:32]
    return {
        "@context": AS2,
        "id": f"{actor_id}#accept-{digest}",
        "type": "Accept",
        "actor": actor_id,
        "object": {key: value for key, value in follow.items() if key != "@context"},
        "to": [follow["actor"]],
    }


async def deliver(
    app: web.Application, account: Account, inbox: str, activity: dict[str, Any]
) -> int:
    """POST an activity to an inbox, signed as ``account``; return the HTTP status."""
    settings = app[SETTINGS]
    check_url(inbox, allow_http=settings.allow_http, allow_loopback=settings.allow_loopback)
    body = json.dumps(activity, ensure_ascii=False).encode("utf-8")
    headers = signed_headers(
        "POST",
        inbox,
        body,
        account=account,
        site_url=settings.site_url,
        keys_dir=settings.keys_dir,
        headers={"Content-Type": MEDIA_TYPE},
    )
    async with app[SESSION].post(inbox, data=body, headers=headers) as response:
        return response.status
