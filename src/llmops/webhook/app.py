"""The receiver's Starlette app: /webhooks/github, /webhooks/gitlab, /health (+ extra routes)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from llmops.core.settings import Settings
from llmops.webhook.events import Provider
from llmops.webhook.receiver import Delivery, Emit, Outcome, Receiver, Rejected
from llmops.webhook.store import DeliveryStore

log = logging.getLogger("llmops.webhook")


def store_path(settings: Settings) -> Path:
    """Where delivery ids and emitted prompt changes are remembered."""
    return settings.home / "webhook" / "deliveries.sqlite"


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) as soon as it would exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise Rejected(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise Rejected(413, f"body of {int(declared)} bytes is over the limit of {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings, emit: Emit, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The receiver app; `emit` takes each merged prompt change (the CLI hands it Prefect's)."""
    config = settings.webhook
    repo_dir = (config.repo_dir or Path.cwd()).expanduser().resolve()
    receiver = Receiver(config, DeliveryStore(store_path(settings)), emit, repo_dir)

    async def receive(request: Request, provider: Provider) -> JSONResponse:
        headers = {}
        try:
            receiver.require_configured(provider)
            body = await read_limited(request, config.max_body_bytes)
            delivery = Delivery(provider=provider, headers=dict(request.headers), body=body)
            outcome = await run_in_threadpool(receiver.handle, delivery)
        except Rejected as exc:
            message = receiver.redact(str(exc))
            outcome = Outcome(exc.status_code, {"provider": provider, "status": "rejected"})
            outcome.body["message"] = message
            if exc.status_code == 413:
                headers["connection"] = "close"  # the rest of the body is never read
        b = outcome.body
        log.info(
            "%s %s delivery %s: %s %s",
            provider,
            b.get("event", "-"),
            b.get("delivery_id", "-"),
            outcome.status_code,
            b.get("message", ""),
        )
        return JSONResponse(b, status_code=outcome.status_code, headers=headers)

    async def github(request: Request) -> JSONResponse:
        return await receive(request, "github")

    async def gitlab(request: Request) -> JSONResponse:
        return await receive(request, "gitlab")

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "github": config.github_secret is not None,
                "gitlab": config.gitlab_token is not None,
            }
        )

    routes: list[BaseRoute] = [
        Route("/webhooks/github", github, methods=["POST"]),
        Route("/webhooks/gitlab", gitlab, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        *extra_routes,
    ]
    return Starlette(routes=routes)
