"""What followers have been told, and what is still to send: the delivery log (SQLite).

Kept in the inbox service's database (beside its ``followers`` table), so ``coopdir deliver``
reads the followers the inbox recorded. Two tables:

- ``published``: for every object an actor has told its followers about, the version they saw
  (the Note's ``updated``, else ``published``) or that it was deleted. The next run compares
  the built outboxes with it.
- ``deliveries``: one row per (activity, inbox), unique, so no activity is queued for an inbox
  twice; a row is marked delivered only on a 2xx answer, and carries its attempts and the time
  of the next one (exponential backoff, persisted across runs).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PENDING, DELIVERED, GONE, GAVE_UP = "pending", "delivered", "gone", "gave-up"


@dataclass(frozen=True)
class Delivery:
    """One activity to POST to one inbox, as ``account``."""

    activity_id: str
    inbox: str
    account: str
    body: bytes
    attempts: int


@dataclass(frozen=True)
class Follower:
    """A follower's addresses: where to deliver is its shared inbox, else its own."""

    actor: str
    inbox: str
    shared_inbox: str | None

    @property
    def delivery_inbox(self) -> str:
        """Return the inbox to deliver to (once per server when it has a shared inbox)."""
        return self.shared_inbox or self.inbox


class DeliveryLog:
    """The delivery tables in the inbox's SQLite file."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.executescript(
            """
            CREATE TABLE IF NOT EXISTS followers (
                account TEXT NOT NULL, actor TEXT NOT NULL, inbox TEXT NOT NULL,
                shared_inbox TEXT, follow TEXT NOT NULL, PRIMARY KEY (account, actor));
            CREATE TABLE IF NOT EXISTS seen_accounts (account TEXT PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS published (
                object TEXT NOT NULL, account TEXT NOT NULL, version TEXT,
                deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (account, object));
            CREATE TABLE IF NOT EXISTS deliveries (
                activity TEXT NOT NULL, inbox TEXT NOT NULL, account TEXT NOT NULL,
                body BLOB NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt REAL NOT NULL, first_queued REAL NOT NULL, last_error TEXT,
                PRIMARY KEY (activity, inbox));
            """
        )
        self.connection.commit()

    # --- what followers know ---------------------------------------------------------------

    def seen(self, account: str) -> bool:
        """Return True when a run has recorded this account's outbox before."""
        row = self.connection.execute(
            "SELECT 1 FROM seen_accounts WHERE account = ?", (account,)
        ).fetchone()
        return row is not None

    def mark_seen(self, account: str) -> None:
        """Record that the account's outbox is now the baseline."""
        self.connection.execute("INSERT OR IGNORE INTO seen_accounts VALUES (?)", (account,))

    def known(self, account: str) -> dict[str, tuple[str | None, bool]]:
        """Return object id → (version followers saw, deleted) for one account."""
        rows = self.connection.execute(
            "SELECT object, version, deleted FROM published WHERE account = ?", (account,)
        )
        return {obj: (version, bool(deleted)) for obj, version, deleted in rows}

    def record(self, account: str, obj: str, version: str | None, deleted: bool) -> None:
        """Record what followers now know of an object."""
        self.connection.execute(
            "INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?)",
            (obj, account, version, int(deleted)),
        )

    def forget(self, account: str, obj: str) -> None:
        """Forget an object (a boost of an opening that has closed)."""
        self.connection.execute(
            "DELETE FROM published WHERE account = ? AND object = ?", (account, obj)
        )

    # --- followers ---------------------------------------------------------------------------

    def followers(self, account: str) -> list[Follower]:
        """Return an account's followers (as the inbox service recorded them)."""
        rows = self.connection.execute(
            "SELECT actor, inbox, shared_inbox FROM followers WHERE account = ? ORDER BY actor",
            (account,),
        )
        return [Follower(*row) for row in rows]

    def drop_inbox(self, inbox: str) -> int:
        """Drop every follower reached through ``inbox`` (it answered 410 Gone)."""
        dropped = self.connection.execute(
            "DELETE FROM followers WHERE inbox = ? OR shared_inbox = ?", (inbox, inbox)
        ).rowcount
        self.connection.execute(
            "UPDATE deliveries SET state = ? WHERE inbox = ? AND state = ?",
            (GONE, inbox, PENDING),
        )
        self.connection.commit()
        return dropped

    # --- the queue ---------------------------------------------------------------------------

    def enqueue(self, activity: dict[str, Any], account: str, inbox: str, now: float) -> bool:
        """Queue an activity for an inbox; return False when it was queued before."""
        body = json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        added = self.connection.execute(
            "INSERT OR IGNORE INTO deliveries (activity, inbox, account, body, state,"
            " next_attempt, first_queued) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (activity["id"], inbox, account, body, PENDING, now, now),
        ).rowcount
        return added == 1

    def due(self, now: float) -> list[Delivery]:
        """Return the pending deliveries whose time has come."""
        rows = self.connection.execute(
            "SELECT activity, inbox, account, body, attempts FROM deliveries"
            " WHERE state = ? AND next_attempt <= ? ORDER BY first_queued, activity, inbox",
            (PENDING, now),
        )
        return [Delivery(*row) for row in rows]

    def next_due(self) -> float | None:
        """Return when the earliest pending delivery is due, if any is pending."""
        (moment,) = self.connection.execute(
            "SELECT MIN(next_attempt) FROM deliveries WHERE state = ?", (PENDING,)
        ).fetchone()
        return moment

    def delivered(self, delivery: Delivery) -> None:
        """Mark a delivery done (a 2xx answer): it is never sent again."""
        self.connection.execute(
            "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_error = NULL"
            " WHERE activity = ? AND inbox = ?",
            (DELIVERED, delivery.activity_id, delivery.inbox),
        )
        self.connection.commit()

    def failed(self, delivery: Delivery, error: str, next_attempt: float | None) -> None:
        """Record a failed attempt: retry at ``next_attempt``, or give up when it is None."""
        self.connection.execute(
            "UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt = ?,"
            " last_error = ? WHERE activity = ? AND inbox = ?",
            (
                PENDING if next_attempt is not None else GAVE_UP,
                next_attempt or 0.0,
                error,
                delivery.activity_id,
                delivery.inbox,
            ),
        )
        self.connection.commit()

    def counts(self) -> dict[str, int]:
        """Return how many deliveries are in each state."""
        rows = self.connection.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
        return dict(rows)

    def commit(self) -> None:
        """Commit what was recorded."""
        self.connection.commit()

    def close(self) -> None:
        """Close the database."""
        self.connection.close()
