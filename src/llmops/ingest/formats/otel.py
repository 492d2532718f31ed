"""OpenTelemetry GenAI spans: OTLP exports (JSON, protobuf, gzip) and flattened span records.

Attribute names are the producers' own (checked against their source): the GenAI semantic
conventions in both generations (`gen_ai.system` / `gen_ai.provider.name`,
`gen_ai.usage.prompt_tokens` / `gen_ai.usage.input_tokens`, ...), opentelemetry-util-genai
(`gen_ai.usage.cache_write.input_tokens`, `gen_ai.response.time_to_first_chunk`), OpenLLMetry
(`gen_ai.usage.cache_read_input_tokens`, `gen_ai.usage.reasoning_tokens`, `gen_ai.user`,
indexed `gen_ai.prompt.N.*`), OpenLIT (`gen_ai.usage.cost`, `gen_ai.server.time_to_first_token`,
`gen_ai.request.user`) and the Langfuse SDK (`langfuse.observation.*`, `user.id`).

Token convention: semconv `gen_ai.usage.input_tokens` includes cached and cache-write tokens
(as llm_calls does). OpenLIT's Anthropic and Bedrock instrumentations report the providers'
exclusive count there (`prompt_tokens_include_cache=False` in its source), so for spans of
`telemetry.sdk.name = openlit` with those providers the cache tokens are added back.

Whole documents (see `otel_records`) keep only GenAI call spans, join OTLP log records to their
span and derive `_genai` values (texts, first-token time, Langfuse usage and cost); flattened
span records (JSONL of `{trace_id, span_id, attributes: {...}}`) are read from attributes only.
"""

from __future__ import annotations

from typing import Any

from llmops.core.errors import IngestError
from llmops.ingest.formats import otel_records
from llmops.ingest.formats.paths import Paths, attr, inner

ENVELOPE_KEYS = ("resourceSpans", "resourceLogs", "resourceMetrics")
# OpenLIT instrumentations whose gen_ai.usage.input_tokens excludes cache read/creation tokens
OPENLIT_EXCLUSIVE_INPUT = ("anthropic", "aws.bedrock")


def _newest_user(messages: str) -> str:
    """SQL: text of the last `user` message of a JSON messages array (content or parts)."""
    msgs = f"json_extract(CASE WHEN json_valid({messages}) THEN {messages} END, '$[*]')"
    last = f"list_filter({msgs}, lambda m: m->>'role' = 'user')[-1]"
    return (
        f"coalesce({last}->>'content', "
        f"nullif(array_to_string(json_extract_string({last}, '$.parts[*].content'), chr(10)), ''))"
    )


