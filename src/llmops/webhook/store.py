"""Durable memory of deliveries and emitted prompt events (SQLite under $LLMOPS_HOME/webhook/)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from llmops.core.errors import LlmopsError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    provider TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    body_sha256 TEXT NOT NULL UNIQUE,
    received_at TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (provider, delivery_id)
);
CREATE TABLE IF NOT EXISTS emitted (
    repository TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    path TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    emitted_at TEXT NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository, commit_sha, path)
);
"""
# Stores written before deliveries were completed explicitly: their rows count as done.
_MIGRATIONS = (
    ("deliveries", "completed_at", "ALTER TABLE deliveries ADD COLUMN completed_at TEXT",
     "UPDATE deliveries SET completed_at = received_at"),
    ("emitted", "confirmed", "ALTER TABLE emitted ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0",
     "UPDATE emitted SET confirmed = 1"),
)  # fmt: skip


class ReplayError(LlmopsError):
    """A delivery (same id or same signed body) that was received before."""


class DeliveryStore:
    """Delivery ids and body digests seen, and prompt changes already emitted, in one SQLite file.

    At-least-once: a delivery is done (`completed_at`) only after every event it carries was
    emitted, and a prompt change counts as emitted (`confirmed`) only after its emission
    returned. A receiver killed in between leaves both open; the host's redelivery then goes
    through again and emits what was not confirmed, under the same stable event id.
    """

    def __init__(self, path: Path) -> None:
        """Create the database file and its tables if needed (and add newer columns)."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)
            for table, column, alter, backfill in _MIGRATIONS:
                columns = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    con.execute("BEGIN IMMEDIATE")
                    con.execute(alter)
                    con.execute(backfill)
                    con.execute("COMMIT")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            yield con
        finally:
            con.close()

    def claim_delivery(self, provider: str, delivery_id: str, body_sha256: str) -> None:
        """Record a delivery; raises ReplayError if its id or its exact body was seen before."""
        now = datetime.now(UTC).isoformat()
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            seen = con.execute(
                "SELECT delivery_id, received_at, body_sha256 = ?, completed_at FROM deliveries"
                " WHERE (provider = ? AND delivery_id = ?) OR body_sha256 = ?",
                (body_sha256, provider, delivery_id, body_sha256),
            ).fetchone()
            if seen is not None and seen[3] is None and seen[0] == delivery_id and seen[2]:
                seen = None  # received, never completed (the receiver died): process it again
            elif seen is None:
                con.execute(
                    "INSERT INTO deliveries VALUES (?, ?, ?, ?, NULL)",
                    (provider, delivery_id, body_sha256, now),
                )
            con.execute("COMMIT")
        if seen is not None:
            old_id, at, same_body, _ = seen
            what = (
                f"delivery {delivery_id!r} was already received at {at}"
                if old_id == delivery_id
                else f"the same signed body was already received as delivery {old_id!r} at {at}"
            )
            raise ReplayError(f"replay: {what}" + ("" if same_body else " (with another body)"))

    def complete_delivery(self, provider: str, delivery_id: str) -> None:
        """Mark a delivery done: every event it carries was emitted (or it carries none)."""
        with self._connect() as con:
            con.execute(
                "UPDATE deliveries SET completed_at = ? WHERE provider = ? AND delivery_id = ?",
                (datetime.now(UTC).isoformat(), provider, delivery_id),
            )

    def release_delivery(self, provider: str, delivery_id: str) -> None:
        """Forget a delivery whose events could not be emitted, so the host may redeliver it."""
        with self._connect() as con:
            con.execute(
                "DELETE FROM deliveries WHERE provider = ? AND delivery_id = ?",
                (provider, delivery_id),
            )

    def claim_prompt(
        self, repository: str, commit_sha: str, path: str, delivery_id: str, event_id: str
    ) -> str | None:
        """Reserve emitting a prompt change; returns the earlier delivery id if it was emitted.

        A reservation that was never confirmed (its receiver died before or while emitting) is
        taken over: the change is emitted again, under the same event id.
        """
        now = datetime.now(UTC).isoformat()
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute(
                "SELECT delivery_id, confirmed FROM emitted"
                " WHERE repository = ? AND commit_sha = ? AND path = ?",
                (repository, commit_sha, path),
            ).fetchone()
            if row is None or not row[1]:
                con.execute(
                    "INSERT OR REPLACE INTO emitted VALUES (?, ?, ?, ?, ?, ?, 0)",
                    (repository, commit_sha, path, delivery_id, event_id, now),
                )
            con.execute("COMMIT")
        return None if row is None or not row[1] else row[0]

    def confirm_prompt(self, repository: str, commit_sha: str, path: str) -> None:
        """The change's event was emitted: later deliveries of it skip it."""
        with self._connect() as con:
            con.execute(
                "UPDATE emitted SET confirmed = 1 WHERE repository = ? AND commit_sha = ? AND path = ?",
                (repository, commit_sha, path),
            )

    def release_prompt(self, repository: str, commit_sha: str, path: str) -> None:
        """Undo `claim_prompt` after a failed emission."""
        with self._connect() as con:
            con.execute(
                "DELETE FROM emitted WHERE repository = ? AND commit_sha = ? AND path = ?",
                (repository, commit_sha, path),
            )
