"""The model_versions table: finished days merge into one file, rows neither lost nor doubled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from llmops.lake.files import table_dir
from llmops.lake.warehouse import connect
from llmops.model_watch.detect import Observation
from llmops.model_watch.store import (
    TABLE,
    compact_observations,
    last_observations,
    write_observations,
)

DAY1 = datetime(2026, 11, 20, tzinfo=UTC)


def _run(lake: Path, at: datetime, n: int) -> None:
    rows = [
        Observation(
            observed_at=at,
            alias=alias,
            probe_id=f"probe-{at:%d%H%M}",
            served_model=f"m-{n}",
            status="unchanged",
        )
        for alias in ("candidate", "judge")
    ]
    write_observations(lake, f"probe-{at:%d%H%M}", rows)


def _run_files(lake: Path) -> list[str]:
    return sorted(p.name for p in table_dir(lake, TABLE).glob("*.parquet") if p.name[0] != "_")


def _rows(lake: Path) -> list[tuple]:
    with connect(lake) as con:
        return con.execute(
            f"SELECT alias, observed_at, served_model FROM {TABLE} ORDER BY 2, 1"
        ).fetchall()


def test_finished_days_merge_into_one_file_each(settings) -> None:
    lake = settings.lake_dir
    for i in range(6):  # day 1: six 15-minute runs; day 2 (today): two
        _run(lake, DAY1 + timedelta(minutes=15 * i), i)
    for i in range(2):
        _run(lake, DAY1 + timedelta(days=1, minutes=15 * i), 10 + i)
    before, latest = _rows(lake), last_observations(lake)
    assert len(before) == 16 and len(_run_files(lake)) == 8

    assert compact_observations(lake, date(2026, 11, 21)) == 6

    files = _run_files(lake)
    assert files[0] == "20261120-day.parquet" and len(files) == 3  # today's runs stay apart
    assert _rows(lake) == before and last_observations(lake) == latest
    assert compact_observations(lake, date(2026, 11, 21)) == 0  # nothing left to merge

    assert compact_observations(lake, date(2026, 11, 22)) == 2
    assert _run_files(lake) == ["20261120-day.parquet", "20261121-day.parquet"]
    assert _rows(lake) == before


def test_an_interrupted_compaction_is_finished_without_doubling_rows(settings) -> None:
    lake = settings.lake_dir
    for i in range(3):
        _run(lake, DAY1 + timedelta(minutes=15 * i), i)
    folder = table_dir(lake, TABLE)
    runs = sorted(p for p in folder.glob("2026*.parquet"))
    kept = {p.name: pq.read_table(p) for p in runs}
    compact_observations(lake, date(2026, 11, 21))
    # as if the process died after writing the day file, before deleting the run files
    for name, table in kept.items():
        pq.write_table(table, folder / name)
    _run(lake, DAY1 + timedelta(hours=5), 9)  # and a late run of that day arrived since
    assert len(_rows(lake)) == 6 + 6 + 2

    assert compact_observations(lake, date(2026, 11, 21)) == 4

    assert _run_files(lake) == ["20261120-day.parquet"]
    rows = _rows(lake)
    assert len(rows) == 8 and len(set(rows)) == 8
    assert last_observations(lake)["judge"].served_model == "m-9"
