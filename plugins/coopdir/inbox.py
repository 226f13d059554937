"""The inbox service: what lets people follow a co-op from Mastodon (issue 5, part 3, first slice).

Mastodon treats every ``Follow`` as a request that stays "pending" until the followed actor POSTs
back a signed ``Accept``; a static site cannot do that. This small aiohttp service answers POSTs
to the actors' inboxes on the site's host:

1. The request must carry a draft-cavage HTTP signature; the signer's actor is fetched (with a
   GET signed as the directory, as servers in "authorized fetch" mode require) and the
   signature checked against the key it publishes (apsig). Unsigned or forged: 401.
2. ``Follow`` of one of our actors: the follower is stored (SQLite) and a signed ``Accept`` is
   POSTed to its inbox. ``Undo`` of a ``Follow``: the follower is removed. Anything else is
   acknowledged and ignored.

What is not here yet: RFC 9421 signatures, the shared inbox, ``coopdir deliver`` (pushing new
openings to followers) and serving the follower counts; the static actors still say
``pollOnly`` until they are.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from apsig.draft.verify import Verifier

from . import urls
from .apvocab import AS2, MEDIA_TYPE, Account
from .signatures import signed_headers

KEY_ID = re.compile(r'keyId="([^"]+)"')
"""The key id in a draft-cavage ``Signature`` header (its other parameters are apsig's)."""


class FollowerStore:
    """Followers per account, in one SQLite file: the service's only state."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS followers ("
            " account TEXT NOT NULL, actor TEXT NOT NULL, inbox TEXT NOT NULL,"
            " shared_inbox TEXT, follow TEXT NOT NULL, PRIMARY KEY (account, actor))"
        )
        self.connection.commit()

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


class SignatureRefused(Exception):
    """A request whose signature is missing or does not verify."""


STORE = web.AppKey("store", FollowerStore)
SETTINGS = web.AppKey("settings", InboxSettings)
SESSION = web.AppKey("session", aiohttp.ClientSession)


def make_app(settings: InboxSettings) -> web.Application:
    """Return the aiohttp application: one POST route per actor's inbox."""
    app = web.Application()
    app[SETTINGS] = settings
    for account in settings.accounts:
        app.router.add_post(account.path("inbox"), _inbox_handler(account))

    async def session_context(app: web.Application) -> Any:
        # Opened in the serving loop's thread: sqlite3 connections stay in their thread.
        app[STORE] = FollowerStore(settings.database)
        app[SESSION] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        yield
        await app[SESSION].close()
        app[STORE].close()

    app.cleanup_ctx.append(session_context)
    return app


def _inbox_handler(account: Account) -> Any:
    async def handle(request: web.Request) -> web.Response:
        settings = request.app[SETTINGS]
        body = await request.read()
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
    found = KEY_ID.search(request.headers.get("Signature", ""))
    if not found:
        raise SignatureRefused("the request is not signed (no Signature header with a keyId)")
    key_id = found.group(1)
    actor = await fetch_json(request.app, key_id.split("#")[0])
    key = actor.get("publicKey") or {}
    keys = key if isinstance(key, list) else [key]
    pem = next((k.get("publicKeyPem") for k in keys if k.get("id") == key_id), None)
    if not pem or not any(k.get("owner") == actor.get("id") for k in keys):
        raise SignatureRefused(f"{key_id} is not a key its actor publishes")
    url = urls.absolute(settings.site_url, request.path_qs)
    verified = Verifier(pem, request.method, url, dict(request.headers), body).verify()
    if verified is None:
        raise SignatureRefused("the signature does not verify")
    return actor


async def fetch_json(app: web.Application, url: str) -> dict[str, Any]:
    """GET an ActivityPub document, signed as the directory (authorized-fetch servers ask that)."""
    settings = app[SETTINGS]
    _check_url(url, settings)
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


def _check_url(url: str, settings: InboxSettings) -> None:
    scheme = urlsplit(url).scheme
    if scheme != "https" and not (settings.allow_http and scheme == "http"):
        raise SignatureRefused(f"{url}: only https actors are fetched")


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
    _check_url(inbox, settings)
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
