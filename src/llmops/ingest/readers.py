"""Read log files into chunks of (record number, record as JSON text), whatever their encoding.

JSONL is sliced zero-copy into Arrow strings (one per line, newline kept, which JSON ignores);
CSV, Parquet and whole JSON documents (arrays, Langfuse batches, OTLP envelopes) are turned into
the same shape, so every format is normalized by the same DuckDB query.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from llmops.core.errors import IngestError
from llmops.ingest.formats import helicone, langfuse, otel

CSV_ERROR = "#csv-error: "  # marks a CSV row that could not be turned into a record
CHUNK_SCHEMA = pa.schema([("rec_no", pa.int64()), ("line", pa.large_string())])
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
PROTOBUF_SUFFIXES = {".pb", ".binpb", ".protobuf"}  # OTLP ExportTraceServiceRequest messages
SUPPORTED_SUFFIXES = (
    JSON_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES | PARQUET_SUFFIXES | PROTOBUF_SUFFIXES
)
COMPRESSED_SUFFIXES = {".gz"}  # any supported file, gzip-compressed (name.jsonl.gz)


def inner_suffix(path: Path) -> str:
    """The suffix that says what a file holds, looking through a compression suffix."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def is_supported(path: Path) -> bool:
    """Whether a file name has a suffix ingest reads (compressed or not)."""
    return inner_suffix(path) in SUPPORTED_SUFFIXES


def file_kind(path: Path) -> str:
    """'jsonl', 'json', 'csv', 'parquet' or 'protobuf' from the file name (looking through .gz;
    a .json of many lines is JSONL)."""
    suffix = inner_suffix(path)
    if suffix in PROTOBUF_SUFFIXES:
        return "protobuf"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSON_SUFFIXES:
        return "json"
    raise IngestError(
        f"{path}: unsupported file type {suffix!r}; expected one of "
        f"{', '.join(sorted(SUPPORTED_SUFFIXES))}"
    )


def _chunk(rec_no: np.ndarray, lines: pa.Array) -> pa.Table:
    return pa.table({"rec_no": pa.array(rec_no, pa.int64()), "line": lines}, schema=CHUNK_SCHEMA)


def _table_from_buffer(data: bytes, first_line: int) -> pa.Table:
    """Slice a block of whole lines into one Arrow string per line, without copying."""
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10) + 1
    if len(ends) == 0 or ends[-1] != len(buf):
        ends = np.append(ends, len(buf))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    n = len(ends)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))
    try:
        arr.validate(full=True)
    except pa.ArrowInvalid:  # invalid UTF-8 somewhere: decode line by line, marking bad bytes
        arr = pa.array(
            [data[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n)],
            pa.large_string(),
        )
    return _chunk(np.arange(first_line, first_line + n), arr)


def read_jsonl(path: Path, chunk_bytes: int) -> Iterator[pa.Table]:
    """Yield chunks of lines with their line numbers, streaming the file in blocks.

    Each block (cut at a newline) is split by Arrow's multi-threaded CSV reader with a delimiter
    valid JSON never contains raw (0x1f), so each line is one string. A block Arrow refuses
    (invalid UTF-8, a stray 0x1f) is split exactly with numpy instead; nothing is skipped.
    """
    import pyarrow.csv as pacsv

    read_opts = pacsv.ReadOptions(column_names=["line"], block_size=8 << 20, use_threads=True)
    parse_opts = pacsv.ParseOptions(
        delimiter="\x1f", quote_char=False, escape_char=False, ignore_empty_lines=False
    )
    convert_opts = pacsv.ConvertOptions(
        column_types={"line": pa.large_string()}, strings_can_be_null=False
    )
    line_no = 1
    for block, has_cr in _blocks(path, chunk_bytes):
        try:
            lines = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(block)), read_opts, parse_opts, convert_opts
            ).column("line")
            if has_cr:  # Arrow also splits at a lone CR; only an exact count will do
                raw = bytes(block)
                expected = raw.count(b"\n") + (not raw.endswith(b"\n"))
                if len(lines) != expected:
                    raise pa.ArrowInvalid("line count mismatch")
            rec = pa.array(np.arange(line_no, line_no + len(lines)), pa.int64())
            table = pa.Table.from_arrays([pa.chunked_array([rec]), lines], schema=CHUNK_SCHEMA)
        except pa.ArrowInvalid:
            table = _table_from_buffer(bytes(block), line_no)
        line_no += table.num_rows
        yield table


