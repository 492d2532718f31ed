"""Feedback files (JSONL, CSV; also the batches the collector rotates from POST /feedback) into the
lake: valid rows to `feedback`, bad ones to `feedback_quarantine` with file, line and field;
idempotent by feedback id.

A batch is one file named by its content hash, written to a temp name and
renamed: ingesting it again replaces the same file. A feedback id already in the lake from another
batch is counted as a duplicate; the `feedback` view keeps one row per id.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from llmops.core.settings import Settings
from llmops.feedback.model import FeedbackError, FeedbackIn, parse_record, utcnow

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
SHOWN_REASONS = 5

Entry = tuple[int, Any, str | None]  # (line, parsed record or None, parse error)


class FeedbackBatch(BaseModel):
    """What ingesting one file or request did."""

    source: str
    batch_id: str
    records: int = 0
    accepted: int = 0
    new: int = 0
    duplicates: int = 0
    quarantined: int = 0
    unknown_calls: int = 0
    reasons: list[str] = Field(default_factory=list, description="first quarantine reasons")


def read_entries(path: Path) -> list[Entry]:
    """(line, record, error) for every non-blank record of a JSONL or CSV file."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FeedbackError(f"{path}: unsupported file type; use {', '.join(sorted(FORMATS))}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FeedbackError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise FeedbackError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    out: list[Entry] = []
    if fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append((n, json.loads(line), None))
            except json.JSONDecodeError as exc:
                out.append((n, line, f"not valid JSON ({exc.msg} at column {exc.colno})"))
        return out
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in reader:
        if None in row:  # more cells than header columns
            out.append((reader.line_num, row, "more cells than header columns"))
            continue
        out.append((reader.line_num, {k: v for k, v in row.items() if v not in ("", None)}, None))
    return out


