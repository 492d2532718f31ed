"""Which provider errors are retried, and how long to wait (full jitter, Retry-After honoured)."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Mapping
from typing import Literal

Verdict = Literal["retry", "next_alias", "fatal"]

RETRY_STATUS = {408, 409, 425, 429}
NEXT_ALIAS_STATUS = {401, 402, 403, 404}


def status_of(exc: BaseException) -> int | None:
    """HTTP status of a provider error, when it has one."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def classify(exc: BaseException) -> Verdict:
    """retry: 429/5xx/timeouts/connection errors; next_alias: 401/402/403/404 (this provider
    cannot serve it, another may); fatal: a bad request (400/422) or a bug, never retried."""
    if isinstance(exc, asyncio.TimeoutError | TimeoutError | ConnectionError):
        return "retry"
    status = status_of(exc)
    if status is None:
        import httpx

        return "retry" if isinstance(exc, httpx.TransportError) else "fatal"
    if status in RETRY_STATUS or status >= 500:
        return "retry"
    if status in NEXT_ALIAS_STATUS:
        return "next_alias"
    return "fatal"


def _headers(exc: BaseException) -> Mapping[str, str]:
    for source in (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
        getattr(exc, "headers", None),
    ):
        if source:
            return {str(k).lower(): str(v) for k, v in source.items()}
    return {}


def retry_after_s(exc: BaseException | None) -> float | None:
    """Seconds the provider asked us to wait (retry-after-ms, retry-after seconds or date)."""
    if exc is None:
        return None
    headers = _headers(exc)
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    if (value := headers.get("retry-after")) is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return max(0.0, parsed.timestamp() - time.time())
    return None


def backoff_s(
    retry: int,
    exc: BaseException | None,
    base: float,
    ceiling: float,
    retry_after_max: float,
    rng: random.Random,
) -> float:
    """Wait before retry number `retry` (1-based): full jitter in [0, min(ceiling, base*2^(n-1))],
    and at least the provider's Retry-After (capped at retry_after_max)."""
    jitter = rng.uniform(0, min(ceiling, base * 2 ** (retry - 1)))
    asked = retry_after_s(exc)
    return max(jitter, min(asked, retry_after_max)) if asked is not None else jitter


def describe(exc: BaseException) -> str:
    """Short text of one failed attempt, e.g. '429 RateLimitError: ...'."""
    status = status_of(exc)
    text = str(exc).replace("\n", " ")
    if len(text) > 300:
        text = text[:300] + "..."
    name = type(exc).__name__
    return f"{status} {name}: {text}" if status else f"{name}: {text}"
