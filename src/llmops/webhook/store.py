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
    PRIMARY KEY (provider, delivery_id)
);
CREATE TABLE IF NOT EXISTS emitted (
    repository TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    path TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    emitted_at TEXT NOT NULL,
    PRIMARY KEY (repository, commit_sha, path)
);
"""


class ReplayError(LlmopsError):
    """A delivery (same id or same signed body) that was received before."""


class DeliveryStore:
    """Delivery ids and body digests seen, and prompt changes already emitted, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        """Create the database file and its tables if needed."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)

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
                "SELECT delivery_id, received_at, body_sha256 = ? FROM deliveries"
                " WHERE (provider = ? AND delivery_id = ?) OR body_sha256 = ?",
                (body_sha256, provider, delivery_id, body_sha256),
            ).fetchone()
            if seen is None:
                con.execute(
                    "INSERT INTO deliveries VALUES (?, ?, ?, ?)",
                    (provider, delivery_id, body_sha256, now),
                )
            con.execute("COMMIT")
        if seen is not None:
            old_id, at, same_body = seen
            what = (
                f"delivery {delivery_id!r} was already received at {at}"
                if old_id == delivery_id
                else f"the same signed body was already received as delivery {old_id!r} at {at}"
            )
            raise ReplayError(f"replay: {what}" + ("" if same_body else " (with another body)"))

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
        """Reserve emitting a prompt change; returns the earlier delivery id if it was emitted."""
        now = datetime.now(UTC).isoformat()
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute(
                "SELECT delivery_id FROM emitted"
                " WHERE repository = ? AND commit_sha = ? AND path = ?",
                (repository, commit_sha, path),
            ).fetchone()
            if row is None:
                con.execute(
                    "INSERT INTO emitted VALUES (?, ?, ?, ?, ?, ?)",
                    (repository, commit_sha, path, delivery_id, event_id, now),
                )
            con.execute("COMMIT")
        return None if row is None else row[0]

    def release_prompt(self, repository: str, commit_sha: str, path: str) -> None:
        """Undo `claim_prompt` after a failed emission."""
        with self._connect() as con:
            con.execute(
                "DELETE FROM emitted WHERE repository = ? AND commit_sha = ? AND path = ?",
                (repository, commit_sha, path),
            )
