"""The collector's state and background work: spool, rotator, counters, and a loop that rotates
what is due, saves the counters and tells the orchestrator about new batches (debounced)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from llmops.collector.rotate import Rotation, Rotator, collector_home
from llmops.collector.spool import Spool
from llmops.collector.stats import Counters
from llmops.collector.writer import GroupWriter
from llmops.core.settings import Settings

log = logging.getLogger("llmops.collector")
RESYNC_TICKS = 120  # the spool's totals reread from its folders about once a minute


class RotationNotice(BaseModel):
    """What one `llmops.collector.rotated` event says: the batch files of one window."""

    batches: list[Rotation]

    @property
    def records(self) -> int:
        return sum(b.records for b in self.batches)


Notify = Callable[[RotationNotice], None]


class Debouncer:
    """At most one notice per `window_s`: rotations in between are sent together."""

    def __init__(self, notify: Notify | None, window_s: float, clock=time.monotonic) -> None:
        self.notify = notify
        self.window_s = window_s
        self.clock = clock
        self.pending: list[Rotation] = []
        self.last: float | None = None
        self.sent = 0
        self._lock = threading.Lock()

    def add(self, rotations: list[Rotation]) -> None:
        """Telemetry batches only: feedback batches are in the lake already."""
        with self._lock:
            self.pending += [r for r in rotations if r.kind != "feedback"]

    def flush(self, force: bool = False) -> bool:
        """Send the pending rotations if the window allows (or `force`); True when sent."""
        with self._lock:  # the loop and `Collector.stop` may flush at the same time
            if not self.pending or self.notify is None:
                self.pending.clear()
                return False
            now = self.clock()
            if not force and self.last is not None and now - self.last < self.window_s:
                return False
            notice = RotationNotice(batches=list(self.pending))
            self.pending.clear()
            self.last = now
            self.sent += 1
        try:
            self.notify(notice)
        except Exception as exc:  # noqa: BLE001 (the hourly schedule still ingests the batches)
            log.warning("could not announce %d batch(es): %s", len(notice.batches), exc)
        return True


def _feedback_sink(settings: Settings) -> Callable[[Path], None]:
    from llmops.feedback.ingest import ingest_file, ingested

    def sink(path: Path) -> None:
        if not ingested(settings, path):
            ingest_file(settings, path)

    return sink


class Collector:
    """One home's spool and rotation; `start()` runs the background loop in a thread."""

    def __init__(self, settings: Settings, notify: Notify | None = None, tick_s: float = 0.5):
        self.settings = settings
        home = collector_home(settings)
        self.spool = Spool(home / "spool")
        self.rotator = Rotator(settings, self.spool, _feedback_sink(settings))
        self.counters = Counters(home / "stats.json")
        self.debouncer = Debouncer(notify, settings.collector.event_window_s)
        self.tick_s = tick_s
        self.writer: GroupWriter | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def recover(self) -> list[Rotation]:
        """Finish what a crash interrupted (claims, feedback not yet in the lake)."""
        self.spool.clean_stale()
        done = self.rotator.recover()
        self._record(done)
        return done

    def rotate(self, force: bool = False) -> list[Rotation]:
        """Rotate what is due now (everything with `force`) and announce it."""
        done = self.rotator.rotate(force=force)
        self._record(done)
        return done

    def _record(self, done: list[Rotation]) -> None:
        self.counters.rotated(done)
        self.debouncer.add(done)

    def wake(self) -> None:
        """Ask the loop to look at the spool now (a payload made a kind due by size)."""
        self._wake.set()

    def _loop(self) -> None:
        ticks = 0
        while not self._stop.is_set():
            self._wake.wait(self.tick_s)
            self._wake.clear()
            ticks += 1
            try:
                if ticks % RESYNC_TICKS == 0:  # `llmops collector rotate` may have run meanwhile
                    self.spool.resync()
                self.rotate()
                self.debouncer.flush()
                self.counters.save()
            except Exception:  # noqa: BLE001 (logged; the next tick tries again)
                log.exception("collector rotation failed")
                self._stop.wait(1.0)

    def start(self) -> None:
        """Recover, start the spool writer, then rotate in the background until `stop()`."""
        self.recover()
        self.writer = GroupWriter(self.spool)
        self._thread = threading.Thread(target=self._loop, name="llmops-collector", daemon=True)
        self._thread.start()

    def stop(self, flush: bool = True) -> None:
        """Stop the writer (after what was submitted) and the loop; save counters; send pending
        notices (`flush`)."""
        if self.writer is not None:
            self.writer.close()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if flush:
            self.debouncer.flush(force=True)
        self.counters.save(force=True)
