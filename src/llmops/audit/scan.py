"""One llm_calls batch file through the guardrail detectors, in streamed slices; masked findings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from llmops.audit.format import FormatScope
from llmops.core.errors import LlmopsError
from llmops.lake.arrow import arrow_schema
from llmops.lake.schema import FINDINGS

AUDIT_VERSION = "1"
CHUNK_ROWS = 50_000
# format runs on the calls whose prompt version resolves to a registered output schema
# (llmops.audit.format); injection_judge is the optional second tier (llmops.audit.judge).
AUDITED_DETECTORS: tuple[str, ...] = ("pii", "secret", "injection", "toxicity", "leakage", "format")
READ_COLUMNS = (
    "call_id",
    "started_at",
    "source_line",
    "prompt_name",
    "prompt_version",
    "input_text",
    "system_text",
    "output_text",
)
FINDING_COLUMNS = tuple(c.name for c in FINDINGS)
TRIGGER_CHARS = 160
_SENTENCE = r"[^.!?\n]+[.!?]*"
# Second mask over every excerpt, for values a detector missed or rejected (defence in depth):
# e-mail-like strings, long tokens (keys, ids), mixed letter+digit tokens, runs of 6+ digits.
_RESIDUAL: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}"), "[EMAIL]"),
    (re.compile(r"(?<![\w\[])[A-Za-z0-9_\-+/=]{20,}"), "[TOKEN]"),
    (
        re.compile(r"(?<![\w\[])(?=[\w\-]*\d)(?=[\w\-]*[A-Za-z])[A-Za-z0-9_\-]{16,}"),
        "[TOKEN]",
    ),
    (re.compile(r"\+?\d(?:[ ().\-/]{0,2}\d){5,}"), "[NUMBER]"),
)


class AuditError(LlmopsError):
    """A batch that cannot be audited (the message names the file); not retried."""


def detector_versions() -> str:
    """Versions of what produced the findings: audit rules, pattern set, models, lexicon."""
    from llmops.guardrails.injection import MODEL_VERSION
    from llmops.guardrails.patterns import combined_regex
    from llmops.guardrails.toxicity import LEXICON_VERSION
    from llmops.guardrails.toxicity import MODEL_VERSION as TOXICITY_MODEL

    patterns = hashlib.sha256(combined_regex().encode()).hexdigest()[:12]
    versions = f"{MODEL_VERSION};{TOXICITY_MODEL};{LEXICON_VERSION}"
    return f"audit-{AUDIT_VERSION};patterns-{patterns};{versions}"


def residual_mask(text: str) -> str:
    """Mask what still looks like a number, key or address in an already masked excerpt."""
    for pattern, token in _RESIDUAL:
        text = pattern.sub(token, text)
    return text


def mask_excerpts(excerpts: list[str | None]) -> pl.Series:
    """Excerpts masked twice more: every PII and secret span the detectors see in the excerpt
    itself (a neighbour's value, one the finding's own scan did not mask), then `residual_mask`."""
    from llmops.guardrails.spans import scrub_texts

    masked, _ = scrub_texts(pl.Series([e or "" for e in excerpts], dtype=pl.Utf8))
    return pl.Series([residual_mask(e) for e in masked.to_list()], dtype=pl.Utf8)


def _clip(text: str, width: int = TRIGGER_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def trigger_sentences(texts: pl.Series) -> list[str]:
    """For each flagged input, the masked sentence the injection model scores highest."""
    from llmops.guardrails.injection import load_model
    from llmops.guardrails.spans import scrub_texts

    masked, _ = scrub_texts(texts)
    sentences = (
        pl.DataFrame({"text": masked})
        .with_row_index("row")
        .select("row", s=pl.col("text").str.extract_all(_SENTENCE))
        .explode("s")
        .with_columns(pl.col("s").str.strip_chars())
        .filter(pl.col("s").str.len_chars() > 0)
    )
    best: dict[int, str] = {}
    if not sentences.is_empty():
        proba = load_model().predict_proba(sentences["s"])
        top = (
            sentences.with_columns(p=proba)
            .sort(["row", "p"], descending=[False, True])
            .unique("row", keep="first")
        )
        best = dict(zip(top["row"].to_list(), top["s"].to_list(), strict=True))
    return [_clip(best.get(i, t)) for i, t in enumerate(masked.to_list())]


def finding_id(
    call_id: str, direction: str, detector: str, label: str, start: int | None, end: int | None
) -> str:
    """Stable id of a finding: the same call, place and label always hash the same."""
    key = f"{call_id}|{direction}|{detector}|{label}|{start}|{end}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def scan_slice(
    batch: pa.RecordBatch,
    batch_id: str,
    detected_at: datetime,
    scope: FormatScope | None = None,
    injection_scores: np.ndarray | None = None,
) -> pl.DataFrame:
    """Findings of one slice of calls, masked, in FINDING_COLUMNS order.

    `scope` gives the output schema of each call's prompt version (format check; none: skipped);
    `injection_scores` are the classifier's probabilities of the slice's inputs, when known.
    """
    from llmops.audit.format import schema_column
    from llmops.guardrails.scan import scan_frame

    df = pl.from_arrow(pa.Table.from_batches([batch]))
    assert isinstance(df, pl.DataFrame)
    df = df.with_row_index("_row").rename({"system_text": "system_prompt"})
    detectors = AUDITED_DETECTORS
    if scope is not None and scope.active:
        df = df.with_columns(output_schema=schema_column(df, scope))
    else:
        detectors = tuple(d for d in detectors if d != "format")
    scores = {"input_text": injection_scores} if injection_scores is not None else None
    # scan_frame names the id column call_id whatever id_col is: here it is the slice row.
    found = scan_frame(df, id_col="_row", detectors=detectors, injection_scores=scores).rename(
        {"call_id": "_row"}
    )
    if found.is_empty():
        empty = pl.from_arrow(arrow_schema(FINDINGS).empty_table())
        assert isinstance(empty, pl.DataFrame)
        return empty
    rows = found["_row"]
    excerpts = found["excerpt"].to_list()
    inj = found.with_row_index("_i").filter(pl.col("detector") == "injection")
    if not inj.is_empty():
        triggers = trigger_sentences(df["input_text"].gather(inj["_row"]))
        for i, trigger in zip(inj["_i"].to_list(), triggers, strict=True):
            excerpts[i] = trigger
    found = found.with_columns(
        call_id=df["call_id"].gather(rows),
        started_at=df["started_at"].gather(rows),
        source_line=df["source_line"].gather(rows),
        excerpt=mask_excerpts(excerpts),
        batch_id=pl.lit(batch_id),
        detected_at=pl.lit(detected_at).cast(pl.Datetime("us", "UTC")),
    ).rename({"start": "span_start", "end": "span_end"})
    ids = [
        finding_id(*r)
        for r in found.select(
            "call_id", "direction", "detector", "label", "span_start", "span_end"
        ).iter_rows()
    ]
    found = found.with_columns(finding_id=pl.Series(ids, dtype=pl.Utf8))
    return found.select(FINDING_COLUMNS).unique("finding_id", keep="first", maintain_order=True)


def iter_slices(path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.RecordBatch]:
    """The audited columns of an llm_calls file, `chunk_rows` at a time (bounded memory)."""
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise AuditError(f"{path}: cannot read llm_calls batch ({exc})") from exc
    missing = [c for c in READ_COLUMNS if c not in pf.schema_arrow.names]
    if missing:
        raise AuditError(f"{path}: llm_calls batch lacks column(s) {missing}")
    yield from pf.iter_batches(batch_size=chunk_rows, columns=list(READ_COLUMNS))
