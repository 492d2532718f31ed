"""The durable spool: accepted payloads are written to a temporary file, fsynced, renamed into
their kind's folder and the folder fsynced before their requests are answered.

Requests in flight together are written together (`GroupWriter`): one spool file holds the
payloads of one group, each framed by its length, so one fsync covers them all. Layout under
`$LLMOPS_HOME/collector/spool/<kind>/`: `<ns>-<pid>-<seq>-<records>.part`, the receive time in
nanoseconds first so names sort by arrival; `.tmp-*` files are writes never acknowledged.
"""

from __future__ import annotations

import itertools
import os
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from llmops.collector.kinds import KINDS

SUFFIX = ".part"
_FRAME = struct.Struct(">I")


@dataclass(frozen=True)
class Spooled:
    """One spool file on disk (one or more payloads)."""

    path: Path
    kind: str
    records: int
    size: int

    @property
    def received_ns(self) -> int:
        return int(self.path.name.split("-", 1)[0])


def parse_name(path: Path, kind: str) -> Spooled | None:
    """The spool file a name describes, or None for anything else."""
    if path.name.startswith(".") or path.suffix != SUFFIX:
        return None
    parts = path.stem.split("-")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    return Spooled(path, kind, int(parts[3]), size)


def frame(payloads: Iterable[bytes]) -> bytes:
    """Payloads, each prefixed by its length (4 bytes, big-endian)."""
    return b"".join(_FRAME.pack(len(p)) + p for p in payloads)


def read_frames(path: Path) -> list[bytes]:
    """The payloads of one spool file."""
    data = path.read_bytes()
    out, at = [], 0
    while at < len(data):
        (size,) = _FRAME.unpack_from(data, at)
        at += _FRAME.size
        if at + size > len(data):
            raise ValueError(f"{path}: truncated frame at byte {at - _FRAME.size}")
        out.append(data[at : at + size])
        at += size
    return out


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes, tmp_name: str) -> None:
    """Write to `tmp_name` beside `path`, fsync, rename onto `path`, fsync the folder."""
    tmp = path.with_name(tmp_name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    fsync_dir(path.parent)


class Spool:
    """The spool folders of one collector home; `pending_bytes` counts what awaits rotation."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._seq = itertools.count()
        self._lock = threading.Lock()
        for kind in KINDS:
            self.folder(kind).mkdir(parents=True, exist_ok=True)
        self.pending_bytes = 0  # spooled, not rotated (this process's view; `resync` rereads)
        self.oldest_ns: int | None = None  # receive time of the oldest payload not yet rotated
        self.resync()

    def resync(self) -> None:
        """Pending bytes and oldest payload from the folders (another process may have rotated)."""
        entries = [e for kind in KINDS for e in self.entries(kind)]
        with self._lock:
            self.pending_bytes = sum(e.size for e in entries)
            self.oldest_ns = min((e.received_ns for e in entries), default=None)

    def maybe_due(self, rotate_bytes: int, rotate_seconds: float, now_ns: int) -> bool:
        """Whether any kind could be due for rotation, without listing the folders."""
        with self._lock:
            if self.pending_bytes >= rotate_bytes:
                return True
            return self.oldest_ns is not None and (now_ns - self.oldest_ns) / 1e9 >= rotate_seconds

    def rotating(self) -> None:
        """A rotation lists the folders now: payloads spooled from here on set `oldest_ns`."""
        with self._lock:
            self.oldest_ns = None

    def left(self, claimed_bytes: int, remaining: list[Spooled]) -> None:
        """After a rotation: subtract what it claimed; the oldest of what it left."""
        with self._lock:
            self.pending_bytes = max(0, self.pending_bytes - claimed_bytes)
            times = [e.received_ns for e in remaining]
            if self.oldest_ns is not None:
                times.append(self.oldest_ns)
            self.oldest_ns = min(times, default=None)

    def clean_stale(self, max_age_s: float = 600.0) -> int:
        """Remove temporary files of writes never acknowledged (older than `max_age_s`, so a
        write in flight in another process is left alone); how many were removed."""
        removed = 0
        cutoff = time.time() - max_age_s
        for kind in KINDS:
            for path in self.folder(kind).glob(".tmp-*"):
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed

    def folder(self, kind: str) -> Path:
        return self.root / kind

    def put(self, kind: str, payload: bytes, records: int) -> Spooled:
        """Durably spool one payload (returns once it is on disk)."""
        return self.put_many(kind, [payload], records)

    def put_many(self, kind: str, payloads: list[bytes], records: int) -> Spooled:
        """Durably spool payloads as one file (one fsync for all of them)."""
        if kind not in KINDS:
            raise ValueError(f"unknown spool kind {kind!r}")
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._seq):012d}-{records}{SUFFIX}"
        path = self.folder(kind) / name
        data = frame(payloads)
        write_durably(path, data, f".tmp-{name}")
        entry = Spooled(path, kind, records, len(data))
        with self._lock:
            self.pending_bytes += len(data)
            if self.oldest_ns is None:
                self.oldest_ns = entry.received_ns
        return entry

    def entries(self, kind: str) -> list[Spooled]:
        """Spool files of a kind in arrival order."""
        return self.scan(self.root, kind)

    @staticmethod
    def scan(root: Path, kind: str) -> list[Spooled]:
        """The spool files of a kind under `root` (read-only)."""
        out = []
        folder = root / kind
        if not folder.exists():
            return out
        for path in sorted(folder.iterdir()):
            entry = parse_name(path, kind)
            if entry is not None:
                out.append(entry)
        return out
