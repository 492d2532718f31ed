"""The warehouse: analysts may hold it open while pipelines run; concurrent ingests never clash."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb

from llmops.costs.rollup import run_rollup
from llmops.ingest import ingest_file
from llmops.lake.warehouse import build_warehouse, connect
from tests.builders.logs import build_log

HOLD = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    print(con.execute("SELECT count(*) FROM llm_calls").fetchone()[0], flush=True)
    time.sleep(60)
    """
)


def _hold(path: Path, mode: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the analyst's query answered: the file is open and locked
    return proc


def test_pipelines_run_while_an_analyst_holds_the_warehouse(settings, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    build_log(log)
    assert build_warehouse(settings.warehouse_path, settings.lake_dir)
    for mode in ("ro", "rw"):
        analyst = _hold(settings.warehouse_path, mode)
        try:
            start = time.perf_counter()
            ingest_file(log, settings)
            result = run_rollup(settings)
            # rebuilding the views is skipped, not fatal, while someone holds it read-write
            build_warehouse(settings.warehouse_path, settings.lake_dir)
            assert time.perf_counter() - start < 30  # did not wait on the lock
            assert len(result.alerts) == 3
        finally:
            analyst.kill()
            analyst.wait()  # the lock goes with the process
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == result.calls
    con.close()


def test_concurrent_ingests_of_different_files(settings, tmp_path: Path) -> None:
    logs = []
    for i in range(4):
        path = tmp_path / f"part{i}.jsonl"
        build_log(path)
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[i::4]) + "\n")  # four disjoint quarters
        logs.append(path)
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            ingest_file(path, settings)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    whole = tmp_path / "whole.jsonl"
    build_log(whole)
    con = connect(settings.lake_dir)
    total = con.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    con.close()
    assert total == len(whole.read_text().splitlines())


def test_every_view_column_is_documented(settings) -> None:
    build_warehouse(settings.warehouse_path, settings.lake_dir)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    missing = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE table_name IN "
        "('llm_calls', 'quarantine', 'batches', 'cost_rollup_daily', 'alerts') AND comment IS NULL"
    ).fetchall()
    con.close()
    assert missing == []


def test_views_survive_a_new_column_on_an_existing_lake(settings, tmp_path: Path) -> None:
    """A lake written before a column was added still opens; old rows get NULL there."""
    import pyarrow.parquet as pq

    from llmops.lake.arrow import all_schemas
    from llmops.lake.files import ensure_lake

    log = tmp_path / "calls.jsonl"
    log.write_text('{"not json\n')
    ingest_file(log, settings)
    quarantine = settings.lake_dir / "quarantine"
    for path in quarantine.glob("*.parquet"):  # as an older release wrote them
        old = pq.read_table(path).drop_columns(["reason_kind"])
        pq.write_table(old, path)
    ensure_lake(settings.lake_dir, all_schemas())
    con = connect(settings.lake_dir)
    rows = con.execute("SELECT reason, reason_kind FROM quarantine").fetchall()
    con.close()
    assert rows == [("not valid JSON", None)]
