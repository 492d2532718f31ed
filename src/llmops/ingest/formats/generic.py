"""A flat record with llm_calls-like field names (CSV, Parquet, JSONL)."""

from __future__ import annotations

from typing import Any

from llmops.ingest.formats.paths import Paths


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""
    status = p("$.status")
    return {
        "call_id": p("$.call_id", "$.id", "$.request_id"),
        "trace_id": p("$.trace_id"),
        "started_at": p("$.started_at", "$.start_time", "$.timestamp"),
        "ended_at": p("$.ended_at", "$.end_time"),
        "first_token_at": p("$.first_token_at"),
        "latency_ms": p("$.latency_ms"),
        "provider": p("$.provider"),
        "requested_model": p("$.requested_model", "$.model"),
        "served_model": p("$.served_model", "$.response_model"),
        "system_fingerprint": p("$.system_fingerprint"),
        "prompt_name": p("$.prompt_name"),
        "prompt_version": p("$.prompt_version"),
        "feature": p("$.feature"),
        "team": p("$.team"),
        "user_id": p("$.user_id", "$.user"),
        "input_tokens": p("$.input_tokens", "$.prompt_tokens"),
        "output_tokens": p("$.output_tokens", "$.completion_tokens"),
        "cached_tokens": p("$.cached_tokens"),
        "status": (
            f"CASE WHEN lower({status}) IN ('error', 'failure', 'failed') "
            f"OR TRY_CAST({status} AS INTEGER) >= 400 THEN 'error' ELSE 'success' END"
        ),
        "error_type": p("$.error_type", "$.error"),
        "reported_cost_usd": p("$.cost_usd", "$.cost"),
        "input_messages": p("$.messages"),
        "input_text": p("$.input_text", "$.input", "$.prompt"),
        "output_text": p("$.output_text", "$.output", "$.completion"),
    }


def detects(rec: dict[str, Any]) -> bool:
    """A flat record naming a model and token counts."""
    keys = rec.keys()
    return "requested_model" in keys or (
        "model" in keys and bool({"input_tokens", "prompt_tokens"} & keys)
    )
