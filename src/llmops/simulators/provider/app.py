"""The OpenAI-compatible HTTP app: models, chat completions (streaming too), embeddings, admin."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from llmops.simulators.provider import text
from llmops.simulators.provider.config import SimulatorConfig
from llmops.simulators.provider.faults import FaultPlan, request_key
from llmops.simulators.provider.judge import (
    Judgement,
    build_instance,
    judge_json,
    schema_from_request,
)

CREATED = 1_735_689_600  # fixed "created" of the listed models (2025-01-01)


def _error(status: int, message: str, kind: str, code: str, headers: dict[str, str] | None = None):
    """An OpenAI-style error body."""
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


class Simulator:
    """Request handlers sharing one config and one fault plan."""

    def __init__(self, config: SimulatorConfig) -> None:
        """Bind the config; attempts are counted per app instance."""
        self.initial = config
        self.config = config
        self.faults = FaultPlan(config)

    @property
    def headers(self) -> dict[str, str]:
        """Headers of every answer; `x-llmops-simulator` names the served version."""
        return {
            "x-llmops-simulator": f"v{self.config.model_version}",
            "openai-processing-ms": "0",
        }

    def reconfigure(self, changes: dict[str, Any]) -> SimulatorConfig:
        """Apply a partial config at runtime (validated; attempt counters are kept)."""
        config = SimulatorConfig.model_validate({**self.config.model_dump(), **changes})
        self.config = config
        self.faults.config = config
        return config

    def reset(self) -> SimulatorConfig:
        """Back to the config the server started with; attempt counters cleared."""
        self.config = self.initial
        self.faults = FaultPlan(self.initial)
        return self.initial

    def _admin_view(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "config": cfg.model_dump(mode="json"),
            "system_fingerprint": cfg.system_fingerprint,
            "initial_model_version": self.initial.model_version,
        }

    async def admin_config(self, request: Request) -> Response:
        """GET: the current config. POST: change fields (model_version, latency_ms, ...)."""
        if (denied := _loopback_only(request)) is not None:
            return denied
        if request.method == "POST":
            body = await self._body(request)
            if isinstance(body, Response):
                return body
            try:
                self.reconfigure(body)
            except ValidationError as exc:
                fields = ", ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
                )
                return _error(400, f"invalid config: {fields}", "invalid_request_error", "config")
        return JSONResponse(self._admin_view())

    async def admin_reset(self, request: Request) -> Response:
        """POST: restore the startup config and clear the fault plan's attempt counters."""
        if (denied := _loopback_only(request)) is not None:
            return denied
        self.reset()
        return JSONResponse(self._admin_view())

    async def _body(self, request: Request) -> dict[str, Any] | Response:
        """The JSON body, or a 400 saying what is wrong."""
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _error(
                400, f"body is not valid JSON: {exc}", "invalid_request_error", "bad_json"
            )
        if not isinstance(body, dict):
            return _error(400, "body must be a JSON object", "invalid_request_error", "bad_json")
        return body

    async def _gate(self, key: str) -> Response | None:
        """Apply latency and an injected fault; None means answer normally."""
        decision = self.faults.decide(key)
        if decision.fault == "timeout":
            await asyncio.sleep(self.config.timeout_seconds)
            return _error(504, "simulated timeout", "timeout", "timeout")
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        if decision.fault == "rate_limit":
            retry = self.config.retry_after_seconds
            headers = {
                "retry-after": str(max(0, round(retry))),
                "retry-after-ms": str(int(retry * 1000)),
            }
            msg = "Rate limit reached (simulated by llmops). Please retry."
            return _error(429, msg, "rate_limit_error", "rate_limit_exceeded", headers)
        if decision.fault == "server_error":
            return _error(
                500,
                "The server had an error (simulated by llmops).",
                "server_error",
                "server_error",
            )
        return None

    async def health(self, request: Request) -> Response:
        """Liveness plus the served version."""
        cfg = self.config
        return JSONResponse(
            {
                "status": "ok",
                "model_version": cfg.model_version,
                "system_fingerprint": cfg.system_fingerprint,
            }
        )

    async def models(self, request: Request) -> Response:
        """Every configured model and its versioned snapshot name."""
        names: list[str] = []
        for m in self.config.models:
            names += [m, self.config.served_model(m)]
        data = [
            {"id": n, "object": "model", "created": CREATED, "owned_by": "llmops-simulator"}
            for n in names
        ]
        return JSONResponse({"object": "list", "data": data}, headers=self.headers)

    async def embeddings(self, request: Request) -> Response:
        """Deterministic hashed n-gram embeddings, as floats or base64 float32."""
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        raw = body.get("input")
        if raw is None:
            return _error(400, "field input is required", "invalid_request_error", "missing_input")
        if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
            raw = [raw]
        inputs = [x if isinstance(x, str) else " ".join(map(str, x)) for x in raw]
        if (gated := await self._gate(request_key(body))) is not None:
            return gated
        model = str(body.get("model") or "text-embedding-3-small")
        dim = int(body.get("dimensions") or self.config.embedding_dim)
        as_b64 = body.get("encoding_format") == "base64"
        data = []
        for i, item in enumerate(inputs):
            vec = text.embed(item, dim)
            value: Any = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode() if as_b64 else vec
            data.append({"object": "embedding", "index": i, "embedding": value})
        tokens = sum(text.count_tokens(x, model) for x in inputs)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": self.config.served_model(model),
                "usage": usage,
            },
            headers=self.headers,
        )

    async def chat(self, request: Request) -> Response:
        """A grounded answer, judge-mode JSON or a tool call; streamed when asked."""
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(
                400,
                "field messages must be a non-empty list",
                "invalid_request_error",
                "missing_messages",
            )
        if (gated := await self._gate(request_key(body))) is not None:
            return gated
        requested = str(body.get("model") or "gpt-4o-mini")
        result = self._complete(body, messages, requested)
        if body.get("stream"):
            return StreamingResponse(
                self._stream(body, result, requested),
                media_type="text/event-stream",
                headers=self.headers,
            )
        return JSONResponse(result, headers=self.headers)

    def _complete(
        self, body: dict[str, Any], messages: list[dict[str, Any]], requested: str
    ) -> dict[str, Any]:
        """The full (non-streamed) chat.completion object."""
        cfg = self.config
        prompt = text.parse_prompt(messages)
        prompt_text = "\n".join(text.message_text(m.get("content")) for m in messages)
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish = "stop"
        tool = _chosen_tool(body)
        if tool is not None:
            params = tool.get("parameters") or {"type": "object", "properties": {}}
            args = json.dumps(
                build_instance(params, Judgement(prompt, cfg.model_version, prompt_text))
            )
            call_id = "call_" + request_key({"t": tool.get("name"), "m": messages})[:24]
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": tool.get("name"), "arguments": args},
                }
            ]
            content, finish = args, "tool_calls"
        else:
            schema = schema_from_request(body, prompt_text)
            if schema is not None:
                content = judge_json(schema, prompt, cfg.model_version, prompt_text)
            else:
                content = text.grounded_answer(prompt, cfg.model_version)
                limit = body.get("max_completion_tokens") or body.get("max_tokens")
                if limit and text.count_tokens(content, requested) > int(limit):
                    content, finish = text.truncate_tokens(content, int(limit), requested), "length"
            message["content"] = content
        prompt_tokens = text.count_prompt_tokens(messages, requested)
        completion_tokens = text.count_tokens(content, requested)
        choice: dict[str, Any] = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": finish,
        }
        if body.get("logprobs") and message["content"]:
            choice["logprobs"] = _logprobs(
                message["content"], requested, int(body.get("top_logprobs") or 0)
            )
        return {
            "id": "chatcmpl-sim" + request_key(body)[:24],
            "object": "chat.completion",
            "created": int(time.time()),
            "model": cfg.served_model(requested),
            "system_fingerprint": cfg.system_fingerprint,
            "choices": [choice],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
            },
        }

    async def _stream(
        self, body: dict[str, Any], result: dict[str, Any], requested: str
    ) -> AsyncIterator[str]:
        """SSE chunks: role, content pieces (or the tool call), finish, optional usage, [DONE]."""
        base = {k: result[k] for k in ("id", "created", "model", "system_fingerprint")}
        base["object"] = "chat.completion.chunk"
        message = result["choices"][0]["message"]

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            payload = {
                **base,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }
            return f"data: {json.dumps(payload)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        if message.get("tool_calls"):
            calls = [{"index": 0, **c} for c in message["tool_calls"]]
            yield chunk({"tool_calls": calls})
        else:
            for piece in text.split_tokens(message["content"], requested):
                yield chunk({"content": piece})
                await asyncio.sleep(0)
        yield chunk({}, result["choices"][0]["finish_reason"])
        if (body.get("stream_options") or {}).get("include_usage"):
            yield f"data: {json.dumps({**base, 'choices': [], 'usage': result['usage']})}\n\n"
        yield "data: [DONE]\n\n"


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _loopback_only(request: Request) -> Response | None:
    """403 for admin calls from anywhere but this machine."""
    host = request.client.host if request.client else None
    if host in LOOPBACK:
        return None
    return _error(403, "admin endpoints answer loopback only", "permission_error", "forbidden")


