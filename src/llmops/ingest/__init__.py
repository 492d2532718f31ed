"""Log ingest: any supported file and format in, llm_calls + quarantine batches in the lake."""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from llmops.core.errors import IngestError
from llmops.core.settings import Settings
from llmops.costs.pricing import PriceBook, load_overrides
from llmops.ingest import readers
from llmops.ingest.batch_join import join_batch_inputs
from llmops.ingest.detect import detect, sample_lines
from llmops.ingest.formats import FORMATS, langfuse, openai_batch, otel
from llmops.ingest.normalize import Normalizer
from llmops.lake.arrow import all_schemas, arrow_schema
from llmops.lake.files import BatchWriter, ensure_lake, file_digest, table_dir, write_table
from llmops.lake.schema import BATCHES, LLM_CALLS, QUARANTINE

__all__ = [
    "BatchResult",
    "FilesRefused",
    "RefusedFile",
    "discover",
    "ingest_file",
    "ingest_files",
    "ingest_paths",
    "price_book",
]


class BatchResult(BaseModel):
    """What one file's ingest did."""

    file: str
    batch_id: str
    format: str
    records: int
    accepted: int
    quarantined: int
    unpriced: int
    no_usage: int = 0  # accepted calls whose token counts were not logged: cost unknown
    reasons: dict[str, int]  # by kind of reason; the quarantine table has each record's values
    unpriced_models: list[str]
    joined_to: str | None = None  # OpenAI Batch output: the input file its prompts came from


class RefusedFile(BaseModel):
    """A file folder ingest could not read at all, and why."""

    file: str
    reason: str


class FilesRefused(IngestError):
    """Some files could not be ingested; the others went in (`batches`)."""

    def __init__(self, batches: list[BatchResult], refused: list[RefusedFile]) -> None:
        self.batches, self.refused = batches, refused
        names = "; ".join(r.reason for r in refused)
        super().__init__(
            f"{len(refused)} of {len(batches) + len(refused)} file(s) refused "
            f"({len(batches)} ingested): {names}"
        )


BATCH_INPUT = "openai-batch-input"  # an OpenAI Batch input file: joined to its output file


def price_book(settings: Settings) -> PriceBook:
    """Price book from litellm's map plus the configured override file."""
    return PriceBook(load_overrides(settings.prices_file))


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: given files, and supported files under given folders (skip _x, .x)."""
    out: list[Path] = []
    for path in paths:
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                rel = f.relative_to(path).parts
                if (
                    f.is_file()
                    and not any(p.startswith(("_", ".")) for p in rel)
                    and readers.is_supported(f)
                ):
                    out.append(f)
        else:
            out.append(path)
    return out


def _open(path: Path, fmt: str, chunk_bytes: int) -> tuple[str, Iterator[pa.Table]]:
    """Detect (unless given) the format and return the chunk stream of a file."""
    kind = readers.file_kind(path)
    if kind == "json" and readers.looks_like_jsonl(path):
        kind = "jsonl"
    if kind == "protobuf":
        records = otel.protobuf_records(path.read_bytes(), str(path))
        sample = [r for _, r in records[:50]]
        chunks: Iterator[pa.Table] = iter([readers.chunk_from_records(records)] if records else [])
    elif kind == "json":
        records = readers.records_from_document(readers.load_json_document(path))
        sample = [r for _, r in records[:50]]
        chunks = iter([readers.chunk_from_records(records)] if records else [])
    else:
        stream = {
            "jsonl": lambda: readers.read_jsonl(path, chunk_bytes),
            "csv": lambda: readers.read_csv(path),
            "parquet": lambda: readers.read_parquet(path),
        }[kind]()
        first = next(stream, None)
        if first is None:
            return (fmt if fmt != "auto" else "generic"), iter([])
        sample = sample_lines(first.column("line").to_pylist()[:200])
        chunks = itertools.chain([first], stream)
        if (
            fmt == "auto"
            and kind == "jsonl"
            and sample
            and any(
                isinstance(s, dict)
                and ("batch" in s or otel.is_envelope(s) or langfuse.documents(s) is not None)
                for s in sample[:5]
            )
        ):
            # JSONL of envelopes (one Langfuse batch / OTLP export per line): unwrap each line.
            chunks = _unwrap_lines(itertools.chain([first], stream))
            sample = [r for s in sample[:5] for _, r in readers.records_from_document(s)]
    if fmt == "auto" and sample and all(openai_batch.is_input_record(r) for r in sample[:20]):
        return BATCH_INPUT, iter([])  # requests, not calls: read when their output is ingested
    if fmt == "auto" and not sample:
        fmt = "generic"  # not one record parses: every line goes to quarantine with its reason
    if fmt == "auto":
        detected = detect(sample)
        if detected is None:
            keys = sorted(sample[0].keys())[:12] if sample and isinstance(sample[0], dict) else []
            raise IngestError(
                f"{path}: cannot tell the log format from the first records (keys: {keys}); "
                f"pass --format ({', '.join(FORMATS)})"
            )
        fmt = detected
    if fmt not in FORMATS:
        raise IngestError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return fmt, chunks


def _unwrap_lines(chunks: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Each line an envelope: its records keep the line's number."""
    import json

    for chunk in chunks:
        recs: list[tuple[int, object]] = []
        exports: list[tuple[int, dict]] = []  # OTLP exports: log records join spans across lines
        for no, line in zip(chunk["rec_no"].to_pylist(), chunk["line"].to_pylist(), strict=True):
            try:
                doc = json.loads(line)
            except ValueError:
                recs.append((no, line))  # re-serialized as a JSON string: quarantined downstream
                continue
            if otel.is_envelope(doc):
                exports.append((no, doc))
                continue
            recs.extend((no, r) for _, r in readers.records_from_document(doc))
        recs.extend(otel.envelope_lines(exports))
        recs.sort(key=lambda r: r[0])
        if recs:
            yield readers.chunk_from_records(recs)


