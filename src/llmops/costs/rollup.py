"""The cost pipeline's logic: rollups and alerts over the lake, with what changed since last run."""

from __future__ import annotations

from datetime import date

import pyarrow.compute as pc
from pydantic import BaseModel

from llmops.core.settings import Settings
from llmops.costs.alerts import compute_alerts
from llmops.costs.budgets import load_budgets
from llmops.costs.rollups import compute_rollups, write_rollups
from llmops.lake.files import write_table
from llmops.lake.warehouse import connect

METRIC_COLUMNS = (
    "call_id",
    "started_at",
    "provider",
    "requested_model",
    "prompt_name",
    "prompt_version",
    "feature",
    "team",
    "user_hash",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "latency_ms",
    "status",
    "cost_usd",
    "cost_status",
)
ALERT_EVENTS = {
    "cost_spike": "llmops.cost.alert",
    "budget": "llmops.budget.alert",
    "error_rate": "llmops.error_rate.alert",
    "latency_p95": "llmops.latency.alert",
}


class DailyCost(BaseModel):
    """One row of the daily cost table."""

    day: date
    calls: int
    errors: int
    cost_usd: float
    unpriced_calls: int
    latency_p95_ms: float | None


class RollupResult(BaseModel):
    """What a rollup run found: totals, the daily table, all alerts and the new ones."""

    calls: int
    cost_usd: float
    unpriced_calls: int
    quarantined: int
    daily: list[DailyCost]
    alerts: list[dict[str, object]]
    new_alerts: list[dict[str, object]]


def run_rollup(settings: Settings) -> RollupResult:
    """Recompute rollups and alerts from the whole lake and replace their files."""
    lake = settings.lake_dir
    con = connect(lake)
    try:
        # deduplicate once (the view's window over call_id), without the text columns
        con.execute(f"CREATE TEMP TABLE calls AS SELECT {', '.join(METRIC_COLUMNS)} FROM llm_calls")
        rollups = compute_rollups(con, "calls")
        write_rollups(lake, rollups)
        budgets = load_budgets(settings.budgets_file)
        alerts = compute_alerts(con, settings.alerts, budgets, "calls")
        previous = con.execute("SELECT alert_id FROM alerts").fetchall()
        seen = {r[0] for r in previous}
        write_table(lake, "alerts", "alerts", alerts)
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    finally:
        con.close()
    daily_tbl = rollups["cost_rollup_daily"].filter(
        pc.equal(rollups["cost_rollup_daily"]["dimension"], "total")
    )
    daily = [
        DailyCost(
            day=r["bucket_start"].date(),
            calls=r["calls"],
            errors=r["errors"],
            cost_usd=r["cost_usd"],
            unpriced_calls=r["unpriced_calls"],
            latency_p95_ms=r["latency_p95_ms"],
        )
        for r in daily_tbl.to_pylist()
    ]
    rows = alerts.to_pylist()
    return RollupResult(
        calls=sum(d.calls for d in daily),
        cost_usd=sum(d.cost_usd for d in daily),
        unpriced_calls=sum(d.unpriced_calls for d in daily),
        quarantined=quarantined,
        daily=daily,
        alerts=rows,
        new_alerts=[r for r in rows if r["alert_id"] not in seen],
    )
