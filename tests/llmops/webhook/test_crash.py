"""At-least-once: a receiver killed with SIGKILL mid-delivery loses no merged prompt change."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.builders.webhook import commit, github_push, post_github

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(log: Path, **kill: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = os.environ | {"EVENT_LOG": str(log), **kill}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.builders.crashing_webhook", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, "receiver died while starting"
        time.sleep(0.1)
    raise AssertionError("receiver did not start")


def test_sigkill_at_three_points_loses_no_event_and_duplicates_share_ids(
    webhook_env: Path, tmp_path: Path
) -> None:
    """Issue 17: the delivery was recorded before the event was emitted, so after a kill -9 the
    host's redelivery got 409 and the change was never emitted."""
    log = tmp_path / "events.jsonl"
    # Each incarnation dies at one point: before its 4th emission (after the store's claims),
    # after its 6th (emitted, not yet recorded), before its 3rd; the fourth one lives.
    incarnations = [{"KILL_BEFORE": "4"}, {"KILL_AFTER": "6"}, {"KILL_BEFORE": "3"}, {}]
    proc, url = _start(log, **incarnations.pop(0))
    expected: set[tuple[str, str]] = set()
    kills = 0
    try:
        for i in range(50):
            paths = [f"prompts/p{i}.yaml"] + ([f"prompts/q{i}.yaml"] if i % 3 == 0 else [])
            payload = github_push([commit(modified=paths)])
            sha = payload["after"]
            expected |= {(sha, p) for p in paths}
            delivery = str(uuid.uuid4())
            for _attempt in range(5):  # the host redelivers what was not answered 2xx
                try:
                    status = post_github(url, payload, delivery=delivery).status_code
                except httpx.HTTPError:
                    status = None
                if status is not None and status < 300:
                    break
                assert status is None, f"delivery {i}: answered {status}"
                proc.wait(timeout=30)
                kills += 1
                proc, url = _start(log, **incarnations.pop(0))
            else:
                raise AssertionError(f"delivery {i} never answered 2xx")
    finally:
        proc.kill()
        proc.wait()
    assert kills == 3
    events = [json.loads(line) for line in log.read_text().splitlines()]
    ids = {e["event_id"] for e in events}
    assert {e["path"] for e in events} == {p for _, p in expected}
    assert len(ids) == len(expected) == 67  # every change emitted, under one id each
    assert len(events) - len(ids) <= 1  # only the kill after emitting re-emits (same id)


def test_a_store_written_before_completion_was_recorded_keeps_its_replays(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    from llmops.webhook.store import DeliveryStore, ReplayError

    path = tmp_path / "deliveries.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE deliveries (provider TEXT NOT NULL, delivery_id TEXT NOT NULL,"
        " body_sha256 TEXT NOT NULL UNIQUE, received_at TEXT NOT NULL,"
        " PRIMARY KEY (provider, delivery_id));"
        "INSERT INTO deliveries VALUES ('github', 'd1', 'abc', '2026-01-01T00:00:00+00:00');"
    )
    con.commit()
    con.close()
    store = DeliveryStore(path)
    with pytest.raises(ReplayError, match="already received"):
        store.claim_delivery("github", "d1", "abc")
