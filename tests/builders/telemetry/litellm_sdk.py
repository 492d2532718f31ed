"""Artifacts litellm itself writes: StandardLoggingPayloads and proxy SpendLogs rows.

litellm (the pinned SDK) calls the provider simulator; a CustomLogger keeps the
`standard_logging_object` litellm builds for each success and failure, and the proxy's own
`get_logging_payload` turns the same call into the row it writes to LiteLLM_SpendLogs.
Each generator is `fn(out_dir, api_base) -> Path` (see tests/builders/conformance.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MESSAGES = [
    {"role": "system", "content": "You are the support assistant of Acme. Answer briefly."},
    {"role": "user", "content": "How do I reset my password?"},
]
METADATA = {
    "requester_metadata": {
        "prompt_name": "support-answer",
        "prompt_version": "3",
        "feature": "support-chat",
    },
    "user_api_key_team_alias": "support",
}


_SINK: list[list[dict[str, Any]]] = []  # where the logger puts calls while a generator runs
_LOGGER: list[Any] = []


def _logger() -> Any:
    """One CustomLogger for the process: litellm keeps the callbacks it has seen registered."""
    if not _LOGGER:
        from litellm.integrations.custom_logger import CustomLogger

        class Capture(CustomLogger):
            def _keep(self, kwargs, response_obj, start_time, end_time) -> None:  # noqa: ANN001
                if _SINK:
                    _SINK[-1].append(
                        dict(kwargs=kwargs, response=response_obj, start=start_time, end=end_time)
                    )

            log_success_event = log_failure_event = _keep

        _LOGGER.append(Capture())
    return _LOGGER[0]


def _run(api_base: str, **call: Any) -> dict[str, Any]:
    """One litellm.completion with the capture logger; the logged call (kwargs, response, times)."""
    import litellm

    calls: list[dict[str, Any]] = []
    logger = _logger()
    if logger not in litellm.callbacks:
        litellm.callbacks.append(logger)
    _SINK.append(calls)
    try:
        try:
            resp = litellm.completion(
                api_base=api_base, api_key="sk-simulator", num_retries=0, **call
            )
            if call.get("stream"):
                for _ in resp:
                    pass
        except Exception:  # the failure is what this artifact records
            pass
        _wait_for(calls)
    finally:
        _SINK.remove(calls)
    return calls[-1]


def _wait_for(calls: list[dict[str, Any]], timeout: float = 10.0) -> None:
    import time

    end = time.monotonic() + timeout
    while not calls and time.monotonic() < end:  # litellm logs from a worker thread
        time.sleep(0.01)
    assert calls, "litellm logged nothing"


def _write(out: Path, rows: list[Any]) -> Path:
    out.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows))
    return out


def standard_logging_payloads(out_dir: Path, api_base: str) -> Path:
    """A success, a streamed success and a failure, as litellm's StandardLoggingPayload JSONL."""
    base = dict(model="openai/gpt-4o-mini", messages=MESSAGES, metadata=METADATA, user="user-42")
    ok = _run(api_base, **base)
    streamed = _run(api_base, **{**base, "stream": True, "stream_options": {"include_usage": True}})
    failed = _run("http://127.0.0.1:9/v1", **base)  # nothing listens on port 9: connection error
    rows = [c["kwargs"]["standard_logging_object"] for c in (ok, streamed, failed)]
    return _write(out_dir / "litellm-standard-logging.jsonl", rows)


def spend_logs_rows(out_dir: Path, api_base: str) -> Path:
    """The rows litellm's proxy writes to LiteLLM_SpendLogs for a call and a streamed call.

    `get_logging_payload` is the proxy's own code; it reads two proxy settings from
    `litellm.proxy.proxy_server`, whose import needs the proxy extras (apscheduler, ...), so a
    stand-in module with the proxy's settings (prompts stored in spend logs) is put in its place
    for the call and removed after.
    """
    import sys
    import types

    from litellm.proxy.spend_tracking.spend_tracking_utils import get_logging_payload

    settings = {"store_prompts_in_spend_logs": True}
    stand_in = types.ModuleType("litellm.proxy.proxy_server")
    stand_in.general_settings = settings  # type: ignore[attr-defined]
    stand_in.general_settings_view = lambda: settings  # type: ignore[attr-defined]
    base = dict(model="openai/gpt-4o-mini", messages=MESSAGES, metadata=METADATA, user="user-42")
    streamed = {**base, "stream": True, "stream_options": {"include_usage": True}}
    calls = [_run(api_base, **base), _run(api_base, **streamed)]
    saved = sys.modules.get("litellm.proxy.proxy_server")
    sys.modules["litellm.proxy.proxy_server"] = stand_in
    try:
        rows = [
            get_logging_payload(c["kwargs"], c["response"], c["start"], c["end"]) for c in calls
        ]
    finally:
        if saved is None:
            sys.modules.pop("litellm.proxy.proxy_server", None)
        else:
            sys.modules["litellm.proxy.proxy_server"] = saved
    return _write(out_dir / "litellm-spend-logs.jsonl", rows)


def _mocked(model: str, usage: dict[str, Any], content: str) -> dict[str, Any]:
    """A litellm.completion answered by litellm's own mock_response with the given usage (no
    network): litellm still builds its logging payload and prices the call itself."""
    from litellm.types.utils import ModelResponse, PromptTokensDetailsWrapper, Usage

    details = usage.pop("prompt_tokens_details", None)
    response = ModelResponse(
        id=f"chatcmpl-mock-{model.replace('/', '-')}",
        model=model.split("/", 1)[1],
        choices=[
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        usage=Usage(
            **usage,
            prompt_tokens_details=PromptTokensDetailsWrapper(**details) if details else None,
        ),
    )
    return _run("http://127.0.0.1:9/v1", model=model, messages=MESSAGES, mock_response=response)


def anthropic_cache_payload(out_dir: Path, api_base: str) -> Path:
    """An Anthropic call that wrote 1,500 prompt tokens to the cache and read 500 from it."""
    call = _mocked(
        "anthropic/claude-sonnet-4-5",
        {
            "prompt_tokens": 2100,
            "completion_tokens": 300,
            "total_tokens": 2400,
            "cache_creation_input_tokens": 1500,
            "cache_read_input_tokens": 500,
            "prompt_tokens_details": {"cached_tokens": 500},
        },
        "Open Settings, then Security, then Reset password.",
    )
    return _write(
        out_dir / "litellm-anthropic-cache.jsonl", [call["kwargs"]["standard_logging_object"]]
    )


def gemini_long_context_payload(out_dir: Path, api_base: str) -> Path:
    """A gemini-2.5-pro call with 250k prompt tokens: above the map's 200k-token price tier."""
    call = _mocked(
        "gemini/gemini-2.5-pro",
        {"prompt_tokens": 250_000, "completion_tokens": 2_000, "total_tokens": 252_000},
        "The contract's termination clause is in section 14.2.",
    )
    return _write(
        out_dir / "litellm-gemini-long-context.jsonl", [call["kwargs"]["standard_logging_object"]]
    )
