"""Spool to batch files: when a kind's spool reaches `rotate_bytes` or its oldest payload
`rotate_seconds`, its payloads are claimed (renamed into `claims/<batch>/`), merged into one batch
file written durably into the drop folder (`<inbox>/collector/<kind>/`), then the claim removed.

Every step is idempotent: a batch is named by the hash of its members' names, so a crash at any
point is completed at the next start (`recover`) into the same file. Feedback batches are ingested
into the lake right away (their lake file is named by content too). One rotation at a time per
home (a file lock), so `llmops collector rotate` can run beside a serving collector.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from llmops.collector.kinds import KINDS
from llmops.collector.spool import (
    Spool,
    Spooled,
    fsync_dir,
    parse_name,
    read_frames,
    write_durably,
)
from llmops.core.settings import Settings


class Rotation(BaseModel):
    """One batch file written from the spool."""

    kind: str
    path: str
    payloads: int
    records: int
    bytes: int
    first_received: datetime


def collector_home(settings: Settings) -> Path:
    """`$LLMOPS_HOME/collector`: spool, claims, feedback batches, stats."""
    return settings.home / "collector"


def batch_folder(settings: Settings, kind: str) -> Path:
    """Where a kind's batch files go: the drop folder for telemetry, the collector's own
    `feedback/` folder for feedback (ingested into the lake at rotation)."""
    if KINDS[kind].target == "feedback":
        return collector_home(settings) / "feedback"
    return settings.inbox_dir / "collector" / kind


FeedbackSink = Callable[[Path], None]


class Rotator:
    """Claims, merges and writes batches for one home; `feedback_sink` ingests feedback files."""

    def __init__(self, settings: Settings, spool: Spool, feedback_sink: FeedbackSink) -> None:
        self.settings = settings
        self.spool = spool
        self.feedback_sink = feedback_sink
        self.claims = collector_home(settings) / "claims"
        self.claims.mkdir(parents=True, exist_ok=True)
        self._lock_path = collector_home(settings) / "rotate.lock"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self._lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def recover(self) -> list[Rotation]:
        """Finish claims a crash interrupted, and ingest feedback batches not in the lake."""
        with self._locked():
            done = [
                self._finish(claim) for claim in sorted(self.claims.iterdir()) if claim.is_dir()
            ]
            folder = batch_folder(self.settings, "feedback")
            if folder.exists():
                for path in sorted(folder.glob("*.jsonl")):
                    self.feedback_sink(path)
        return [r for r in done if r is not None]

    def due(self, kind: str, entries: list[Spooled], now_ns: int) -> bool:
        """A kind rotates at `rotate_bytes` or when its oldest payload is `rotate_seconds` old."""
        cfg = self.settings.collector
        if not entries:
            return False
        age_s = (now_ns - entries[0].received_ns) / 1e9
        return sum(e.size for e in entries) >= cfg.rotate_bytes or age_s >= cfg.rotate_seconds

    def rotate(self, force: bool = False) -> list[Rotation]:
        """Rotate every kind that is due (all of them with `force`). The folders are listed only
        when the spool's running totals say something may be due."""
        cfg = self.settings.collector
        now = time.time_ns()
        if not force and not self.spool.maybe_due(cfg.rotate_bytes, cfg.rotate_seconds, now):
            return []
        out: list[Rotation] = []
        with self._locked():
            self.spool.rotating()
            claimed = 0
            remaining: list[Spooled] = []
            for kind in KINDS:
                entries = self.spool.entries(kind)
                if not (entries and (force or self.due(kind, entries, now))):
                    remaining += entries
                    continue
                for group in self._groups(entries):
                    claimed += sum(e.size for e in group)
                    rotation = self._finish(self._claim(kind, group))
                    if rotation is not None:
                        out.append(rotation)
            self.spool.left(claimed, remaining)
        return out

    def _groups(self, entries: list[Spooled]) -> Iterator[list[Spooled]]:
        limit = self.settings.collector.rotate_bytes
        group: list[Spooled] = []
        size = 0
        for e in entries:
            if group and size + e.size > limit:
                yield group
                group, size = [], 0
            group.append(e)
            size += e.size
        if group:
            yield group

    def _claim(self, kind: str, group: list[Spooled]) -> Path:
        digest = hashlib.sha256("\n".join(e.path.name for e in group).encode()).hexdigest()[:16]
        stamp = datetime.fromtimestamp(group[0].received_ns / 1e9, UTC).strftime("%Y%m%dT%H%M%S")
        claim = self.claims / f"{kind}--{stamp}-{digest}"
        claim.mkdir(exist_ok=True)
        for e in group:
            try:
                os.rename(e.path, claim / e.path.name)
            except FileNotFoundError:  # claimed by a rotation in another process meanwhile
                continue
        fsync_dir(claim)
        fsync_dir(self.spool.folder(kind))
        return claim

    def _finish(self, claim: Path) -> Rotation | None:
        kind, _, name = claim.name.partition("--")
        if kind not in KINDS:
            return None
        members = [e for p in sorted(claim.iterdir()) if (e := parse_name(p, kind)) is not None]
        if not members:
            shutil.rmtree(claim)
            return None
        spec = KINDS[kind]
        folder = batch_folder(self.settings, kind)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}{spec.suffix}"
        payloads = [p for m in members for p in read_frames(m.path)]
        if path.exists():  # written (atomically) before a crash during the claim's removal
            data = path.read_bytes()
        else:
            data = spec.merge(payloads)
            write_durably(path, data, f".tmp-{name}-{os.getpid()}")
        if spec.target == "feedback":
            self.feedback_sink(path)
        shutil.rmtree(claim)
        fsync_dir(self.claims)
        return Rotation(
            kind=kind,
            path=str(path),
            payloads=len(payloads),
            records=sum(m.records for m in members),
            bytes=len(data),
            first_received=datetime.fromtimestamp(members[0].received_ns / 1e9, UTC),
        )
