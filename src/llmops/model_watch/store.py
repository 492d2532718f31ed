"""The lake table `model_versions`: one Parquet file per watch run, latest row per alias."""

from __future__ import annotations

import re
from pathlib import Path

from llmops.model_watch.detect import Observation

TABLE = "model_versions"


def last_observations(lake: Path) -> dict[str, Observation]:
    """The newest row of every alias (its declared identity and drift streak)."""
    from llmops.schema import column_names
    from llmops.warehouse import connect

    con = connect(lake)
    try:
        cols = ", ".join(column_names(TABLE))
        rel = con.sql(
            f"SELECT {cols} FROM {TABLE} "
            "QUALIFY row_number() OVER (PARTITION BY alias ORDER BY observed_at DESC) = 1"
        )
        names = rel.columns
        rows = [dict(zip(names, values, strict=True)) for values in rel.fetchall()]
    finally:
        con.close()
    return {r["alias"]: Observation.model_validate(r) for r in rows}


def write_observations(lake: Path, probe_id: str, rows: list[Observation]) -> Path | None:
    """Write a run's rows as lake/model_versions/<time>-<probe_id>.parquet (atomic; a rerun of
    the same run replaces its file). None when there is nothing to write."""
    import pyarrow as pa

    from llmops.arrow_schema import arrow_schema
    from llmops.lake import write_table
    from llmops.schema import MODEL_VERSIONS

    if not rows:
        return None
    first = min(r.observed_at for r in rows)
    safe_id = re.sub(r"[^A-Za-z0-9_-]", "_", probe_id)
    name = f"{first:%Y%m%dT%H%M%S}-{safe_id}"
    schema = arrow_schema(MODEL_VERSIONS)
    data = pa.Table.from_pylist([r.model_dump() for r in rows], schema=schema)
    return write_table(lake, TABLE, name, data)
