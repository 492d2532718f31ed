"""OpenAI Batch API output files (one response per custom_id), joined to their input file.

Field names come from OpenAI's OpenAPI spec (openai/openai-openapi, `BatchRequestInput` and
`BatchRequestOutput`): an output (or error-file) line is
`{"id": "batch_req_...", "custom_id": ..., "response": {"status_code", "request_id", "body"} | null,
"error": {"code", "message"} | null}`, where `body` is the endpoint's own response (chat completion,
Responses API response, embeddings list, text completion); an input line is
`{"custom_id", "method": "POST", "url": "/v1/...", "body": <the request>}`.

Batch output carries no prompt, so the input body (joined by `custom_id`, see `with_inputs`) is
attached to each output record as `_input`; every Batch output call is priced at batch rates
(`service_tier = 'batch'`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from llmops.core.errors import IngestError
from llmops.ingest.formats.paths import Paths

BODY = "$.response.body"
INPUT = "$._input"
INPUT_KEY = "_input"

__all__ = [
    "content_text",
    "detects",
    "is_input_record",
    "json_or_null",
    "load_inputs",
    "mapping",
    "request_input_text",
    "request_system_text",
    "response_output_text",
    "with_inputs",
]


# --- SQL helpers over JSON text (shared with other OpenAI-shaped formats) -------------------


def json_or_null(raw: str) -> str:
    """SQL: `raw` when it is JSON, else NULL (paths into a JSON scalar find nothing)."""
    return f"CASE WHEN json_valid({raw}) THEN {raw} END"


def content_text(content: str) -> str:
    """SQL: the text of a message `content` (JSON): a string, or the `text` of each part
    (`[{"type": "text" | "input_text" | "output_text", "text": ...}, ...]`), joined by newlines."""
    return (
        f"CASE WHEN json_type({content}) = 'ARRAY' THEN nullif(array_to_string("
        f"json_extract_string({content}, '$[*].text'), chr(10)), '') "
        f"WHEN json_type({content}) = 'VARCHAR' THEN {content} ->> '$' END"
    )


def newest_message(messages: str, roles: tuple[str, ...]) -> str:
    """SQL: text of the newest message of one of `roles` in a JSON array of messages."""
    role_list = ", ".join(f"'{r}'" for r in roles)
    last = (
        f"list_filter(json_extract({messages}, '$[*]'), "
        f"lambda m: coalesce(m ->> 'role', '') IN ({role_list}))[-1]"
    )
    content = f"({last} -> 'content')"
    return f"CASE WHEN json_type({messages}) = 'ARRAY' THEN {content_text(content)} END"


def first_message(messages: str, roles: tuple[str, ...]) -> str:
    """SQL: text of the first message when its role is one of `roles` (the system prompt)."""
    role_list = ", ".join(f"'{r}'" for r in roles)
    first = f"json_extract({messages}, '$[0]')"
    content = f"({first} -> 'content')"
    return (
        f"CASE WHEN json_type({messages}) = 'ARRAY' AND ({first} ->> 'role') IN ({role_list}) "
        f"THEN {content_text(content)} END"
    )


def request_input_text(request: str) -> str:
    """SQL: the user-side input of an OpenAI-shaped request body (JSON object text):
    the newest user message (chat `messages`, Responses `input` list), else the Responses or
    embeddings `input` text, else the completions `prompt`."""
    msgs = f"json_extract({request}, '$.messages')"
    inp = f"json_extract({request}, '$.input')"
    prompt = f"json_extract({request}, '$.prompt')"
    input_text = (
        f"CASE WHEN json_type({inp}) = 'ARRAY' THEN coalesce({newest_message(inp, ('user',))}, "
        f"nullif(array_to_string(json_extract_string({inp}, '$[*]'), chr(10)), '')) "
        f"WHEN json_type({inp}) = 'VARCHAR' THEN {inp} ->> '$' END"
    )
    prompt_text = (
        f"CASE WHEN json_type({prompt}) = 'ARRAY' THEN array_to_string("
        f"json_extract_string({prompt}, '$[*]'), chr(10)) "
        f"WHEN json_type({prompt}) = 'VARCHAR' THEN {prompt} ->> '$' END"
    )
    return f"coalesce({newest_message(msgs, ('user',))}, {input_text}, {prompt_text})"


def request_system_text(request: str) -> str:
    """SQL: the system prompt of an OpenAI-shaped request body: a leading system/developer
    message, the Responses `instructions`, or Anthropic's top-level `system`."""
    msgs = f"json_extract({request}, '$.messages')"
    inp = f"json_extract({request}, '$.input')"
    system = f"json_extract({request}, '$.system')"
    return (
        f"coalesce({first_message(msgs, ('system', 'developer'))}, "
        f"json_extract_string({request}, '$.instructions'), "
        f"{first_message(inp, ('system', 'developer'))}, {content_text(system)})"
    )


