"""Tell the log formats apart from the keys of their first records."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any


def record_format(rec: Any) -> str | None:
    """The format one parsed record belongs to, or None if it matches none."""
    if not isinstance(rec, dict):
        return None
    keys = rec.keys()
    attrs = rec.get("attributes")
    if "batch" in keys or "_trace" in keys:
        return "langfuse"
    if {"type", "body"} <= keys and str(rec.get("type", "")).endswith("-create"):
        return "langfuse"
    if "resourceSpans" in keys or (
        isinstance(attrs, dict) and any(str(k).startswith("gen_ai.") for k in attrs)
    ):
        return "otel"
    if "custom_id" in keys and ("response" in keys or "error" in keys):
        return "openai-batch"
    if "request_model" in keys or {"request_id", "delay_ms"} <= keys:
        return "helicone"
    if "custom_llm_provider" in keys or (
        "startTime" in keys and "model" in keys and ({"messages", "response_cost"} & keys)
    ):
        return "litellm"
    if "requested_model" in keys or (
        "model" in keys and ({"input_tokens", "prompt_tokens"} & keys)
    ):
        return "generic"
    return None


def detect(records: Iterable[Any]) -> str | None:
    """Majority format of a sample of parsed records; None when nothing matches."""
    votes = Counter(f for f in map(record_format, records) if f is not None)
    return votes.most_common(1)[0][0] if votes else None


def sample_lines(lines: Iterable[str], limit: int = 50) -> list[Any]:
    """Parse up to `limit` JSON lines, skipping those that do not parse."""
    out: list[Any] = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
        if len(out) >= limit:
            break
    return out
