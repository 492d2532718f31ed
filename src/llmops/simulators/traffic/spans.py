"""Tracing formats: OpenTelemetry GenAI spans (JSONL and OTLP/JSON) and Langfuse ingestion batches."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from llmops.simulators.traffic.formats import (
    first_token_us,
    iso_z,
    messages,
    sub_key,
    uuid_of,
    when,
)
from llmops.simulators.traffic.model import SERVED, Call

PST = dt.timezone(dt.timedelta(hours=-8))


def _otel_attrs(c: Call) -> dict[str, str | int]:
    """The GenAI semantic-convention attributes of a call's span (no usage on failures)."""
    ok = c.status == "success"
    attrs: dict[str, str | int] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": c.provider,
        "gen_ai.request.model": c.model,
    }
    if ok:
        attrs |= {
            "gen_ai.response.model": SERVED[c.model],
            "gen_ai.response.id": f"chatcmpl-{sub_key(c.key, 'resp')[:29]}",
        }
    attrs["gen_ai.conversation.id"] = c.session_id
    if ok:
        attrs |= {
            "gen_ai.usage.input_tokens": c.input_tokens,
            "gen_ai.usage.output_tokens": c.output_tokens,
            "gen_ai.usage.cache_read.input_tokens": c.cached_tokens,
            "openai.response.system_fingerprint": c.fingerprint or "",
        }
    msgs = [
        {"role": m["role"], "parts": [{"type": "text", "content": m["content"]}]}
        for m in messages(c)
    ]
    attrs["gen_ai.input.messages"] = json.dumps(msgs)
    if ok:
        out = [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": c.output_text}],
                "finish_reason": "stop",
            }
        ]
        attrs["gen_ai.output.messages"] = json.dumps(out)
    attrs["user.id"] = c.user_id
    if not ok and c.error:
        attrs["error.type"] = c.error[0]
    attrs |= {
        "llmops.prompt.name": c.spec.prompt,
        "llmops.prompt.version": c.prompt_version,
        "llmops.feature": c.feature,
        "llmops.team": c.spec.team,
    }
    return attrs


def otel_span(c: Call) -> dict[str, Any]:
    """An OpenTelemetry GenAI client span, one JSON object per line."""
    ok = c.status == "success"
    return {
        "trace_id": c.trace_key,
        "span_id": c.key[:16],
        "name": f"chat {c.model}",
        "kind": "CLIENT",
        "start_time_unix_nano": c.start_us * 1000,
        "end_time_unix_nano": c.end_us * 1000,
        "status": {"code": "OK", "message": ""} if ok else {"code": "ERROR", "message": c.error[2]},
        "attributes": _otel_attrs(c),
    }


def _any_value(v: str | int) -> dict[str, str]:
    """An OTLP AnyValue; int64 as a decimal string, as protobuf JSON encodes it."""
    return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}


def otlp_envelope(calls: list[Call]) -> dict[str, Any]:
    """The same spans in the OTLP/JSON export envelope (int64 values as strings, as protobuf JSON)."""
    spans = []
    for c in calls:
        ok = c.status == "success"
        spans.append(
            {
                "traceId": c.trace_key,
                "spanId": c.key[:16],
                "name": f"chat {c.model}",
                "kind": 3,
                "startTimeUnixNano": str(c.start_us * 1000),
                "endTimeUnixNano": str(c.end_us * 1000),
                "attributes": [
                    {"key": k, "value": _any_value(v)} for k, v in _otel_attrs(c).items()
                ],
                "status": {"code": 1} if ok else {"code": 2, "message": c.error[2]},
            }
        )
    resource = {"service.name": "doc-search-api", "deployment.environment.name": "prod"}
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": k, "value": _any_value(v)} for k, v in resource.items()]
                },
                "scopeSpans": [
                    {
                        "scope": {
                            "name": "opentelemetry.instrumentation.openai_v2",
                            "version": "2.1b0",
                        },
                        "spans": spans,
                    }
                ],
            }
        ]
    }


def langfuse_events(c: Call) -> list[dict[str, Any]]:
    """A trace-create and a generation-create event for one call."""
    ok = c.status == "success"
    trace_id = uuid_of(c.trace_key)
    logged = iso_z(c.end_us + 150_000)
    cost = c.cost or 0.0

    def local(us: int) -> str:
        return when(us).astimezone(PST).isoformat(timespec="microseconds")

    trace = {
        "id": trace_id,
        "timestamp": iso_z(c.start_us),
        "name": c.feature,
        "userId": c.user_id,
        "sessionId": c.session_id,
        "metadata": {"feature": c.feature, "team": c.spec.team},
        "tags": [c.feature],
    }
    gen: dict[str, Any] = {
        "id": f"gen-{uuid_of(c.key)}",
        "traceId": trace_id,
        "name": c.spec.prompt,
        "startTime": local(c.start_us),
        "endTime": local(c.end_us),
        "completionStartTime": local(first_token_us(c)),
        "model": c.model,
        "modelParameters": {"temperature": "0.2", "max_tokens": "512"},
        "promptName": c.spec.prompt,
        "promptVersion": int(c.prompt_version.lstrip("v")),
        "input": {"messages": messages(c)},
        "output": {"content": c.output_text, "role": "assistant"} if ok else None,
        "usage": {
            "input": c.input_tokens,
            "output": c.output_tokens,
            "unit": "TOKENS",
            "totalCost": cost,
        },
        "usageDetails": {  # Langfuse's buckets add up: `input` excludes the cache reads
            "input": c.input_tokens - c.cached_tokens,
            "output": c.output_tokens,
            "cache_read_input_tokens": c.cached_tokens,
        },
        "level": "DEFAULT" if ok else "ERROR",
        "metadata": {
            "provider": c.provider,
            "served_model": SERVED[c.model],
            "feature": c.feature,
            "team": c.spec.team,
        },
    }
    if not ok and c.error:
        gen["statusMessage"] = f"{c.error[0]}: {c.error[2]}"
    return [
        {
            "id": sub_key(c.key, "ev-trace"),
            "type": "trace-create",
            "body": trace,
            "timestamp": logged,
        },
        {
            "id": sub_key(c.key, "ev-gen"),
            "type": "generation-create",
            "body": gen,
            "timestamp": logged,
        },
    ]


def langfuse_document(calls: list[Call]) -> dict[str, Any]:
    """One Langfuse ingestion batch holding a day of calls."""
    batch = [ev for c in calls for ev in langfuse_events(c)]
    meta = {
        "batch_size": len(batch),
        "sdk_integration": "default",
        "sdk_name": "python",
        "sdk_version": "2.44.1",
    }
    return {"batch": batch, "metadata": meta}