def response_output_text(response: str) -> str:
    """SQL: the model output of an OpenAI-shaped response body (JSON object text): chat
    `choices[0].message.content`, completions `choices[0].text`, Responses `output[].content[].text`,
    Anthropic `content[].text`, Gemini `candidates[0].content.parts[].text`."""
    message = f"json_extract({response}, '$.choices[0].message.content')"
    output = f"json_extract_string({response}, '$.output[*].content[*].text')"
    anthropic = f"json_extract({response}, '$.content')"
    gemini = f"json_extract_string({response}, '$.candidates[0].content.parts[*].text')"
    return (
        f"coalesce({content_text(message)}, json_extract_string({response}, '$.choices[0].text'), "
        f"nullif(array_to_string({output}, chr(10)), ''), "
        f"CASE WHEN json_type({anthropic}) = 'ARRAY' THEN {content_text(anthropic)} END, "
        f"nullif(array_to_string({gemini}, chr(10)), ''))"
    )


# --- the format ----------------------------------------------------------------------------


def mapping(p: Paths) -> dict[str, str]:
    """SQL per raw llm_calls field over this format's JSON paths."""
    # registered first, so a record with no model is reported as missing response.body.model
    served = p(f"{BODY}.model")
    code = f"TRY_CAST({p('$.response.status_code')} AS INTEGER)"
    body = json_or_null(p(BODY))
    request = json_or_null(p(INPUT))
    failed = (
        f"({p('$.error')} IS NOT NULL OR coalesce({code}, 200) >= 400 "
        f"OR {p(f'{BODY}.error.message', f'{BODY}.error.code')} IS NOT NULL "
        f"OR {p(f'{BODY}.status')} = 'failed')"
    )
    return {
        # the endpoint's response id (chatcmpl-..., resp_...), else the batch request id
        "call_id": p(f"{BODY}.id", "$.id"),
        "trace_id": p("$.custom_id"),
        # chat/completions `created`, Responses `created_at` (epoch seconds)
        "started_at": p(f"{BODY}.created", f"{BODY}.created_at"),
        "ended_at": p(f"{BODY}.completed_at"),
        "provider": "'openai'",
        # the model the request asked for (input file), else the one the body names
        "requested_model": f"coalesce({p(f'{INPUT}.model')}, {served})",
        "served_model": served,
        "system_fingerprint": p(f"{BODY}.system_fingerprint"),
        "user_id": p(f"{INPUT}.user", f"{INPUT}.safety_identifier"),
        # chat/completions/embeddings: prompt_tokens/completion_tokens; Responses: input/output
        "input_tokens": p(f"{BODY}.usage.prompt_tokens", f"{BODY}.usage.input_tokens"),
        "output_tokens": p(f"{BODY}.usage.completion_tokens", f"{BODY}.usage.output_tokens"),
        "cached_tokens": p(
            f"{BODY}.usage.prompt_tokens_details.cached_tokens",
            f"{BODY}.usage.input_tokens_details.cached_tokens",
        ),
        "reasoning_tokens": p(
            f"{BODY}.usage.completion_tokens_details.reasoning_tokens",
            f"{BODY}.usage.output_tokens_details.reasoning_tokens",
        ),
        "audio_input_tokens": p(f"{BODY}.usage.prompt_tokens_details.audio_tokens"),
        "audio_output_tokens": p(f"{BODY}.usage.completion_tokens_details.audio_tokens"),
        # Batch API output is billed at the batch rates, whatever tier the body names
        "service_tier": "'batch'",
        "status": f"CASE WHEN {failed} THEN 'error' ELSE 'success' END",
        "error_type": (
            f"CASE WHEN {failed} THEN coalesce({p('$.error.code')}, "
            f"{p(f'{BODY}.error.code', f'{BODY}.error.type')}, 'http_' || {code}::VARCHAR) END"
        ),
        "input_messages": p(f"{INPUT}.messages"),
        "input_text": request_input_text(request),
        "system_text": request_system_text(request),
        "output_text": response_output_text(body),
    }


