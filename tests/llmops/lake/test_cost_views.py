"""The cost views an analyst reads: where reported and computed cost disagree, calls without usage."""

from __future__ import annotations

import json
from pathlib import Path

from llmops.ingest import ingest_file
from llmops.lake.warehouse import connect


def _call(i: int, model: str, reported: float | None, **extra: object) -> dict[str, object]:
    return {
        "call_id": f"c{i}",
        "provider": "openai",
        "model": model,
        "started_at": f"2026-11-01T10:{i:02d}:00Z",
        "input_tokens": 1000,
        "output_tokens": 100,
        "cost_usd": reported,
        **extra,
    }


def test_cost_disagreement_lists_models_whose_reported_cost_is_off_by_more_than_1pct(
    settings, tmp_path: Path
) -> None:
    # gpt-4o-mini: 1000 x 0.15e-6 + 100 x 0.6e-6 = 0.00021 in litellm's map
    rows = [
        _call(1, "gpt-4o-mini", 0.00021),  # agrees
        _call(2, "gpt-4o-mini", 0.000212),  # within 1%
        _call(3, "gpt-4o", 0.0099),  # gpt-4o: 0.0035 computed; a negotiated price or stale map
        _call(4, "gpt-4o", None),  # nothing reported: not compared
        _call(5, "gpt-4o", None, input_tokens=None, output_tokens=None),  # no usage at all
    ]
    path = tmp_path / "calls.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = ingest_file(path, settings)
    assert (result.accepted, result.no_usage) == (5, 1)
    con = connect(settings.lake_dir)
    try:
        off = con.sql(
            "SELECT requested_model, calls, reported_usd, computed_usd, calls_over_1pct "
            "FROM cost_disagreement"
        ).fetchall()
        no_usage = con.sql(
            "SELECT call_id, cost_usd, cost_status FROM llm_calls WHERE input_tokens IS NULL"
        ).fetchall()
    finally:
        con.close()
    [(model, calls, reported, computed, over)] = off
    assert (model, calls, over) == ("gpt-4o", 1, 1)
    assert abs(reported - 0.0099) < 1e-12 and abs(computed - 0.0035) < 1e-12
    assert no_usage == [("c5", None, "no_usage")]  # unknown, never $0.00
