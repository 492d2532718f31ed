"""The per-batch ledgers (`batches`, `audits`) recounted from the batch files that remain.

Ingest and audit write counts that equal their batch files' rows (records = accepted +
quarantined; audited calls and findings by severity); after an erasure the counts are made true
again. A ledger is rewritten only when a count changed, after its data files (the audit treats a
calls file newer than its ledger as not yet audited).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llmops.lake.arrow import arrow_schema
from llmops.lake.files import table_dir
from llmops.lake.schema import AUDITS, BATCHES
from llmops.privacy.plan import read_columns
from llmops.privacy.rewrite import write_durably

SEVERITIES = ("critical", "high", "medium", "low")


def _file(lake: Path, table: str, batch_id: str) -> Path:
    return table_dir(lake, table) / f"{batch_id}.parquet"


def _rows(path: Path) -> int:
    return pq.read_metadata(path).num_rows if path.exists() else 0


def _count(path: Path, name: str, value: str) -> int:
    if not path.exists() or name not in pq.read_schema(path).names:
        return 0
    return pc.sum(pc.equal(read_columns(path, (name,)).column(name), value)).as_py() or 0


def batch_counts(lake: Path, batch_id: str) -> dict[str, Any]:
    """The `batches` counts its llm_calls and quarantine files give."""
    calls = _file(lake, "llm_calls", batch_id)
    accepted, quarantined = _rows(calls), _rows(_file(lake, "quarantine", batch_id))
    return {
        "records": accepted + quarantined,
        "accepted": accepted,
        "quarantined": quarantined,
        "unpriced": _count(calls, "cost_status", "unpriced"),
        "no_usage": _count(calls, "cost_status", "no_usage"),
    }


def audit_counts(lake: Path, batch_id: str) -> dict[str, Any]:
    """The `audits` counts its llm_calls and findings files give."""
    calls = _file(lake, "llm_calls", batch_id)
    started = read_columns(calls, ("started_at",)) if calls.exists() else None
    bounds = (
        pc.min_max(started.column("started_at")).as_py()
        if started is not None and started.num_columns
        else {"min": None, "max": None}
    )
    findings = _file(lake, "findings", batch_id)
    severity = read_columns(findings, ("severity",)) if findings.exists() else None
    levels = (
        severity.column("severity").to_pylist()
        if severity is not None and severity.num_columns
        else []
    )
    return {
        "calls": _rows(calls),
        "findings": _rows(findings),
        **{s: levels.count(s) for s in SEVERITIES},
        "first_call_at": bounds["min"],
        "last_call_at": bounds["max"],
    }


def _refresh(path: Path, counts: dict[str, Any], schema: pa.Schema) -> bool:
    """Rewrite a one-row ledger file with the new counts; False when they are already right."""
    if not path.exists():
        return False
    rows = pq.read_table(path).to_pylist()
    changed = [r | counts for r in rows]
    if changed == rows:
        return False
    write_durably(path, pa.Table.from_pylist(changed, schema=schema))
    return True


def refresh_ledgers(lake: Path, batch_ids: list[str]) -> list[str]:
    """Recount the ledgers of these batches; returns the tables whose files were rewritten."""
    rewritten: set[str] = set()
    for batch_id in batch_ids:
        if _refresh(
            _file(lake, "batches", batch_id), batch_counts(lake, batch_id), arrow_schema(BATCHES)
        ):
            rewritten.add("batches")
        if _refresh(
            _file(lake, "audits", batch_id), audit_counts(lake, batch_id), arrow_schema(AUDITS)
        ):
            rewritten.add("audits")
    return sorted(rewritten)
