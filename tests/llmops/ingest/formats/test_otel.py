"""OpenTelemetry GenAI ingest beyond the conformance manifest: shapes and rules one at a time.

Attribute names are the producers' own: the GenAI semconv registry (opentelemetry-semantic-
conventions 0.66b1, installed), OpenLLMetry's writer instrumentation (traceloop/openllmetry
@93429cfb, packages/opentelemetry-instrumentation-writer/.../span_utils.py: indexed
`gen_ai.prompt.N.*` / `gen_ai.completion.N.*`), OpenLIT 1.45.0 (installed: `gen_ai.content.prompt`
span events, `gen_ai.usage.cost`, Anthropic's exclusive input count) and opentelemetry-util-genai
1.3b0 (installed: `gen_ai.response.time_to_first_chunk`).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from llmops.core.errors import IngestError
from llmops.ingest import ingest_file
from llmops.ingest.formats import otel, otel_records
from llmops.lake.warehouse import connect

START = 1_745_510_400_000_000_000  # 2025-04-24T16:00:00Z in ns


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": v}


def span(span_id: str, attrs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """One OTLP/JSON span starting at START and lasting 1.5 s."""
    return {
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        "spanId": span_id,
        "name": "chat",
        "kind": 3,
        "startTimeUnixNano": str(START),
        "endTimeUnixNano": str(START + 1_500_000_000),
        "attributes": [{"key": k, "value": _value(v)} for k, v in attrs.items()],
        **extra,
    }


def export(*spans: dict[str, Any], resource: dict[str, Any] | None = None) -> dict[str, Any]:
    res = [{"key": k, "value": _value(v)} for k, v in (resource or {}).items()]
    return {
        "resourceSpans": [{"resource": {"attributes": res}, "scopeSpans": [{"spans": list(spans)}]}]
    }


def rows(settings) -> dict[str, dict[str, Any]]:
    con = connect(settings.lake_dir)
    try:
        out = con.sql("SELECT * FROM llm_calls").pl().to_dicts()
    finally:
        con.close()
    return {r["call_id"]: r for r in out}


def reasons(settings) -> list[tuple[int, str]]:
    con = connect(settings.lake_dir)
    try:
        return con.sql("SELECT source_line, reason FROM quarantine ORDER BY 1").fetchall()
    finally:
        con.close()


def ingest(doc: Any, settings, tmp_path: Path, name: str = "export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return ingest_file(path, settings)


CHAT = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai"}


def test_ids_are_hex_whatever_the_json_mapping() -> None:
    assert otel_records.hex_id("AAEAAAAAAAE=") == "0001000000000001"  # protobuf JSON (base64)
    assert otel_records.hex_id("AAAAAQAAAAAAAAAAAAAAAQ==") == "00000001000000000000000000000001"
    assert otel_records.hex_id("00F067AA0BA902B7") == "00f067aa0ba902b7"
    assert otel_records.hex_id({"type": "Buffer", "data": [0, 240, 103, 170, 11, 169, 2, 183]}) == (
        "00f067aa0ba902b7"
    )
    assert otel_records.hex_id("span-1") == "span-1"  # not an OTLP id: kept as it is
    assert otel_records.unix_nano({"low": 466848096, "high": 406528574}) == "1746026930686364000"
    assert otel_records.unix_nano("0") is None  # protobuf's default: not set


def test_only_genai_call_spans_become_calls(settings, tmp_path: Path) -> None:
    doc = export(
        span("0000000000000001", {"http.request.method": "POST", "url.full": "http://x/v1"}),
        span("0000000000000002", {**CHAT, "gen_ai.request.model": "gpt-4o"}),
        span(
            "0000000000000003",
            {"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o"},
        ),
        span(
            "0000000000000004",
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
        ),
        span("0000000000000005", {"langfuse.observation.type": "span", "user.id": "u"}),
        span(
            "0000000000000006",
            {
                "langfuse.observation.type": "generation",
                "langfuse.observation.model.name": "gpt-4o",
            },
        ),
    )
    assert [n for n, _ in otel.documents(doc)] == [2, 6]  # record numbers = span positions
    result = ingest(doc, settings, tmp_path)
    assert (result.format, result.accepted, result.quarantined) == ("otel", 2, 0)
    assert {r["source_line"] for r in rows(settings).values()} == {2, 6}


def test_a_genai_span_without_start_time_is_quarantined_naming_the_field(
    settings, tmp_path: Path
) -> None:
    bad = span("0000000000000002", {**CHAT, "gen_ai.request.model": "gpt-4o"})
    del bad["startTimeUnixNano"]
    doc = export(span("0000000000000001", {**CHAT, "gen_ai.request.model": "gpt-4o"}), bad)
    result = ingest(doc, settings, tmp_path)
    assert (result.accepted, result.quarantined) == (1, 1)
    assert reasons(settings) == [(2, "missing field startTimeUnixNano")]


def test_protobuf_records_equal_the_json_records() -> None:
    from google.protobuf.json_format import ParseDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    doc = export(span("00f067aa0ba902b7", {**CHAT, "gen_ai.request.model": "gpt-4o"}))
    proto = ParseDict(
        {
            "resourceSpans": [
                {
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    **doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0],
                                    "traceId": "S/kvNXezTaajzpKdDg5HNg==",  # same bytes, base64
                                    "spanId": "APBnqgupArc=",
                                }
                            ]
                        }
                    ]
                }
            ]
        },
        ExportTraceServiceRequest(),
    )
    [(n, from_pb)] = otel.protobuf_records(proto.SerializeToString(), "x.pb")
    [(_, from_json)] = otel.documents(doc)
    assert n == 1
    assert from_pb["traceId"] == from_json["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert from_pb["spanId"] == "00f067aa0ba902b7"
    assert from_pb["attributes"] == from_json["attributes"]
    assert from_pb["startTimeUnixNano"] == from_json["startTimeUnixNano"]


def test_gzipped_protobuf_file_and_a_broken_one(settings, tmp_path: Path) -> None:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider()
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("chat gpt-4o") as s:
        s.set_attributes({**CHAT, "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 7})
    with provider.get_tracer("t").start_as_current_span("GET /health"):
        pass
    path = tmp_path / "traces.pb.gz"
    path.write_bytes(gzip.compress(encode_spans(memory.get_finished_spans()).SerializeToString()))
    result = ingest_file(path, settings)
    assert (result.format, result.accepted, result.quarantined) == ("otel", 1, 0)
    [row] = rows(settings).values()
    assert row["input_tokens"] == 7 and len(row["call_id"]) == 16  # the span id, in hex
    broken = tmp_path / "broken.pb"
    broken.write_bytes(b"\xff\xff\xff not protobuf")
    with pytest.raises(IngestError, match="broken.pb: not an OTLP protobuf trace export"):
        ingest_file(broken, settings)


def test_indexed_prompt_and_completion_attributes(settings, tmp_path: Path) -> None:
    attrs = {
        **CHAT,
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "Be brief.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "first question",
        "gen_ai.prompt.2.role": "assistant",
        "gen_ai.prompt.2.content": "first answer",
        "gen_ai.prompt.3.role": "user",
        "gen_ai.prompt.3.content": "my card is 4111",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "noted",
    }
    tool = {
        **CHAT,
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "Weather in Paris?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.tool_calls.0.name": "get_weather",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"location": "Paris"}',
    }
    ingest(
        export(span("0000000000000001", attrs), span("0000000000000002", tool)), settings, tmp_path
    )
    got = rows(settings)
    one, two = got["0000000000000001"], got["0000000000000002"]
    assert (one["input_text"], one["system_text"], one["output_text"]) == (
        "my card is 4111",
        "Be brief.",
        "noted",
    )
    assert two["output_text"] == 'get_weather({"location": "Paris"})'


def test_texts_in_span_events(settings, tmp_path: Path) -> None:
    def event(name: str, attrs: dict[str, Any]) -> dict[str, Any]:
        return {
            "timeUnixNano": str(START),
            "name": name,
            "attributes": [{"key": k, "value": _value(v)} for k, v in attrs.items()],
        }

    legacy = span(  # OpenLIT / semconv <= 1.27: gen_ai.content.prompt / .completion events
        "0000000000000001",
        {**CHAT, "gen_ai.request.model": "gpt-4o"},
        events=[
            event("gen_ai.content.prompt", {"gen_ai.prompt": "user: what is my balance?"}),
            event("gen_ai.content.completion", {"gen_ai.completion": "It is 42."}),
        ],
    )
    per_message = span(  # semconv message events recorded as span events
        "0000000000000002",
        {**CHAT, "gen_ai.request.model": "gpt-4o"},
        events=[
            event("gen_ai.system.message", {"content": "You are terse."}),
            event("gen_ai.user.message", {"content": "hello"}),
            event("gen_ai.choice", {"index": 0, "message": '{"content": "hi"}'}),
        ],
    )
    ingest(export(legacy, per_message), settings, tmp_path)
    got = rows(settings)
    assert (got["0000000000000001"]["input_text"], got["0000000000000001"]["output_text"]) == (
        "user: what is my balance?",
        "It is 42.",
    )
    two = got["0000000000000002"]
    assert (two["input_text"], two["system_text"]) == ("hello", "You are terse.")


def test_log_records_join_their_span_across_exports(settings, tmp_path: Path) -> None:
    traces = export(span("00f067aa0ba902b7", {**CHAT, "gen_ai.request.model": "gpt-4o"}))
    logs = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "eventName": "gen_ai.user.message",
                                "spanId": "00f067aa0ba902b7",
                                "body": {
                                    "kvlistValue": {
                                        "values": [
                                            {"key": "content", "value": {"stringValue": "hello"}}
                                        ]
                                    }
                                },
                            },
                            {  # older SDKs: the event name as an attribute
                                "attributes": [
                                    {"key": "event.name", "value": {"stringValue": "gen_ai.choice"}}
                                ],
                                "spanId": "00f067aa0ba902b7",
                                "body": {
                                    "kvlistValue": {
                                        "values": [
                                            {
                                                "key": "message",
                                                "value": {
                                                    "kvlistValue": {
                                                        "values": [
                                                            {
                                                                "key": "content",
                                                                "value": {
                                                                    "stringValue": "hi there"
                                                                },
                                                            }
                                                        ]
                                                    }
                                                },
                                            }
                                        ]
                                    }
                                },
                            },
                            {
                                "eventName": "gen_ai.user.message",
                                "spanId": "",
                                "body": {"stringValue": "orphan"},
                            },
                        ]
                    }
                ]
            }
        ]
    }
    assert otel.documents(logs) == []  # a logs export alone has no calls
    ingest([logs, traces], settings, tmp_path)
    [row] = rows(settings).values()
    assert (row["input_text"], row["output_text"]) == ("hello", "hi there")


def test_envelope_lines_join_logs_across_lines() -> None:
    """JSONL as the OTLP file exporter writes it (one export per line), see envelope_lines."""
    traces = export(span("00f067aa0ba902b7", {**CHAT, "gen_ai.request.model": "gpt-4o"}))
    body = {"kvlistValue": {"values": [{"key": "content", "value": {"stringValue": "hello"}}]}}
    logs = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "eventName": "gen_ai.user.message",
                                "spanId": "00f067aa0ba902b7",
                                "body": body,
                            }
                        ]
                    }
                ]
            }
        ]
    }
    [(line, rec)] = otel.envelope_lines([(1, logs), (2, traces)])
    assert (line, rec["_genai"]["input_text"]) == (2, "hello")


def test_token_attribute_generations_and_openlit_anthropic(settings, tmp_path: Path) -> None:
    old = {  # semconv <= 1.26 names
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.prompt_tokens": 120,
        "gen_ai.usage.completion_tokens": 30,
        "gen_ai.openai.response.service_tier": "default",
    }
    anthropic = {
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-3-5-haiku-20241022",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 10,
        "gen_ai.usage.cache_read.input_tokens": 50,
        "gen_ai.usage.cache_creation.input_tokens": 25,
        "gen_ai.usage.reasoning.output_tokens": 4,
        "gen_ai.response.time_to_first_chunk": 0.25,
        "openai.response.service_tier": "priority",
    }
    openlit = {**anthropic, "gen_ai.usage.cost": 0.0012, "telemetry.sdk.name": "openlit"}
    doc = export(
        span("0000000000000001", old),
        span("0000000000000002", anthropic),
        span("0000000000000003", openlit),
    )
    ingest(doc, settings, tmp_path)
    got = rows(settings)
    first, semconv, lit = got["0000000000000001"], got["0000000000000002"], got["0000000000000003"]
    assert (first["provider"], first["input_tokens"], first["output_tokens"]) == ("openai", 120, 30)
    assert first["service_tier"] is None  # "default" is the on-demand tier
    # semconv: input_tokens includes cached and cache-write tokens already
    assert (semconv["input_tokens"], semconv["cached_tokens"], semconv["cache_write_tokens"]) == (
        100,
        50,
        25,
    )
    assert (semconv["reasoning_tokens"], semconv["ttft_ms"], semconv["service_tier"]) == (
        4,
        pytest.approx(250.0),
        "priority",
    )
    # OpenLIT's Anthropic instrumentation reports Anthropic's exclusive input count
    assert (lit["input_tokens"], lit["reported_cost_usd"]) == (175, pytest.approx(0.0012))


def test_langfuse_usage_details_conventions() -> None:
    usage = otel_records.langfuse_usage
    assert usage({"langfuse.observation.usage_details": '{"input": 10, "output": 5}'}) == {
        "input": 10,
        "output": 5,
        "cached": None,
        "cache_write": None,
        "reasoning": None,
        "audio_input": None,
        "audio_output": None,
        "image_input": None,
    }
    exclusive = usage(
        {
            "langfuse.observation.usage_details": json.dumps(
                {"input": 10, "input_cached_tokens": 90, "output": 5, "output_reasoning_tokens": 3}
            )
        }
    )
    assert (
        exclusive["input"],
        exclusive["cached"],
        exclusive["output"],
        exclusive["reasoning"],
    ) == (
        100,
        90,
        8,
        3,
    )
    assert otel_records.langfuse_cost(
        {"langfuse.observation.cost_details": '{"input": 0.25, "output": 0.5}'}
    ) == pytest.approx(0.75)


def test_flattened_span_records_read_attributes_only(settings, tmp_path: Path) -> None:
    """JSONL of flattened spans (no OTLP envelope) keeps working from attributes alone."""
    rec = {
        "trace_id": "t1",
        "span_id": "s1",
        "start_time_unix_nano": START,
        "end_time_unix_nano": START + 10**9,
        "attributes": {
            **CHAT,
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.input.messages": json.dumps(
                [
                    {"role": "user", "parts": [{"type": "text", "content": "first"}]},
                    {"role": "assistant", "parts": [{"type": "text", "content": "ok"}]},
                    {"role": "user", "parts": [{"type": "text", "content": "second"}]},
                ]
            ),
            "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be kind."}]),
        },
    }
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    assert ingest_file(path, settings).format == "otel"
    [row] = rows(settings).values()
    assert (row["input_text"], row["system_text"]) == ("second", "Be kind.")
