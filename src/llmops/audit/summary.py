"""What an audit run found, from the lake: counts, injection patterns, weekly trend, alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb
from pydantic import BaseModel

from llmops.audit.judge import DETECTOR as JUDGE_DETECTOR
from llmops.audit.judge import JudgeRun
from llmops.audit.scan import AUDITED_DETECTORS, detector_versions
from llmops.core.settings import GuardrailAlertRules
from llmops.lake.files import EMPTY_FILE, table_dir, table_glob

ALERT_EVENT = "llmops.guardrail.alert"
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")  # most severe first
_SEV_ORDER = "list_position(['critical', 'high', 'medium', 'low'], severity)"


class CountRow(BaseModel):
    """Findings of one detector, label, severity and direction."""

    detector: str
    label: str
    severity: str
    direction: str
    findings: int
    calls: int


class PatternRow(BaseModel):
    """A frequent injection trigger (masked sentence) and how many calls carried it."""

    pattern: str
    calls: int


class TrendRow(BaseModel):
    """Findings of one detector in the last 7 days of traffic and the 7 days before."""

    detector: str
    this_week: int
    last_week: int
    per_1k_this_week: float | None
    per_1k_last_week: float | None


class Example(BaseModel):
    """One masked finding shown in the report."""

    detector: str
    label: str
    severity: str
    direction: str
    call_id: str
    excerpt: str


class GuardrailAlert(BaseModel):
    """A detector and label whose findings in this run reached the configured threshold."""

    detector: str
    label: str
    severity: str
    findings: int
    calls: int
    threshold: int
    batch_ids: list[str]


class AuditSummary(BaseModel):
    """Findings of the batches audited in one run, plus the lake-wide weekly trend."""

    batch_ids: list[str]
    calls: int
    findings: int
    calls_with_findings: int
    counts: list[CountRow]
    top_injections: list[PatternRow]
    examples: list[Example]
    alerts: list[GuardrailAlert]
    week_end: datetime | None
    calls_this_week: int
    calls_last_week: int
    trend: list[TrendRow]
    detectors: list[str]
    detector_versions: str
    format_checked: int = 0
    format_unknown_version: int = 0
    format_unknown_refs: list[str] = []
    format_unregistered: int = 0
    judge: JudgeRun | None = None


def _files(lake: Path, table: str, batch_ids: Sequence[str]) -> str:
    """SQL list literal of the existing lake files of these batches."""
    paths = [table_dir(lake, table) / f"{b}.parquet" for b in batch_ids]
    quoted = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths if p.exists())
    return f"[{quoted}]"


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, object]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def evaluate_alerts(
    totals: Sequence[CountRow], rules: GuardrailAlertRules, batch_ids: Sequence[str]
) -> list[GuardrailAlert]:
    """One alert per (detector, label) at or over its threshold (totals: direction 'all')."""
    by_label: dict[tuple[str, str], dict[str, CountRow]] = {}
    for row in totals:
        by_label.setdefault((row.detector, row.label), {})[row.severity] = row
    alerts = []
    for (detector, label), sev in sorted(by_label.items()):
        worst = min(sev, key=SEVERITIES.index)
        if label in rules.label_min_findings:
            threshold = rules.label_min_findings[label]
            findings = sum(r.findings for r in sev.values())
            calls = max(r.calls for r in sev.values())
            if findings >= threshold:
                alerts.append(
                    GuardrailAlert(
                        detector=detector,
                        label=label,
                        severity=worst,
                        findings=findings,
                        calls=calls,
                        threshold=threshold,
                        batch_ids=list(batch_ids),
                    )
                )
            continue
        for severity in SEVERITIES:
            limit = getattr(rules, f"{severity}_min_findings")
            row = sev.get(severity)
            if row is not None and limit is not None and row.findings >= limit:
                alerts.append(
                    GuardrailAlert(
                        detector=detector,
                        label=label,
                        severity=severity,
                        findings=row.findings,
                        calls=row.calls,
                        threshold=limit,
                        batch_ids=list(batch_ids),
                    )
                )
                break
    return alerts


def _trend(con: duckdb.DuckDBPyConnection, lake: Path) -> tuple[dict[str, object], list[TrendRow]]:
    """Findings per 1,000 audited calls: the 7 days ending at the newest audited call vs before."""
    audited = f"SELECT batch_id FROM read_parquet('{table_glob(lake, 'audits')}')"
    head = _rows(
        con,
        f"""
        WITH w AS (SELECT max(last_call_at) AS t FROM read_parquet('{table_glob(lake, "audits")}'))
        SELECT any_value(w.t) AS week_end,
          count(DISTINCT c.call_id) FILTER (WHERE c.started_at > w.t - INTERVAL 7 DAY)
            AS calls_this_week,
          count(DISTINCT c.call_id) FILTER (WHERE c.started_at <= w.t - INTERVAL 7 DAY)
            AS calls_last_week
        FROM w, read_parquet('{table_glob(lake, "llm_calls")}', union_by_name = true) c
        WHERE c.started_at > w.t - INTERVAL 14 DAY AND c.started_at <= w.t
          AND c.batch_id IN ({audited})""",
    )[0]
    if head["week_end"] is None:
        head = {"week_end": None, "calls_this_week": 0, "calls_last_week": 0}
    found = {
        r["detector"]: r
        for r in _rows(
            con,
            f"""
            WITH w AS (SELECT max(last_call_at) AS t
                       FROM read_parquet('{table_glob(lake, "audits")}'))
            SELECT f.detector,
              count(DISTINCT f.finding_id) FILTER (WHERE f.started_at > w.t - INTERVAL 7 DAY)
                AS this_week,
              count(DISTINCT f.finding_id) FILTER (WHERE f.started_at <= w.t - INTERVAL 7 DAY)
                AS last_week
            FROM w, read_parquet('{table_glob(lake, "findings")}', union_by_name = true) f
            WHERE f.started_at > w.t - INTERVAL 14 DAY AND f.started_at <= w.t
              AND f.batch_id IN ({audited})
            GROUP BY f.detector""",
        )
    }

    def per_1k(n: int, calls: object) -> float | None:
        return round(1000 * n / calls, 2) if isinstance(calls, int) and calls > 0 else None

    trend = []
    for det in (*AUDITED_DETECTORS, *sorted(set(found) - set(AUDITED_DETECTORS))):
        r = found.get(det, {})
        this, last = int(r.get("this_week") or 0), int(r.get("last_week") or 0)
        trend.append(
            TrendRow(
                detector=det,
                this_week=this,
                last_week=last,
                per_1k_this_week=per_1k(this, head["calls_this_week"]),
                per_1k_last_week=per_1k(last, head["calls_last_week"]),
            )
        )
    return head, trend


def _format_coverage(
    con: duckdb.DuckDBPyConnection, lake: Path, batch_ids: Sequence[str]
) -> dict[str, object]:
    """Calls format-checked and not checked (unknown version, unregistered prompt): ledgers."""
    ledgers = _files(lake, "audits", [*batch_ids, EMPTY_FILE.removesuffix(".parquet")])
    row = _rows(
        con,
        f"""SELECT coalesce(sum(format_checked), 0) AS format_checked,
          coalesce(sum(format_unknown_version), 0) AS format_unknown_version,
          coalesce(sum(format_unregistered), 0) AS format_unregistered,
          string_agg(format_unknown_refs, ', ') AS refs
        FROM read_parquet({ledgers}, union_by_name = true)""",
    )[0]
    refs = sorted({r for r in str(row.pop("refs") or "").split(", ") if r})
    return {**row, "format_unknown_refs": refs}


def summarise(
    lake: Path,
    batch_ids: Sequence[str],
    rules: GuardrailAlertRules,
    top: int = 10,
    judge: JudgeRun | None = None,
) -> AuditSummary:
    """Summary of the given (just audited) batches' findings and the lake-wide trend."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        findings, calls = _files(lake, "findings", batch_ids), _files(lake, "llm_calls", batch_ids)
        counts: list[CountRow] = []
        totals: list[CountRow] = []
        patterns: list[PatternRow] = []
        examples: list[Example] = []
        n_calls = n_findings = n_flagged = 0
        if findings != "[]":
            con.execute(
                f"""CREATE TEMP VIEW run AS SELECT * FROM read_parquet({findings})
                QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY batch_id) = 1"""
            )
            group = "SELECT detector, label, severity, {d} AS direction, count(*) AS findings, "
            group += "count(DISTINCT call_id) AS calls FROM run GROUP BY 1, 2, 3, 4 "
            group += f"ORDER BY {_SEV_ORDER}, findings DESC, detector, label"
            counts = [CountRow(**r) for r in _rows(con, group.format(d="direction"))]  # type: ignore[arg-type]
            totals = [CountRow(**r) for r in _rows(con, group.format(d="'all'"))]  # type: ignore[arg-type]
            n_findings, n_flagged = con.execute(
                "SELECT count(*), count(DISTINCT call_id) FROM run"
            ).fetchall()[0]
            patterns = [
                PatternRow(**r)  # type: ignore[arg-type]
                for r in _rows(
                    con,
                    f"""SELECT min(excerpt) AS pattern, count(DISTINCT call_id) AS calls
                    FROM run WHERE detector = 'injection' GROUP BY lower(excerpt)
                    ORDER BY calls DESC, pattern LIMIT {int(top)}""",
                )
            ]
            examples = [
                Example(**r)  # type: ignore[arg-type]
                for r in _rows(
                    con,
                    f"""SELECT detector, label, severity, direction, call_id, excerpt FROM run
                    QUALIFY row_number() OVER (PARTITION BY detector, label
                                               ORDER BY score DESC, finding_id) <= 2
                    ORDER BY {_SEV_ORDER}, detector, label LIMIT 24""",
                )
            ]
        if calls != "[]":
            n_calls = con.execute(
                f"SELECT count(DISTINCT call_id) FROM read_parquet({calls})"
            ).fetchall()[0][0]
        head, trend = _trend(con, lake)
        coverage = _format_coverage(con, lake, batch_ids)
    finally:
        con.close()
    return AuditSummary(
        batch_ids=list(batch_ids),
        calls=n_calls,
        findings=n_findings,
        calls_with_findings=n_flagged,
        counts=counts,
        top_injections=patterns,
        examples=examples,
        alerts=evaluate_alerts(totals, rules, batch_ids),
        week_end=head["week_end"],  # type: ignore[arg-type]
        calls_this_week=int(head["calls_this_week"] or 0),  # type: ignore[call-overload]
        calls_last_week=int(head["calls_last_week"] or 0),  # type: ignore[call-overload]
        trend=trend,
        detectors=[*AUDITED_DETECTORS, *([JUDGE_DETECTOR] if judge is not None else [])],
        detector_versions=detector_versions(),
        judge=judge,
        **coverage,  # type: ignore[arg-type]
    )