def _blocks(path: Path, chunk_bytes: int) -> Iterator[tuple[memoryview, bool]]:
    """The file in blocks of whole lines (zero-copy views of a memory map), and whether a block
    holds a carriage return."""
    import mmap

    if path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    # no explicit close: Arrow may still hold views of the map; it is unmapped when unreferenced
    view = memoryview(mm)
    start, size = 0, len(mm)
    while start < size:
        end = min(start + chunk_bytes, size)
        if end < size:
            cut = mm.rfind(b"\n", start, end)
            end = cut + 1 if cut >= start else (mm.find(b"\n", end) + 1 or size)
        yield view[start:end], mm.find(b"\r", start, end) >= 0
        start = end


def read_csv(path: Path, batch_rows: int = 50_000) -> Iterator[pa.Table]:
    """Yield CSV rows as JSON objects keyed by header; ragged rows become non-JSON lines."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise IngestError(f"{path}: line 1: cannot read the CSV header: {exc}") from exc
        width = len(header)
        nos: list[int] = []
        lines: list[str] = []
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                nos.append(reader.line_num)
                lines.append(f"{CSV_ERROR}{exc}")
                continue
            if not row:
                continue
            nos.append(reader.line_num)
            if len(row) != width:
                lines.append(f"{CSV_ERROR}row has {len(row)} fields, the header has {width}")
            else:
                lines.append(json.dumps(dict(zip(header, row, strict=True))))
            if len(lines) >= batch_rows:
                yield _chunk(np.array(nos), pa.array(lines, pa.large_string()))
                nos, lines = [], []
        if lines:
            yield _chunk(np.array(nos), pa.array(lines, pa.large_string()))


def read_parquet(path: Path, batch_rows: int = 100_000) -> Iterator[pa.Table]:
    """Yield Parquet rows (any flat or nested columns) as JSON objects."""
    import duckdb

    con = duckdb.connect()
    query = (
        "SELECT t.file_row_number + 1 AS rec_no, to_json(t)::VARCHAR AS line "
        "FROM read_parquet(?, file_row_number = true) t"
    )
    try:
        reader = con.sql(query, params=[str(path)]).to_arrow_reader(batch_rows)
    except duckdb.Error as exc:
        raise IngestError(f"{path}: cannot read as Parquet: {exc}") from exc
    for batch in reader:
        table = pa.Table.from_batches([batch])
        yield pa.table(
            {
                "rec_no": table["rec_no"].cast(pa.int64()),
                "line": table["line"].cast(pa.large_string()),
            },
            schema=CHUNK_SCHEMA,
        )
    con.close()


def load_json_document(path: Path) -> Any:
    """Parse a whole JSON document, naming the line and column of a syntax error."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # Helicone's export tool (--format json) writes a comma after the last record too
        fixed = re.sub(r",\s*\]\s*$", "]", text)
        if fixed != text:
            try:
                return json.loads(fixed)
            except json.JSONDecodeError:
                pass
        raise IngestError(
            f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise IngestError(
            f"{path}: JSON nested deeper than the parser allows "
            f"(about {sys.getrecursionlimit()} levels)"
        ) from exc


def decompressed(path: Path, into: Path) -> Path:
    """The file itself, or (for name.x.gz) its decompressed copy in `into`, named name.x."""
    import gzip
    import shutil

    if path.suffix.lower() not in COMPRESSED_SUFFIXES:
        return path
    out = into / path.with_suffix("").name
    try:
        with gzip.open(path, "rb") as src, out.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise IngestError(f"{path}: cannot decompress: {exc}") from exc
    return out


def looks_like_jsonl(path: Path) -> bool:
    """A .json file whose second non-blank line starts a new object is really JSONL."""
    with path.open("rb") as fh:
        lines = [ln.strip() for ln in (fh.readline() for _ in range(3)) if ln.strip()]
    return (
        len(lines) >= 2
        and lines[0].startswith(b"{")
        and lines[0].endswith(b"}")
        and lines[1].startswith(b"{")
    )


def records_from_document(doc: Any) -> list[tuple[int, Any]]:
    """Unwrap a whole document into numbered records: a format's own document shapes first
    (Langfuse batches and exports, OTLP envelopes, Helicone API results: each format module's
    `documents`), then
    plain arrays, then the document as one record."""
    for fmt in (langfuse, otel, helicone):
        records = fmt.documents(doc)
        if records is not None:
            return records
    if isinstance(doc, list):
        return list(enumerate(doc, start=1))
    return [(1, doc)]


def chunk_from_records(records: list[tuple[int, Any]]) -> pa.Table:
    """Records (already parsed) back to JSON text, the shape every normalizer takes."""
    nos = np.array([n for n, _ in records], dtype=np.int64)
    lines = [json.dumps(r, default=str) for _, r in records]
    return _chunk(nos, pa.array(lines, pa.large_string()))
