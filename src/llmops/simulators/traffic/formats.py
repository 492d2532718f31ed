"""Request-log formats (LiteLLM, Helicone, OpenAI Batch, generic Parquet) and their corruptions."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from typing import Any

from llmops.simulators.traffic import text as tx
from llmops.simulators.traffic.model import EPOCH, MICROS, SERVED, Call

API_BASE = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com/v1"}
LITELLM_KINDS = (
    "truncated_json",
    "not_json",
    "missing_model",
    "bad_token_type",
    "bad_timestamp",
    "negative_tokens",
)
HELICONE_KINDS = ("missing_model", "bad_token_type", "bad_timestamp", "negative_tokens")
BATCH_ERROR_CODES = {"429": "rate_limit_exceeded", "500": "server_error", "408": "timeout"}


def dumps(obj: Any) -> str:
    """Compact JSON, as log shippers write it."""
    return json.dumps(obj, separators=(",", ":"))


def when(us: int) -> dt.datetime:
    """Aware UTC datetime of epoch microseconds (exact, no float rounding)."""
    return EPOCH + dt.timedelta(microseconds=us)


def space_time(us: int) -> str:
    """LiteLLM's string form, e.g. 2025-01-24 09:20:46.847371."""
    return when(us).strftime("%Y-%m-%d %H:%M:%S.%f")


def iso_z(us: int, timespec: str = "microseconds") -> str:
    """ISO 8601 in UTC with a Z suffix."""
    return when(us).isoformat(timespec=timespec).replace("+00:00", "Z")


def uuid_of(hex32: str) -> str:
    """A 32-hex key formatted as a version-4 style UUID."""
    h = hex32
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def sub_key(key: str, tag: str) -> str:
    """A second stable id derived from a call's key."""
    return hashlib.blake2b(f"{key}:{tag}".encode(), digest_size=16).hexdigest()


def messages(c: Call) -> list[dict[str, str]]:
    """The chat messages of a call: system prompt, then the user's message."""
    system = tx.SYSTEM_PROMPTS[(c.spec.prompt, c.prompt_version)]
    return [{"role": "system", "content": system}, {"role": "user", "content": c.user_text}]


def first_token_us(c: Call) -> int:
    """When the first token arrived (the end, for failures)."""
    return c.start_us + round(c.ttft_s * MICROS) if c.status == "success" else c.end_us


def litellm_record(c: Call, string_times: bool) -> dict[str, Any]:
    """A LiteLLM StandardLoggingPayload."""
    rid = f"chatcmpl-{uuid_of(c.key)}"
    ok = c.status == "success"
    cost = c.cost or 0.0

    def t(us: int) -> float | str:
        return space_time(us) if string_times else us / MICROS

    usage = {
        "completion_tokens": c.output_tokens,
        "prompt_tokens": c.input_tokens,
        "total_tokens": c.input_tokens + c.output_tokens,
        "completion_tokens_details": None,
        "prompt_tokens_details": {"cached_tokens": c.cached_tokens} if c.cached_tokens else None,
    }
    response = {
        "id": rid,
        "created": c.end_us // MICROS,
        "model": SERVED[c.model],
        "object": "chat.completion",
        "system_fingerprint": c.fingerprint,
        "choices": [
            {
                "finish_reason": "stop",
                "index": 0,
                "message": {
                    "content": c.output_text,
                    "role": "assistant",
                    "tool_calls": None,
                    "function_call": None,
                },
            }
        ],
        "usage": usage,
    }
    err_class, err_code, err_msg = c.error or ("", "", "")
    return {
        "id": rid,
        "trace_id": uuid_of(c.trace_key),
        "call_type": "acompletion",
        "cache_hit": None,
        "stream": False,
        "status": "success" if ok else "failure",
        "custom_llm_provider": c.provider,
        "saved_cache_cost": 0.0,
        "startTime": t(c.start_us),
        "endTime": t(c.end_us),
        "completionStartTime": t(first_token_us(c)),
        "response_time": c.latency_s,
        "model": c.model,
        "metadata": {
            "user_api_key_hash": None,
            "user_api_key_alias": f"{c.feature}-svc",
            "user_api_key_team_id": f"team-{c.spec.team}",
            "user_api_key_org_id": None,
            "user_api_key_user_id": None,
            "user_api_key_team_alias": c.spec.team,
            "user_api_key_end_user_id": c.user_id,
            "spend_logs_metadata": None,
            "requester_ip_address": None,
            "requester_metadata": {
                "prompt_name": c.spec.prompt,
                "prompt_version": c.prompt_version,
                "feature": c.feature,
            },
            "prompt_management_metadata": None,
            "applied_guardrails": [],
        },
        "cache_key": None,
        "response_cost": cost,
        "total_tokens": usage["total_tokens"],
        "prompt_tokens": c.input_tokens,
        "completion_tokens": c.output_tokens,
        "request_tags": [],
        "end_user": c.user_id,
        "api_base": API_BASE[c.provider],
        "model_group": c.model,
        "messages": messages(c),
        "response": response if ok else None,
        "model_parameters": {"temperature": 0.3, "max_tokens": 1024},
        "hidden_params": {
            "model_id": None,
            "api_base": API_BASE[c.provider],
            "response_cost": cost,
            "litellm_model_name": c.model,
        },
        "error_str": None if ok else f"litellm.{err_class}: {err_msg}",
        "error_information": {
            "error_code": err_code,
            "error_class": err_class,
            "llm_provider": "" if ok else c.provider,
            "traceback": "",
            "error_message": err_msg,
        },
    }


