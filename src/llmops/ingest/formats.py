"""Per-format field mappings: each log format maps its JSON paths onto the llm_calls fields.

A mapping is a function that receives a `Paths` registry and returns, for each raw field of the
canonical record, a DuckDB SQL expression over the extracted strings. All paths of a format are
extracted in one `json_extract_string(line, [...])` call, so each record is parsed once.
"""

from __future__ import annotations

from collections.abc import Callable

FORMATS = ("litellm", "otel", "langfuse", "openai-batch", "helicone", "generic")

# Raw fields every mapping may return (missing ones are NULL). See schema.LLM_CALLS for meaning.
RAW_FIELDS = (
    "call_id",
    "trace_id",
    "started_at",
    "ended_at",
    "first_token_at",
    "latency_ms",
    "provider",
    "requested_model",
    "served_model",
    "system_fingerprint",
    "prompt_name",
    "prompt_version",
    "feature",
    "team",
    "user_id",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "status",
    "error_type",
    "reported_cost_usd",
    "input_messages",
    "input_text",
    "system_text",
    "output_text",
)


class Paths:
    """Registers JSON paths and hands back the SQL that reads each one from the parsed list."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.field_of: dict[str, str] = {}

    def __call__(self, *paths: str) -> str:
        """SQL for the first non-null of `paths` (JSONPath strings such as `$.usage.input`)."""
        parts = []
        for path in paths:
            if path not in self.paths:
                self.paths.append(path)
            parts.append(f"nullif(v[{self.paths.index(path) + 1}], '')")
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def inner(p: Paths, path: str, sub: str) -> str:
    """SQL for `sub` inside a field that may hold JSON as an object or as an encoded string."""
    raw = p(path)
    return f"json_extract_string(CASE WHEN json_valid({raw}) THEN {raw} END, '{sub}')"


def first_system(p: Paths, messages: str) -> str:
    """SQL: content of the first message when it is a system message."""
    return f"CASE WHEN {p(messages + '[0].role')} = 'system' THEN {p(messages + '[0].content')} END"


def attr(key: str) -> str:
    """JSONPath of an OpenTelemetry attribute (keys contain dots, so they are quoted)."""
    return f'$.attributes."{key}"'


def _litellm(p: Paths) -> dict[str, str]:
    meta = "$.metadata.requester_metadata"
    return {
        "call_id": p("$.id"),
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
        "team": p("$.metadata.user_api_key_team_alias", "$.metadata.user_api_key_team_id"),
        "user_id": p("$.end_user", "$.metadata.user_api_key_end_user_id"),
        "input_tokens": p("$.prompt_tokens"),
        "output_tokens": p("$.completion_tokens"),
        "cached_tokens": p("$.response.usage.prompt_tokens_details.cached_tokens"),
        "status": (
            f"CASE WHEN lower({p('$.status')}) IN ('failure', 'error', 'failed') THEN 'error' "
            f"WHEN {p('$.status')} IS NULL AND {p('$.error_str')} IS NOT NULL THEN 'error' "
            "ELSE 'success' END"
        ),
        "error_type": p("$.error_information.error_class", "$.error_information.error_code"),
        "reported_cost_usd": p("$.response_cost"),
        # the newest turn is the user's input; a leading system message is the system prompt
        "input_text": p("$.messages[#-1].content"),
        "system_text": first_system(p, "$.messages"),
        "output_text": p("$.response.choices[0].message.content"),
    }


def _otel(p: Paths) -> dict[str, str]:
    status = p("$.status.code")
    return {
        "call_id": p(attr("gen_ai.response.id"), "$.span_id", "$.spanId"),
        "trace_id": p("$.trace_id", "$.traceId"),
        "started_at": p("$.start_time_unix_nano", "$.startTimeUnixNano", "$.start_time"),
        "ended_at": p("$.end_time_unix_nano", "$.endTimeUnixNano", "$.end_time"),
        "provider": p(attr("gen_ai.provider.name"), attr("gen_ai.system")),
        "requested_model": p(attr("gen_ai.request.model")),
        "served_model": p(attr("gen_ai.response.model")),
        "system_fingerprint": p(
            attr("openai.response.system_fingerprint"),
            attr("gen_ai.openai.response.system_fingerprint"),
        ),
        "prompt_name": p(attr("llmops.prompt.name")),
        "prompt_version": p(attr("llmops.prompt.version")),
        "feature": p(attr("llmops.feature")),
        "team": p(attr("llmops.team")),
        "user_id": p(attr("user.id"), attr("enduser.id")),
        "input_tokens": p(attr("gen_ai.usage.input_tokens"), attr("gen_ai.usage.prompt_tokens")),
        "output_tokens": p(
            attr("gen_ai.usage.output_tokens"), attr("gen_ai.usage.completion_tokens")
        ),
        "cached_tokens": p(attr("gen_ai.usage.cache_read.input_tokens")),
        "status": (
            f"CASE WHEN upper({status}) IN ('ERROR', '2', 'STATUS_CODE_ERROR') "
            f"OR {p(attr('error.type'))} IS NOT NULL THEN 'error' ELSE 'success' END"
        ),
        "error_type": p(attr("error.type"), "$.status.message"),
        "input_messages": p(attr("gen_ai.input.messages"), attr("gen_ai.prompt")),
        "output_text": (
            f"coalesce({inner(p, attr('gen_ai.output.messages'), '$[0].parts[0].content')}, "
            f"{inner(p, attr('gen_ai.output.messages'), '$[0].content')}, "
            f"{p(attr('gen_ai.completion'), attr('gen_ai.output.messages'))})"
        ),
    }


def _langfuse(p: Paths) -> dict[str, str]:
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


def _openai_batch(p: Paths) -> dict[str, str]:
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


def _helicone(p: Paths) -> dict[str, str]:
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


def _generic(p: Paths) -> dict[str, str]:
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


MAPPINGS: dict[str, Callable[[Paths], dict[str, str]]] = {
    "litellm": _litellm,
    "otel": _otel,
    "langfuse": _langfuse,
    "openai-batch": _openai_batch,
    "helicone": _helicone,
    "generic": _generic,
}


# For error messages: the source field a canonical field is read from (first path, readable).
def source_field(fmt: str, field: str) -> str:
    """The owner's name of the field a canonical field comes from, for error messages."""
    paths = Paths()
    expr = MAPPINGS[fmt](paths).get(field, "")
    for i, path in enumerate(paths.paths, start=1):
        if f"v[{i}]" in expr:
            return path.removeprefix("$.").replace('"', "")
    return field
