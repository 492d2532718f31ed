"""The guardrail audit's logic: which batches to audit, audit one, summarise a run (no Prefect).

A batch is one llm_calls lake file. Its findings go to `lake/findings/<batch_id>.parquet` and a
ledger row to `lake/audits/<batch_id>.parquet`, both written atomically, so a rerun replaces and
never duplicates. A batch counts as audited while its ledger file is newer than its calls file.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel

from llmops.audit.format import FormatScope, prompt_refs, resolve_scope
from llmops.audit.judge import (
    JudgeRun,
    UncertainItem,
    closest,
    input_scores,
    run_judge,
    uncertain_in_slice,
    write_judge_findings,
)
from llmops.audit.scan import (
    AUDITED_DETECTORS,
    CHUNK_ROWS,
    AuditError,
    detector_versions,
    iter_slices,
    scan_slice,
)
from llmops.audit.summary import ALERT_EVENT, AuditSummary, GuardrailAlert, summarise
from llmops.core.settings import Settings
from llmops.lake.arrow import all_schemas, arrow_schema
from llmops.lake.files import (
    EMPTY_FILE,
    BatchWriter,
    batch_files,
    ensure_lake,
    is_audited,
    table_dir,
    write_table,
)
from llmops.lake.schema import AUDITS, FINDINGS
from llmops.privacy.retention import (
    REDACTED_DETECTORS,
    RetentionResult,
    apply_retention,
    redacted_before,
)

__all__ = [
    "ALERT_EVENT",
    "AuditError",
    "AuditResult",
    "AuditSummary",
    "BatchAudit",
    "BatchSelection",
    "GuardrailAlert",
    "JudgeRun",
    "audit_batch",
    "judge_uncertain",
    "prune_retracted",
    "run_audit",
    "select_batches",
    "summarise_run",
    "write_judge_findings",
]


class BatchAudit(BaseModel):
    """What auditing one batch did (uncertain: injection items for the judge tier, if on)."""

    batch_id: str
    calls: int
    findings: int
    by_severity: dict[str, int]
    seconds: float
    format_checked: int = 0
    format_unknown_version: int = 0
    format_unknown_refs: list[str] = []
    format_unregistered: int = 0
    uncertain: list[UncertainItem] = []
    uncertain_total: int = 0


class BatchSelection(BaseModel):
    """Batches to audit now, and how many of the chosen ones were already audited."""

    pending: list[str]
    already_audited: int


class AuditResult(BaseModel):
    """One audit run: batches audited, skipped, failed and retracted; the summary."""

    audited: list[BatchAudit]
    already_audited: int
    retracted: list[str]
    summary: AuditSummary
    failed: dict[str, str] = {}
    retention: RetentionResult | None = None

    @property
    def judge(self) -> JudgeRun | None:
        """The judge tier of this run (None when it is off)."""
        return self.summary.judge


def parse_since(value: str | datetime) -> datetime:
    """An ISO date or timestamp (naive means UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise AuditError(
                f"since={value!r}: not an ISO date or timestamp (e.g. 2025-03-01T12:00:00Z)"
            ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def last_call_at(path: Path) -> datetime | None:
    """Latest started_at of a batch, from the Parquet statistics (reads the column if absent)."""
    meta = pq.ParquetFile(path).metadata
    idx = meta.schema.to_arrow_schema().get_field_index("started_at")
    latest: datetime | None = None
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(idx).statistics
        if stats is None or not stats.has_min_max:
            return pc.max(pq.read_table(path, columns=["started_at"])["started_at"]).as_py()
        latest = stats.max if latest is None else max(latest, stats.max)
    return latest


def select_batches(
    settings: Settings,
    batch_ids: Sequence[str] | None = None,
    since: str | datetime | None = None,
    reaudit: bool = False,
) -> BatchSelection:
    """Batches to audit: the given ones (default all) with calls since `since`, not yet audited."""
    lake = settings.lake_dir
    files = batch_files(lake)
    if batch_ids:
        missing = [b for b in batch_ids if b not in files]
        if missing:
            raise AuditError(f"no llm_calls batch {missing} in {table_dir(lake, 'llm_calls')}")
        chosen = list(dict.fromkeys(batch_ids))
    else:
        chosen = list(files)
    if since is not None:
        cutoff = parse_since(since)
        chosen = [b for b in chosen if (t := last_call_at(files[b])) is not None and t >= cutoff]
    pending = [b for b in chosen if reaudit or not is_audited(lake, b, files[b])]
    return BatchSelection(pending=pending, already_audited=len(chosen) - len(pending))


def prune_retracted(settings: Settings) -> list[str]:
    """Remove findings and ledger files of batches whose llm_calls file is gone."""
    lake = settings.lake_dir
    live = set(batch_files(lake))
    gone: set[str] = set()
    for table in ("findings", "audits"):
        for path in table_dir(lake, table).glob("*.parquet"):
            if path.name != EMPTY_FILE and path.stem not in live:
                path.unlink(missing_ok=True)
                gone.add(path.stem)
    return sorted(gone)


def _format_scope(settings: Settings, source: Path) -> FormatScope:
    """Output schemas of the batch's prompt versions (one registry lookup per distinct pair)."""
    try:
        refs = prompt_refs(source)
    except (OSError, KeyError, pa.ArrowException) as exc:
        raise AuditError(f"{source}: cannot read prompt_name/prompt_version ({exc})") from exc
    return resolve_scope(settings, refs)


def carried_findings(source: Path, findings: Path) -> pa.Table:
    """Earlier PII and secret findings a re-audit keeps: the batch's text was redacted since, so
    their values are placeholders now and no scan can find them again (empty otherwise)."""
    schema = arrow_schema(FINDINGS)
    if redacted_before(source) is None or not findings.is_file():
        return schema.empty_table()
    old = pq.read_table(findings)
    keep = pc.is_in(old.column("detector"), pa.array(REDACTED_DETECTORS))
    return old.filter(keep).select(schema.names).cast(schema)


def audit_batch(settings: Settings, batch_id: str, chunk_rows: int = CHUNK_ROWS) -> BatchAudit:
    """Scan one batch file slice by slice; replace its findings and ledger files (a redacted
    batch keeps its earlier PII and secret findings: see `carried_findings`)."""
    lake = settings.lake_dir
    ensure_lake(lake, all_schemas())
    source = table_dir(lake, "llm_calls") / f"{batch_id}.parquet"
    if not source.is_file():
        raise AuditError(f"{source}: no such llm_calls batch")
    started, now = time.perf_counter(), datetime.now(UTC)
    scope = _format_scope(settings, source)
    judge = settings.guardrail_judge
    band, threshold = None, 0.0
    if judge.enabled:
        from llmops.guardrails.injection import load_model

        threshold = load_model().params.threshold
        band = judge.band(threshold)
    uncertain: list[UncertainItem] = []
    uncertain_total = offset = 0
    target = table_dir(lake, "findings") / f"{batch_id}.parquet"
    carried = carried_findings(source, target)
    writer = BatchWriter(target, arrow_schema(FINDINGS))
    seen: set[str] = set(carried.column("finding_id").to_pylist())
    severities: Counter[str] = Counter(carried.column("severity").to_pylist())
    calls, first, last = 0, None, None
    try:
        if carried.num_rows:
            writer.write(carried)
        for batch in iter_slices(source, chunk_rows):
            calls += batch.num_rows
            bounds = pc.min_max(batch.column("started_at")).as_py()
            if bounds["min"] is not None:
                first = bounds["min"] if first is None else min(first, bounds["min"])
                last = bounds["max"] if last is None else max(last, bounds["max"])
            scores = None
            if band is not None:
                scores = input_scores(batch)
                here, in_band = uncertain_in_slice(
                    batch, scores, band, threshold, judge.max_items, (batch_id, offset)
                )
                uncertain_total += in_band
                uncertain = closest([*uncertain, *here], threshold, judge.max_items)
            offset += batch.num_rows
            found = scan_slice(batch, batch_id, now, scope, scores)
            if seen:
                found = found.filter(~pl.col("finding_id").is_in(list(seen)))
            seen.update(found["finding_id"].to_list())
            severities.update(found["severity"].to_list())
            writer.write(found.to_arrow())
    except Exception:
        writer.abort()
        raise
    writer.close()
    result = BatchAudit(
        batch_id=batch_id,
        calls=calls,
        findings=writer.rows,
        by_severity=dict(severities),
        seconds=round(time.perf_counter() - started, 3),
        format_checked=scope.checked,
        format_unknown_version=scope.unknown_version,
        format_unknown_refs=scope.unknown_refs,
        format_unregistered=scope.unregistered,
        uncertain=uncertain,
        uncertain_total=uncertain_total,
    )
    row = {
        "batch_id": batch_id,
        "calls": calls,
        "findings": writer.rows,
        **{s: severities.get(s, 0) for s in ("critical", "high", "medium", "low")},
        "first_call_at": first,
        "last_call_at": last,
        "detectors": ",".join(AUDITED_DETECTORS),
        "detector_versions": detector_versions(),
        "audited_at": now,
        "seconds": result.seconds,
        "format_checked": scope.checked,
        "format_unknown_version": scope.unknown_version,
        "format_unknown_refs": ", ".join(scope.unknown_refs) or None,
        "format_unregistered": scope.unregistered,
    }
    write_table(lake, "audits", batch_id, pa.Table.from_pylist([row], schema=arrow_schema(AUDITS)))
    return result


def summarise_run(
    settings: Settings, batch_ids: Sequence[str], judge: JudgeRun | None = None
) -> AuditSummary:
    """Counts, injection patterns, examples and alerts of these batches; the lake's trend."""
    ensure_lake(settings.lake_dir, all_schemas())
    return summarise(settings.lake_dir, batch_ids, settings.guardrail_alerts, judge=judge)


def judge_uncertain(settings: Settings, audited: Sequence[BatchAudit]) -> JudgeRun:
    """The judge tier over the uncertain injection items of these batches (LLM calls only)."""
    items = [i for a in audited for i in a.uncertain]
    return run_judge(settings, items, sum(a.uncertain_total for a in audited))


def run_audit(
    settings: Settings,
    batch_ids: Sequence[str] | None = None,
    since: str | datetime | None = None,
    reaudit: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> AuditResult:
    """Audit the batches not yet audited (or the given ones / all with reaudit) and summarise."""
    ensure_lake(settings.lake_dir, all_schemas())
    retracted = prune_retracted(settings)
    selection = select_batches(settings, batch_ids, since, reaudit)
    audited = [audit_batch(settings, b, chunk_rows) for b in selection.pending]
    judge = None
    if settings.guardrail_judge.enabled and audited:
        judge = judge_uncertain(settings, audited)
        write_judge_findings(settings, judge)
    summary = summarise_run(settings, [a.batch_id for a in audited], judge)
    return AuditResult(
        audited=audited,
        already_audited=selection.already_audited,
        retracted=retracted,
        summary=summary,
        retention=apply_retention(settings),  # after the scan and judge: they read raw text
    )
