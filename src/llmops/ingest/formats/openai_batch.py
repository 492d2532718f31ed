"""OpenAI Batch API output files (one response per custom_id)."""

from __future__ import annotations

from typing import Any

from llmops.ingest.formats.paths import Paths


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""
    body = "$.response.body"
    code = f"TRY_CAST({p('$.response.status_code')} AS INTEGER)"
    return {
        "call_id": p(f"{body}.id", "$.id"),
        "trace_id": p("$.custom_id"),
        "started_at": p(f"{body}.created"),
        "provider": "'openai'",
        "requested_model": p(f"{body}.model"),
        "served_model": p(f"{body}.model"),
        "system_fingerprint": p(f"{body}.system_fingerprint"),
        "input_tokens": p(f"{body}.usage.prompt_tokens"),
        "output_tokens": p(f"{body}.usage.completion_tokens"),
        "cached_tokens": p(f"{body}.usage.prompt_tokens_details.cached_tokens"),
        "status": (
            f"CASE WHEN {p('$.error')} IS NOT NULL OR coalesce({code}, 200) >= 400 "
            "THEN 'error' ELSE 'success' END"
        ),
        "error_type": p("$.error.code", "$.error.type", f"{body}.error.type"),
        "output_text": p(f"{body}.choices[0].message.content"),
        "feature": "'batch'",
    }


def detects(rec: dict[str, Any]) -> bool:
    """A line of a Batch API output (or error) file."""
    return "custom_id" in rec and ("response" in rec or "error" in rec)
