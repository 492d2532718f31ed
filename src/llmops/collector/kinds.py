"""What the spool holds, one folder per kind, and how a kind's payloads merge into one batch file
that the ingest path reads as it reads any log file of that format."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


def _concat(payloads: list[bytes]) -> bytes:
    """Protobuf: concatenated ExportTraceServiceRequests parse as one (its only field is
    repeated). JSONL: lines after lines."""
    return b"".join(payloads)


def _otlp_json(payloads: list[bytes]) -> bytes:
    spans = [rs for p in payloads for rs in json.loads(p).get("resourceSpans", [])]
    return json.dumps({"resourceSpans": spans}, ensure_ascii=False).encode()


def _langfuse(payloads: list[bytes]) -> bytes:
    events = [e for p in payloads for e in json.loads(p)["batch"]]
    return json.dumps({"batch": events}, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Kind:
    """One spool folder: its payloads' suffix, the batch file's suffix and how to merge."""

    name: str
    suffix: str
    merge: Callable[[list[bytes]], bytes]
    target: Literal["inbox", "feedback"] = "inbox"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("otlp-protobuf", ".pb", _concat),
        Kind("otlp-json", ".json", _otlp_json),
        Kind("langfuse", ".json", _langfuse),
        Kind("litellm", ".jsonl", _concat),
        Kind("feedback", ".jsonl", _concat, target="feedback"),
    )
}
