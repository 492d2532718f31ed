"""The flywheel's ledger: which feedback has been dealt with, so a rerun adds nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from llmops.core.settings import Settings
from llmops.feedback.flywheel import Settled
from llmops.feedback.model import utcnow


def write_ledger(
    settings: Settings, dataset: str | None, settled: list[Settled], flow_run_id: str | None
) -> Path | None:
    """Record settled feedback in one ledger file (named by its feedback ids; atomic)."""
    if not settled:
        return None
    import pyarrow as pa

    from llmops.lake.arrow import all_schemas
    from llmops.lake.files import ensure_lake, write_table

    ids = sorted(s.feedback_id for s in settled)
    batch_id = "ledger-" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:24]
    now = utcnow()
    rows = [
        {
            "feedback_id": s.feedback_id,
            "call_id": s.call_id,
            "dataset": dataset,
            "outcome": s.outcome,
            "candidate_id": s.candidate_id,
            "flow_run_id": flow_run_id,
            "batch_id": batch_id,
            "processed_at": now,
        }
        for s in settled
    ]
    schemas = all_schemas()
    ensure_lake(settings.lake_dir, schemas)
    table = pa.Table.from_pylist(rows, schema=schemas["feedback_ledger"])
    return write_table(settings.lake_dir, "feedback_ledger", batch_id, table)


def candidates_file(settings: Settings, dataset: str, data: bytes) -> Path:
    """Where an approved candidate batch is written for the curation (named by its content)."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    return settings.home / "feedback" / "candidates" / dataset / f"{digest}.jsonl"