def _raw(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def parse_entries(
    entries: Iterable[Entry], source: str, max_text_chars: int
) -> tuple[list[tuple[int, FeedbackIn]], list[tuple[int, str, str]]]:
    """Valid records with their line, and (line, reason, raw) of every bad one."""
    valid: list[tuple[int, FeedbackIn]] = []
    bad: list[tuple[int, str, str]] = []
    for line, data, error in entries:
        where = f"{source}:{line}"
        if error is not None:
            bad.append((line, f"{where}: {error}", _raw(data)))
            continue
        rec, reason = parse_record(data, where, max_text_chars)
        if rec is None:
            bad.append((line, reason or f"{where}: invalid", _raw(data)))
        else:
            valid.append((line, rec))
    return valid, bad


def known_ids(settings: Settings, ids: list[str]) -> set[str]:
    """Those of `ids` already in the lake (any batch, including an earlier ingest of this one)."""
    if not ids:
        return set()
    import duckdb

    con = duckdb.connect()
    try:
        con.register("ids", _id_table(ids))
        rows = con.execute(
            "SELECT DISTINCT feedback_id FROM read_parquet(?, union_by_name = true) "
            "WHERE feedback_id IN (SELECT feedback_id FROM ids)",
            [_glob(settings)],
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def unknown_calls(settings: Settings, recs: list[FeedbackIn]) -> int:
    """Records whose call_id and trace_id match no call in llm_calls (kept, reported)."""
    if not recs:
        return 0
    import pyarrow as pa

    from llmops.lake.warehouse import connect

    refs = pa.table(
        {
            "feedback_id": [r.feedback_id for r in recs],
            "call_id": pa.array([r.call_id for r in recs], pa.string()),
            "trace_id": pa.array([r.trace_id for r in recs], pa.string()),
        }
    )
    con = connect(settings.lake_dir)
    try:
        con.register("refs", refs)
        (n,) = con.execute(
            "SELECT count(*) FROM refs r WHERE NOT EXISTS (SELECT 1 FROM llm_calls c "
            "WHERE c.call_id = r.call_id OR c.trace_id = r.trace_id)"
        ).fetchone()
    finally:
        con.close()
    return int(n)


def _glob(settings: Settings) -> str:
    from llmops.lake.files import table_glob

    return table_glob(settings.lake_dir, "feedback")


def _id_table(ids: list[str]):
    import pyarrow as pa

    return pa.table({"feedback_id": pa.array(sorted(set(ids)), pa.string())})


def write_batch(
    settings: Settings,
    source: str,
    batch_id: str,
    valid: list[tuple[int, FeedbackIn]],
    bad: list[tuple[int, str, str]],
    received: datetime | None = None,
) -> FeedbackBatch:
    """Write a batch's feedback and quarantine files (each atomically); count what was new."""
    import pyarrow as pa

    from llmops.lake.arrow import all_schemas
    from llmops.lake.files import ensure_lake, write_table

    now = received or utcnow()
    schemas = all_schemas()
    ensure_lake(settings.lake_dir, schemas)
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for line, rec in valid:
        if rec.feedback_id in seen:  # the same id twice in one batch: a redelivery
            continue
        seen.add(rec.feedback_id)
        rows.append(
            rec.row(settings.user_key, now)
            | {"batch_id": batch_id, "source_file": source, "source_line": line, "ingested_at": now}
        )
    before = known_ids(settings, list(seen))
    if bad:
        quarantine = [
            {
                "batch_id": batch_id,
                "source_file": source,
                "source_line": line,
                "reason": reason,
                "raw": raw,
                "ingested_at": now,
            }
            for line, reason, raw in bad
        ]
        table = pa.Table.from_pylist(quarantine, schema=schemas["feedback_quarantine"])
        write_table(settings.lake_dir, "feedback_quarantine", batch_id, table)
    if rows:
        write_table(
            settings.lake_dir,
            "feedback",
            batch_id,
            pa.Table.from_pylist(rows, schema=schemas["feedback"]),
        )
    new = len(seen - before)
    return FeedbackBatch(
        source=source,
        batch_id=batch_id,
        records=len(valid) + len(bad),
        accepted=len(valid),
        new=new,
        duplicates=len(valid) - new,
        quarantined=len(bad),
        unknown_calls=unknown_calls(settings, [r for _, r in valid]),
        reasons=[reason for _, reason, _ in bad[:SHOWN_REASONS]],
    )


def file_batch_id(path: Path) -> str:
    """The batch id of a feedback file: its content hash."""
    return "fb-" + hashlib.sha256(path.read_bytes()).hexdigest()[:24]


def ingested(settings: Settings, path: Path) -> bool:
    """True when this file's content is in the lake already (valid rows or quarantine)."""
    from llmops.lake.files import table_dir

    name = f"{file_batch_id(path)}.parquet"
    lake = settings.lake_dir
    return any((table_dir(lake, t) / name).exists() for t in ("feedback", "feedback_quarantine"))


def ingest_file(settings: Settings, path: Path) -> FeedbackBatch:
    """Ingest one JSONL/CSV feedback file (bad records quarantined, never dropped)."""
    entries = read_entries(path)
    valid, bad = parse_entries(entries, str(path), settings.feedback.max_text_chars)
    return write_batch(settings, str(path), file_batch_id(path), valid, bad)


def discover(paths: Iterable[Path]) -> list[Path]:
    """Feedback files: the given files, and the .jsonl/.ndjson/.csv files directly in given
    folders (not their subfolders; names starting with '.' or '_' skipped)."""
    out: list[Path] = []
    for path in paths:
        if not path.exists():
            raise FeedbackError(f"{path}: no such file or folder")
        if path.is_dir():
            out += sorted(
                f
                for f in path.iterdir()
                if f.is_file() and f.suffix.lower() in FORMATS and not f.name.startswith((".", "_"))
            )
        else:
            out.append(path)
    return out


def ingest_paths(settings: Settings, paths: Iterable[Path]) -> list[FeedbackBatch]:
    """Ingest every feedback file under `paths`."""
    return [ingest_file(settings, p) for p in discover(paths)]