def _parts_text(value: str) -> str:
    """SQL: the text parts of a JSON parts array (`gen_ai.system_instructions`), else the text."""
    is_array = (
        f"coalesce(json_type(CASE WHEN json_valid({value}) THEN {value} END) = 'ARRAY', false)"
    )
    joined = f"array_to_string(json_extract_string({value}, '$[*].content'), chr(10))"
    return f"CASE WHEN {is_array} THEN nullif({joined}, '') ELSE {value} END"


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""
    provider = p(attr("gen_ai.provider.name"), attr("gen_ai.system"))
    status = p("$.status.code")
    level = p(attr("langfuse.observation.level"))
    error_type = p(attr("error.type"))
    start = p("$.startTimeUnixNano", "$.start_time_unix_nano", "$.start_time")
    cached = p(
        attr("gen_ai.usage.cache_read.input_tokens"),
        attr("gen_ai.usage.cache_read_input_tokens"),
        attr("gen_ai.usage.prompt_tokens_details.cached_tokens"),
        attr("gen_ai.usage.cache.read_input_tokens"),
        "$._genai.usage.cached",
    )
    cache_write = p(
        attr("gen_ai.usage.cache_creation.input_tokens"),
        attr("gen_ai.usage.cache_creation_input_tokens"),
        attr("gen_ai.usage.cache_write.input_tokens"),
        attr("gen_ai.usage.prompt_tokens_details.cache_creation_tokens"),
        attr("gen_ai.usage.cache.creation_input_tokens"),
        "$._genai.usage.cache_write",
    )
    reported_input = p(
        attr("gen_ai.usage.input_tokens"),
        attr("gen_ai.usage.prompt_tokens"),
        "$._genai.usage.input",
    )
    exclusive = (
        f"coalesce({p(attr('telemetry.sdk.name'))}, '') = 'openlit' AND "
        f"lower(coalesce({provider}, '')) IN {OPENLIT_EXCLUSIVE_INPUT}"
    )
    input_tokens = (
        f"CASE WHEN {exclusive} AND TRY_CAST({reported_input} AS BIGINT) IS NOT NULL THEN "
        f"(TRY_CAST({reported_input} AS BIGINT) + coalesce(TRY_CAST({cached} AS BIGINT), 0) "
        f"+ coalesce(TRY_CAST({cache_write} AS BIGINT), 0))::VARCHAR ELSE {reported_input} END"
    )
    ttft_s = p(
        attr("gen_ai.response.time_to_first_chunk"), attr("gen_ai.server.time_to_first_token")
    )
    first_token = (
        f"coalesce({p('$._genai.first_token_at')}, (TRY_CAST({start} AS BIGINT) + "
        f"CAST(round(TRY_CAST({ttft_s} AS DOUBLE) * 1e9) AS BIGINT))::VARCHAR)"
    )
    tier = p(
        attr("openai.response.service_tier"),
        attr("gen_ai.openai.response.service_tier"),
        attr("openai.request.service_tier"),
        attr("gen_ai.openai.request.service_tier"),
    )
    input_messages = attr("gen_ai.input.messages")
    output_messages = attr("gen_ai.output.messages")
    return {
        "call_id": p(attr("gen_ai.response.id"), "$.spanId", "$.span_id"),
        "trace_id": p("$.traceId", "$.trace_id"),
        "started_at": start,
        "ended_at": p("$.endTimeUnixNano", "$.end_time_unix_nano", "$.end_time"),
        "first_token_at": first_token,
        "provider": provider,
        "requested_model": p(
            attr("gen_ai.request.model"),
            attr("langfuse.observation.model.name"),
            attr("gen_ai.response.model"),
        ),
        "served_model": p(attr("gen_ai.response.model")),
        "system_fingerprint": p(
            attr("openai.response.system_fingerprint"),
            attr("gen_ai.openai.response.system_fingerprint"),
        ),
        "prompt_name": p(
            attr("llmops.prompt.name"),
            attr("langfuse.observation.prompt.name"),
            attr("gen_ai.prompt.name"),
        ),
        "prompt_version": p(
            attr("llmops.prompt.version"),
            attr("langfuse.observation.prompt.version"),
            attr("gen_ai.prompt.version"),
        ),
        "feature": p(attr("llmops.feature"), attr("langfuse.trace.name")),
        "team": p(attr("llmops.team")),
        "user_id": p(
            attr("user.id"),
            attr("enduser.id"),
            attr("langfuse.user.id"),
            attr("gen_ai.user"),
            attr("gen_ai.request.user"),
        ),
        "input_tokens": input_tokens,
        "output_tokens": p(
            attr("gen_ai.usage.output_tokens"),
            attr("gen_ai.usage.completion_tokens"),
            "$._genai.usage.output",
        ),
        "cached_tokens": cached,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": p(
            attr("gen_ai.usage.reasoning.output_tokens"),
            attr("gen_ai.usage.reasoning_tokens"),
            attr("gen_ai.usage.completion_tokens_details.reasoning_tokens"),
            "$._genai.usage.reasoning",
        ),
        "audio_input_tokens": p(
            attr("gen_ai.usage.audio.input_tokens"), "$._genai.usage.audio_input"
        ),
        "audio_output_tokens": p(
            attr("gen_ai.usage.audio.output_tokens"),
            attr("gen_ai.usage.completion_tokens_details.audio_tokens"),
            "$._genai.usage.audio_output",
        ),
        "image_input_tokens": p(
            attr("gen_ai.usage.image.input_tokens"), "$._genai.usage.image_input"
        ),
        "service_tier": f"CASE WHEN lower({tier}) IN ('auto', 'default') THEN NULL ELSE {tier} END",
        "status": (
            f"CASE WHEN upper({status}) IN ('ERROR', '2', 'STATUS_CODE_ERROR') "
            f"OR {error_type} IS NOT NULL OR upper({level}) = 'ERROR' "
            f"THEN 'error' ELSE 'success' END"
        ),
        "error_type": (
            f"coalesce({error_type}, {p(attr('langfuse.observation.status_message'))}, "
            f"{p('$.status.message')}, {p('$._genai.exception_type')})"
        ),
        "reported_cost_usd": p(attr("gen_ai.usage.cost"), "$._genai.cost"),
        "input_messages": p(
            input_messages, attr("gen_ai.prompt"), attr("langfuse.observation.input")
        ),
        "input_text": f"coalesce({p('$._genai.input_text')}, {_newest_user(p(input_messages))})",
        "system_text": (
            f"coalesce({p('$._genai.system_text')}, "
            f"{_parts_text(p(attr('gen_ai.system_instructions')))})"
        ),
        "output_text": (
            f"coalesce({p('$._genai.output_text')}, "
            f"{inner(p, output_messages, '$[0].parts[0].content')}, "
            f"{inner(p, output_messages, '$[0].content')}, "
            f"{p(attr('gen_ai.completion'), output_messages)})"
        ),
    }


