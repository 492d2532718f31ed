"""SIGKILL in the middle of a stream: every acknowledged span is in llm_calls exactly once.

The collector runs as its own process over a home on disk; four client threads post OTLP
protobuf exports (5 spans each, unique ids) and retry as the OpenTelemetry SDK's exporter does
(connection errors, 429, 502, 503, 504: back off and send the same body again). The collector is
killed with SIGKILL at three points of the stream and restarted on the same port; it rotates its
spool every 0.3 s, so kills also land in rotations. Afterwards: rotate what is left, ingest the
drop folder, count.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.builders.collector import (
    BEARER,
    CollectorProcess,
    chat_spans,
    lake_rows,
    rotate_and_ingest,
)

REQUESTS = 240
SPANS = 5
KILL_AFTER = (50, 110, 170)  # acknowledged requests
RETRYABLE = {429, 502, 503, 504}


def _send_all(url: str, bodies: dict[int, bytes], acked: list[int], lock: threading.Lock) -> None:
    with httpx.Client(timeout=5.0) as client:
        for n, body in bodies.items():
            delay = 0.02
            while True:
                try:
                    r = client.post(
                        f"{url}/v1/traces",
                        content=body,
                        headers=BEARER | {"content-type": "application/x-protobuf"},
                    )
                    if r.status_code == 200:
                        break
                    assert r.status_code in RETRYABLE, (r.status_code, r.text)
                except httpx.TransportError:
                    pass  # the collector is down: retry like the SDK does
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
            with lock:
                acked.append(n)


def test_sigkill_at_three_points_loses_and_duplicates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    proc = CollectorProcess(home, env={"LLMOPS_COLLECTOR__ROTATE_SECONDS": "0.3"}).start()
    bodies = {n: chat_spans(SPANS, start=n * SPANS) for n in range(REQUESTS)}
    acked: list[int] = []
    lock = threading.Lock()
    clients = [
        threading.Thread(
            target=_send_all,
            args=(proc.url, {n: b for n, b in bodies.items() if n % 4 == k}, acked, lock),
        )
        for k in range(4)
    ]
    for t in clients:
        t.start()
    kills = []
    try:
        for point in KILL_AFTER:
            while len(acked) < point:
                time.sleep(0.002)
            proc.kill()
            kills.append(len(acked))
            proc.start()
        for t in clients:
            t.join(timeout=120)
    finally:
        proc.stop()
    assert not any(t.is_alive() for t in clients)
    assert len(kills) == 3 and sorted(acked) == list(range(REQUESTS))

    monkeypatch.setenv("LLMOPS_HOME", str(home))
    monkeypatch.setenv("LLMOPS_USER_HASH_KEY", "test-key")
    from llmops.core.settings import get_settings

    settings = get_settings()
    rotate_and_ingest(settings)
    expected = {f"{i:016x}" for i in range(1, REQUESTS * SPANS + 1)}
    (calls, distinct) = lake_rows(
        settings, "SELECT count(*), count(DISTINCT call_id) FROM llm_calls"
    )[0]
    got = {r[0] for r in lake_rows(settings, "SELECT call_id FROM llm_calls")}
    lost, extra = expected - got, got - expected
    assert (len(lost), len(extra), calls - distinct) == (0, 0, 0), (sorted(lost)[:5], kills)
    assert calls == REQUESTS * SPANS
    assert not list((home / "collector" / "claims").iterdir())  # every rotation finished
