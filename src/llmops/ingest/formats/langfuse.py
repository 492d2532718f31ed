"""Langfuse generations (ingestion batches and exports)."""

from __future__ import annotations

from typing import Any

from llmops.ingest.formats.paths import Paths, first_system


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""
    # Records are generation bodies with their trace body merged in as `_trace` (see readers).
    level = p("$.level")
    return {
        "call_id": p("$.id"),
        "trace_id": p("$.traceId", "$._trace.id"),
        "started_at": p("$.startTime"),
        "ended_at": p("$.endTime"),
        "first_token_at": p("$.completionStartTime"),
        "provider": p("$.metadata.provider", "$.metadata.custom_llm_provider"),
        "requested_model": p("$.model"),
        "served_model": p("$.metadata.served_model", "$.model"),
        "prompt_name": p("$.promptName", "$.metadata.prompt_name"),
        "prompt_version": p("$.promptVersion", "$.metadata.prompt_version"),
        "feature": p("$.metadata.feature", "$._trace.metadata.feature", "$._trace.name"),
        "team": p("$.metadata.team", "$._trace.metadata.team"),
        "user_id": p("$._trace.userId", "$.userId"),
        "input_tokens": p("$.usage.input", "$.usage.promptTokens", "$.usageDetails.input"),
        "output_tokens": p("$.usage.output", "$.usage.completionTokens", "$.usageDetails.output"),
        "cached_tokens": p("$.usageDetails.cache_read_input_tokens"),
        "status": f"CASE WHEN upper({level}) = 'ERROR' THEN 'error' ELSE 'success' END",
        "error_type": f"CASE WHEN upper({level}) = 'ERROR' THEN {p('$.statusMessage')} END",
        "reported_cost_usd": p("$.usage.totalCost", "$.metadata.litellm_response_cost"),
        "input_text": p("$.input.messages[#-1].content"),
        "system_text": first_system(p, "$.input.messages"),
        "input_messages": p("$.input"),
        "output_text": p("$.output.content", "$.output"),
    }


def generations(events: list[Any]) -> list[tuple[int, Any]]:
    """Each generation (or observation of type GENERATION) with its trace merged as `_trace`."""
    traces: dict[str, dict[str, Any]] = {}
    for event in events:
        if isinstance(event, dict) and event.get("type") in ("trace-create", "trace-update"):
            body = event.get("body") or {}
            if isinstance(body, dict) and body.get("id"):
                traces.setdefault(str(body["id"]), {}).update(body)
    out: list[tuple[int, Any]] = []
    for i, event in enumerate(events, start=1):
        if not isinstance(event, dict) or "type" not in event:
            out.append((i, event))  # not an event at all: quarantined downstream
            continue
        if event["type"] not in ("generation-create", "generation-update"):
            continue
        body = event.get("body")
        if isinstance(body, dict):
            trace_id = body.get("traceId")
            if trace_id is None and len(traces) == 1:  # single-trace batch without explicit link
                trace_id = next(iter(traces))
            body = {**body, "_trace": traces.get(str(trace_id), {})}
        out.append((i, body))
    return out


def detects(rec: dict[str, Any]) -> bool:
    """A Langfuse ingestion event, batch or generation with its trace merged in."""
    keys = rec.keys()
    if "batch" in keys or "_trace" in keys:
        return True
    return {"type", "body"} <= keys and str(rec.get("type", "")).endswith("-create")


def documents(doc: Any) -> list[tuple[int, Any]] | None:
    """Numbered generation records of a Langfuse document; None when it is not one."""
    if isinstance(doc, dict) and isinstance(doc.get("batch"), list):
        return generations(doc["batch"])
    if (
        isinstance(doc, list)
        and doc
        and all(isinstance(r, dict) and "type" in r and "body" in r for r in doc[:5])
    ):
        return generations(doc)
    return None
