"""Rows of LiteLLM proxy's LiteLLM_SpendLogs table (`/spend/logs` API, a database export).

Columns are those of the proxy's Prisma model `LiteLLM_SpendLogs` and the payload its
`get_logging_payload` writes (litellm 1.106): `request_id` is the provider's response id (or
litellm's call id), `spend` the cost the proxy charged, and `metadata`, `messages` and `response`
are JSON encoded as strings. The same call logged as a StandardLoggingPayload has `id` equal to
`request_id`, so the two deduplicate.
"""

from __future__ import annotations

from typing import Any

from llmops.ingest.formats.paths import Paths, content_text, inner


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""

    def meta(*subs: str) -> str:
        return "coalesce(" + ", ".join(inner(p, "$.metadata", s) for s in subs) + ")"

    def response(sub: str) -> str:
        return inner(p, "$.response", sub)

    usage = "$.usage_object"
    status = p("$.status")
    return {
        "call_id": p("$.request_id", "$.litellm_call_id"),
        "trace_id": p("$.session_id"),
        "started_at": p("$.startTime"),
        "ended_at": p("$.endTime"),
        "first_token_at": p("$.completionStartTime"),
        "latency_ms": p("$.request_duration_ms"),
        "provider": p("$.custom_llm_provider"),
        "requested_model": p("$.model_group", "$.model"),
        "served_model": f"coalesce({response('$.model')}, {p('$.model')})",
        "system_fingerprint": response("$.system_fingerprint"),
        "prompt_name": meta(
            "$.requester_metadata.prompt_name", "$.prompt_management_metadata.prompt_id"
        ),
        "prompt_version": meta("$.requester_metadata.prompt_version"),
        "feature": meta("$.requester_metadata.feature", "$.user_api_key_alias"),
        "team": f"coalesce({meta('$.user_api_key_team_alias')}, {p('$.team_id')})",
        "user_id": p("$.end_user", "$.user"),
        "input_tokens": p("$.prompt_tokens"),
        "output_tokens": p("$.completion_tokens"),
        "cached_tokens": meta(
            f"{usage}.prompt_tokens_details.cached_tokens", f"{usage}.cache_read_input_tokens"
        ),
        "cache_write_tokens": meta(f"{usage}.cache_creation_input_tokens"),
        "reasoning_tokens": meta(f"{usage}.completion_tokens_details.reasoning_tokens"),
        "audio_input_tokens": meta(f"{usage}.prompt_tokens_details.audio_tokens"),
        "audio_output_tokens": meta(f"{usage}.completion_tokens_details.audio_tokens"),
        "image_input_tokens": meta(f"{usage}.prompt_tokens_details.image_tokens"),
        "service_tier": meta("$.cost_breakdown.service_tier"),
        "status": (
            f"CASE WHEN lower({status}) IN ('failure', 'error', 'failed') THEN 'error' "
            "ELSE 'success' END"
        ),
        "error_type": meta("$.error_information.error_class", "$.error_information.error_code"),
        "reported_cost_usd": p("$.spend"),
        "input_text": content_text(inner(p, "$.messages", "$[#-1].content")),
        "system_text": (
            f"CASE WHEN {inner(p, '$.messages', '$[0].role')} = 'system' "
            f"THEN {inner(p, '$.messages', '$[0].content')} END"
        ),
        "output_text": content_text(response("$.choices[0].message.content")),
    }


def detects(rec: dict[str, Any]) -> bool:
    """A SpendLogs row: the proxy's request id, call type and spend."""
    return {"request_id", "call_type", "spend"} <= rec.keys()
