"""Helicone request rows: its REST API (`POST /v1/request/query`, `/v1/request/query-clickhouse`),
the export tool's JSONL/JSON/CSV, and rows of its ClickHouse table `request_response_rmt`.

Field names are Helicone's `HeliconeRequest` (packages/llm-mapper/types.ts) and the columns its
query selects (valhalla/jawn/src/lib/stores/request/request.ts): `request_id`, `response_id`,
`request_created_at`, `response_created_at`, `response_status`, `delay_ms`,
`time_to_first_token`, `provider` (upper case as logged: OPENAI, ANTHROPIC, ...),
`request_model` / `response_model` / `model`, `prompt_tokens`, `completion_tokens`,
`prompt_cache_read_tokens`, `prompt_cache_write_tokens`, `prompt_audio_tokens`,
`completion_audio_tokens`, `reasoning_tokens`, `cost` / `costUSD`, `request_body`,
`response_body`, `request_user_id`, `request_properties` / `properties`, `prompt_id`,
`prompt_version`. Raw `request_response_rmt` rows name some of them `latency`, `status`,
`user_id` and `properties`.

Helicone's token counts are exclusive (valhalla/jawn/src/lib/handlers/HandlerContext.ts and the
usage processors in packages/cost/usage/): `prompt_tokens` excludes cache reads and cache writes
(OpenAI's cached tokens are subtracted; Anthropic's `input_tokens` already excludes them) but
includes audio input; `completion_tokens` excludes reasoning tokens (tracked as
`reasoning_tokens`). They are turned into llmops' inclusive convention here.

Helicone stores cost in ClickHouse as integer nano-dollars (`COST_PRECISION_MULTIPLIER = 1e9`,
packages/cost/costCalc.ts); its API divides, raw table rows do not.

The export tool's CSV (examples/export/typescript/index.ts `convertToCSVRow`) writes object
values as `JSON.stringify(value)` with its quotes doubled and then doubles them again when it
quotes the field, so a CSV parser hands back JSON whose quotes are still doubled; such cells
are un-doubled before they are read.
"""

from __future__ import annotations

from typing import Any

from llmops.ingest.formats.openai_batch import (
    request_input_text,
    request_system_text,
    response_output_text,
)
from llmops.ingest.formats.paths import Paths

NANO_USD = 1_000_000_000  # Helicone's COST_PRECISION_MULTIPLIER


def _json(raw: str) -> str:
    """SQL: a JSON object/array from a field holding it as JSON, encoded JSON, or JSON with its
    quotes doubled (the export tool's CSV); else NULL."""
    undoubled = f"replace({raw}, '\"\"', '\"')"
    doubled = f"(starts_with({raw}, '{{\"\"') OR starts_with({raw}, '[{{\"\"'))"
    return (
        f"CASE WHEN json_valid({raw}) THEN {raw} "
        f"WHEN {doubled} AND json_valid({undoubled}) THEN {undoubled} END"
    )


def _plain(raw: str) -> str:
    """SQL: the field itself when it is text, not JSON (ClickHouse keeps the body preview text)."""
    return (
        f"CASE WHEN NOT json_valid({raw}) AND {_json(raw)} IS NULL THEN nullif(trim({raw}), '') END"
    )


def _positive(expr: str) -> str:
    """SQL: a number only when above zero (Helicone writes 0 for 'not measured')."""
    return f"CASE WHEN TRY_CAST({expr} AS DOUBLE) > 0 THEN {expr} END"


def _tokens(expr: str) -> str:
    return f"coalesce(TRY_CAST(TRY_CAST({expr} AS DOUBLE) AS BIGINT), 0)"


