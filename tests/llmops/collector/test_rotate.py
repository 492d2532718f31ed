"""Spool rotation is idempotent at every crash point, feedback batches reach the lake once, and
rotation events are debounced to one per window."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from llmops.collector.service import Collector, Debouncer
from llmops.collector.spool import frame, parse_name
from tests.builders.collector import chat_spans, lake_rows


def _feedback(i: int) -> bytes:
    return (
        json.dumps({"feedback_id": f"f{i}", "call_id": f"c{i}", "kind": "flag"}) + "\n"
    ).encode()


def _batches(settings, kind: str) -> list[Path]:
    from llmops.collector.rotate import batch_folder

    folder = batch_folder(settings, kind)
    return (
        sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []
    )


def test_a_crash_after_claiming_is_finished_at_the_next_start(settings) -> None:
    first = Collector(settings)
    for i in range(3):
        first.spool.put("otlp-protobuf", chat_spans(2, start=2 * i), 2)
    entries = first.spool.entries("otlp-protobuf")
    claim = first.rotator._claim("otlp-protobuf", entries)  # ... and the process dies here
    assert first.spool.entries("otlp-protobuf") == [] and _batches(settings, "otlp-protobuf") == []
    done = Collector(settings).recover()
    assert [(r.kind, r.payloads, r.records) for r in done] == [("otlp-protobuf", 3, 6)]
    [batch] = _batches(settings, "otlp-protobuf")
    assert batch.read_bytes() == b"".join(chat_spans(2, start=2 * i) for i in range(3))
    assert not claim.exists()


def test_a_crash_while_removing_the_claim_keeps_the_written_batch(settings) -> None:
    c = Collector(settings)
    for i in range(4):
        c.spool.put("feedback", _feedback(i), 1)
    claim = c.rotator._claim("feedback", c.spool.entries("feedback"))
    c.rotator._finish(claim)  # batch written, feedback ingested, claim removed
    # replay the crash: the claim only half removed when the process died
    claim.mkdir()
    for i in (2, 3):
        name = f"{time.time_ns():020d}-1-{i:012d}-1.part"
        (claim / name).write_bytes(frame([_feedback(i)]))
    Collector(settings).recover()
    [batch] = _batches(settings, "feedback")
    assert batch.read_bytes() == b"".join(_feedback(i) for i in range(4))  # not overwritten
    raw = lake_rows(
        settings,
        "SELECT count(*) FROM read_parquet(?)",
        [str(settings.lake_dir / "feedback" / "fb-*.parquet")],
    )
    assert raw == [(4,)] and not claim.exists()


def test_feedback_written_but_not_ingested_is_ingested_at_start(settings) -> None:
    c = Collector(settings)
    c.spool.put("feedback", _feedback(1), 1)
    c.rotator.feedback_sink = lambda path: None  # the process dies before ingesting
    c.rotate(force=True)
    assert lake_rows(settings, "SELECT count(*) FROM feedback") == [(0,)]
    Collector(settings).recover()
    Collector(settings).recover()  # twice: still once in the lake
    assert lake_rows(settings, "SELECT feedback_id FROM feedback") == [("f1",)]
    assert len(list((settings.lake_dir / "feedback").glob("fb-*.parquet"))) == 1


def test_rotation_is_due_by_size_or_age(settings, monkeypatch) -> None:
    settings.collector.rotate_bytes = 10_000
    settings.collector.rotate_seconds = 60
    c = Collector(settings)
    c.spool.put("litellm", b'{"id": "a", "model": "m"}\n', 1)
    assert c.rotate() == []  # small and young
    c.spool.put("litellm", b"x" * 10_000, 1)
    by_size = c.rotate()  # two batch files: the second payload alone fills one
    assert [r.payloads for r in by_size] == [1, 1]
    c.spool.put("litellm", b'{"id": "b", "model": "m"}\n', 1)
    later = time.time_ns() + 61 * 10**9
    monkeypatch.setattr(time, "time_ns", lambda: later)
    [by_age] = c.rotate()
    assert by_age.payloads == 1


def test_stale_temporary_files_are_removed_and_fresh_ones_kept(settings) -> None:
    c = Collector(settings)
    folder = c.spool.folder("otlp-json")
    stale, fresh = folder / ".tmp-stale", folder / ".tmp-fresh"
    stale.write_bytes(b"never acknowledged")
    fresh.write_bytes(b"being written by another process")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    assert c.spool.clean_stale() == 1
    assert not stale.exists() and fresh.exists()
    assert c.spool.entries("otlp-json") == []  # temporaries are never payloads


def test_concurrent_writers_share_folder_fsyncs_and_lose_nothing(settings) -> None:
    c = Collector(settings)

    def write(k: int) -> None:
        for i in range(50):
            c.spool.put("litellm", f'{{"id": "{k}-{i}", "model": "m"}}\n'.encode(), 1)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = c.spool.entries("litellm")
    assert len(entries) == 400 and len({e.path.name for e in entries}) == 400
    assert all(parse_name(e.path, "litellm") is not None for e in entries)


def test_debouncer_sends_one_notice_per_window() -> None:
    from llmops.collector.rotate import Rotation

    now = [0.0]
    sent = []
    d = Debouncer(sent.append, window_s=60, clock=lambda: now[0])

    def rotation(i: int, kind: str = "otlp-json") -> Rotation:
        return Rotation(
            kind=kind,
            path=f"/b/{i}",
            payloads=1,
            records=i,
            bytes=1,
            first_received="2026-01-01T00:00:00Z",
        )

    d.add([rotation(1)])
    assert d.flush() and [n.records for n in sent] == [1]
    d.add([rotation(2)])
    now[0] = 30
    d.add([rotation(3), rotation(9, kind="feedback")])  # feedback is in the lake already
    assert not d.flush()  # inside the window: held
    now[0] = 61
    assert d.flush()
    assert [[b.path for b in n.batches] for n in sent] == [["/b/1"], ["/b/2", "/b/3"]]
    assert not d.flush()  # nothing pending
