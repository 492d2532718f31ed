"""Helicone request logs."""

from __future__ import annotations

from typing import Any

from llmops.ingest.formats.paths import Paths, inner


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""

    def prop(key: str) -> str:
        return inner(p, "$.request_properties", f"$.{key}")

    code = f"TRY_CAST({p('$.status', '$.response_status')} AS INTEGER)"
    return {
        "call_id": p("$.request_id"),
        "trace_id": f"coalesce({prop('trace_id')}, {p('$.request_id')})",
        "started_at": p("$.request_created_at"),
        "ended_at": p("$.response_created_at"),
        "latency_ms": p("$.delay_ms", "$.latency"),
        "provider": p("$.provider"),
        "requested_model": p("$.request_model", "$.model"),
        "served_model": p("$.response_model"),
        "prompt_name": prop("prompt_name"),
        "prompt_version": prop("prompt_version"),
        "feature": prop("feature"),
        "team": prop("team"),
        "user_id": p("$.request_user_id", "$.user_id"),
        "input_tokens": p("$.prompt_tokens"),
        "output_tokens": p("$.completion_tokens"),
        "status": f"CASE WHEN coalesce({code}, 200) >= 400 THEN 'error' ELSE 'success' END",
        "error_type": f"CASE WHEN {code} >= 400 THEN 'http_' || {code}::VARCHAR END",
        "reported_cost_usd": p("$.cost", "$.cost_usd"),
        "input_text": p("$.request_text", "$.prompt"),
        "output_text": p("$.response_text", "$.completion"),
    }


def detects(rec: dict[str, Any]) -> bool:
    """A Helicone request row."""
    return "request_model" in rec or {"request_id", "delay_ms"} <= rec.keys()
