"""Raw QA files (CSV, TSV, JSONL, JSON, Parquet) to item-shaped rows, via a column mapping.

A row that cannot be read (bad JSON line, unparsable contexts) is rejected with its file and line;
a file that cannot be read at all, or a mapping naming a missing column, raises.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops.datasets.config import ImportSpec
from llmops.datasets.errors import DatasetError
from llmops.datasets.manifest import Removal, SourceFile
from llmops.datasets.schema import KIND_NEGATIVE, KIND_REFERENCE

FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
}
ITEM_FIELDS = ("id", "question", "reference_answer", "contexts", "tags", "source", "metadata")
_HSPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_TAG_SPLIT = re.compile(r"[,;|]")
_SLUG = re.compile(r"[^a-z0-9]+")
TRUTHY = {"1", "true", "yes", "y"}

Row = dict[str, Any]


@dataclass
class ImportResult:
    """Item-shaped rows (with `_origin`), rejected rows, and the files read."""

    rows: list[Row] = field(default_factory=list)
    rejected: list[Removal] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def normalize_text(value: Any) -> str | None:
    """NFC, LF line ends, runs of spaces/tabs collapsed, at most one blank line; '' -> None."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_HSPACE.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text or None


def slug(value: str) -> str:
    """Lowercase tag value: runs of other characters become '-'."""
    return _SLUG.sub("-", value.lower()).strip("-")


def detect_format(path: Path) -> str:
    """File format from the extension; raise for anything else."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DatasetError(f"{path}: unsupported file type; use {', '.join(sorted(FORMATS))}")
    return fmt


def _read_table(path: Path, fmt: str) -> list[tuple[str, Row | None, str | None]]:
    """(origin, record, error) for every row of the file."""
    import polars as pl

    name = path.name
    if fmt == "jsonl":
        out: list[tuple[str, Row | None, str | None]] = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                out.append((f"{name}:{n}", None, f"not valid JSON ({exc.msg})"))
                continue
            if not isinstance(rec, dict):
                out.append((f"{name}:{n}", None, "not a JSON object"))
                continue
            out.append((f"{name}:{n}", rec, None))
        return out
    try:
        if fmt == "json":
            data = json.loads(path.read_text(encoding="utf-8"))
            records = data.get("items") if isinstance(data, dict) else data
            if not isinstance(records, list):
                raise DatasetError(f"{path}: expected a JSON array or {{'items': [...]}}")
        elif fmt == "parquet":
            records = pl.read_parquet(path).to_dicts()
        else:
            sep, quote = ("\t", None) if fmt == "tsv" else (",", '"')
            frame = pl.read_csv(path, separator=sep, quote_char=quote, infer_schema=False)
            records = frame.to_dicts()
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        raise DatasetError(f"{path}: cannot read as {fmt}: {exc}") from exc
    return [
        (f"{name}:{n}", r, None) if isinstance(r, dict) else (f"{name}:{n}", None, "not an object")
        for n, r in enumerate(records, start=1)
    ]


def _as_list(value: Any, where: str) -> list[str]:
    """Contexts as a list of strings (a JSON list in a string cell is parsed)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: looks like a JSON list but is not ({exc.msg})") from exc
        else:
            return [value]
    if isinstance(value, list | tuple):
        return [str(v) if not isinstance(v, str) else v for v in value if v is not None]
    raise ValueError(f"{where}: expected text or a list, got {type(value).__name__}")


def _label(value: Any) -> Any:
    """Label cell: digits -> int, true/false -> bool, text stripped."""
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text or None
    return value


def _truthy(value: Any) -> bool:
    return value is True or (value is not None and str(value).strip().lower() in TRUTHY)


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    raw = value if isinstance(value, list) else _TAG_SPLIT.split(str(value))
    return [t.strip() for t in raw if t and str(t).strip()]


def _metadata(value: Any, where: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: metadata is not a JSON object ({exc.msg})") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{where}: metadata must be an object")
    return value


