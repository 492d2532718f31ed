"""Text retention: after the audit, replace every detected PII and secret span in the lake's raw
text (calls, quarantined records, feedback) with its placeholder, as `text_retention` says.

`redact` rewrites at once, `keep_days: N` once the row is N days old, `keep` never. Each rewrite
is atomic (`rewrite.write_durably`) and idempotent: a redacted text has nothing left to redact, so
a second pass writes nothing. Quarantined raw records also get their user ids hashed as ingest
hashes them in `llm_calls`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, Field

from llmops.core.settings import Settings
from llmops.core.settings.audit import KeepDays, TextRetention, retention_label
from llmops.lake.files import batch_files, is_audited
from llmops.privacy.plan import lake_files
from llmops.privacy.rewrite import write_durably
from llmops.privacy.target import USER_HASH, user_hash

# Free-text columns per table, and the timestamp column that dates a row for `keep_days` (None:
# the table has none, and its rows are dated by when their file was written).
TEXT_COLUMNS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "llm_calls": (("input_text", "system_text", "output_text"), "started_at"),
    "quarantine": (("raw", "reason"), None),
    "feedback": (("comment", "correction"), "created_at"),
    "feedback_quarantine": (("raw", "reason"), "ingested_at"),
}
MARK = b"llmops.redacted_before"  # Parquet metadata key: the cut-off of the last redaction
# Detectors whose evidence the redaction replaces: a re-audit keeps their earlier findings.
REDACTED_DETECTORS = ("pii", "secret")
# Keys that hold an end-user id in the formats ingest reads (compared without case, `_`, `.`).
USER_KEYS = frozenset(
    {"userid", "user", "enduser", "enduserid", "safetyidentifier", "langfuseuserid", "genaiuserid"}
)
_USER_PAIR = re.compile(
    r"""(?P<key>["']?(?:user_?id|user|end_user|userId|safety_identifier)["']?\s*[:=]\s*["'])"""
    r"""(?P<value>[^"'\\]{1,200})(?=["'])"""
)


class RetentionResult(BaseModel):
    """Rows whose text was redacted, per table, and the files rewritten."""

    policy: str
    rows: dict[str, int] = Field(default_factory=dict)
    files: int = 0

    def add(self, table: str, rows: int) -> None:
        """Count one rewritten file of `table`."""
        if rows:
            self.rows[table] = self.rows.get(table, 0) + rows
            self.files += 1


def due_before(policy: TextRetention, now: datetime) -> datetime | None:
    """Rows dated before this are redacted (None: keep everything raw)."""
    if policy == "keep":
        return None
    if isinstance(policy, KeepDays):
        return now - timedelta(days=policy.keep_days)
    return datetime.max.replace(tzinfo=UTC)


def _norm_key(key: str) -> str:
    return key.lower().replace("_", "").replace(".", "").replace("-", "")


def _hash_users(obj: object, hash_one: Callable[[str], str]) -> object:
    """The JSON value with every user-id string replaced by its keyed hash."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(v, str) and _norm_key(str(k)) in USER_KEYS:
                out[k] = hash_one(v)
            else:
                out[k] = _hash_users(v, hash_one)
        key = obj.get("key")
        value = out.get("value")
        if isinstance(key, str) and _norm_key(key) in USER_KEYS and isinstance(value, dict):
            out["value"] = {
                t: hash_one(s) if isinstance(s, str) else s for t, s in value.items()
            }  # an OTel attribute {"key": "user.id", "value": {"stringValue": ...}}
        return out
    if isinstance(obj, list):
        return [_hash_users(v, hash_one) for v in obj]
    return obj


def hash_user_ids(raw: str | None, key: bytes) -> str | None:
    """A quarantined record with its user ids hashed (JSON parsed when it parses, else textual)."""
    if not raw:
        return raw

    def hash_one(value: str) -> str:
        return value if USER_HASH.fullmatch(value) else user_hash(value, key)

    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict | list):
        hashed = _hash_users(parsed, hash_one)
        return raw if hashed == parsed else json.dumps(hashed, ensure_ascii=False)
    return _USER_PAIR.sub(lambda m: m.group("key") + hash_one(m.group("value")), raw)


GROUP_ROWS = 100_000  # rows redacted together: one scrub over many files pays its fixed cost once


def _due(data: pa.Table, table: str, before: datetime, written_at: datetime) -> pl.Series:
    """Which rows are dated before `before` (a table without a date column: by `written_at`)."""
    _, date_col = TEXT_COLUMNS[table]
    if date_col is not None and date_col in data.column_names:
        dates = data.column(date_col)
        due_arrow = pc.fill_null(pc.less(dates, pa.scalar(before, dates.type)), True)
        return pl.Series(due_arrow.combine_chunks()).cast(pl.Boolean)
    return pl.Series([written_at < before] * data.num_rows, dtype=pl.Boolean)


def redact_tables(
    datas: list[pa.Table],
    table: str,
    before: datetime,
    user_key: bytes | None,
    written_at: list[datetime],
) -> list[tuple[pa.Table, int]]:
    """Each of `datas` with its due free text redacted, and its rows changed (one scrub for all).

    A row is due when dated before `before`; a table without a date column dates every row by
    its file's `written_at`. Quarantined raw records (`raw`) get their user ids hashed first.
    """
    from llmops.guardrails.spans import scrub_texts

    columns, _ = TEXT_COLUMNS[table]
    dues = [_due(d, table, before, w) for d, w in zip(datas, written_at, strict=True)]
    pieces: list[tuple[int, str, pl.Series, pl.Series]] = []  # table, column, old, text to scrub
    for i, data in enumerate(datas):
        for name in columns:
            if name not in data.column_names or not dues[i].any():
                continue
            old = pl.Series(data.column(name).combine_chunks()).cast(pl.Utf8)
            text = old
            if name == "raw" and user_key is not None:
                text = pl.Series([hash_user_ids(v, user_key) for v in old.to_list()], dtype=pl.Utf8)
            pieces.append((i, name, old, text.filter(dues[i])))
    texts = [p[3] for p in pieces]
    masked = scrub_texts(pl.concat(texts))[0] if texts else pl.Series([], dtype=pl.Utf8)
    out = list(datas)
    changed = [pl.Series([False] * d.num_rows, dtype=pl.Boolean) for d in datas]
    offset = 0
    for i, name, old, text in pieces:
        part = masked.slice(offset, len(text))
        offset += len(text)
        new = old.clone().scatter(dues[i].arg_true(), part)
        changed[i] = changed[i] | (new != old).fill_null(False)
        data = out[i]
        column = new.to_arrow().cast(data.schema.field(name).type)
        out[i] = data.set_column(data.column_names.index(name), name, column)
    return [(d, int(c.sum())) for d, c in zip(out, changed, strict=True)]


def _mark(meta: dict[bytes, bytes] | None) -> datetime | None:
    mark = (meta or {}).get(MARK)
    return datetime.fromisoformat(mark.decode()) if mark else None


def redacted_before(path: Path) -> datetime | None:
    """The cut-off the file was last redacted at (its Parquet metadata), if any."""
    return _mark(pq.read_schema(path).metadata)


def pending_rows(path: Path, table: str, before: datetime) -> int:
    """Rows of the file when it needs redacting up to `before`, else 0 (one footer read; the
    date column is read only for a file redacted before at an earlier cut-off)."""
    footer = pq.read_metadata(path)
    mark = _mark(footer.metadata)
    if footer.num_rows == 0 or (mark is not None and mark >= before):
        return 0
    if mark is None:
        return footer.num_rows
    _, date_col = TEXT_COLUMNS[table]
    if date_col is None:
        newest = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    else:
        newest = pc.max(pq.read_table(path, columns=[date_col]).column(date_col)).as_py()
    # every row was already older than the last cut-off: all redacted then
    return 0 if newest is None or newest < mark else footer.num_rows


def redact_files(
    paths: list[Path], table: str, before: datetime, user_key: bytes | None
) -> list[int]:
    """Rewrite lake files with their due text redacted; rows changed per file.

    Each file is marked with the cut-off (Parquet metadata) so later runs skip it while every
    row it holds was already due, and keeps its modification time (a redaction is not a
    re-ingest: the audit must not scan it again). Each rewrite is atomic.
    """
    stats = [p.stat() for p in paths]
    datas = [pq.read_table(p) for p in paths]
    stamps = [datetime.fromtimestamp(st.st_mtime, UTC) for st in stats]
    redacted = redact_tables(datas, table, before, user_key, stamps)
    for path, stat, data, (new, _) in zip(paths, stats, datas, redacted, strict=True):
        meta = dict(data.schema.metadata or {})
        meta[MARK] = before.isoformat().encode()
        write_durably(path, new.cast(data.schema).replace_schema_metadata(meta))
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return [rows for _, rows in redacted]


def _groups(todo: list[tuple[Path, int]]) -> Iterator[list[Path]]:
    """Consecutive groups of (file, rows) of at most GROUP_ROWS rows (a bigger file alone)."""
    group: list[Path] = []
    rows = 0
    for path, n in todo:
        if group and rows + n > GROUP_ROWS:
            yield group
            group, rows = [], 0
        group.append(path)
        rows += n
    if group:
        yield group


def apply_retention(settings: Settings, now: datetime | None = None) -> RetentionResult:
    """Redact every audited llm_calls batch and every quarantine and feedback file, as
    `text_retention` says (files already redacted up to the cut-off are skipped)."""
    policy = settings.text_retention
    result = RetentionResult(policy=retention_label(policy))
    before = due_before(policy, now or datetime.now(UTC))
    if before is None:
        return result
    lake = settings.lake_dir
    for table in TEXT_COLUMNS:
        if table == "llm_calls":  # the audit reads raw text: only batches it has seen as they are
            paths = [p for b, p in batch_files(lake).items() if is_audited(lake, b, p)]
        else:
            paths = lake_files(lake, table)
        key = settings.user_key if table in ("quarantine", "feedback_quarantine") else None
        todo = [(p, n) for p in paths if (n := pending_rows(p, table, before))]
        for group in _groups(todo):
            for rows in redact_files(group, table, before, key):
                result.add(table, rows)
    return result
