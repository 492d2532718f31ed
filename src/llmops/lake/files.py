"""The Parquet lake: one deterministic file per batch, written to a temp name then renamed."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from llmops.lake.schema import TABLES

EMPTY_FILE = "_empty.parquet"


def table_dir(lake: Path, table: str) -> Path:
    """Folder of a lake table."""
    return lake / table


def table_glob(lake: Path, table: str) -> str:
    """Glob DuckDB reads a table from (includes the zero-row schema file)."""
    return str(table_dir(lake, table) / "*.parquet")


def file_digest(path: Path) -> str:
    """Content hash of a source file: the batch id, so a re-ingest replaces, never duplicates."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()[:24]


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temp path next to `final`; renamed over it only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


class BatchWriter:
    """Streams Arrow chunks into one Parquet file that appears atomically on close."""

    def __init__(self, final: Path, schema: pa.Schema) -> None:
        self.final, self.schema = final, schema
        self._ctx = atomic_path(final)
        self._tmp = self._ctx.__enter__()
        self._writer = pq.ParquetWriter(self._tmp, schema, compression="zstd", compression_level=1)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Append a chunk (cast to the file's schema)."""
        if table.num_rows:
            self._writer.write_table(table.select(self.schema.names).cast(self.schema))
            self.rows += table.num_rows

    def close(self) -> None:
        """Finish the file and move it into place."""
        self._writer.close()
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        """Drop the temp file; the previous version (if any) stays."""
        self._writer.close()
        with suppress(RuntimeError):
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


def write_table(lake: Path, table: str, name: str, data: pa.Table) -> Path:
    """Write a whole table file atomically (replacing the previous one of that name)."""
    final = table_dir(lake, table) / f"{name}.parquet"
    with atomic_path(final) as tmp:
        pq.write_table(data, tmp, compression="zstd")
    return final


def ensure_lake(lake: Path, arrow_schemas: dict[str, pa.Schema]) -> None:
    """Give every table folder a zero-row file with the current schema.

    Views read each table with `union_by_name`, so this file makes them work on an empty lake
    and, when a release adds a column, gives older batch files that column as NULL.
    """
    for table in TABLES:
        empty = table_dir(lake, table) / EMPTY_FILE
        if not empty.exists() or not pq.read_schema(empty).equals(arrow_schemas[table]):
            write_table(
                lake, table, EMPTY_FILE.removesuffix(".parquet"), arrow_schemas[table].empty_table()
            )


def drop_batches(lake: Path, batch_ids: list[str]) -> int:
    """Retract batches: remove their files from every per-batch table. Returns files removed."""
    removed = 0
    for table in ("llm_calls", "quarantine", "batches", "findings", "audits"):
        for batch_id in batch_ids:
            path = table_dir(lake, table) / f"{batch_id}.parquet"
            if path.exists():
                path.unlink()
                removed += 1
    return removed


def batch_files(lake: Path) -> dict[str, Path]:
    """Every llm_calls batch file, by batch id."""
    folder = table_dir(lake, "llm_calls")
    return {p.stem: p for p in sorted(folder.glob("*.parquet")) if p.name != EMPTY_FILE}


def is_audited(lake: Path, batch_id: str, calls: Path) -> bool:
    """Audited, and not re-ingested since (the audit ledger is newer than the calls file)."""
    ledger = table_dir(lake, "audits") / f"{batch_id}.parquet"
    return ledger.exists() and ledger.stat().st_mtime_ns >= calls.stat().st_mtime_ns