def otlp_spans(
    doc: dict[str, Any], logs: dict[str, list[dict[str, Any]]] | None = None, start: int = 0
) -> list[tuple[int, Any]]:
    """Numbered records of the GenAI call spans of an OTLP traces export (record number = the
    span's position in the export; other spans are skipped), with `logs` (log records by span
    id, see `otel_records.log_records`) joined to their span."""
    return [(n, r) for n, r in otel_records.spans(doc, logs, start) if r is not None]


def envelopes(docs: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Records of several OTLP exports read together (traces and logs of the same spans, as an
    OTLP file exporter writes them): log records are joined to their spans across exports."""
    logs: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        for span_id, recs in otel_records.log_records(doc).items():
            logs.setdefault(span_id, []).extend(recs)
    out: list[tuple[int, Any]] = []
    last = 0  # spans are numbered through all exports
    for doc in docs:
        numbered = list(otel_records.spans(doc, logs, last))
        if numbered:
            last = numbered[-1][0]
        out.extend((n, rec) for n, rec in numbered if rec is not None)
    return out


def envelope_lines(lines: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, Any]]:
    """Records of the OTLP exports of a JSONL file (OTLP file exporter: one export per line,
    traces and logs on lines of their own), each span numbered by its line; log records are
    joined to their spans across lines."""
    logs: dict[str, list[dict[str, Any]]] = {}
    for _, doc in lines:
        for span_id, recs in otel_records.log_records(doc).items():
            logs.setdefault(span_id, []).extend(recs)
    return [
        (no, rec)
        for no, doc in lines
        for _, rec in otel_records.spans(doc, logs)
        if rec is not None
    ]


def is_envelope(doc: Any) -> bool:
    """Whether a parsed JSON document is one OTLP/JSON export request (traces, logs, metrics)."""
    return isinstance(doc, dict) and any(isinstance(doc.get(k), list) for k in ENVELOPE_KEYS)


def detects(rec: dict[str, Any]) -> bool:
    """An OTLP export, or a span record carrying gen_ai.* or Langfuse observation attributes."""
    if any(k in rec for k in ENVELOPE_KEYS):
        return True
    attrs = rec.get("attributes")
    return isinstance(attrs, dict) and any(
        str(k).startswith(("gen_ai.", "langfuse.observation.")) for k in attrs
    )


def documents(doc: Any) -> list[tuple[int, Any]] | None:
    """Numbered span records of an OTLP/JSON export (one request, or a list of requests such as
    the traces and the logs of the same calls); None when it is not one. A logs-only export has
    no calls of its own: it yields no records."""
    if is_envelope(doc):
        return envelopes([doc])
    if isinstance(doc, list) and doc and all(is_envelope(d) for d in doc):
        return envelopes(doc)
    return None


def protobuf_records(data: bytes, source: str) -> list[tuple[int, Any]]:
    """Numbered span records of an OTLP protobuf export (ExportTraceServiceRequest), the same
    records `otlp_spans` gives for its OTLP/JSON form (ids hex-encoded)."""
    from google.protobuf.json_format import MessageToDict
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(data)
    except DecodeError as exc:
        raise IngestError(
            f"{source}: not an OTLP protobuf trace export (ExportTraceServiceRequest): {exc}"
        ) from exc
    return otlp_spans(MessageToDict(request))
