"""The collector's Starlette app. Every POST: authenticate, check back-pressure, read the body
(size-capped), decode and check it, durably spool what is valid, and only then answer 2xx.

| route | body | answer |
|---|---|---|
| POST /v1/traces, /api/public/otel/v1/traces | OTLP/HTTP protobuf or JSON, gzip/deflate | 200 ExportTraceServiceResponse (partial success) |
| POST /api/public/ingestion | Langfuse ingestion batch | 207 successes/errors per event |
| POST /v1/litellm | LiteLLM generic_api: JSON array, NDJSON or one object | 200 accepted/rejected |
| POST /feedback | a feedback object or a list of them | 202 accepted (422 when any is invalid) |
| GET /api/public/projects | - | the Langfuse SDK's auth check |
| GET /health | - | 200 without credentials |

401 wrong or missing credentials, 413 over the size limit, 415 unknown content type or encoding,
400 malformed or too deeply nested, 429 (too many requests in flight) and 503 (spool full) with
Retry-After: retry later.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from llmops.collector import auth, otlp
from llmops.collector.decode import decompress
from llmops.collector.errors import Refused
from llmops.collector.feedback import FeedbackRefused, check_feedback
from llmops.collector.langfuse import check_batch
from llmops.collector.litellm import check_payloads
from llmops.collector.service import Collector

log = logging.getLogger("llmops.collector")

# Bodies up to this size, not compressed, are checked on the event loop (well under a
# millisecond); larger or compressed ones in a worker thread, so the loop stays responsive.
INLINE_BYTES = 64 * 1024


@dataclass
class Intake:
    """What one valid request spools and answers."""

    kind: str
    payload: bytes
    records: int
    status: int
    body: bytes
    media_type: str = "application/json"
    refused_records: int = 0
    headers: dict[str, str] = field(default_factory=dict)


Check = Callable[[bytes, str | None], Intake]


def json_intake(
    kind: str, status: int, payload: bytes, accepted: int, answer: dict, refused: list
) -> Intake:
    """An intake answered with a JSON body (`refused`: the records refused inside it)."""
    body = json.dumps(answer).encode()
    return Intake(kind, payload, accepted, status, body, refused_records=len(refused))


class Guard:
    """Back-pressure: 429 past `max_inflight` requests at once, 503 past `max_spool_bytes`."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.inflight = 0

    def enter(self) -> None:
        cfg = self.collector.settings.collector
        if self.inflight >= cfg.max_inflight:
            raise Refused(
                429, f"over {cfg.max_inflight} requests in flight", "busy", cfg.retry_after_s
            )
        if self.collector.spool.pending_bytes >= cfg.max_spool_bytes:
            raise Refused(
                503, "the spool is full until the next rotation", "spool_full", cfg.retry_after_s
            )
        self.inflight += 1

    def exit(self) -> None:
        self.inflight -= 1


