"""Hourly and daily cost rollups by model, prompt version, feature and user (DuckDB SQL)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from llmops.lake.arrow import arrow_schema
from llmops.lake.files import write_table
from llmops.lake.schema import ROLLUP

ROLLUP_SQL = """
SELECT * EXCLUDE (latency_q), latency_q[1] AS latency_p50_ms, latency_q[2] AS latency_p95_ms,
  latency_q[3] AS latency_p99_ms
FROM (
SELECT
  time_bucket(INTERVAL '1 {unit}', started_at) AS bucket_start,
  CASE
    WHEN GROUPING(provider, requested_model) = 0 THEN 'model'
    WHEN GROUPING(prompt_name, prompt_version) = 0 THEN 'prompt_version'
    WHEN GROUPING(feature) = 0 THEN 'feature'
    WHEN GROUPING(user_hash) = 0 THEN 'user'
    ELSE 'total'
  END AS dimension,
  provider, requested_model AS model, prompt_name, prompt_version, feature, user_hash,
  count(*) AS calls,
  count(*) FILTER (WHERE status = 'error') AS errors,
  count(*) FILTER (WHERE status = 'error') / count(*) AS error_rate,
  coalesce(sum(input_tokens), 0) AS input_tokens,
  coalesce(sum(output_tokens), 0) AS output_tokens,
  coalesce(sum(cached_tokens), 0) AS cached_tokens,
  coalesce(sum(cost_usd), 0) AS cost_usd,
  count(*) FILTER (WHERE cost_status IN ('unpriced', 'no_usage')) AS unpriced_calls,
  quantile_cont(latency_ms, [0.50, 0.95, 0.99]) AS latency_q
FROM {source}
GROUP BY GROUPING SETS (
  (bucket_start),
  (bucket_start, provider, requested_model),
  (bucket_start, prompt_name, prompt_version),
  (bucket_start, feature),
  (bucket_start, user_hash)
)
)
ORDER BY bucket_start, dimension, provider, model, prompt_name, prompt_version, feature, user_hash
"""


def rollup_sql(unit: str, source: str = "llm_calls") -> str:
    """Rollup query per 'hour' or 'day' over `source` (a view or any relation with llm_calls columns)."""
    if unit not in ("hour", "day"):
        raise ValueError(f"unit must be 'hour' or 'day', not {unit!r}")
    return ROLLUP_SQL.format(unit=unit, source=source)


def compute_rollups(
    con: duckdb.DuckDBPyConnection, source: str = "llm_calls"
) -> dict[str, pa.Table]:
    """Hourly and daily rollups over the deduplicated llm_calls view (or a copy of it)."""
    out = {}
    schema = arrow_schema(ROLLUP)
    for unit, table in (("hour", "cost_rollup_hourly"), ("day", "cost_rollup_daily")):
        res = con.sql(rollup_sql(unit, source)).to_arrow_table()
        out[table] = res.select(schema.names).cast(schema)
    return out


def write_rollups(lake: Path, rollups: dict[str, pa.Table]) -> None:
    """Replace the rollup files atomically (a rerun recomputes, never adds)."""
    for table, data in rollups.items():
        write_table(lake, table, "rollup", data)
