"""Eval results in the lake: one file per run in eval_runs, eval_metrics and eval_results.

Files are named by the MLflow run id and written atomically, so re-writing a run replaces it.
Baseline scores are read back from the lake with DuckDB (the per-item table is also in MLflow).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from llmops.lake.arrow import all_schemas
from llmops.lake.files import ensure_lake, write_table


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = all_schemas()[name]
    return pa.Table.from_pylist(
        [{f.name: row.get(f.name) for f in schema} for row in rows], schema=schema
    )


def write_run(
    lake: Path,
    run: dict[str, Any],
    metrics: list[dict[str, Any]],
    results: list[dict[str, Any]],
) -> None:
    """Write one run's summary, per-metric and per-item rows (replacing a previous write)."""
    ensure_lake(lake, all_schemas())
    run_id = run["run_id"]
    write_table(lake, "eval_results", run_id, _table("eval_results", results))
    write_table(lake, "eval_metrics", run_id, _table("eval_metrics", metrics))
    write_table(lake, "eval_runs", run_id, _table("eval_runs", [run]))


def run_scores(lake: Path, run_id: str) -> dict[str, dict[str, float | None]]:
    """metric -> item id -> score of a run (None when failed or not applicable)."""
    import duckdb

    path = lake / "eval_results" / f"{run_id}.parquet"
    if not path.exists():
        return {}
    rows = duckdb.sql(
        f"SELECT metric, item_id, score FROM read_parquet('{path}') WHERE metric <> 'generation'"
    ).fetchall()
    scores: dict[str, dict[str, float | None]] = {}
    for metric, item_id, score in rows:
        scores.setdefault(metric, {})[item_id] = score
    return scores