def _check_columns(spec: ImportSpec, columns: set[str], path: Path) -> list[str]:
    """Raise if the mapping names a missing column; return the columns nobody reads."""
    wanted: dict[str, str] = {}
    for fld, cols in spec.columns.items():
        if fld not in ITEM_FIELDS:
            raise DatasetError(f"mapping: unknown item field {fld!r}; fields: {list(ITEM_FIELDS)}")
        for c in [cols] if isinstance(cols, str) else cols:
            wanted[c] = f"columns.{fld}"
    wanted |= {c: f"metadata.{k}" for k, c in spec.metadata.items()}
    wanted |= {c: f"labels.{k}" for k, c in spec.labels.items()}
    wanted |= {r.column: f"tags.{p}" for p, r in spec.tags.items()}
    missing = {c: w for c, w in wanted.items() if c not in columns}
    if missing:
        detail = ", ".join(f"{c!r} (for {w})" for c, w in missing.items())
        raise DatasetError(f"{path}: column(s) {detail} not found; columns: {sorted(columns)}")
    identity = {f for f in ITEM_FIELDS if f not in spec.columns and f in columns}
    if "question" not in spec.columns and "question" not in columns:
        raise DatasetError(
            f"{path}: no 'question' column and none mapped; columns: {sorted(columns)}"
        )
    return sorted(columns - set(wanted) - identity)


def _column(spec: ImportSpec, fld: str) -> list[str]:
    cols = spec.columns.get(fld, fld)
    return [cols] if isinstance(cols, str) else list(cols)


def map_record(rec: Row, spec: ImportSpec, default_source: str, origin: str) -> Row:
    """One raw record -> item-shaped row (normalized text, kind tag, labels in metadata)."""

    def get(fld: str) -> Any:
        cols = _column(spec, fld)
        return rec.get(cols[0]) if len(cols) == 1 else [rec.get(c) for c in cols]

    contexts: list[str] = []
    for c in _column(spec, "contexts"):
        contexts += _as_list(rec.get(c), f"{origin}: column {c!r}")
    metadata = _metadata(get("metadata"), origin)
    metadata |= {k: _label(rec.get(c)) for k, c in spec.metadata.items()}
    metadata = {k: v for k, v in metadata.items() if v is not None}
    tags = _tags(get("tags"))
    for prefix, rule in spec.tags.items():
        value = rec.get(rule.column)
        if value is None or str(value).strip() in rule.skip:
            continue
        text = str(value)
        if rule.pattern:
            m = re.search(rule.pattern, text)
            text = (m.group(1) if m.groups() else m.group(0)) if m else ""
        if slug(text):
            tags.append(f"{prefix}:{slug(text)}")
    answer = normalize_text(get("reference_answer"))
    kind = next((t.split(":", 1)[1] for t in tags if t.startswith("kind:")), None)
    if spec.labels:
        labels = {k: _label(rec.get(c)) for k, c in spec.labels.items()}
        metadata["human_labels"] = labels
        if spec.reference_if:
            ok = all(_truthy(labels[k]) for k in spec.reference_if)
            kind = KIND_REFERENCE if ok else KIND_NEGATIVE
    kind = kind or KIND_REFERENCE
    if kind == KIND_NEGATIVE and answer is not None:
        metadata["answer"], answer = answer, None
    tags = sorted({t for t in tags if not t.startswith("kind:")} | {f"kind:{kind}"})
    raw_id = get("id")
    return {
        "id": None if raw_id in (None, "") else str(raw_id).strip(),
        "question": normalize_text(get("question")),
        "reference_answer": answer,
        "contexts": [normalize_text(c) or "" for c in contexts],
        "tags": tags,
        "source": normalize_text(get("source")) or spec.source or default_source,
        "metadata": metadata,
        "_origin": origin,
    }


def import_files(paths: list[Path], spec: ImportSpec) -> ImportResult:
    """Read every file with the mapping; bad rows are rejected with a reason, never dropped."""
    result = ImportResult()
    ignored: set[str] = set()
    for path in paths:
        if not path.is_file():
            raise DatasetError(f"{path}: no such file")
        fmt = detect_format(path)
        rows = _read_table(path, fmt)
        columns = set().union(*(r.keys() for _, r, _ in rows if r is not None))
        if rows and columns:
            ignored |= set(_check_columns(spec, columns, path))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        result.files.append(SourceFile(path=str(path), sha256=digest, format=fmt, rows=len(rows)))
        for origin, rec, error in rows:
            if rec is None:
                result.rejected.append(
                    Removal(origin=origin, stage="import", reasons=[error or "unreadable"])
                )
                continue
            try:
                result.rows.append(map_record(rec, spec, path.name, origin))
            except ValueError as exc:
                result.rejected.append(Removal(origin=origin, stage="import", reasons=[str(exc)]))
    result.ignored_columns = sorted(ignored)
    return result


def derive_id(question: str | None) -> str | None:
    """Default item id: hash of the (scrubbed, normalized) question, stable across answer edits."""
    if not question:
        return None
    return "q-" + hashlib.sha256(question.encode()).hexdigest()[:12]
