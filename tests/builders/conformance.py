"""The conformance suite's harness: genuine producer artifacts, their provenance, their values.

Each format keeps a manifest at `tests/data/conformance/<format>/manifest.yaml`:

    artifacts:
      - id: litellm-slp-basic                      # unique over the whole suite
        file: standard_logging_payload.json        # relative to the manifest's folder
        format: litellm                            # what auto-detection must say
        source:                                    # a public repository's file ...
          repo: BerriAI/litellm
          path: tests/logging_callback_tests/gcs_pub_sub_body/standard_logging_payload.json
          commit: 0123abcd...                      # 40 hex digits
          license: MIT
          extract: "verbatim" | "the JSON literal at lines 10-58" | ...
        # ... or, for artifacts the real SDKs write during the test run (no `file`):
        # sdk: {package: langfuse, generated_by: "tests/builders/telemetry/langfuse_sdk.py::run"}
        accepted: 1
        quarantined: 0
        expect:                                    # llm_calls rows, matched by call_id
          - call_id: chatcmpl-123                  # (or by `source_line:` when the producer
                                                   # makes a fresh random id on every run)
            provider: openai
            input_tokens: 10
            started_at: "2025-01-24T09:20:46.847371+00:00"
            latency_ms: 7.394                      # floats: relative 1e-6 (or abs 1e-3 for ms)
            input_text: "~contains: Hello"          # text checks: "~contains: ...", "~present"
            output_tokens: "~field: usage.completion_tokens"   # the artifact's own value (JSONL:
                                                   # the record at the row's source_line)
            cost_usd: null                         # null means the value must be NULL

Field values are read from the artifact by hand (the producer's own field names), never from
what llmops currently outputs.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from tests.builders.paths import DATA

CONFORMANCE = DATA / "conformance"
FLOAT_TOLERANCE = {"latency_ms": 1e-3, "ttft_ms": 1e-3}  # absolute, in ms


def manifests() -> dict[str, list[dict[str, Any]]]:
    """Every format's manifest entries, keyed by the format folder."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(CONFORMANCE.glob("*/manifest.yaml")):
        entries = yaml.safe_load(path.read_text())["artifacts"]
        for entry in entries:
            entry["_dir"] = path.parent
        out[path.parent.name] = entries
    return out


def artifacts(kind: str | None = None) -> list[dict[str, Any]]:
    """All manifest entries (of one format folder when given)."""
    return [e for folder, es in manifests().items() if kind in (None, folder) for e in es]


def artifact_path(entry: dict[str, Any]) -> Path:
    """The checked-in file of a public-repository artifact."""
    return entry["_dir"] / entry["file"]


def calls_in_file_order(lake: Path) -> list[dict[str, Any]]:
    """llm_calls rows of a lake, in the order of their source lines."""
    from llmops.lake.warehouse import connect

    con = connect(lake)
    try:
        return con.sql("SELECT * FROM llm_calls ORDER BY source_line").pl().to_dicts()
    finally:
        con.close()


def rows_by_call_id(lake: Path) -> dict[str, dict[str, Any]]:
    """llm_calls rows of a lake, keyed by call id."""
    from llmops.lake.warehouse import connect

    con = connect(lake)
    try:
        rows = con.sql("SELECT * FROM llm_calls").pl().to_dicts()
    finally:
        con.close()
    return {r["call_id"]: r for r in rows}


def _field(record: Any, path: str) -> Any:
    """A value inside a parsed record by a dotted path (list indices as numbers)."""
    for part in path.split("."):
        record = record[int(part)] if isinstance(record, list) else record[part]
    return record


def _resolve(want: Any, record: Any) -> Any:
    """`~field: a.b` becomes the artifact's own value there; anything else is itself."""
    if isinstance(want, str) and want.startswith("~field: "):
        return _field(record, want.removeprefix("~field: "))
    return want


def _same(field: str, want: Any, got: Any) -> bool:
    if isinstance(want, str) and want.startswith("~"):
        if want == "~present":
            return got is not None and got != ""
        if want.startswith("~contains: "):
            return isinstance(got, str) and want.removeprefix("~contains: ") in got
        raise ValueError(f"unknown check {want!r}")
    if want is None or got is None:
        return want is got
    if isinstance(got, datetime):
        return got == datetime.fromisoformat(str(want))
    if isinstance(want, float) or isinstance(got, float):
        tol = FLOAT_TOLERANCE.get(field)
        if tol is not None:
            return abs(float(got) - float(want)) <= tol
        return math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=1e-12)
    return got == want


def mismatches(
    expect: list[dict[str, Any]], rows: dict[str, dict[str, Any]], artifact: Path | None = None
) -> list[str]:
    """Every expected field that the ingested rows do not carry, as readable lines."""
    import json

    lines = []
    if artifact is not None and artifact.suffix == ".jsonl":
        lines = artifact.read_text().splitlines()
    out = []
    for want in expect:
        if "call_id" in want:
            key = want["call_id"]
            row = rows.get(key)
        else:
            key = f"line {want['source_line']}"
            row = next((r for r in rows.values() if r["source_line"] == want["source_line"]), None)
        if row is None:
            out.append(f"{key}: no such row (have {sorted(rows)[:5]})")
            continue
        record = json.loads(lines[row["source_line"] - 1]) if lines else None
        for field, value in want.items():
            value = _resolve(value, record)
            if field not in row:
                out.append(f"{key}.{field}: not an llm_calls column")
            elif not _same(field, value, row[field]):
                out.append(f"{key}.{field}: want {value!r}, got {row[field]!r}")
    return out