def _total(count: str, *parts: str) -> str:
    """SQL: `count` plus the parts Helicone keeps out of it; a count that is not a number stays
    as logged, so the record is quarantined naming the field instead of counting 0."""
    added = " + ".join([_tokens(count), *(_tokens(x) for x in parts)])
    return (
        f"CASE WHEN {count} IS NULL THEN NULL "
        f"WHEN TRY_CAST({count} AS DOUBLE) IS NULL THEN {count} ELSE ({added})::VARCHAR END"
    )


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""
    props = _json(p("$.request_properties"))
    props2 = _json(p("$.properties"))

    def prop(*keys: str) -> str:
        # custom properties come from Helicone-Property-<Name> headers; depending on the
        # client the key keeps its case or arrives lower-cased
        parts = [
            f"json_extract_string({src}, '$.\"{k}\"')" for k in keys for src in (props, props2)
        ]
        return f"nullif(coalesce({', '.join(parts)}), '')"

    def variants(name: str) -> tuple[str, ...]:
        dashed = name.replace("_", "-")
        return (name, dashed, dashed.title(), name.title().replace("_", ""))

    request = _json(p("$.request_body"))
    response = _json(p("$.response_body"))
    code = f"TRY_CAST(TRY_CAST({p('$.response_status', '$.status')} AS DOUBLE) AS INTEGER)"
    started = p("$.request_created_at")
    ttft = _positive(p("$.time_to_first_token"))

    def model(path: str) -> str:
        return f"nullif({p(path)}, 'unknown')"

    raw_cost = p("$.cost")
    cost = f"TRY_CAST({raw_cost} AS DOUBLE)"
    # a row straight from request_response_rmt (HQL exports): `latency`/`status`, no API names
    raw_table = (
        f"({p('$.delay_ms')} IS NULL AND {p('$.response_status')} IS NULL "
        f"AND {p('$.latency')} IS NOT NULL)"
    )
    nano = f"({cost} = floor({cost}) AND ({cost} >= 1000 OR {raw_table}))"
    body_error = f"json_extract_string({response}, '$.error')"
    user = p("$.request_user_id", "$.user_id")
    return {
        "call_id": p("$.request_id", "$.response_id"),
        "trace_id": (
            f"coalesce({prop('Helicone-Session-Id', 'helicone-session-id', 'trace_id')}, "
            f"{p('$.request_id', '$.response_id')})"
        ),
        "started_at": started,
        "ended_at": p("$.response_created_at"),
        "first_token_at": (
            f"CASE WHEN {ttft} IS NOT NULL THEN (TRY_CAST({started} AS TIMESTAMPTZ) "
            f"+ to_microseconds(CAST(TRY_CAST({ttft} AS DOUBLE) * 1000 AS BIGINT)))::VARCHAR END"
        ),
        "latency_ms": _positive(p("$.delay_ms", "$.latency")),
        "provider": p("$.provider"),
        "requested_model": (
            f"coalesce({model('$.request_model')}, "
            f"nullif(json_extract_string({request}, '$.model'), 'unknown'), "
            f"{model('$.model')}, {model('$.response_model')}, "
            f"nullif(json_extract_string({response}, '$.model'), 'unknown'), "
            f"json_extract_string({response}, '$.modelVersion'))"
        ),
        "served_model": (
            f"coalesce({model('$.response_model')}, json_extract_string({response}, '$.model'), "
            f"json_extract_string({response}, '$.modelVersion'), {model('$.model')})"
        ),
        "system_fingerprint": f"json_extract_string({response}, '$.system_fingerprint')",
        "prompt_name": f"coalesce({prop(*variants('prompt_name'))}, {p('$.prompt_id')})",
        "prompt_version": f"coalesce({prop(*variants('prompt_version'))}, {p('$.prompt_version')})",
        "feature": prop(*variants("feature")),
        "team": prop(*variants("team")),
        "user_id": f"CASE WHEN {user} NOT IN ('undefined', 'null') THEN {user} END",
        # prompt_tokens excludes cache reads and writes: add them back
        "input_tokens": _total(
            p("$.prompt_tokens"), p("$.prompt_cache_read_tokens"), p("$.prompt_cache_write_tokens")
        ),
        # completion_tokens excludes reasoning tokens: add them back
        "output_tokens": _total(p("$.completion_tokens"), p("$.reasoning_tokens")),
        "cached_tokens": p("$.prompt_cache_read_tokens"),
        "cache_write_tokens": p("$.prompt_cache_write_tokens"),
        "reasoning_tokens": p("$.reasoning_tokens"),
        "audio_input_tokens": p("$.prompt_audio_tokens"),
        "audio_output_tokens": p("$.completion_audio_tokens"),
        "status": (
            f"CASE WHEN coalesce({code}, 200) >= 400 OR {body_error} IS NOT NULL "
            "THEN 'error' ELSE 'success' END"
        ),
        "error_type": (
            f"coalesce(json_extract_string({response}, '$.error.type'), "
            f"json_extract_string({response}, '$.error.code'), "
            f"CASE WHEN {code} >= 400 THEN 'http_' || {code}::VARCHAR END)"
        ),
        "reported_cost_usd": (
            f"coalesce({p('$.costUSD', '$.cost_usd')}, "
            f"CASE WHEN {nano} THEN ({cost} / {NANO_USD})::VARCHAR ELSE {raw_cost} END)"
        ),
        "input_text": (f"coalesce({request_input_text(request)}, {_plain(p('$.request_body'))})"),
        "system_text": request_system_text(request),
        "output_text": (
            f"coalesce({response_output_text(response)}, {_plain(p('$.response_body'))})"
        ),
    }


def detects(rec: dict[str, Any]) -> bool:
    """A Helicone request row (API, export JSONL/CSV, or request_response_rmt)."""
    keys = rec.keys()
    return (
        "request_model" in keys
        or {"request_id", "delay_ms"} <= keys
        or ("request_created_at" in keys and bool({"request_id", "response_id"} & keys))
    )


def documents(doc: Any) -> list[tuple[int, Any]] | None:
    """The rows of a whole Helicone API response (`{"data": [HeliconeRequest, ...], "error": null}`,
    the Result the request query endpoints return), numbered from 1; None for other documents."""
    if not isinstance(doc, dict) or not {"data", "error"} <= doc.keys():
        return None
    rows = doc["data"]
    if not isinstance(rows, list) or not rows:
        return None
    if not all(isinstance(r, dict) and detects(r) for r in rows):
        return None
    return list(enumerate(rows, start=1))
