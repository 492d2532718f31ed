"""OpenTelemetry GenAI spans (OTLP exports, flattened span records)."""

from __future__ import annotations

from typing import Any

from llmops.core.errors import IngestError
from llmops.ingest.formats.paths import Paths, attr, inner


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""
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


def _otlp_value(value: dict[str, Any]) -> Any:
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in value:
            return value[key]
    if "arrayValue" in value:
        return [_otlp_value(v) for v in value["arrayValue"].get("values", [])]
    return None


def otlp_spans(doc: dict[str, Any]) -> list[tuple[int, Any]]:
    """Flatten an OTLP/JSON export into one record per span with a plain attributes object."""
    out: list[tuple[int, Any]] = []
    n = 0
    for resource in doc.get("resourceSpans", []):
        res_attrs = {
            a["key"]: _otlp_value(a.get("value", {}))
            for a in (resource.get("resource") or {}).get("attributes", [])
        }
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                n += 1
                attrs = {
                    a["key"]: _otlp_value(a.get("value", {})) for a in span.get("attributes", [])
                }
                code = (span.get("status") or {}).get("code")
                out.append(
                    (
                        n,
                        {
                            **span,
                            "status": {**(span.get("status") or {}), "code": str(code)},
                            "attributes": {**res_attrs, **attrs},
                        },
                    )
                )
    return out


def detects(rec: dict[str, Any]) -> bool:
    """An OTLP export or a span record carrying gen_ai.* attributes."""
    attrs = rec.get("attributes")
    return "resourceSpans" in rec or (
        isinstance(attrs, dict) and any(str(k).startswith("gen_ai.") for k in attrs)
    )


def documents(doc: Any) -> list[tuple[int, Any]] | None:
    """Numbered span records of an OTLP/JSON export; None when it is not one."""
    if isinstance(doc, dict) and isinstance(doc.get("resourceSpans"), list):
        return otlp_spans(doc)
    return None


def protobuf_records(data: bytes, source: str) -> list[tuple[int, Any]]:
    """Numbered span records of an OTLP protobuf export (ExportTraceServiceRequest)."""
    raise IngestError(f"{source}: OTLP protobuf files are not supported yet")
