"""A few logged calls in the lake and feedback files for them."""

from __future__ import annotations

import json
from pathlib import Path

CALLS = [
    {
        "call_id": f"call-{i}",
        "trace_id": f"trace-{i}",
        "started_at": f"2025-03-0{i}T10:00:00+00:00",
        "provider": "openai",
        "requested_model": "gpt-4o-mini",
        "prompt_name": "docs-qa",
        "prompt_version": "v1" if i < 3 else "v2",
        "user_id": "u1",
        "input_tokens": 10,
        "output_tokens": 5,
        "status": "success",
        "input_text": f"question {i}",
        "output_text": f"answer {i}",
    }
    for i in range(1, 5)
]


def lake_with_calls(settings, tmp_path: Path) -> None:
    """Ingest four generic-format calls (call-1..call-4, trace-1..trace-4)."""
    from llmops.ingest import ingest_file, price_book

    path = tmp_path / "calls.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CALLS))
    ingest_file(path, settings, "generic", price_book(settings))


def write_jsonl(path: Path, records: list[dict | str]) -> Path:
    """One line per record (strings written as they are: malformed lines)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path