def prefetch(chunks: Iterator[pa.Table], depth: int = 2) -> Iterator[pa.Table]:
    """Read the next chunks in a background thread while the current one is normalized."""
    import queue
    import threading

    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        q.put(chunk, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # re-raised in the consumer
            q.put(exc)

    thread = threading.Thread(target=work, name="ingest-reader", daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()


def ingest_file(
    path: Path,
    settings: Settings,
    fmt: str = "auto",
    book: PriceBook | None = None,
    batch_input: Path | None = None,
) -> BatchResult:
    """Ingest one file into the lake as one batch (replacing an earlier ingest of the same bytes).

    An OpenAI Batch output file is joined by custom_id to its input file (`batch_input`, else
    the one input file beside it whose requests cover its custom ids), so its calls keep their
    prompts; an input file on its own adds no calls.
    """
    path = path.resolve()
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    with tempfile.TemporaryDirectory(prefix="llmops-ingest-") as tmp:
        readable = readers.decompressed(path, Path(tmp))
        try:
            return _ingest(path, readable, settings, fmt, book, batch_input)
        except IngestError as exc:  # name the file the user gave, not the decompressed copy
            raise IngestError(str(exc).replace(str(readable), str(path))) from exc


def _ingest(
    path: Path,
    readable: Path,
    settings: Settings,
    fmt: str,
    book: PriceBook | None,
    batch_input: Path | None,
) -> BatchResult:
    lake = settings.lake_dir
    ensure_lake(lake, all_schemas())
    batch_id = file_digest(path)
    fmt, chunks = _open(readable, fmt, settings.ingest_chunk_bytes)
    joined_to = None
    if fmt == "openai-batch":
        chunks, joined_to = join_batch_inputs(path, chunks, batch_input)
    book = book or price_book(settings)
    norm = Normalizer(
        fmt if fmt in FORMATS else "generic", book, settings.user_key, batch_id, str(path)
    )
    calls = BatchWriter(
        table_dir(lake, "llm_calls") / f"{batch_id}.parquet", arrow_schema(LLM_CALLS)
    )
    bad = BatchWriter(
        table_dir(lake, "quarantine") / f"{batch_id}.parquet", arrow_schema(QUARANTINE)
    )
    reasons: Counter[str] = Counter()
    unpriced_models: set[str] = set()
    unpriced = no_usage = 0
    if fmt == BATCH_INPUT:
        chunks = iter([])
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
    pending: Future[None] | None = None

    def write(good: pa.Table, rejected: pa.Table) -> None:
        calls.write(good)
        bad.write(rejected)

    try:
        for chunk in prefetch(chunks):
            good, rejected = norm(chunk)
            if pending is not None:
                pending.result()  # one write in flight: Parquet compression overlaps the next chunk
            pending = writer.submit(write, good, rejected)
            reasons.update(rejected["reason_kind"].to_pylist())
            no_usage += pc.sum(pc.equal(good["cost_status"], "no_usage")).as_py() or 0
            mask = pc.equal(good["cost_status"], "unpriced")
            unpriced += pc.sum(mask).as_py() or 0
            if unpriced:
                for row in good.filter(mask).select(["provider", "requested_model"]).to_pylist():
                    unpriced_models.add(f"{row['provider']}/{row['requested_model']}")
        if pending is not None:
            pending.result()
    except Exception:
        writer.shutdown(wait=True)
        calls.abort()
        bad.abort()
        raise
    finally:
        writer.shutdown(wait=True)
        norm.close()
    calls.close()
    bad.close()
    result = BatchResult(
        file=str(path),
        batch_id=batch_id,
        format=fmt,
        records=calls.rows + bad.rows,
        accepted=calls.rows,
        quarantined=bad.rows,
        unpriced=unpriced,
        no_usage=no_usage,
        reasons=dict(reasons.most_common()),
        unpriced_models=sorted(unpriced_models),
        joined_to=joined_to,
    )
    row = {
        k: getattr(result, k)
        for k in ("batch_id", "records", "accepted", "quarantined", "unpriced", "no_usage")
    }
    row |= {"source_file": result.file, "source_format": fmt, "ingested_at": datetime.now(UTC)}
    write_table(
        lake, "batches", batch_id, pa.Table.from_pylist([row], schema=arrow_schema(BATCHES))
    )
    return result


def ingest_files(
    files: Iterable[Path],
    settings: Settings,
    fmt: str = "auto",
    book: PriceBook | None = None,
    batch_input: Path | None = None,
) -> list[BatchResult]:
    """Ingest each file as its own batch; one unreadable file does not stop the others.

    Raises FilesRefused (after the rest went in) naming each refused file and its reason.
    """
    book = book or price_book(settings)
    done: list[BatchResult] = []
    refused: list[RefusedFile] = []
    for path in files:
        try:
            done.append(ingest_file(path, settings, fmt, book, batch_input))
        except IngestError as exc:
            refused.append(RefusedFile(file=str(path), reason=str(exc)))
    if refused:
        raise FilesRefused(done, refused)
    return done


def ingest_paths(paths: Iterable[Path], settings: Settings, fmt: str = "auto") -> list[BatchResult]:
    """Ingest every file under the given paths (each file one batch; see ingest_files)."""
    return ingest_files(discover(paths), settings, fmt)
