"""The documented tables of the lake: column, DuckDB type, meaning. The warehouse docs come from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One documented column."""

    name: str
    type: str
    doc: str


LLM_CALLS: tuple[Column, ...] = (
    Column(
        "call_id", "VARCHAR", "provider/log id of the call; a content hash when the log has none"
    ),
    Column("trace_id", "VARCHAR", "trace / conversation / batch custom id the call belongs to"),
    Column("source_format", "VARCHAR", "log format it came from (litellm, otel, langfuse, ...)"),
    Column("started_at", "TIMESTAMPTZ", "request start (UTC)"),
    Column("ended_at", "TIMESTAMPTZ", "response end (UTC), when logged"),
    Column(
        "provider", "VARCHAR", "LLM provider (openai, anthropic, ...), inferred when not logged"
    ),
    Column("requested_model", "VARCHAR", "model name the application asked for"),
    Column("served_model", "VARCHAR", "model snapshot the provider says it served"),
    Column("system_fingerprint", "VARCHAR", "provider's backend fingerprint, when reported"),
    Column("prompt_name", "VARCHAR", "prompt template name"),
    Column("prompt_version", "VARCHAR", "prompt template version"),
    Column("feature", "VARCHAR", "application feature / app tag"),
    Column("team", "VARCHAR", "owning team (budgets are per feature or team)"),
    Column(
        "user_hash", "VARCHAR", "keyed HMAC-SHA256 of the end-user id; raw ids are never stored"
    ),
    Column("input_tokens", "BIGINT", "prompt tokens, including cached ones"),
    Column("output_tokens", "BIGINT", "completion tokens"),
    Column("cached_tokens", "BIGINT", "prompt tokens served from the provider's cache"),
    Column("latency_ms", "DOUBLE", "end-to-end latency in milliseconds"),
    Column("ttft_ms", "DOUBLE", "time to first token in milliseconds, when logged"),
    Column("status", "VARCHAR", "'success' or 'error'"),
    Column("error_type", "VARCHAR", "error class or code for failed calls"),
    Column("reported_cost_usd", "DOUBLE", "cost the log itself reported, if any"),
    Column("cost_usd", "DOUBLE", "cost computed from the price map/overrides; NULL when unpriced"),
    Column(
        "cost_status", "VARCHAR", "'priced' (litellm map), 'override' (prices file), 'unpriced'"
    ),
    Column("priced_model", "VARCHAR", "price-map key the cost was computed with"),
    Column(
        "input_text",
        "VARCHAR",
        "user-side input: the newest message (or all non-system ones), kept for audits",
    ),
    Column("system_text", "VARCHAR", "system prompt, kept for leakage checks"),
    Column("output_text", "VARCHAR", "model output, kept for audits"),
    Column("batch_id", "VARCHAR", "content hash of the source file (the lake file's name)"),
    Column("source_file", "VARCHAR", "path of the source file"),
    Column("source_line", "BIGINT", "line (JSONL/CSV) or record number (JSON/Parquet) in the file"),
)

QUARANTINE: tuple[Column, ...] = (
    Column("batch_id", "VARCHAR", "content hash of the source file"),
    Column("source_file", "VARCHAR", "path of the source file"),
    Column("source_line", "BIGINT", "line (JSONL/CSV) or record number (JSON/Parquet)"),
    Column("source_format", "VARCHAR", "format the file was read as"),
    Column("reason", "VARCHAR", "why the record was not accepted, naming the field"),
    Column("reason_kind", "VARCHAR", "the reason without the offending values, for counting"),
    Column("raw", "VARCHAR", "the record as it was (for repair and re-ingest)"),
)

BATCHES: tuple[Column, ...] = (
    Column("batch_id", "VARCHAR", "content hash of the source file"),
    Column("source_file", "VARCHAR", "path of the source file"),
    Column("source_format", "VARCHAR", "format the file was read as"),
    Column("records", "BIGINT", "records read (excluding blank lines)"),
    Column("accepted", "BIGINT", "records written to llm_calls"),
    Column("quarantined", "BIGINT", "records written to quarantine"),
    Column("unpriced", "BIGINT", "accepted records with no price"),
    Column("ingested_at", "TIMESTAMPTZ", "when this batch was (last) ingested"),
)

ROLLUP: tuple[Column, ...] = (
    Column("bucket_start", "TIMESTAMPTZ", "start of the hour / day (UTC)"),
    Column("dimension", "VARCHAR", "'total', 'model', 'prompt_version', 'feature' or 'user'"),
    Column("provider", "VARCHAR", "set for dimension 'model'"),
    Column("model", "VARCHAR", "requested model, for dimension 'model'"),
    Column("prompt_name", "VARCHAR", "for dimension 'prompt_version'"),
    Column("prompt_version", "VARCHAR", "for dimension 'prompt_version'"),
    Column("feature", "VARCHAR", "for dimension 'feature'"),
    Column("user_hash", "VARCHAR", "for dimension 'user'"),
    Column("calls", "BIGINT", "calls"),
    Column("errors", "BIGINT", "failed calls"),
    Column("error_rate", "DOUBLE", "errors / calls"),
    Column("input_tokens", "BIGINT", "prompt tokens"),
    Column("output_tokens", "BIGINT", "completion tokens"),
    Column("cached_tokens", "BIGINT", "cached prompt tokens"),
    Column("cost_usd", "DOUBLE", "computed cost of the priced calls"),
    Column("unpriced_calls", "BIGINT", "calls with no price (not in cost_usd)"),
    Column("latency_p50_ms", "DOUBLE", "median latency"),
    Column("latency_p95_ms", "DOUBLE", "95th percentile latency"),
    Column("latency_p99_ms", "DOUBLE", "99th percentile latency"),
)