def detects(rec: dict[str, Any]) -> bool:
    """A line of a Batch API output (or error) file: `custom_id` with `response` and/or `error`."""
    return (
        "custom_id" in rec
        and ("response" in rec or "error" in rec)
        and isinstance(rec.get("response"), dict | None)
        and not is_input_record(rec)
    )


def is_input_record(rec: Any) -> bool:
    """A line of a Batch API input file: `custom_id`, `method`, `url` and the request `body`."""
    return isinstance(rec, dict) and {"custom_id", "method", "url", "body"} <= rec.keys()


def _lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        yield from fh


def load_inputs(path: Path) -> dict[str, dict[str, Any]]:
    """custom_id -> request body of a Batch API input file (JSONL, optionally .gz), read line by
    line; only the bodies are kept. A malformed line raises IngestError naming file and line."""
    inputs: dict[str, dict[str, Any]] = {}
    try:
        for no, line in enumerate(_lines(path), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as exc:
                raise IngestError(f"{path}: line {no}: invalid JSON: {exc}") from exc
            if not is_input_record(rec):
                missing = (
                    sorted({"custom_id", "method", "url", "body"} - rec.keys())
                    if isinstance(rec, dict)
                    else ["custom_id", "method", "url", "body"]
                )
                raise IngestError(
                    f"{path}: line {no}: not a Batch API input line (missing {', '.join(missing)})"
                )
            custom_id, body = rec["custom_id"], rec["body"]
            if not isinstance(custom_id, str) or not custom_id:
                raise IngestError(f"{path}: line {no}: field custom_id: not a non-empty string")
            if not isinstance(body, dict):
                raise IngestError(f"{path}: line {no}: field body: not a JSON object")
            if custom_id in inputs:
                raise IngestError(f"{path}: line {no}: field custom_id: duplicate {custom_id!r}")
            inputs[custom_id] = body
    except OSError as exc:
        raise IngestError(f"{path}: cannot read the Batch input file: {exc}") from exc
    return inputs


def with_inputs(chunk: pa.Table, inputs: dict[str, dict[str, Any]]) -> pa.Table:
    """The chunk with each output record's input body attached as `_input` (joined by
    custom_id). Lines that do not parse, records that are not objects and records with no
    matching input are kept as they are (bad ones are quarantined downstream)."""
    if not inputs or chunk.num_rows == 0:
        return chunk
    lines = chunk.column("line").to_pylist()
    out: list[str] = []
    for line in lines:
        try:
            rec = json.loads(line)
        except (TypeError, ValueError):
            out.append(line)
            continue
        body = inputs.get(rec.get("custom_id")) if isinstance(rec, dict) else None
        if body is None:
            out.append(line)
            continue
        rec[INPUT_KEY] = body
        out.append(json.dumps(rec, ensure_ascii=False))
    return chunk.set_column(
        chunk.schema.get_field_index("line"), "line", pa.array(out, pa.large_string())
    )