def corrupt_litellm(rec: dict[str, Any], kind: str, start_us: int) -> str:
    """One malformed LiteLLM line of the given kind."""
    if kind == "truncated_json":
        line = dumps(rec)
        return line[: len(line) // 2]
    if kind == "not_json":
        return (
            f"{space_time(start_us)} ERROR litellm.proxy.proxy_server: failed to write spend log: "
            "connection reset by peer"
        )
    bad = copy.deepcopy(rec)
    if kind == "missing_model":
        del bad["model"]
        bad["model_group"] = ""
        bad["hidden_params"]["litellm_model_name"] = None
        if bad["response"]:
            bad["response"]["model"] = None
    elif kind == "bad_token_type":
        bad["prompt_tokens"] = "lots"
    elif kind == "bad_timestamp":
        bad["startTime"] = space_time(start_us)[:10] + " 25:61:00.000000"
    elif kind == "negative_tokens":
        bad["completion_tokens"] = -max(1, bad["completion_tokens"])
    else:
        raise ValueError(f"unknown malformed kind {kind!r} for litellm")
    return dumps(bad)


def helicone_record(c: Call) -> dict[str, Any]:
    """One HeliconeRequest row, as Helicone's request query API and export tool (JSONL) give it.

    Field names are Helicone's `HeliconeRequest` (packages/llm-mapper/types.ts): the provider is
    upper case, token counts are exclusive (`prompt_tokens` without cache reads), bodies are the
    provider's request and response JSON, custom properties are the Helicone-Property-* headers.
    """
    ok = c.status == "success"
    props = {
        "feature": c.feature,
        "team": c.spec.team,
        "prompt_name": c.spec.prompt,
        "prompt_version": c.prompt_version,
        "Helicone-Session-Id": uuid_of(c.trace_key),
    }
    request_body = {"model": c.model, "messages": messages(c), "temperature": 0.3}
    if ok:
        response_body: dict[str, Any] = {
            "id": f"chatcmpl-{sub_key(c.key, 'helicone')[:29]}",
            "object": "chat.completion",
            "model": SERVED[c.model],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": c.output_text},
                    "finish_reason": "stop",
                }
            ],
        }
    else:
        cls, code, msg = c.error or ("", "500", "")
        response_body = {"error": {"message": msg, "type": cls, "code": code}}
    status = 200 if ok or not c.error else int(c.error[1])
    return {
        "request_id": uuid_of(c.key),
        "response_id": uuid_of(sub_key(c.key, "response")),
        "request_created_at": iso_z(c.start_us, "milliseconds"),
        "response_created_at": iso_z(c.end_us, "milliseconds"),
        "response_status": status,
        "delay_ms": round(c.latency_s * 1000),
        "time_to_first_token": round((first_token_us(c) - c.start_us) / 1000) if ok else 0,
        "provider": c.provider.upper(),
        "request_model": c.model,
        "response_model": SERVED[c.model] if ok else None,
        "model": SERVED[c.model] if ok else c.model,
        "prompt_tokens": c.input_tokens - c.cached_tokens,
        "prompt_cache_read_tokens": c.cached_tokens,
        "prompt_cache_write_tokens": 0,
        "completion_tokens": c.output_tokens,
        "costUSD": c.cost or 0.0,
        "request_user_id": c.user_id,
        "request_properties": props,
        "request_body": request_body,
        "response_body": response_body,
    }


