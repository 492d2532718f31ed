"""OTLP exports (JSON or decoded protobuf) to one flat record per GenAI span.

Each kept span becomes `{**span, "attributes": {resource, then span attributes}, "_genai": {...}}`
where `_genai` holds what SQL cannot read from fixed JSON paths (see `derived`): the message texts
from whichever place the producer put them (span attributes, indexed `gen_ai.prompt.N.*`
attributes, span events or OTLP log records of the same span), the first-token time from
streaming chunk events or Langfuse's `completion_start_time`, and Langfuse's `usage_details` /
`cost_details` JSON. Each reader names the producer whose field it reads. Ids become lowercase
hex (OTLP/JSON) whether the export wrote hex, base64 (protobuf's JSON mapping) or Node Buffers;
times become epoch-ns strings (protobuf.js Longs included).

Which spans are calls (`is_call`): a span carrying a GenAI request or response model
(`gen_ai.request.model`, `gen_ai.response.model`, Langfuse `langfuse.observation.model.name`) or
a GenAI inference/embeddings operation name, unless it is an agent, workflow or tool span (those
wrap the model calls that are already counted) or a Langfuse observation that is not a
generation/embedding. Other spans (HTTP clients, web frameworks, Langfuse trace/span
observations) are skipped, not quarantined: they are not LLM calls.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

CALL_OPERATIONS = {"chat", "text_completion", "generate_content", "embeddings", "completion"}
NOT_CALL_OPERATIONS = {
    "invoke_agent",
    "create_agent",
    "execute_tool",
    "invoke_workflow",
    "retrieval",
    "workflow",
    "agent",
    "tool",
}
MODEL_KEYS = ("gen_ai.request.model", "gen_ai.response.model", "langfuse.observation.model.name")
LANGFUSE_CALL_TYPES = {"generation", "embedding"}
_HEX_ID = re.compile(r"[0-9a-fA-F]{16}|[0-9a-fA-F]{32}")
_INDEXED = re.compile(
    r"gen_ai\.(prompt|completion)\.(\d+)\.(role|content|tool_calls\.(\d+)\.(name|arguments))$"
)
# Semconv events (log records or span events) that carry one input message, by role
MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
DETAILS_EVENT = "gen_ai.client.inference.operation.details"
# OpenLLMetry streaming: one span event per received chunk; the first one is the first token
CHUNK_EVENTS = {"gen_ai.content.completion.chunk", "llm.content.completion.chunk"}


def any_value(value: Any) -> Any:
    """Plain Python value of an OTLP AnyValue (OTLP/JSON or protobuf-as-dict)."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        raw = value["intValue"]
        try:
            return int(raw)
        except (TypeError, ValueError):
            return raw
    if "doubleValue" in value:
        return value["doubleValue"]
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return key_values((value["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def key_values(items: Iterable[Any]) -> dict[str, Any]:
    """OTLP `[{key, value}]` list as a dict."""
    return {
        str(kv["key"]): any_value(kv.get("value") or {})
        for kv in items or []
        if isinstance(kv, dict) and "key" in kv
    }


def hex_id(value: Any) -> Any:
    """A trace/span id as lowercase hex, as OTLP/JSON writes it.

    Accepts hex, base64 (the protobuf JSON mapping, e.g. `MessageToJson`), Node's
    `{"type": "Buffer", "data": [...]}` and lists of byte values; other values stay as they are.
    """
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = value["data"]
    if isinstance(value, list) and all(isinstance(b, int) for b in value):
        return bytes(value).hex() or None
    if not isinstance(value, str) or not value:
        return value or None
    if _HEX_ID.fullmatch(value):
        return value.lower()
    if len(value) in (12, 24) and value.endswith("="):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return value
        if len(raw) in (8, 16):
            return raw.hex()
    return value


def unix_nano(value: Any) -> Any:
    """Epoch nanoseconds as a decimal string; protobuf.js Longs (`{low, high}`) are joined.

    0 (the protobuf default: not set) becomes None, so the span reads as having no time.
    """
    if isinstance(value, dict) and "low" in value and "high" in value:
        value = (int(value["high"]) << 32) | (int(value["low"]) & 0xFFFFFFFF)
    if value in (0, "0", "", None):
        return None
    return str(value)


def is_call(attrs: dict[str, Any]) -> bool:
    """Whether a span is one LLM call (see the module docstring)."""
    op = str(attrs.get("gen_ai.operation.name") or "").lower()
    if op in NOT_CALL_OPERATIONS:
        return False
    lf_type = attrs.get("langfuse.observation.type")
    if lf_type is not None:
        return str(lf_type).lower() in LANGFUSE_CALL_TYPES
    return any(attrs.get(k) not in (None, "") for k in MODEL_KEYS) or op in CALL_OPERATIONS


def _event(raw: dict[str, Any]) -> dict[str, Any]:
    """A span event or log record as {name, time, attributes, body}."""
    attrs = key_values(raw.get("attributes") or [])
    name = raw.get("eventName") or raw.get("event_name") or raw.get("name")
    return {
        "name": name or attrs.get("event.name"),
        "time": unix_nano(raw.get("timeUnixNano") or raw.get("observedTimeUnixNano")),
        "attributes": attrs,
        "body": any_value(raw.get("body"))
        if isinstance(raw.get("body"), dict)
        else raw.get("body"),
    }


def log_records(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Log records of an OTLP logs export by span id (records without a span are dropped:
    an event that names no span cannot be tied to a call)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for resource in doc.get("resourceLogs") or []:
        for scope in (resource or {}).get("scopeLogs") or []:
            for rec in (scope or {}).get("logRecords") or []:
                span_id = hex_id(rec.get("spanId") or rec.get("span_id"))
                if span_id and span_id.strip("0"):
                    out.setdefault(span_id, []).append(_event(rec))
    return out


def spans(
    doc: dict[str, Any], logs: dict[str, list[dict[str, Any]]] | None = None, start: int = 0
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(position, record) for every span of an OTLP traces export; None for skipped spans."""
    n = start
    for resource in doc.get("resourceSpans") or []:
        res_attrs = key_values(((resource or {}).get("resource") or {}).get("attributes") or [])
        for scope in (resource or {}).get("scopeSpans") or []:
            for span in (scope or {}).get("spans") or []:
                n += 1
                if not isinstance(span, dict):
                    yield n, span
                    continue
                attrs = {**res_attrs, **key_values(span.get("attributes") or [])}
                if not is_call(attrs):
                    yield n, None
                    continue
                yield n, record(span, attrs, (logs or {}).get(hex_id(span.get("spanId")) or ""))


def record(
    span: dict[str, Any], attrs: dict[str, Any], logs: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """The flat record of one GenAI span (ids in hex, times as epoch-ns strings)."""
    rec = {k: v for k, v in span.items() if k not in ("attributes", "events", "links")}
    for key in ("traceId", "spanId", "parentSpanId"):
        if key in rec:
            rec[key] = hex_id(rec[key])
    for key in ("startTimeUnixNano", "endTimeUnixNano"):
        if key in rec:
            rec[key] = unix_nano(rec[key])
    status = span.get("status") or {}
    code = status.get("code")
    rec["status"] = {**status, "code": None if code is None else str(code)}
    rec["attributes"] = attrs
    events = [_event(e) for e in span.get("events") or [] if isinstance(e, dict)]
    rec["_genai"] = derived(attrs, events + list(logs or []))
    return rec


# ---- values SQL cannot read from fixed paths ------------------------------------------------


def _json(value: Any) -> Any:
    """A JSON-valued attribute decoded (structured AnyValues arrive decoded already; raw control
    characters inside strings are accepted, as producers' JSON encoders sometimes leave them)."""
    if isinstance(value, str) and value[:1] in ("[", "{", '"'):
        try:
            return json.loads(value, strict=False)
        except ValueError:
            return value
    return value


def _tool_call(call: Any) -> str | None:
    """`name(arguments)` of a tool call (semconv `tool_call` part or OpenAI `tool_calls` item):
    a model's output that is only a tool call still has text an audit must see."""
    if not isinstance(call, dict):
        return None
    fn = call.get("function") if isinstance(call.get("function"), dict) else call
    name, args = fn.get("name"), fn.get("arguments")
    if not name:
        return None
    if args is None or isinstance(args, str):
        return f"{name}({args or ''})"
    return f"{name}({json.dumps(args, ensure_ascii=False)})"


def _text(content: Any) -> str | None:
    """Text of a message content: a string, OpenAI parts (`text`) or semconv parts (`content`);
    tool calls (`name(arguments)`) when there is no text part."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        for key in ("content", "text"):
            if isinstance(content.get(key), str):
                return content[key]
        return None
    if isinstance(content, list):
        texts, calls = [], []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type", "text") in ("text", "input_text"):
                text = part.get("content", part.get("text"))
                if isinstance(text, str):
                    texts.append(text)
            elif isinstance(part, dict) and part.get("type") in ("tool_call", "function_call"):
                calls.append(_tool_call(part))
        found = texts or [c for c in calls if c]
        return "\n".join(found) if found else None
    return None


def _message(m: Any, role: str | None = None) -> tuple[str, str | None]:
    """(role, text) of one message in any of the producers' shapes."""
    if not isinstance(m, dict):
        return role or "user", _text(m)
    r = str(m.get("role") or role or "user").lower()
    if "parts" in m:
        return r, _text(m["parts"])
    if "message" in m and isinstance(m["message"], dict):  # gen_ai.choice body
        return _message(m["message"], role or "assistant")
    text = _text(m.get("content"))
    if text is None and isinstance(m.get("tool_calls"), list):  # OpenAI assistant message
        text = "\n".join(c for c in map(_tool_call, m["tool_calls"]) if c) or None
    return r, text


def _messages(value: Any) -> list[tuple[str, str | None]]:
    """Messages of a messages-valued attribute (list, `{messages: [...]}`, or plain text)."""
    value = _json(value)
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if isinstance(value, list):
        return [_message(m) for m in value]
    if isinstance(value, (str, dict)):
        return [_message(value)]
    return []


def _indexed(attrs: dict[str, Any], kind: str) -> list[tuple[str, str | None]]:
    """Messages of OpenLLMetry/OpenLIT indexed attributes `gen_ai.{prompt,completion}.N.role`,
    `.content` and `.tool_calls.J.{name,arguments}`."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        m = _INDEXED.match(key)
        if not m or m.group(1) != kind:
            continue
        msg = found.setdefault(int(m.group(2)), {})
        if m.group(4) is None:
            msg[m.group(3)] = value
        else:
            msg.setdefault("tool_calls", {}).setdefault(int(m.group(4)), {})[m.group(5)] = value
    default = "user" if kind == "prompt" else "assistant"
    out = []
    for i in sorted(found):
        msg = found[i]
        text = _text(_json(msg.get("content")))
        if text is None and msg.get("tool_calls"):
            calls = [_tool_call(msg["tool_calls"][j]) for j in sorted(msg["tool_calls"])]
            text = "\n".join(c for c in calls if c) or None
        out.append((str(msg.get("role") or default).lower(), text))
    return out


def _event_messages(events: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """(input messages, output messages) carried by span events / log records."""
    inputs: list[tuple[str, str | None]] = []
    outputs: list[tuple[str, str | None]] = []
    for ev in events:
        name, attrs, body = ev["name"], ev["attributes"], ev["body"]
        if name in MESSAGE_EVENTS:
            payload = body if body not in (None, "", {}) else attrs
            inputs.append(_message(payload, MESSAGE_EVENTS[name]))
        elif name == "gen_ai.choice":
            payload = body if body not in (None, "", {}) else attrs
            outputs.append(_message(payload, "assistant"))
        elif name == DETAILS_EVENT:
            inputs += _messages(attrs.get("gen_ai.input.messages"))
            inputs += [("system", t) for _, t in _messages(attrs.get("gen_ai.system_instructions"))]
            outputs += _messages(attrs.get("gen_ai.output.messages"))
        elif name == "gen_ai.content.prompt":  # OpenLIT, semconv <= 1.27
            inputs += _messages(attrs.get("gen_ai.prompt"))
        elif name == "gen_ai.content.completion":
            outputs += _messages(attrs.get("gen_ai.completion"))
    return inputs, outputs


def texts(attrs: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, str | None]:
    """input_text (newest user turn), system_text (system instructions and system/developer
    messages, each text once) and output_text (first completion), from the first place of the
    span that carries messages."""
    ev_in, ev_out = _event_messages(events)
    inputs = next(
        (
            msgs
            for msgs in (
                _messages(attrs.get("gen_ai.input.messages")),
                _indexed(attrs, "prompt"),
                _messages(attrs.get("gen_ai.prompt")),
                _messages(attrs.get("langfuse.observation.input")),
                ev_in,
            )
            if any(t for _, t in msgs)
        ),
        [],
    )
    outputs = next(
        (
            msgs
            for msgs in (
                _messages(attrs.get("gen_ai.output.messages")),
                _indexed(attrs, "completion"),
                _messages(attrs.get("gen_ai.completion")),
                _messages(attrs.get("langfuse.observation.output")),
                ev_out,
            )
            if any(t for _, t in msgs)
        ),
        [],
    )
    instructions = [t for _, t in _messages(attrs.get("gen_ai.system_instructions")) if t]
    system = list(
        dict.fromkeys(instructions + [t for r, t in inputs if r in ("system", "developer") and t])
    )
    users = [t for r, t in inputs if r == "user" and t]
    others = [t for r, t in inputs if r not in ("system", "developer", "assistant") and t]
    return {
        "input_text": (users or others or [None])[-1],
        "system_text": "\n".join(system) or None,
        "output_text": next((t for _, t in outputs if t), None),
    }


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def langfuse_usage(attrs: dict[str, Any]) -> dict[str, int | None]:
    """Token counts of Langfuse `usage_details` (llm_calls convention: totals include parts).

    Langfuse usage types are exclusive (its total is their sum): `input` excludes
    `input_*` sub-types and Anthropic's `cache_read_input_tokens` / `cache_creation_input_tokens`,
    so input_tokens is their sum. An OpenAI usage object passed through as is (`prompt_tokens`,
    `prompt_tokens_details`, ...) is read the OpenAI way (prompt_tokens includes cached ones).
    """
    usage = _json(attrs.get("langfuse.observation.usage_details"))
    if not isinstance(usage, dict) or not usage:
        return {}
    nums = {k: _num(v) for k, v in usage.items() if _num(v) is not None}

    def total(keys: Iterable[str]) -> int | None:
        vals = [nums[k] for k in keys if k in nums]
        return int(sum(vals)) if vals else None

    if "prompt_tokens" in nums or "completion_tokens" in nums:
        pt = usage.get("prompt_tokens_details") or {}
        ct = usage.get("completion_tokens_details") or {}

        def part(details: Any, key: str) -> int | None:
            value = _num(details.get(key)) if isinstance(details, dict) else None
            return None if value is None else int(value)

        return {
            "input": total(["prompt_tokens"]),
            "output": total(["completion_tokens"]),
            "cached": part(pt, "cached_tokens"),
            "reasoning": part(ct, "reasoning_tokens"),
            "audio_input": part(pt, "audio_tokens"),
            "audio_output": part(ct, "audio_tokens"),
        }
    input_keys = [
        k
        for k in nums
        if k == "input"
        or k.startswith("input_")
        or k in ("cache_read_input_tokens", "cache_creation_input_tokens")
    ]
    output_keys = [k for k in nums if k == "output" or k.startswith("output_")]
    return {
        "input": total(input_keys),
        "output": total(output_keys),
        "cached": total(["cache_read_input_tokens", "input_cached_tokens", "input_cache_read"]),
        "cache_write": total(
            ["cache_creation_input_tokens", "input_cache_creation", "input_cache_write"]
        ),
        "reasoning": total(["output_reasoning_tokens", "output_reasoning"]),
        "audio_input": total(["input_audio_tokens", "input_audio"]),
        "audio_output": total(["output_audio_tokens", "output_audio"]),
        "image_input": total(["input_image_tokens", "input_image"]),
    }


def langfuse_cost(attrs: dict[str, Any]) -> float | None:
    """Langfuse `cost_details`: its `total`, else the sum of its parts (as Langfuse sums them)."""
    cost = _json(attrs.get("langfuse.observation.cost_details"))
    if not isinstance(cost, dict):
        return None
    if _num(cost.get("total")) is not None:
        return _num(cost["total"])
    parts = [_num(v) for v in cost.values() if _num(v) is not None]
    return sum(parts) if parts else None


def first_token_at(attrs: dict[str, Any], events: list[dict[str, Any]]) -> str | None:
    """First-token time: Langfuse `completion_start_time` (JSON-encoded ISO), else the first
    streaming chunk event (OpenLLMetry). Time-to-first-token attributes are read in SQL."""
    start = _json(attrs.get("langfuse.observation.completion_start_time"))
    if isinstance(start, str) and start:
        return start
    chunks = [int(e["time"]) for e in events if e["name"] in CHUNK_EVENTS and e["time"]]
    return str(min(chunks)) if chunks else None


def derived(attrs: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The `_genai` object of a record (None values left out)."""
    out: dict[str, Any] = {**texts(attrs, events)}
    out["first_token_at"] = first_token_at(attrs, events)
    out["usage"] = langfuse_usage(attrs) or None
    out["cost"] = langfuse_cost(attrs)
    exc = next((e for e in events if e["name"] == "exception"), None)
    out["exception_type"] = (exc or {}).get("attributes", {}).get("exception.type")
    return {k: v for k, v in out.items() if v is not None}
