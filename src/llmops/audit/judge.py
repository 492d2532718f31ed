"""The audit's optional second tier: an LLM judge on injection scores the classifier is unsure of.

While a batch is scanned, inputs whose classifier probability falls in the configured band
around the threshold are kept (the `max_items` closest to it per batch: no text, only where
they are). After all batches, `run_judge` takes the `max_items` closest overall, reads and
masks their inputs (the judge never sees raw personal data or secrets), asks the judge through
a gateway with the run's USD cap, and `write_judge_findings` adds one `injection_judge`
finding per verdict to the batch's findings file (and refreshes its ledger counts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel

from llmops.audit.scan import CHUNK_ROWS, AuditError, finding_id, residual_mask
from llmops.core.settings import Settings
from llmops.lake.arrow import arrow_schema
from llmops.lake.files import table_dir, write_table
from llmops.lake.schema import AUDITS, FINDINGS

DETECTOR = "injection_judge"


class UncertainItem(BaseModel):
    """An input whose injection score is in the judge's band (where it is; never its text)."""

    batch_id: str
    row: int  # row of the call in its batch file
    call_id: str
    started_at: datetime | None
    source_line: int | None
    score: float


class JudgedItem(BaseModel):
    """One judged input: the classifier's score and the judge's verdict (masked text only)."""

    batch_id: str
    call_id: str
    started_at: datetime | None
    source_line: int | None
    score: float
    flagged: bool  # the classifier flagged it (score >= threshold)
    label: str  # 'injection' or 'benign'
    excerpt: str  # masked trigger sentence and the judge's reason


class JudgeRun(BaseModel):
    """What the judge tier did in one audit run: sample, verdicts, spend, why it stopped."""

    method: str
    alias: str
    threshold: float
    band: tuple[float, float]
    max_items: int
    usd_cap: float
    candidates: int  # inputs in the band in the audited batches
    sampled: int  # sent to the judge (<= max_items)
    judged: int
    injection: int
    benign: int
    agreed: int  # verdicts equal to the classifier's flag
    errors: int
    error_examples: list[str] = []
    not_judged: int = 0  # sampled but not judged because the USD cap was reached
    cap_reached: bool = False
    stop_reason: str | None = None
    calls: int = 0
    cost_usd: float = 0.0
    provenance: str = ""
    items: list[JudgedItem] = []


def closest(items: Sequence[UncertainItem], threshold: float, n: int) -> list[UncertainItem]:
    """The `n` items closest to the threshold (ties: batch, row), i.e. the most uncertain."""
    return sorted(items, key=lambda i: (abs(i.score - threshold), i.batch_id, i.row))[:n]


def uncertain_in_slice(
    batch: pa.RecordBatch,
    scores: np.ndarray,
    band: tuple[float, float],
    threshold: float,
    limit: int,
    where: tuple[str, int],
) -> tuple[list[UncertainItem], int]:
    """The `limit` rows of a slice closest to the threshold among those scored in [low, high);
    and how many were in the band. `where` is (batch id, offset of the slice in the file)."""
    batch_id, offset = where
    rows = np.flatnonzero((scores >= band[0]) & (scores < band[1]))
    total = int(rows.size)
    if total == 0:
        return [], 0
    rows = rows[np.argsort(np.abs(scores[rows] - threshold), kind="stable")[:limit]]
    take = pa.array(rows)
    ids = batch.column("call_id").take(take).to_pylist()
    started = batch.column("started_at").take(take).to_pylist()
    lines = batch.column("source_line").take(take).to_pylist()
    items = [
        UncertainItem(
            batch_id=batch_id,
            row=offset + int(r),
            call_id=str(c),
            started_at=t,
            source_line=line,
            score=float(scores[r]),
        )
        for r, c, t, line in zip(rows, ids, started, lines, strict=True)
    ]
    return items, total


def input_scores(batch: pa.RecordBatch) -> np.ndarray:
    """The injection classifier's probability for each input of a slice."""
    from llmops.guardrails.injection import load_model

    texts = pl.Series(batch.column("input_text")).cast(pl.Utf8).fill_null("")
    return load_model().predict_proba(texts)


def _read_inputs(settings: Settings, items: Sequence[UncertainItem]) -> list[str | None]:
    """The raw input text of each item from its batch file (None: the file changed since)."""
    wanted: dict[str, dict[int, int]] = defaultdict(dict)
    for i, item in enumerate(items):
        wanted[item.batch_id][item.row] = i
    out: list[str | None] = [None] * len(items)
    for batch_id, rows in wanted.items():
        path = table_dir(settings.lake_dir, "llm_calls") / f"{batch_id}.parquet"
        if not path.is_file():
            continue
        offset = 0
        pf = pq.ParquetFile(path)
        for chunk in pf.iter_batches(batch_size=CHUNK_ROWS, columns=["call_id", "input_text"]):
            here = [r for r in rows if offset <= r < offset + chunk.num_rows]
            if here:
                take = pa.array([r - offset for r in here])
                ids = chunk.column("call_id").take(take).to_pylist()
                texts = chunk.column("input_text").take(take).to_pylist()
                for r, cid, text in zip(here, ids, texts, strict=True):
                    if cid == items[rows[r]].call_id:
                        out[rows[r]] = text or ""
            offset += chunk.num_rows
    return out


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def masked_inputs(texts: pl.Series) -> list[str]:
    """What the judge is shown: detector masks ([EMAIL], [OPENAI_KEY], ...) then residual ones."""
    from llmops.guardrails.spans import scrub_texts

    if texts.is_empty():
        return []
    return [residual_mask(m) for m in scrub_texts(texts)[0].to_list()]


