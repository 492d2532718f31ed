"""LiteLLM's `generic_api` logging callback (litellm/integrations/generic_api): batches of
StandardLoggingPayload as a JSON array (`json_array`, its default), NDJSON or single objects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from llmops.collector.decode import load_json_or_ndjson
from llmops.collector.errors import Refused


@dataclass
class Payloads:
    """The payloads kept (as JSONL) and those refused with the reason."""

    payload: bytes
    accepted: int
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "not a JSON object"
    if not isinstance(item.get("id"), str) or not item["id"]:
        return "field id: a non-empty string is required (StandardLoggingPayload.id)"
    if "model" not in item and "response" not in item:
        return "field model: missing (not a StandardLoggingPayload)"
    return None


def check_payloads(body: bytes, max_depth: int) -> Payloads:
    """Each StandardLoggingPayload checked; 400 when none is usable."""
    items = load_json_or_ndjson(body, max_depth)
    if not items:
        raise Refused(400, "body holds no logging payload", "malformed")
    lines: list[str] = []
    out = Payloads(b"", 0)
    for i, item in enumerate(items):
        problem = _problem(item)
        if problem:
            out.rejected.append({"index": i, "error": f"item {i}: {problem}"})
        else:
            lines.append(json.dumps(item, ensure_ascii=False))
    if not lines:
        raise Refused(
            400, f"no valid StandardLoggingPayload: {out.rejected[0]['error']}", "malformed"
        )
    out.accepted = len(lines)
    out.payload = ("\n".join(lines) + "\n").encode()
    return out
