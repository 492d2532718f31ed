"""OTLP/HTTP trace export requests (protobuf or JSON) checked as the OTLP specification says:
spans without a valid trace or span id are rejected (partial success), the rest kept as sent.

https://opentelemetry.io/docs/specs/otlp/#otlphttp : 200 with an ExportTraceServiceResponse
(`partial_success` when some spans were rejected), 400 for a body that cannot be decoded, the
response encoded like the request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from llmops.collector.decode import load_json
from llmops.collector.errors import Refused

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_HEX = {32: re.compile(r"[0-9a-fA-F]{32}"), 16: re.compile(r"[0-9a-fA-F]{16}")}


@dataclass
class Checked:
    """A request's payload to spool (the original bytes unless spans were rejected)."""

    payload: bytes
    spans: int
    rejected: int = 0
    error: str = ""


def _pb():
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    return trace_service_pb2


def check_protobuf(body: bytes) -> Checked:
    """Parse an ExportTraceServiceRequest; drop spans whose ids have the wrong length."""
    from google.protobuf.message import DecodeError

    pb = _pb()
    try:
        request = pb.ExportTraceServiceRequest.FromString(body)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise Refused(
            400, f"body is not an OTLP ExportTraceServiceRequest (protobuf): {exc}", "malformed"
        ) from exc
    kept = rejected = 0
    first = ""
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            bad = [
                i
                for i, s in enumerate(ss.spans)
                if len(s.trace_id) != 16 or len(s.span_id) != 8 or not any(s.trace_id)
            ]
            if bad:
                s = ss.spans[bad[0]]
                first = first or (
                    f"span {s.name!r}: trace_id must be 16 bytes and span_id 8 bytes "
                    f"(got {len(s.trace_id)} and {len(s.span_id)})"
                )
                for i in reversed(bad):
                    del ss.spans[i]
                rejected += len(bad)
            kept += len(ss.spans)
    if not rejected:
        return Checked(body, kept)
    return Checked(request.SerializeToString() if kept else b"", kept, rejected, first)


def _valid_json_span(span: Any) -> str | None:
    if not isinstance(span, dict):
        return "a span is not a JSON object"
    for key, size in (("traceId", 32), ("spanId", 16)):
        value = span.get(key)
        if not isinstance(value, str) or not _HEX[size].fullmatch(value):
            return f"span {span.get('name')!r}: {key} must be {size} hex digits (got {value!r})"
    if span["traceId"].strip("0") == "":
        return f"span {span.get('name')!r}: traceId is all zeros"
    return None


def check_json(body: bytes, max_depth: int) -> Checked:
    """An OTLP/JSON request (hex ids, as the OTLP spec's JSON mapping says)."""
    doc = load_json(body, max_depth)
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceSpans", []), list):
        raise Refused(400, "body must be an object with a resourceSpans array", "malformed")
    kept = rejected = 0
    first = ""
    for i, rs in enumerate(doc.get("resourceSpans", [])):
        if not isinstance(rs, dict) or not isinstance(rs.get("scopeSpans", []), list):
            raise Refused(400, f"resourceSpans[{i}] must have a scopeSpans array", "malformed")
        for j, ss in enumerate(rs.get("scopeSpans", [])):
            if not isinstance(ss, dict) or not isinstance(ss.get("spans", []), list):
                where = f"resourceSpans[{i}].scopeSpans[{j}]"
                raise Refused(400, f"{where} must have a spans array", "malformed")
            spans = ss.get("spans", [])
            good = []
            for span in spans:
                problem = _valid_json_span(span)
                if problem:
                    first = first or problem
                    rejected += 1
                else:
                    good.append(span)
            if len(good) != len(spans):
                ss["spans"] = good
            kept += len(good)
    if not rejected:
        return Checked(body, kept)
    payload = json.dumps(doc, ensure_ascii=False).encode() if kept else b""
    return Checked(payload, kept, rejected, first)


def response(checked: Checked | None, content_type: str) -> bytes:
    """The ExportTraceServiceResponse body, in the request's encoding."""
    rejected = checked.rejected if checked else 0
    message = checked.error if checked else ""
    if content_type == PROTOBUF:
        partial = {"rejected_spans": rejected, "error_message": message} if rejected else None
        msg = _pb().ExportTraceServiceResponse(partial_success=partial)
        return msg.SerializeToString()
    if not rejected:
        return b"{}"
    body = {"partialSuccess": {"rejectedSpans": str(rejected), "errorMessage": message}}
    return json.dumps(body).encode()


def status_body(code: int, message: str, content_type: str) -> bytes:
    """A google.rpc.Status body for a refused OTLP request (protobuf or JSON)."""
    grpc_code = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}.get(code, 2)
    if content_type == PROTOBUF:
        from google.rpc import status_pb2

        return status_pb2.Status(code=grpc_code, message=message).SerializeToString()
    return json.dumps({"code": grpc_code, "message": message}).encode()


def media_type(header: str | None) -> str | None:
    """`application/x-protobuf`, `application/json`, or None for anything else."""
    kind = (header or "").split(";", 1)[0].strip().lower()
    if kind in (PROTOBUF, "application/protobuf"):
        return PROTOBUF
    if kind == JSON:
        return JSON
    return None
