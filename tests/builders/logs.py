"""A hand-built call log with planted anomalies for the cost-alert tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2025, 3, 1, tzinfo=UTC)


def call(i: int, at: datetime, **over: object) -> dict:
    rec = {
        "call_id": f"c{i}",
        "started_at": at.isoformat(),
        "provider": "openai",
        "model": "gpt-4o-mini",
        "prompt_name": "support",
        "prompt_version": "v1",
        "feature": "chat",
        "team": "support",
        "input_tokens": 1000,
        "output_tokens": 200 + (i % 7) * 5,  # small, realistic variation
        "latency_ms": 800 + (i % 10) * 50,
        "status": "success",
    }
    rec.update(over)
    return rec


def build_log(path: Path) -> None:
    """12 days, 96 calls a day (one per 15 min); day 9 costs 3x; an error burst; a slow hour."""
    rows, i = [], 0
    burst = (START + timedelta(days=5, hours=14), START + timedelta(days=5, hours=14, minutes=30))
    slow = (START + timedelta(days=7, hours=9), START + timedelta(days=7, hours=10))
    for day in range(12):
        for q in range(96):
            at = START + timedelta(days=day, minutes=15 * q)
            over: dict[str, object] = {}
            if day == 9:
                over["output_tokens"] = 1800
            if slow[0] <= at < slow[1]:
                over["latency_ms"] = 9000
            rows.append(call(i, at, **over))
            i += 1
    t = burst[0]
    while t < burst[1]:  # retry storm: 6 calls a minute, 4 of them failing
        for k in range(6):
            failed = k < 4
            rows.append(
                call(
                    i,
                    t + timedelta(seconds=10 * k),
                    status="error" if failed else "success",
                    error_type="RateLimitError" if failed else None,
                )
            )
            i += 1
        t += timedelta(minutes=1)
    t = slow[0]
    while t < slow[1]:  # enough calls in the slow hour to judge p95
        rows.append(call(i, t + timedelta(minutes=1), latency_ms=9500))
        i += 1
        t += timedelta(minutes=5)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
