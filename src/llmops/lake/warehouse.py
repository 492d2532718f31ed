"""DuckDB over the lake: the same documented views in memory (pipelines) and in warehouse.duckdb (analysts).

Pipelines never write to warehouse.duckdb while they run: they compute with in-memory connections
and write Parquet. The warehouse file only holds views over the lake's globs, so it sees new batches
without being touched, and analysts can keep it open read-only.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from llmops.lake.arrow import all_schemas
from llmops.lake.files import ensure_lake, table_glob
from llmops.lake.schema import TABLES

log = logging.getLogger(__name__)

# Tables whose files may repeat rows across batches (overlapping log deliveries): deduplicated.
DEDUP_KEYS = {
    "llm_calls": "call_id",
    # a rotated file (same path, new content) has new records at old line numbers: keep both
    "quarantine": "source_file, source_line, md5(raw)",
    "findings": "finding_id",
    "feedback": "feedback_id",
    "feedback_quarantine": "source_file, source_line",
    "feedback_ledger": "feedback_id",
}
ANALYST_VIEWS = {
    "daily_cost": """
        SELECT bucket_start::DATE AS day, calls, errors, cost_usd, unpriced_calls,
               input_tokens, output_tokens, latency_p95_ms
        FROM cost_rollup_daily WHERE dimension = 'total' ORDER BY day""",
    "cost_by_prompt_version": """
        SELECT bucket_start::DATE AS day, prompt_name, prompt_version, calls, cost_usd,
               cost_usd / nullif(calls - unpriced_calls, 0) AS cost_per_call, error_rate
        FROM cost_rollup_daily WHERE dimension = 'prompt_version' ORDER BY day, prompt_name""",
    "guardrail_daily": """
        SELECT started_at::DATE AS day, detector, label, severity,
               count(*) AS findings, count(DISTINCT call_id) AS calls
        FROM findings GROUP BY ALL ORDER BY day, detector, label""",
    "findings_by_feature": """
        SELECT c.feature, c.requested_model, f.detector, f.label,
               count(DISTINCT f.call_id) AS calls
        FROM findings f JOIN llm_calls c USING (call_id) GROUP BY ALL""",
    # mean score per metric by day of the eval run, prompt (version), dataset and served model
    "quality_trend": """
        SELECT m.started_at::DATE AS day, m.prompt_name, m.prompt_version, m.dataset,
               r.served_model, m.metric, any_value(m.library) AS library,
               count(DISTINCT m.run_id) AS runs, avg(m.mean) AS mean, min(m.mean) AS min_mean,
               max(m.mean) AS max_mean, arg_max(m.mean, m.started_at) AS last_mean,
               arg_max(m.delta, m.started_at) AS last_delta,
               arg_max(m.verdict, m.started_at) AS last_verdict,
               count(*) FILTER (m.verdict = 'fail') AS failed_runs,
               string_agg(DISTINCT r.trigger, ',' ORDER BY r.trigger) AS triggers
        FROM eval_metrics m LEFT JOIN eval_runs r USING (run_id)
        GROUP BY ALL ORDER BY day, prompt_name, prompt_version, dataset, served_model, metric""",
    # findings per ISO week (starting Monday) and the calls audited that week
    "guardrail_weekly": """
        WITH audited AS (
            SELECT date_trunc('week', started_at)::DATE AS week, count(*) AS audited_calls
            FROM llm_calls WHERE batch_id IN (SELECT batch_id FROM audits) GROUP BY ALL),
        found AS (
            SELECT date_trunc('week', started_at)::DATE AS week, detector, label, severity,
                   count(*) AS findings, count(DISTINCT call_id) AS calls
            FROM findings GROUP BY ALL)
        SELECT f.week, f.detector, f.label, f.severity, f.findings, f.calls, a.audited_calls,
               1000.0 * f.calls / nullif(a.audited_calls, 0) AS calls_per_1k
        FROM found f LEFT JOIN audited a USING (week)
        ORDER BY f.week, f.detector, f.label, f.severity""",
    # per model, where the cost the producer reported and the cost llmops computed differ by more
    # than 1% (a stale price map, a negotiated price or a producer's own pricing bug shows here)
    "cost_disagreement": """
        SELECT source_format, provider, requested_model, priced_model, service_tier,
               count(*) AS calls, sum(reported_cost_usd) AS reported_usd,
               sum(cost_usd) AS computed_usd,
               (sum(reported_cost_usd) - sum(cost_usd)) / nullif(sum(cost_usd), 0) AS relative_diff,
               count(*) FILTER (abs(reported_cost_usd - cost_usd)
                                > 0.01 * abs(cost_usd)) AS calls_over_1pct,
               min(started_at) AS first_call, max(started_at) AS last_call
        FROM llm_calls WHERE reported_cost_usd IS NOT NULL AND cost_usd IS NOT NULL
        GROUP BY ALL
        HAVING abs(sum(reported_cost_usd) - sum(cost_usd)) > 0.01 * abs(sum(cost_usd))
        ORDER BY abs(sum(reported_cost_usd) - sum(cost_usd)) DESC""",
    # every model identity the model watch has seen per alias, first and last probe seeing it
    "model_versions_seen": """
        SELECT alias, provider, requested_model, served_model, system_fingerprint,
               min(observed_at) AS first_seen, max(observed_at) AS last_seen,
               count(*) AS probes, count(DISTINCT canary_hash) AS output_variants,
               count(*) FILTER (status = 'updated') AS updates_declared,
               bool_or(simulated) AS simulated
        FROM model_versions WHERE status <> 'error'
        GROUP BY ALL ORDER BY alias, first_seen""",
    # each feedback with the call it is about: its call_id, else the last call of its trace
    # (resolved_call_id NULL = unknown call, kept and reported, never dropped)
    "feedback_calls": """
        WITH last_in_trace AS (
            SELECT trace_id, arg_max(call_id, started_at) AS call_id
            FROM llm_calls WHERE trace_id IS NOT NULL GROUP BY trace_id)
        SELECT f.*, coalesce(c.call_id, t.call_id) AS resolved_call_id
        FROM feedback f
        LEFT JOIN llm_calls c ON c.call_id = f.call_id
        LEFT JOIN last_in_trace t ON t.trace_id = f.trace_id""",
    # thumbs-down share of thumb votes and mean rating by day of the call, prompt and model
    "feedback_rates": """
        SELECT c.started_at::DATE AS day, c.prompt_name, c.prompt_version, c.provider,
               c.requested_model AS model, count(DISTINCT c.call_id) AS calls_with_feedback,
               count(f.feedback_id) AS feedback,
               count(*) FILTER (f.kind = 'thumb_up') AS thumbs_up,
               count(*) FILTER (f.kind = 'thumb_down') AS thumbs_down,
               thumbs_down / nullif(thumbs_up + thumbs_down, 0) AS thumbs_down_rate,
               avg(f.rating) FILTER (f.kind = 'rating') AS mean_rating,
               count(*) FILTER (f.kind = 'rating') AS ratings,
               count(*) FILTER (f.kind = 'correction') AS corrections,
               count(*) FILTER (f.kind = 'flag') AS flags
        FROM llm_calls c JOIN feedback_calls f ON f.resolved_call_id = c.call_id
        GROUP BY ALL ORDER BY day, prompt_name, prompt_version, model""",
}


def view_sql(lake: Path) -> dict[str, str]:
    """SELECT statement of every view, over the lake at `lake`."""
    views: dict[str, str] = {}
    for table in TABLES:
        src = f"read_parquet('{table_glob(lake, table)}', union_by_name = true)"
        cols = ", ".join(c.name for c in TABLES[table])
        if table in DEDUP_KEYS:  # the earliest batch's copy wins, deterministically
            names = {c.name for c in TABLES[table]}
            order = "batch_id, source_line" if "source_line" in names else "batch_id"
            views[table] = (
                f"SELECT {cols} FROM {src} QUALIFY row_number() OVER "
                f"(PARTITION BY {DEDUP_KEYS[table]} ORDER BY {order}) = 1"
            )
        else:
            views[table] = f"SELECT {cols} FROM {src}"
    views.update(ANALYST_VIEWS)
    return views


def catalog_version(lake: Path) -> str:
    """Hash of every view's SQL and column docs: the warehouse file is rebuilt when it changes."""
    import hashlib

    text = repr(sorted(view_sql(lake).items())) + repr(sorted(TABLES.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _create_views(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    for name, sql in view_sql(lake).items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
        if name in TABLES:
            for col in TABLES[name]:
                doc = col.doc.replace("'", "''")
                con.execute(f"COMMENT ON COLUMN {name}.{col.name} IS '{doc}'")


def connect(lake: Path) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with every lake view: what pipelines and `llmops sql` use (no file lock)."""
    ensure_lake(lake, all_schemas())
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    _create_views(con, lake)
    return con


def build_warehouse(path: Path, lake: Path) -> bool:
    """(Re)create warehouse.duckdb's views; False (and a warning) if someone holds it open."""
    ensure_lake(lake, all_schemas())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.exists():
            with duckdb.connect(str(path), read_only=True) as ro:
                have = ro.execute(
                    "SELECT max(version) FROM llmops_catalog WHERE lake = ?", [str(lake)]
                ).fetchone()
            if have and have[0] == catalog_version(lake):
                return True
        with duckdb.connect(str(path)) as con:
            con.execute("SET TimeZone = 'UTC'")
            _create_views(con, lake)
            con.execute("CREATE OR REPLACE TABLE llmops_catalog (version VARCHAR, lake VARCHAR)")
            con.execute(
                "INSERT INTO llmops_catalog VALUES (?, ?)", [catalog_version(lake), str(lake)]
            )
        return True
    except duckdb.Error as exc:  # held open read-write by an analyst: views over globs stay valid
        log.warning("warehouse %s not updated (%s); pipelines carry on", path, exc)
        return False