ALERTS: tuple[Column, ...] = (
    Column("alert_id", "VARCHAR", "stable id: hash of rule, scope and window start"),
    Column("rule", "VARCHAR", "'cost_spike', 'error_rate', 'latency_p95', 'budget'"),
    Column("severity", "VARCHAR", "'warning' or 'critical'"),
    Column(
        "scope", "VARCHAR", "what it is about, e.g. 'openai/gpt-4o-mini' or 'feature=support-chat'"
    ),
    Column("window_start", "TIMESTAMPTZ", "start of the anomalous window"),
    Column("window_end", "TIMESTAMPTZ", "end of the anomalous window"),
    Column("observed", "DOUBLE", "observed value (cost per request, error rate, p95 ms, spend)"),
    Column("threshold", "DOUBLE", "value it was compared with"),
    Column("baseline", "DOUBLE", "baseline (rolling mean, budget), when the rule has one"),
    Column("message", "VARCHAR", "one-line explanation"),
)

FINDINGS: tuple[Column, ...] = (
    Column(
        "finding_id",
        "VARCHAR",
        "stable id: hash of call, direction, detector, label and span (same in a redelivery)",
    ),
    Column("call_id", "VARCHAR", "llm_calls.call_id of the call the finding is in"),
    Column("batch_id", "VARCHAR", "llm_calls batch (lake file) that was audited"),
    Column("source_line", "BIGINT", "line (JSONL/CSV) or record number of the call in its file"),
    Column("started_at", "TIMESTAMPTZ", "request start of the call (UTC)"),
    Column("direction", "VARCHAR", "'input' (user side of the call) or 'output' (model answer)"),
    Column(
        "detector", "VARCHAR", "'pii', 'secret', 'injection', 'toxicity', 'leakage' or 'format'"
    ),
    Column(
        "label",
        "VARCHAR",
        "what was found: email, phone, card, iban, ssn, ip, openai_key, aws_access_key, ..., "
        "injection, toxic, system_prompt",
    ),
    Column("severity", "VARCHAR", "'low', 'medium', 'high' or 'critical'"),
    Column(
        "span_start",
        "BIGINT",
        "start character offset in the text; NULL for whole-text findings (injection, toxicity)",
    ),
    Column("span_end", "BIGINT", "end character offset (exclusive); NULL for whole-text findings"),
    Column(
        "score",
        "DOUBLE",
        "1.0 for validated patterns; classifier probability, lexicon score or leaked share",
    ),
    Column(
        "excerpt",
        "VARCHAR",
        "masked context ([EMAIL], [OPENAI_KEY], [NUMBER], ...); never the raw value. Injection: "
        "the sentence the classifier scores highest",
    ),
    Column("detected_at", "TIMESTAMPTZ", "when the batch was (last) audited"),
)

AUDITS: tuple[Column, ...] = (
    Column("batch_id", "VARCHAR", "llm_calls batch that was audited (one ledger file each)"),
    Column("calls", "BIGINT", "calls scanned"),
    Column("findings", "BIGINT", "findings written to the findings table"),
    Column("critical", "BIGINT", "findings of severity critical"),
    Column("high", "BIGINT", "findings of severity high"),
    Column("medium", "BIGINT", "findings of severity medium"),
    Column("low", "BIGINT", "findings of severity low"),
    Column("first_call_at", "TIMESTAMPTZ", "earliest started_at in the batch"),
    Column("last_call_at", "TIMESTAMPTZ", "latest started_at in the batch"),
    Column("detectors", "VARCHAR", "detectors that ran, comma-separated"),
    Column("detector_versions", "VARCHAR", "pattern hash, injection model and lexicon versions"),
    Column("audited_at", "TIMESTAMPTZ", "when the batch was (last) audited"),
    Column("seconds", "DOUBLE", "wall time of the batch's audit"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "llm_calls": LLM_CALLS,
    "quarantine": QUARANTINE,
    "batches": BATCHES,
    "cost_rollup_hourly": ROLLUP,
    "cost_rollup_daily": ROLLUP,
    "alerts": ALERTS,
    "findings": FINDINGS,
    "audits": AUDITS,
}


def column_names(table: str) -> list[str]:
    """Column names of a lake table, in order."""
    return [c.name for c in TABLES[table]]


def empty_select(table: str) -> str:
    """SQL for a zero-row relation with the table's columns and types."""
    cols = ", ".join(f"CAST(NULL AS {c.type}) AS {c.name}" for c in TABLES[table])
    return f"SELECT {cols} LIMIT 0"
