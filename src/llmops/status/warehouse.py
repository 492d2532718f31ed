"""The warehouse half of `llmops status`: spend, eval verdicts and guardrail findings (DuckDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from llmops.status.models import (
    AlertRow,
    DetectorTrend,
    EvalVerdict,
    Guardrails,
    LabelCount,
    MetricDelta,
    Missing,
    Pattern,
    Period,
    Quality,
    RunRef,
    ScopeSpend,
    Spend,
)

if TYPE_CHECKING:
    import duckdb

FILL_TRAFFIC = "llmops ingest PATH  (or `make demo`)"
PERIODS = (("today", None), ("7 days", 7), ("30 days", 30))
ALERT_LIMIT = 5
TOP = 5
RUN_COLS = "run_id, started_at, prompt_name, prompt_version, dataset, verdict, trigger, "
RUN_COLS += "served_model, verdict_reason"
_SEV = "list_position(['critical', 'high', 'medium', 'low'], severity)"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    return con.execute(sql, params or []).fetchone()[0]


def data_end(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """End of the newest hour with calls (rollups; findings when nothing is rolled up yet)."""
    newest = _one(con, "SELECT max(bucket_start) FROM cost_rollup_hourly WHERE dimension = 'total'")
    if newest is not None:
        return newest + timedelta(hours=1)
    newest = _one(con, "SELECT max(started_at) FROM findings")
    return newest


def _window_cost(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> tuple:
    return con.execute(
        """SELECT coalesce(sum(cost_usd), 0), coalesce(sum(calls), 0),
                  coalesce(sum(unpriced_calls), 0)
           FROM cost_rollup_hourly
           WHERE dimension = 'total' AND bucket_start >= ? AND bucket_start < ?""",
        [start, end],
    ).fetchone()


def spend(con: duckdb.DuckDBPyConnection, end: datetime | None, now: datetime) -> Spend:
    """Spend today / 7 days / 30 days (ending at the newest data hour) against the window
    before, the biggest models of the week, and the alerts."""
    if end is None:
        ingested = _one(con, "SELECT count(*) FROM batches")
        if ingested:
            return Spend(
                missing=Missing(
                    what=f"{ingested} log batch(es) ingested but no cost rollups",
                    fill="llmops rollup",
                )
            )
        return Spend(missing=Missing(what="no LLM traffic ingested", fill=FILL_TRAFFIC))
    last_day = (end - timedelta(microseconds=1)).date()
    periods = []
    for name, days in PERIODS:
        if days is None:  # the newest data day up to its newest hour vs the same hours before
            start = datetime(last_day.year, last_day.month, last_day.day, tzinfo=UTC)
            length = timedelta(days=1)
        else:
            length = timedelta(days=days)
            start = end - length
        cost, calls, unpriced = _window_cost(con, start, end)
        prev_cost, prev_calls, _ = _window_cost(con, start - length, end - length)
        change = 100.0 * (cost - prev_cost) / prev_cost if prev_cost else None
        periods.append(
            Period(
                name=name,
                start=start,
                end=end,
                cost_usd=cost,
                calls=calls,
                unpriced_calls=unpriced,
                previous_cost_usd=prev_cost,
                previous_calls=prev_calls,
                change_pct=change,
            )
        )
    week_start = end - timedelta(days=7)
    top = _rows(
        con,
        f"""SELECT provider || '/' || model AS scope, sum(cost_usd) AS cost_usd,
                   sum(calls) AS calls
            FROM cost_rollup_hourly
            WHERE dimension = 'model' AND bucket_start >= ? AND bucket_start < ?
            GROUP BY ALL ORDER BY cost_usd DESC NULLS LAST LIMIT {TOP}""",
        [week_start, end],
    )
    month_start = end - timedelta(days=30)
    alerts = _rows(
        con,
        f"""SELECT rule, severity, scope, window_start, window_end, message FROM alerts
            ORDER BY window_start DESC, rule LIMIT {ALERT_LIMIT}""",
    )
    open_alerts, total = con.execute(
        "SELECT count(*) FILTER (window_end > ?), count(*) FROM alerts", [month_start]
    ).fetchone()
    return Spend(
        as_of=end,
        newest_day=last_day,
        historical=last_day < now.date(),
        days_behind=max(0, (now.date() - last_day).days),
        periods=periods,
        top_models=[ScopeSpend(**{**r, "cost_usd": r["cost_usd"] or 0.0}) for r in top],
        alerts=[AlertRow(**r) for r in alerts],
        alerts_open=open_alerts,
        alerts_total=total,
    )


def _run_ref(row: dict) -> RunRef:
    return RunRef(
        run_id=row["run_id"],
        started_at=row["started_at"],
        prompt_name=row["prompt_name"],
        prompt_version=row["prompt_version"],
        dataset=row["dataset"],
        verdict=row["verdict"],
        trigger=row["trigger"],
        served_model=row["served_model"],
        reason=row["verdict_reason"],
    )


def quality(con: duckdb.DuckDBPyConnection) -> Quality:
    """Latest eval run per prompt and dataset with its metric deltas and confidence intervals."""
    latest = _rows(
        con,
        f"""SELECT {RUN_COLS}, dataset_version, baseline_run_id, simulated FROM eval_runs
            QUALIFY row_number() OVER (PARTITION BY prompt_name, dataset
                                       ORDER BY started_at DESC, run_id) = 1
            ORDER BY prompt_name, dataset""",
    )
    if not latest:
        return Quality(
            missing=Missing(
                what="no eval runs", fill="llmops eval run  (after `llmops prompts sync`)"
            )
        )
    ids = [r["run_id"] for r in latest]
    metrics: dict[str, list[MetricDelta]] = {}
    for r in _rows(
        con,
        """SELECT run_id, metric, mean, baseline_mean, delta, ci_low, ci_high, p_value, verdict
           FROM eval_metrics WHERE list_contains(?, run_id) ORDER BY run_id, metric""",
        [ids],
    ):
        metrics.setdefault(r.pop("run_id"), []).append(MetricDelta(**r))
    failures: dict[tuple[str, str], list[RunRef]] = {}
    for r in _rows(
        con,
        f"""WITH latest AS (SELECT prompt_name, dataset, max(started_at) AS t
                            FROM eval_runs GROUP BY ALL)
            SELECT {", ".join("e." + c.strip() for c in RUN_COLS.split(","))}
            FROM eval_runs e JOIN latest l USING (prompt_name, dataset)
            WHERE e.verdict = 'fail' AND e.started_at < l.t
              AND e.started_at >= l.t - INTERVAL 7 DAY
            ORDER BY e.started_at DESC""",
    ):
        failures.setdefault((r["prompt_name"], r["dataset"]), []).append(_run_ref(r))
    return Quality(
        verdicts=[
            EvalVerdict(
                run=_run_ref(r),
                dataset_version=r["dataset_version"],
                baseline_run_id=r["baseline_run_id"],
                simulated=bool(r["simulated"]),
                metrics=metrics.get(r["run_id"], []),
                recent_failures=failures.get((r["prompt_name"], r["dataset"]), [])[:3],
            )
            for r in latest
        ]
    )


def guardrails(con: duckdb.DuckDBPyConnection, end: datetime | None) -> Guardrails:
    """Top injection triggers and PII/secret findings in the 7 days ending at `end`."""
    if not _one(con, "SELECT count(*) FROM audits"):
        if _one(con, "SELECT count(*) FROM batches"):
            return Guardrails(
                missing=Missing(what="no guardrail audit has run", fill="llmops audit")
            )
        return Guardrails(
            missing=Missing(
                what="no traffic to audit", fill="llmops audit PATH  (ingests, then audits)"
            )
        )
    newest = _one(con, "SELECT max(started_at) FROM findings")
    end = end or newest or datetime.now(UTC)
    start = end - timedelta(days=7)
    week = "started_at >= ? AND started_at < ?"
    injections = _rows(
        con,
        f"""SELECT min(excerpt) AS pattern, count(DISTINCT call_id) AS calls FROM findings
            WHERE detector = 'injection' AND {week} GROUP BY lower(excerpt)
            ORDER BY calls DESC, pattern LIMIT {TOP}""",
        [start, end],
    )
    injection_calls = _one(
        con,
        f"SELECT count(DISTINCT call_id) FROM findings WHERE detector = 'injection' AND {week}",
        [start, end],
    )
    pii = _rows(
        con,
        f"""SELECT detector, label, arg_min(severity, {_SEV}) AS severity,
                   count(*) AS findings, count(DISTINCT call_id) AS calls,
                   arg_max(excerpt, score) AS example
            FROM findings WHERE detector IN ('pii', 'secret') AND {week}
            GROUP BY ALL ORDER BY calls DESC, findings DESC, label""",
        [start, end],
    )
    trend = _rows(
        con,
        """SELECT detector,
                  count(*) FILTER (started_at >= ? AND started_at < ?) AS this_week,
                  count(*) FILTER (started_at >= ? AND started_at < ?) AS last_week
           FROM findings GROUP BY detector ORDER BY this_week DESC, detector""",
        [start, end, start - timedelta(days=7), start],
    )
    return Guardrails(
        week_start=start,
        week_end=end,
        injection_calls=injection_calls,
        injections=[Pattern(**r) for r in injections],
        pii=[LabelCount(**r) for r in pii],
        detectors=[DetectorTrend(**r) for r in trend if r["this_week"] or r["last_week"]],
    )


def version_runs(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], RunRef]:
    """Newest eval run of every (prompt, version)."""
    rows = _rows(
        con,
        f"""SELECT {RUN_COLS} FROM eval_runs
            QUALIFY row_number() OVER (PARTITION BY prompt_name, prompt_version
                                       ORDER BY started_at DESC, run_id) = 1""",
    )
    return {(r["prompt_name"], r["prompt_version"]): _run_ref(r) for r in rows}


def promotions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[datetime, RunRef]]:
    """Per prompt: when the newest eval run that moved the champion alias ended, and the run."""
    rows = _rows(
        con,
        f"""SELECT {RUN_COLS}, ended_at FROM eval_runs WHERE promoted = 1
            QUALIFY row_number() OVER (PARTITION BY prompt_name ORDER BY ended_at DESC) = 1""",
    )
    return {r["prompt_name"]: (r["ended_at"], _run_ref(r)) for r in rows}