async def read_capped(request: Request, limit: int) -> list[bytes]:
    """The raw body's chunks (joined off the event loop when large), refusing (413) as soon as
    it would exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise Refused(400, "Content-Length is not a number", "malformed")
        if int(declared) > limit:
            raise Refused(
                413, f"body of {declared} bytes is over the limit of {limit}", "too_large"
            )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"body is over the limit of {limit} bytes", "too_large")
        chunks.append(chunk)
    return chunks


def create_app(collector: Collector) -> Starlette:
    """The app over one collector (spool, counters)."""
    settings = collector.settings
    cfg = settings.collector
    guard = Guard(collector)
    pair = auth.key_pair(settings)
    bearer = auth.tokens(settings)
    bearer_feedback = auth.tokens(settings, feedback=True)

    async def store(intake: Intake) -> Intake:
        if intake.payload:
            assert collector.writer is not None, "the collector was not started"
            done = collector.writer.submit(intake.kind, intake.payload, intake.records)
            try:
                await asyncio.wrap_future(done)
            except OSError as exc:
                raise Refused(
                    503, f"could not store the payload: {exc}", "storage", cfg.retry_after_s
                ) from exc
            if collector.spool.pending_bytes >= cfg.rotate_bytes:
                collector.wake()
        collector.counters.spooled(
            intake.kind, intake.records, len(intake.payload), intake.refused_records
        )
        return intake

    async def handle(
        request: Request,
        route: str,
        check: Check,
        error: Callable[[Refused, str | None], Response],
        tokens: list[str],
        limit: int = cfg.max_body_bytes,
    ) -> Response:
        collector.counters.request(route)
        content_type = request.headers.get("content-type")
        try:
            auth.check(request.headers.get("authorization"), tokens, pair)
            guard.enter()
            try:
                chunks = await read_capped(request, limit)
                encoding = request.headers.get("content-encoding")

                def decode_and_check() -> Intake:
                    raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                    return check(decompress(raw, encoding, cfg.max_decoded_bytes), content_type)

                if encoding is None and sum(map(len, chunks)) <= INLINE_BYTES:
                    intake = decode_and_check()  # cheaper than a thread hop
                else:
                    intake = await run_in_threadpool(decode_and_check)
                intake = await store(intake)
            finally:
                guard.exit()
        except Refused as exc:
            collector.counters.rejected(exc.reason)
            response = error(exc, content_type)
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = auth.CHALLENGE
            if exc.retry_after is not None:
                response.headers["Retry-After"] = str(exc.retry_after)
            if exc.status == 413:
                response.headers["Connection"] = "close"  # the rest of the body is never read
            return response
        return Response(intake.body, intake.status, intake.headers, media_type=intake.media_type)

    def json_error(exc: Refused, _content_type: str | None) -> Response:
        body: dict = {"error": exc.message, "reason": exc.reason}
        if isinstance(exc, FeedbackRefused):
            body["errors"] = exc.errors
        return JSONResponse(body, status_code=exc.status)

    def otlp_error(exc: Refused, content_type: str | None) -> Response:
        kind = otlp.media_type(content_type) or otlp.JSON
        return Response(
            otlp.status_body(exc.status, exc.message, kind), exc.status, media_type=kind
        )

    def check_otlp(body: bytes, content_type: str | None) -> Intake:
        kind = otlp.media_type(content_type)
        if kind is None:
            raise Refused(
                415,
                f"Content-Type {content_type!r}: use application/x-protobuf or application/json",
                "content_type",
            )
        if kind == otlp.PROTOBUF:
            checked, spool_kind = otlp.check_protobuf(body), "otlp-protobuf"
        else:
            checked, spool_kind = otlp.check_json(body, cfg.max_depth), "otlp-json"
        return Intake(
            spool_kind,
            checked.payload if checked.spans else b"",
            checked.spans,
            200,
            otlp.response(checked, kind),
            media_type=kind,
            refused_records=checked.rejected,
        )

    def check_langfuse(body: bytes, _content_type: str | None) -> Intake:
        batch = check_batch(body, cfg.max_depth)
        answer = {"successes": batch.successes, "errors": batch.errors}
        return json_intake("langfuse", 207, batch.payload, batch.accepted, answer, batch.errors)

    def check_litellm(body: bytes, _content_type: str | None) -> Intake:
        got = check_payloads(body, cfg.max_depth)
        answer = {"accepted": got.accepted, "rejected": got.rejected}
        return json_intake("litellm", 200, got.payload, got.accepted, answer, got.rejected)

    def check_feedback_body(body: bytes, _content_type: str | None) -> Intake:
        limits = settings.feedback
        payload, n = check_feedback(
            body,
            cfg.max_depth,
            limits.max_records,
            limits.max_text_chars,
            settings.user_key,
            datetime.now(UTC),
        )
        answer = {"accepted": n, "status": "spooled"}
        return Intake("feedback", payload, n, 202, json.dumps(answer).encode())

    async def traces(request: Request) -> Response:
        return await handle(request, "otlp", check_otlp, otlp_error, bearer)

    async def langfuse_otel(request: Request) -> Response:
        return await handle(request, "langfuse-otel", check_otlp, otlp_error, bearer)

    async def langfuse_ingestion(request: Request) -> Response:
        return await handle(request, "langfuse", check_langfuse, json_error, bearer)

    async def litellm(request: Request) -> Response:
        return await handle(request, "litellm", check_litellm, json_error, bearer)

    async def feedback(request: Request) -> Response:
        limit = settings.feedback.max_body_bytes
        return await handle(
            request, "feedback", check_feedback_body, json_error, bearer_feedback, limit
        )

    async def projects(request: Request) -> Response:
        try:
            auth.check(request.headers.get("authorization"), bearer, pair)
        except Refused as exc:
            collector.counters.rejected(exc.reason)
            response = json_error(exc, None)
            response.headers["WWW-Authenticate"] = auth.CHALLENGE
            return response
        project = {
            "id": "llmops",
            "name": "llmops",
            "organization": {"id": "llmops", "name": "llmops"},
            "metadata": {},
        }
        return JSONResponse({"data": [project]})  # Langfuse's Projects (api/projects/types)

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "inflight": guard.inflight,
                "pending_bytes": collector.spool.pending_bytes,
            }
        )

    return Starlette(
        routes=[
            Route("/v1/traces", traces, methods=["POST"]),
            Route("/api/public/otel/v1/traces", langfuse_otel, methods=["POST"]),
            Route("/api/public/ingestion", langfuse_ingestion, methods=["POST"]),
            Route("/api/public/projects", projects, methods=["GET"]),
            Route("/v1/litellm", litellm, methods=["POST"]),
            Route("/feedback", feedback, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
