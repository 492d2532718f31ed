"""Alert rules over llm_calls: cost-per-request spikes, error-rate bursts, slow hours, budgets."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from llmops.core.settings import AlertRules
from llmops.costs.budgets import Budget
from llmops.lake.arrow import arrow_schema
from llmops.lake.schema import ALERTS

COST_SPIKE = """
WITH daily AS (
  SELECT started_at::DATE AS day, provider, requested_model, prompt_name, prompt_version, feature,
         count(*) AS calls, sum(cost_usd) / count(*) AS cpr
  FROM {source} WHERE status = 'success' AND cost_status NOT IN ('unpriced', 'no_usage')
  GROUP BY ALL
), judged AS (
  SELECT *, avg(cpr) OVER w AS base_mean, coalesce(stddev_samp(cpr) OVER w, 0) AS base_std,
         count(*) OVER w AS base_days
  FROM daily
  WINDOW w AS (PARTITION BY provider, requested_model, prompt_name, prompt_version, feature
               ORDER BY day RANGE BETWEEN INTERVAL {days} DAY PRECEDING AND INTERVAL 1 DAY PRECEDING)
)
SELECT 'cost_spike' AS rule, 'warning' AS severity,
  concat_ws(' ', provider || '/' || requested_model,
            'prompt=' || prompt_name || '@' || prompt_version, 'feature=' || feature) AS scope,
  day::TIMESTAMPTZ AS window_start, (day + 1)::TIMESTAMPTZ AS window_end,
  cpr AS observed, greatest(base_mean * (1 + {pct}), base_mean + {sigmas} * base_std) AS threshold,
  base_mean AS baseline,
  format('cost per request ${{:.5f}} is {{:.0f}}% above its {{}}-day average ${{:.5f}} ({{}} calls)',
         cpr, 100 * (cpr / base_mean - 1), {days}, base_mean, calls) AS message
FROM judged
WHERE base_days >= {min_days} AND calls >= {min_calls} AND base_mean > 0
  AND cpr > base_mean * (1 + {pct}) AND cpr > base_mean + {sigmas} * base_std
"""

# Flagged fixed windows per scope, merged into one alert when consecutive (gaps and islands).
WINDOWED = """
WITH w AS (
  SELECT provider, requested_model, time_bucket(INTERVAL '{minutes} minutes', started_at) AS ws,
         count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors,
         quantile_cont(latency_ms, 0.95) AS p95
  FROM {source} GROUP BY ALL
), flagged AS (
  SELECT *, ws - INTERVAL '{minutes} minutes' * row_number() OVER
           (PARTITION BY provider, requested_model ORDER BY ws) AS island
  FROM w WHERE {condition}
)
SELECT '{rule}' AS rule, '{severity}' AS severity, provider || '/' || requested_model AS scope,
  min(ws) AS window_start, max(ws) + INTERVAL '{minutes} minutes' AS window_end,
  {observed} AS observed, {threshold} AS threshold, NULL::DOUBLE AS baseline,
  format({message}) AS message
FROM flagged GROUP BY provider, requested_model, island
"""

BUDGET = """
WITH daily AS (
  SELECT date_trunc('month', started_at)::DATE AS month, started_at::DATE AS day,
         sum(cost_usd) AS spend
  FROM {source} WHERE {column} = $value GROUP BY ALL
), cum AS (
  SELECT *, sum(spend) OVER (PARTITION BY month ORDER BY day) AS mtd FROM daily
), crossed AS (
  SELECT month, min(day) AS day, min_by(mtd, day) AS mtd FROM cum WHERE mtd >= $limit GROUP BY month
)
SELECT 'budget' AS rule, $severity AS severity, $scope AS scope,
  day::TIMESTAMPTZ AS window_start, (month + INTERVAL 1 MONTH)::TIMESTAMPTZ AS window_end,
  mtd AS observed, $limit AS threshold, $budget AS baseline,
  format('budget {{}} reached {{:.0f}}% (${{:.2f}} of ${{:.2f}}) on {{}}', $name, 100 * mtd / $budget, mtd,
         $budget, day) AS message
FROM crossed
"""


def _windowed(rules: AlertRules, source: str) -> list[str]:
    err = WINDOWED.format(
        source=source,
        minutes=rules.error_window_minutes,
        rule="error_rate",
        severity="critical",
        condition=(
            f"errors >= {rules.error_min_errors} AND errors / calls > {rules.error_rate_threshold}"
        ),
        observed="sum(errors) / sum(calls)",
        threshold=str(rules.error_rate_threshold),
        message=(
            "'error rate {:.1f}% ({} of {} calls)', 100 * sum(errors) / sum(calls), "
            "sum(errors), sum(calls)"
        ),
    )
    lat = WINDOWED.format(
        source=source,
        minutes=60,
        rule="latency_p95",
        severity="warning",
        condition=(
            f"calls >= {rules.latency_min_calls} AND p95 > {rules.latency_p95_threshold_ms}"
        ),
        observed="max(p95)",
        threshold=str(rules.latency_p95_threshold_ms),
        message=(
            "'latency p95 {:.1f} s (limit {:.1f} s)', max(p95) / 1000, "
            f"{rules.latency_p95_threshold_ms} / 1000"
        ),
    )
    return [err, lat]


def compute_alerts(
    con: duckdb.DuckDBPyConnection,
    rules: AlertRules,
    budgets: list[Budget],
    source: str = "llm_calls",
) -> pa.Table:
    """Every alert the rules raise over all of llm_calls (deterministic: reruns give the same set)."""
    schema = arrow_schema(ALERTS)
    parts: list[pa.Table] = []

    def run(sql: str, params: dict[str, object] | None = None) -> None:
        res = con.sql(
            f"SELECT md5(concat_ws('|', rule, scope, window_start::VARCHAR))"
            f"[:16] AS alert_id, * FROM ({sql})",
            params=params,
        ).to_arrow_table()
        parts.append(res.select(schema.names).cast(schema))

    run(
        COST_SPIKE.format(
            source=source,
            days=rules.cost_spike_baseline_days,
            pct=rules.cost_spike_pct,
            sigmas=rules.cost_spike_sigmas,
            min_days=rules.cost_spike_min_baseline_days,
            min_calls=rules.cost_spike_min_calls,
        )
    )
    for sql in _windowed(rules, source):
        run(sql)
    for budget in budgets:
        for level in sorted(budget.alert_at):
            run(
                BUDGET.format(column=budget.column, source=source),
                {
                    "value": budget.value,
                    "limit": budget.monthly_usd * level,
                    "budget": budget.monthly_usd,
                    "severity": "critical" if level >= 1 else "warning",
                    "scope": f"{budget.column}={budget.value} at {level:.0%}",
                    "name": budget.name,
                },
            )
    table = pa.concat_tables(parts) if parts else schema.empty_table()
    return table.sort_by([("window_start", "ascending"), ("rule", "ascending")])
