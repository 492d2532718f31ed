"""Collector health counters: requests, records accepted and spooled, rejections by reason,
rotations. Kept in memory, saved to `collector/stats.json` about once a second (atomically) and
carried across restarts; a crash loses at most the last second of counts, never data."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field


class CollectorStats(BaseModel):
    """What the collector has seen since its home was created."""

    requests: dict[str, int] = Field(default_factory=dict, description="per route")
    accepted_records: dict[str, int] = Field(default_factory=dict, description="per spool kind")
    spooled_payloads: int = 0
    spooled_bytes: int = 0
    rejected: dict[str, int] = Field(default_factory=dict, description="requests per reason")
    rejected_records: int = Field(
        0, description="spans/events/payloads refused inside accepted requests"
    )
    rotated_batches: int = 0
    rotated_records: int = 0
    last_rotation: datetime | None = None
    updated_at: datetime | None = None


class Counters:
    """Thread-safe counters behind CollectorStats."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._dirty = False
        self.stats = load(path) or CollectorStats()

    def _bump(self, field: dict[str, int], key: str, n: int = 1) -> None:
        field[key] = field.get(key, 0) + n

    def request(self, route: str) -> None:
        with self._lock:
            self._bump(self.stats.requests, route)
            self._dirty = True

    def rejected(self, reason: str) -> None:
        with self._lock:
            self._bump(self.stats.rejected, reason)
            self._dirty = True

    def spooled(self, kind: str, records: int, size: int, refused_records: int = 0) -> None:
        with self._lock:
            self._bump(self.stats.accepted_records, kind, records)
            if size:
                self.stats.spooled_payloads += 1
                self.stats.spooled_bytes += size
            self.stats.rejected_records += refused_records
            self._dirty = True

    def rotated(self, rotations: list[Any]) -> None:
        if not rotations:
            return
        with self._lock:
            self.stats.rotated_batches += len(rotations)
            self.stats.rotated_records += sum(r.records for r in rotations)
            self.stats.last_rotation = datetime.now(UTC)
            self._dirty = True

    def save(self, force: bool = False) -> None:
        """Write stats.json if anything changed (temp file + rename)."""
        with self._lock:
            if not (self._dirty or force):
                return
            self.stats.updated_at = datetime.now(UTC)
            text = self.stats.model_dump_json(indent=2)
            self._dirty = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, self.path)


def load(path: Path) -> CollectorStats | None:
    """The saved counters, or None when the collector never ran in this home."""
    try:
        return CollectorStats.model_validate(json.loads(path.read_text()))
    except (FileNotFoundError, json.JSONDecodeError, ValueError):
        return None


def top(counter: dict[str, int], n: int = 5) -> list[tuple[str, int]]:
    """The `n` largest entries."""
    return Counter(counter).most_common(n)