def corrupt_helicone(rec: dict[str, Any], kind: str) -> str:
    """One malformed Helicone row of the given kind."""
    bad = copy.deepcopy(rec)
    if kind == "missing_model":
        bad["request_model"] = bad["response_model"] = bad["model"] = None
        del bad["request_body"]["model"]
        bad["response_body"].pop("model", None)
    elif kind == "bad_token_type":
        bad["prompt_tokens"] = "lots"
    elif kind == "bad_timestamp":
        bad["request_created_at"] = bad["request_created_at"][:10] + "T25:61:00.000Z"
    elif kind == "negative_tokens":
        bad["completion_tokens"] = -max(1, int(bad["completion_tokens"]))
    else:
        raise ValueError(f"unknown malformed kind {kind!r} for helicone")
    return dumps(bad)


def batch_input_record(c: Call) -> dict[str, Any]:
    """One line of the OpenAI Batch API input file the output line answers."""
    return {
        "custom_id": f"ticket-{c.seq:07d}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": c.model, "messages": messages(c), "max_tokens": 1024},
    }


def batch_record(c: Call) -> dict[str, Any]:
    """One line of an OpenAI Batch API output file."""
    head = {"id": f"batch_req_{c.key[:24]}", "custom_id": f"ticket-{c.seq:07d}"}
    if c.status != "success":
        cls, code, msg = c.error or ("", "500", "")
        return head | {
            "response": None,
            "error": {"code": BATCH_ERROR_CODES.get(code, "server_error"), "message": msg},
        }
    body = {
        "id": f"chatcmpl-{sub_key(c.key, 'resp')[:29]}",
        "object": "chat.completion",
        "created": c.end_us // MICROS,
        "model": SERVED[c.model],
        "system_fingerprint": c.fingerprint,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": c.output_text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": c.input_tokens,
            "completion_tokens": c.output_tokens,
            "total_tokens": c.input_tokens + c.output_tokens,
            "prompt_tokens_details": {"cached_tokens": c.cached_tokens},
        },
        "service_tier": "default",
    }
    response = {"status_code": 200, "request_id": f"req_{sub_key(c.key, 'req')}", "body": body}
    return head | {"response": response, "error": None}


def generic_row(c: Call) -> dict[str, Any]:
    """One row of the canonical generic Parquet layout."""
    return {
        "call_id": uuid_of(c.key),
        "trace_id": uuid_of(c.trace_key),
        "started_at": when(c.start_us),
        "ended_at": when(c.end_us),
        "provider": c.provider,
        "requested_model": c.model,
        "served_model": SERVED[c.model],
        "prompt_name": c.spec.prompt,
        "prompt_version": c.prompt_version,
        "feature": c.feature,
        "team": c.spec.team,
        "user_id": c.user_id,
        "input_tokens": c.input_tokens,
        "output_tokens": c.output_tokens,
        "cached_tokens": c.cached_tokens,
        "status": c.status,
        "error_type": c.error[0] if c.error else None,
        "input_text": c.user_text,
        "output_text": c.output_text,
    }
