"""The lake table `model_versions`: one Parquet file per watch run, merged into one file per day
once the day is over (a 15-minute schedule writes 96 files a day), latest row per alias."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from llmops.model_watch.detect import Observation

TABLE = "model_versions"
_RUN_FILE = re.compile(r"^(\d{8})T\d{6}-.+\.parquet$")
_MERGED_KEY = b"llmops.merged_files"


def last_observations(lake: Path) -> dict[str, Observation]:
    """The newest row of every alias (its declared identity and drift streak)."""
    from llmops.lake.schema import column_names
    from llmops.lake.warehouse import connect

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

    from llmops.lake.arrow import arrow_schema
    from llmops.lake.files import write_table
    from llmops.lake.schema import MODEL_VERSIONS

    if not rows:
        return None
    first = min(r.observed_at for r in rows)
    safe_id = re.sub(r"[^A-Za-z0-9_-]", "_", probe_id)
    name = f"{first:%Y%m%dT%H%M%S}-{safe_id}"
    schema = arrow_schema(MODEL_VERSIONS)
    data = pa.Table.from_pylist([r.model_dump() for r in rows], schema=schema)
    return write_table(lake, TABLE, name, data)


def compact_observations(lake: Path, today: date) -> int:
    """Merge the per-run files of each day before `today` (UTC) into `<YYYYMMDD>-day.parquet`;
    return how many run files were merged away.

    The day file lists the run files it holds in its metadata, so a compaction interrupted
    between writing the day file and deleting the run files is finished by the next one
    without counting any row twice.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from llmops.lake.files import table_dir, write_table

    folder = table_dir(lake, TABLE)
    cutoff = f"{today:%Y%m%d}"
    by_day: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.parquet")):
        m = _RUN_FILE.match(path.name)
        if m and m.group(1) < cutoff:
            by_day.setdefault(m.group(1), []).append(path)
    merged_away = 0
    for day, runs in by_day.items():
        day_path = folder / f"{day}-day.parquet"
        held: list[str] = []
        tables = []
        if day_path.exists():
            day_table = pq.read_table(day_path)
            meta = day_table.schema.metadata or {}
            held = json.loads(meta.get(_MERGED_KEY, b"[]"))
            tables.append(day_table.replace_schema_metadata(None))
        new = [p for p in runs if p.name not in held]
        if new:
            tables += [pq.read_table(p).replace_schema_metadata(None) for p in new]
            merged = pa.concat_tables(tables, promote_options="default")
            names = sorted({*held, *(p.name for p in new)})
            merged = merged.replace_schema_metadata({_MERGED_KEY: json.dumps(names).encode()})
            write_table(lake, TABLE, f"{day}-day", merged)
        for p in runs:
            p.unlink(missing_ok=True)
        merged_away += len(runs)
    return merged_away