def _chosen_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """The function to call when the request forces or offers tools (tool_choice 'none' = none)."""
    tools = [
        t.get("function", {})
        for t in body.get("tools") or []
        if t.get("type", "function") == "function"
    ]
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        return next((t for t in tools if t.get("name") == name), tools[0])
    if choice in ("required",) or len(tools) >= 1:
        return tools[0]
    return None


def _logprobs(content: str, model: str, top: int) -> dict[str, Any]:
    """Confident, deterministic per-token log probabilities."""
    items = []
    for tok in text.split_tokens(content, model):
        raw = list(tok.encode())
        alts = [{"token": tok, "logprob": -0.01, "bytes": raw}]
        alts += [
            {"token": f"{tok}{i}", "logprob": -5.0 - i, "bytes": list(f"{tok}{i}".encode())}
            for i in range(1, top)
        ]
        items.append({"token": tok, "logprob": -0.01, "bytes": raw, "top_logprobs": alts[:top]})
    return {"content": items, "refusal": None}


def create_app(config: SimulatorConfig | None = None) -> Starlette:
    """The simulator as an ASGI app; routes answer with and without the /v1 prefix."""
    sim = Simulator(config or SimulatorConfig())
    routes = [
        Route("/health", sim.health, methods=["GET"]),
        Route("/admin/config", sim.admin_config, methods=["GET", "POST"]),
        Route("/admin/reset", sim.admin_reset, methods=["POST"]),
    ]
    for prefix in ("/v1", ""):
        routes += [
            Route(f"{prefix}/models", sim.models, methods=["GET"]),
            Route(f"{prefix}/chat/completions", sim.chat, methods=["POST"]),
            Route(f"{prefix}/embeddings", sim.embeddings, methods=["POST"]),
        ]
    app = Starlette(routes=routes)
    app.state.simulator = sim
    return app
