"""Group commit: one thread writes the payloads of every request waiting at the moment as one
spool file per kind (one fsync for the group), then answers them all. While it syncs, the next
group gathers, so the number of fsyncs follows the disk, not the request rate."""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field

from llmops.collector.spool import Spool

log = logging.getLogger("llmops.collector")


@dataclass
class _Item:
    kind: str
    payload: bytes
    records: int
    done: Future = field(default_factory=Future)


class GroupWriter:
    """Writes submitted payloads durably in groups of up to `max_bytes`."""

    def __init__(self, spool: Spool, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.spool = spool
        self.max_bytes = max_bytes
        self.groups = 0
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="llmops-spool-writer", daemon=True)
        self._thread.start()

    def submit(self, kind: str, payload: bytes, records: int) -> Future:
        """A future that is done once the payload is on disk (its exception if writing failed)."""
        item = _Item(kind, payload, records)
        self._queue.put(item)
        return item.done

    def close(self) -> None:
        """Write what was submitted, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            group, size = [first], len(first.payload)
            while size < self.max_bytes:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
                size += len(item.payload)
            self._write(group)

    def _write(self, group: list[_Item]) -> None:
        by_kind: dict[str, list[_Item]] = defaultdict(list)
        for item in group:
            by_kind[item.kind].append(item)
        for kind, items in by_kind.items():
            try:
                self.spool.put_many(kind, [i.payload for i in items], sum(i.records for i in items))
            except Exception as exc:  # noqa: BLE001 (each request answers 500 and is retried)
                log.exception("spool write failed")
                for i in items:
                    i.done.set_exception(exc)
                continue
            for i in items:
                i.done.set_result(None)
        self.groups += 1
