"""What an erasure will remove: the matching rows of every lake file, found before anything changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llmops.lake.files import table_dir
from llmops.privacy.match import COLUMNS, ROLLUP_TABLES, ROW_TABLES, Keys, column, mask
from llmops.privacy.target import Target

SOURCE_TABLES = ("llm_calls", "quarantine", "feedback", "feedback_quarantine")


@dataclass(frozen=True)
class FilePlan:
    """Rows of one lake file that go."""

    table: str
    path: Path
    rows: int


@dataclass
class ErasurePlan:
    """Every file with rows of the target, per-table counts and the source files outside the lake."""

    target: Target
    keys: Keys
    files: list[FilePlan] = field(default_factory=list)
    rollup_rows: dict[str, int] = field(default_factory=dict)
    source_files: list[str] = field(default_factory=list)

    @property
    def tables(self) -> dict[str, int]:
        """Rows to remove per table (rollup rows of the user included), only tables with any."""
        out: dict[str, int] = {}
        for f in self.files:
            out[f.table] = out.get(f.table, 0) + f.rows
        out.update({t: n for t, n in self.rollup_rows.items() if n})
        return out

    @property
    def rows(self) -> int:
        """Rows to remove from all tables."""
        return sum(self.tables.values())

    @property
    def batches(self) -> list[str]:
        """Batch ids (file names) of the files to rewrite."""
        return sorted({f.path.stem for f in self.files})


def lake_files(lake: Path, table: str) -> list[Path]:
    """Every Parquet file of a table (the zero-row schema file included: it has no rows)."""
    return sorted(table_dir(lake, table).glob("*.parquet"))


def read_columns(path: Path, names: tuple[str, ...]) -> pa.Table:
    """The named columns of a file that it has (older files may lack new columns)."""
    have = set(pq.read_schema(path).names)
    return pq.read_table(path, columns=[n for n in names if n in have])


def _feedback_about(lake: Path, keys: Keys) -> set[str]:
    """Feedback ids on the target's calls, by call id or by its trace's last call (the view's rule)."""
    if not keys.call_ids:
        return set()
    from llmops.lake.warehouse import connect

    con = connect(lake)
    try:
        con.register("erased_calls", pa.table({"call_id": sorted(keys.call_ids)}))
        rows = con.execute(
            "SELECT DISTINCT feedback_id FROM feedback_calls WHERE resolved_call_id IN "
            "(SELECT call_id FROM erased_calls) OR call_id IN (SELECT call_id FROM erased_calls)"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def _scan(lake: Path, table: str, keys: Keys, plan: ErasurePlan, sources: set[str]) -> None:
    """Add the table's files with matching rows to the plan, their source files to `sources`."""
    for path in lake_files(lake, table):
        data = read_columns(path, (*COLUMNS[table], "source_file"))
        hit = mask(table, data, keys)
        rows = pc.sum(hit).as_py() or 0
        if rows:
            plan.files.append(FilePlan(table, path, rows))
            if table in SOURCE_TABLES:
                chosen = column(data.filter(hit), "source_file").to_pylist()
                sources.update(s for s in chosen if s)


def build_plan(lake: Path, target: Target) -> ErasurePlan:
    """Find every row of the target: its calls (all copies), their findings, feedback and ledger
    rows, the feedback it gave, quarantined raw records naming it, and its rollup rows."""
    keys = Keys(needles=target.needles)
    if target.kind == "user":
        keys.user_hashes.add(target.lake_id)
    else:
        keys.call_ids.add(target.lake_id)
    for path in lake_files(lake, "llm_calls"):  # the target's call ids, then every copy of them
        data = read_columns(path, COLUMNS["llm_calls"])
        keys.call_ids.update(
            column(data.filter(mask("llm_calls", data, keys)), "call_id").to_pylist()
        )
    keys.call_ids.discard(None)  # type: ignore[arg-type]
    keys.feedback_ids = _feedback_about(lake, keys)
    for path in lake_files(lake, "feedback"):  # feedback the user gave: out of the ledger too
        data = read_columns(path, COLUMNS["feedback"])
        hit = column(data.filter(mask("feedback", data, keys)), "feedback_id").to_pylist()
        keys.feedback_ids.update(i for i in hit if i)
    plan = ErasurePlan(target=target, keys=keys)
    sources: set[str] = set()
    for table in ROW_TABLES:
        _scan(lake, table, keys, plan, sources)
    for table in ROLLUP_TABLES:
        plan.rollup_rows[table] = sum(
            pc.sum(mask(table, read_columns(p, COLUMNS[table]), keys)).as_py() or 0
            for p in lake_files(lake, table)
        )
    plan.source_files = sorted(s for s in sources if Path(s).exists())
    return plan
