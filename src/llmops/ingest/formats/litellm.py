"""LiteLLM's StandardLoggingPayload (custom loggers, callbacks, the proxy's logging integrations).

Field names are those of `litellm.types.utils.StandardLoggingPayload` (litellm 1.106): tokens
by kind come from `metadata.usage_object` (litellm's `Usage`: prompt_tokens include cached and
cache-creation tokens), the cost litellm computed is `response_cost`.
"""

from __future__ import annotations

from typing import Any

from llmops.ingest.formats.paths import Paths, content_text, first_system


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""
    meta = "$.metadata.requester_metadata"
    usage = "$.metadata.usage_object"
    return {
        "call_id": p("$.id", "$.litellm_call_id"),
        "trace_id": p("$.trace_id"),
        "started_at": p("$.startTime"),
        "ended_at": p("$.endTime"),
        "first_token_at": p("$.completionStartTime"),
        "latency_ms": f"TRY_CAST({p('$.response_time')} AS DOUBLE) * 1000",
        "provider": p("$.custom_llm_provider"),
        "requested_model": p("$.model"),
        "served_model": p("$.response.model", "$.hidden_params.litellm_model_name"),
        "system_fingerprint": p("$.response.system_fingerprint"),
        "prompt_name": p(f"{meta}.prompt_name", "$.metadata.prompt_management_metadata.prompt_id"),
        "prompt_version": p(f"{meta}.prompt_version"),
        "feature": p(f"{meta}.feature", "$.metadata.user_api_key_alias"),
        "team": p(
            "$.metadata.user_api_key_team_alias",
            "$.metadata.team_alias",
            "$.metadata.user_api_key_team_id",
            "$.metadata.team_id",
        ),
        "user_id": p(
            "$.end_user", "$.metadata.user_api_key_end_user_id", "$.model_parameters.user"
        ),
        "input_tokens": p("$.prompt_tokens", f"{usage}.prompt_tokens"),
        "output_tokens": p("$.completion_tokens", f"{usage}.completion_tokens"),
        "cached_tokens": p(
            f"{usage}.prompt_tokens_details.cached_tokens",
            f"{usage}.cache_read_input_tokens",
            "$.response.usage.prompt_tokens_details.cached_tokens",
        ),
        "cache_write_tokens": p(
            f"{usage}.cache_creation_input_tokens",
            f"{usage}.prompt_tokens_details.cache_creation_tokens",
        ),
        "reasoning_tokens": p(f"{usage}.completion_tokens_details.reasoning_tokens"),
        "audio_input_tokens": p(f"{usage}.prompt_tokens_details.audio_tokens"),
        "audio_output_tokens": p(f"{usage}.completion_tokens_details.audio_tokens"),
        "image_input_tokens": p(f"{usage}.prompt_tokens_details.image_tokens"),
        "service_tier": p("$.cost_breakdown.service_tier", "$.response.service_tier"),
        "status": (
            f"CASE WHEN lower({p('$.status')}) IN ('failure', 'error', 'failed') THEN 'error' "
            f"WHEN {p('$.status')} IS NULL AND {p('$.error_str')} IS NOT NULL THEN 'error' "
            "ELSE 'success' END"
        ),
        "error_type": p("$.error_information.error_class", "$.error_information.error_code"),
        "reported_cost_usd": p("$.response_cost"),
        # the newest turn is the user's input; a leading system message is the system prompt
        "input_text": content_text(p("$.messages[#-1].content")),
        "system_text": first_system(p, "$.messages"),
        "output_text": content_text(p("$.response.choices[0].message.content")),
    }


def detects(rec: dict[str, Any]) -> bool:
    """A StandardLoggingPayload."""
    keys = rec.keys()
    return "custom_llm_provider" in keys or (
        "startTime" in keys and "model" in keys and bool({"messages", "response_cost"} & keys)
    )