def run_judge(settings: Settings, candidates: Sequence[UncertainItem], total: int) -> JudgeRun:
    """Judge the most uncertain `max_items` of the candidates under the run's USD cap."""
    from llmops.audit.classifier import METHOD, JudgeOutcome, ajudge_injections
    from llmops.audit.scan import trigger_sentences
    from llmops.gateway import Gateway
    from llmops.gateway.client import CountingClient
    from llmops.gateway.core import run_sync
    from llmops.guardrails.injection import load_model

    cfg = settings.guardrail_judge
    threshold = load_model().params.threshold
    sample = closest(candidates, threshold, cfg.max_items)
    texts = _read_inputs(settings, sample)
    errors = [
        f"{s.call_id}: the batch file changed since the audit (input not found)"
        for s, t in zip(sample, texts, strict=True)
        if t is None
    ]
    readable = [(s, t) for s, t in zip(sample, texts, strict=True) if t is not None]
    raw = pl.Series([t for _, t in readable], dtype=pl.Utf8)
    masked = masked_inputs(raw)
    triggers = trigger_sentences(raw) if readable else []
    gateway = Gateway(settings, usd_cap=cfg.usd_cap, concurrency=cfg.concurrency)
    client = CountingClient(gateway, purpose=f"guardrail:{DETECTOR}")
    outcome = (
        run_sync(ajudge_injections(masked, client, cfg.alias, cfg.concurrency))
        if masked
        else JudgeOutcome(verdicts=[], not_judged=[])
    )
    items: list[JudgedItem] = []
    for v in outcome.verdicts:
        item, _ = readable[v.index]
        if v.injection is None:
            errors.append(f"{item.call_id}: {v.error}")
            continue
        reason = _clip(v.reason or "", 120)
        excerpt = _clip(triggers[v.index], 120) + (f" | judge: {reason}" if reason else "")
        items.append(
            JudgedItem(
                batch_id=item.batch_id,
                call_id=item.call_id,
                started_at=item.started_at,
                source_line=item.source_line,
                score=item.score,
                flagged=item.score >= threshold,
                label="injection" if v.injection else "benign",
                excerpt=residual_mask(excerpt),
            )
        )
    summary = gateway.summary()
    low, high = cfg.band(threshold)
    return JudgeRun(
        method=METHOD,
        alias=cfg.alias,
        threshold=threshold,
        band=(round(low, 6), round(min(high, 1.0), 6)),
        max_items=cfg.max_items,
        usd_cap=cfg.usd_cap,
        candidates=total,
        sampled=len(sample),
        judged=len(items),
        injection=sum(i.label == "injection" for i in items),
        benign=sum(i.label == "benign" for i in items),
        agreed=sum((i.label == "injection") == i.flagged for i in items),
        errors=len(errors),
        error_examples=[residual_mask(_clip(e, 200)) for e in errors[:5]],
        not_judged=len(outcome.not_judged),
        cap_reached=outcome.stopped is not None,
        stop_reason=outcome.stopped,
        calls=summary.calls,
        cost_usd=summary.cost_usd,
        provenance=summary.provenance("verdicts") if summary.calls else "",
        items=items,
    )


def judge_rows(run: JudgeRun, detected_at: datetime) -> dict[str, pa.Table]:
    """The `injection_judge` findings of a run, per batch, in the findings schema."""
    by_batch: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in run.items:
        by_batch[i.batch_id].append(
            {
                "finding_id": finding_id(i.call_id, "input", DETECTOR, i.label, None, None),
                "call_id": i.call_id,
                "batch_id": i.batch_id,
                "source_line": i.source_line,
                "started_at": i.started_at,
                "direction": "input",
                "detector": DETECTOR,
                "label": i.label,
                "severity": "high" if i.label == "injection" else "low",
                "span_start": None,
                "span_end": None,
                "score": i.score,
                "excerpt": i.excerpt,
                "detected_at": detected_at,
            }
        )
    schema = arrow_schema(FINDINGS)
    return {b: pa.Table.from_pylist(rows, schema=schema) for b, rows in by_batch.items()}


def write_judge_findings(
    settings: Settings, run: JudgeRun, detected_at: datetime | None = None
) -> dict[str, int]:
    """Add the verdicts to each batch's findings file and refresh its ledger counts."""
    lake = settings.lake_dir
    now = detected_at or datetime.now(UTC)
    written: dict[str, int] = {}
    for batch_id, new in judge_rows(run, now).items():
        path = table_dir(lake, "findings") / f"{batch_id}.parquet"
        ledger = table_dir(lake, "audits") / f"{batch_id}.parquet"
        if not path.is_file() or not ledger.is_file():
            raise AuditError(f"{path}: batch {batch_id} has no audit to add judge verdicts to")
        old = pq.read_table(path).cast(arrow_schema(FINDINGS))
        keep = pc.invert(pc.is_in(old.column("finding_id"), value_set=new.column("finding_id")))
        table = pa.concat_tables([old.filter(keep), new])
        write_table(lake, "findings", batch_id, table)
        row = pq.read_table(ledger).to_pylist()[0]
        severities = table.column("severity").to_pylist()
        row["findings"] = table.num_rows
        for s in ("critical", "high", "medium", "low"):
            row[s] = severities.count(s)
        if DETECTOR not in (row.get("detectors") or "").split(","):
            row["detectors"] = f"{row['detectors']},{DETECTOR}"
        write_table(lake, "audits", batch_id, pa.Table.from_pylist([row], arrow_schema(AUDITS)))
        written[batch_id] = new.num_rows
    return written
