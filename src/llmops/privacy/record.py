"""The `erasures` table: who erased what and when, how many rows per table; never a raw id."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from llmops.lake.arrow import arrow_schema
from llmops.lake.files import table_dir
from llmops.lake.schema import ERASURES
from llmops.privacy.plan import ErasurePlan, lake_files
from llmops.privacy.rewrite import write_durably

TABLE = "erasures"


class Erasure(BaseModel):
    """One row of the erasures table."""

    erasure_id: str
    erased_at: datetime
    erased_by: str
    target_kind: str
    target_sha256: str
    rows_removed: int
    tables: dict[str, int]
    recomputed: list[str]
    batches: list[str]

    def row(self) -> dict[str, object]:
        """The lake row (JSON and comma-separated lists as text)."""
        return self.model_dump() | {
            "tables": json.dumps(self.tables, sort_keys=True),
            "recomputed": ",".join(self.recomputed),
            "batches": ",".join(self.batches),
        }


def new_erasure(plan: ErasurePlan, by: str, now: datetime, recomputed: list[str]) -> Erasure:
    """The record of a planned erasure (written before the files change)."""
    return Erasure(
        erasure_id=uuid.uuid4().hex[:16],
        erased_at=now,
        erased_by=by,
        target_kind=plan.target.kind,
        target_sha256=plan.target.digest,
        rows_removed=plan.rows,
        tables=plan.tables,
        recomputed=recomputed,
        batches=plan.batches,
    )


def write_erasure(lake: Path, erasure: Erasure) -> Path:
    """One durable lake file per erasure, named by its id."""
    path = table_dir(lake, TABLE) / f"{erasure.erasure_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_durably(path, pa.Table.from_pylist([erasure.row()], schema=arrow_schema(ERASURES)))
    return path


def past_erasures(lake: Path, digests: list[str]) -> list[Erasure]:
    """Recorded erasures of these target digests, oldest first."""
    found: list[Erasure] = []
    for path in lake_files(lake, TABLE):
        for row in pq.read_table(path).to_pylist():
            if row.get("target_sha256") in digests:
                found.append(
                    Erasure(
                        **row
                        | {
                            "tables": json.loads(row.get("tables") or "{}"),
                            "recomputed": [
                                x for x in (row.get("recomputed") or "").split(",") if x
                            ],
                            "batches": [x for x in (row.get("batches") or "").split(",") if x],
                        }
                    )
                )
    return sorted(found, key=lambda e: e.erased_at)
