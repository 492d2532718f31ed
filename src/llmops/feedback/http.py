"""`POST /feedback`: bearer-token authenticated, validated, written to the lake as one batch.

Mounted by the webhook server (`create_app(..., extra_routes=feedback_routes(settings))`).
401 missing or wrong token, 413 body or record count over the limit, 400 not JSON or not an
object / list of objects, 422 invalid records (each error names the record and field; nothing is
written), 201 with counts when new feedback was stored, 200 when every id was already known.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from llmops.core.settings import Settings
from llmops.feedback.ingest import ingest_records
from llmops.feedback.model import FeedbackIn, parse_record


class _TooLarge(Exception):
    pass


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="llmops"'} if status == 401 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def authorized(header: str | None, token: str | None) -> bool:
    """True when the Authorization header is `Bearer <token>` (constant-time comparison)."""
    if not token or not header:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge
    return bytes(body)


def feedback_routes(settings: Settings) -> list[BaseRoute]:
    """The feedback endpoint as Starlette routes (settings bound now, token read per request)."""
    limits = settings.feedback

    async def post_feedback(request: Request) -> JSONResponse:
        token = limits.token.get_secret_value() if limits.token else None
        if not authorized(request.headers.get("authorization"), token):
            return _error(401, "missing or wrong bearer token (Authorization: Bearer <token>)")
        try:
            body = await _read_capped(request, limits.max_body_bytes)
        except _TooLarge:
            return _error(413, f"body over {limits.max_body_bytes} bytes")
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _error(400, f"body is not valid JSON: {exc}")
        items = data if isinstance(data, list) else [data]
        if not isinstance(data, dict | list) or not items:
            return _error(400, "body must be a feedback object or a non-empty list of them")
        if len(items) > limits.max_records:
            return _error(413, f"{len(items)} records, over the limit of {limits.max_records}")
        records: list[FeedbackIn] = []
        errors: list[str] = []
        for i, item in enumerate(items):
            where = f"body[{i}]" if isinstance(data, list) else "body"
            rec, reason = parse_record(item, where, limits.max_text_chars)
            if rec is None:
                errors.append(reason or f"{where}: invalid")
            else:
                records.append(rec)
        if errors:
            return _error(
                422, f"{len(errors)} invalid record(s); nothing stored: {errors[0]}", errors=errors
            )
        batch = await run_in_threadpool(ingest_records, settings, records)
        status = 201 if batch.new else 200
        return JSONResponse(
            batch.model_dump(
                include={"batch_id", "accepted", "new", "duplicates", "unknown_calls"}
            ),
            status_code=status,
        )

    return [Route("/feedback", post_feedback, methods=["POST"])]
