"""Langfuse's public ingestion API (`POST /api/public/ingestion`, v2 SDKs) as Langfuse answers
it: 207 Multi-Status with one entry per event in `successes` or `errors`.

Langfuse (web/src/pages/api/public/ingestion.ts, packages/shared ingestion types) validates each
event of `{"batch": [...], "metadata": {...}}` on its own: an event with an id, a known `type`, a
timestamp and a `body` object is accepted (201), any other gets a 400 entry; valid ones are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from llmops.collector.decode import load_json
from llmops.collector.errors import Refused

EVENT_TYPES = frozenset(
    {
        "trace-create",
        "score-create",
        "span-create",
        "span-update",
        "generation-create",
        "generation-update",
        "event-create",
        "observation-create",
        "observation-update",
        "sdk-log",
        "agent-create",
        "tool-create",
        "chain-create",
        "retriever-create",
        "evaluator-create",
        "embedding-create",
        "guardrail-create",
        "dataset-run-item-create",
    }
)


@dataclass
class Batch:
    """The events kept (as one ingestion batch document) and the per-event answer."""

    payload: bytes
    accepted: int
    successes: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _problem(event: Any) -> str | None:
    if not isinstance(event, dict):
        return "event is not a JSON object"
    if not isinstance(event.get("id"), str) or not event["id"]:
        return "field id: a non-empty string is required"
    if event.get("type") not in EVENT_TYPES:
        return f"field type: {event.get('type')!r} is not a Langfuse ingestion event type"
    if not isinstance(event.get("timestamp"), str):
        return "field timestamp: an ISO 8601 string is required"
    if not isinstance(event.get("body"), dict):
        return "field body: an object is required"
    return None


def check_batch(body: bytes, max_depth: int) -> Batch:
    """Validate every event; 400 only when the body is not a batch at all."""
    doc = load_json(body, max_depth)
    if not isinstance(doc, dict) or not isinstance(doc.get("batch"), list):
        raise Refused(400, 'body must be {"batch": [events], "metadata": {...}}', "malformed")
    kept: list[Any] = []
    batch = Batch(b"", 0)
    for i, event in enumerate(doc["batch"]):
        problem = _problem(event)
        ident = event.get("id") if isinstance(event, dict) else None
        if problem:
            batch.errors.append(
                {
                    "id": ident if isinstance(ident, str) else str(i),
                    "status": 400,
                    "message": "Invalid request data",
                    "error": f"batch[{i}]: {problem}",
                }
            )
        else:
            kept.append(event)
            batch.successes.append({"id": ident, "status": 201})
    batch.accepted = len(kept)
    if kept:
        out = {"batch": kept}
        if isinstance(doc.get("metadata"), dict):
            out["metadata"] = doc["metadata"]
        batch.payload = json.dumps(out, ensure_ascii=False).encode()
    return batch
