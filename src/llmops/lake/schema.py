"""The documented tables of the lake: column, DuckDB type, meaning. The warehouse docs come from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One documented column."""

    name: str
    type: str
    doc: str


# The token counts of a call, as llm_calls holds them (litellm's Usage convention: the first two
# are totals that include the parts after them).
TOKEN_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
    "image_input_tokens",
)

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
    Column(
        "cached_tokens", "BIGINT", "prompt tokens read from the provider's cache (included above)"
    ),
    Column(
        "cache_write_tokens",
        "BIGINT",
        "prompt tokens written to the provider's cache (Anthropic cache creation; included above)",
    ),
    Column("reasoning_tokens", "BIGINT", "completion tokens spent on reasoning (included above)"),
    Column("audio_input_tokens", "BIGINT", "prompt tokens that were audio (included above)"),
    Column("audio_output_tokens", "BIGINT", "completion tokens that were audio (included above)"),
    Column("image_input_tokens", "BIGINT", "prompt tokens that were images (included above)"),
    Column(
        "service_tier",
        "VARCHAR",
        "'batch' (Batch API), a provider tier ('flex', 'priority', ...) or NULL (on demand)",
    ),
    Column("latency_ms", "DOUBLE", "end-to-end latency in milliseconds"),
    Column("ttft_ms", "DOUBLE", "time to first token in milliseconds, when logged"),
    Column("status", "VARCHAR", "'success' or 'error'"),
    Column("error_type", "VARCHAR", "error class or code for failed calls"),
    Column("reported_cost_usd", "DOUBLE", "cost the log itself reported, if any"),
    Column(
        "cost_usd",
        "DOUBLE",
        "cost computed by litellm's pricing rules (or the prices file); NULL when unpriced or "
        "when token counts are unknown",
    ),
    Column(
        "cost_status",
        "VARCHAR",
        "'priced' (litellm map), 'override' (prices file), 'unpriced' (model not in either), "
        "'no_usage' (token counts not logged: cost unknown)",
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
    Column("no_usage", "BIGINT", "accepted records without token counts (cost unknown)"),
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
    Column(
        "unpriced_calls",
        "BIGINT",
        "calls with no cost: model not priced or token counts not logged (not in cost_usd)",
    ),
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
        "detector",
        "VARCHAR",
        "'pii', 'secret', 'injection', 'toxicity', 'leakage', 'format' (output against the "
        "registered schema of the call's prompt version) or 'injection_judge' (LLM judge's "
        "verdict on an uncertain injection score; only with settings guardrail_judge.enabled)",
    ),
    Column(
        "label",
        "VARCHAR",
        "what was found: email, phone, card, iban, ssn, ip, openai_key, aws_access_key, ..., "
        "injection, toxic, system_prompt; format: invalid_json, schema_violation; "
        "injection_judge: injection (severity high) or benign (severity low)",
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
        "1.0 for validated patterns and format; classifier probability, lexicon score or "
        "leaked share; injection_judge: the classifier probability of the judged input",
    ),
    Column(
        "excerpt",
        "VARCHAR",
        "masked context ([EMAIL], [OPENAI_KEY], [NUMBER], ...); never the raw value. Injection: "
        "the sentence the classifier scores highest. Format: the JSON error (no data) and the "
        "masked start of the output. injection_judge: masked trigger and the judge's reason",
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
    Column(
        "detector_versions",
        "VARCHAR",
        "pattern hash, injection and toxicity model and lexicon versions",
    ),
    Column(
        "format_checked",
        "BIGINT",
        "calls whose output was checked against their prompt version's registered output schema",
    ),
    Column(
        "format_unknown_version",
        "BIGINT",
        "format not checked: calls of a registered prompt whose prompt_version resolves neither "
        "by version number nor by content-hash prefix (aliases are not trusted)",
    ),
    Column("format_unknown_refs", "VARCHAR", "those prompt@version refs, comma-separated"),
    Column(
        "format_unregistered",
        "BIGINT",
        "format not checked: calls with a prompt_name that is not in the prompt registry",
    ),
    Column("audited_at", "TIMESTAMPTZ", "when the batch was (last) audited"),
    Column("seconds", "DOUBLE", "wall time of the batch's audit"),
)

EVAL_RUNS: tuple[Column, ...] = (
    Column("run_id", "VARCHAR", "MLflow run id of the eval run"),
    Column("flow_run_id", "VARCHAR", "Prefect flow run that produced it"),
    Column("started_at", "TIMESTAMPTZ", "when the run started"),
    Column("ended_at", "TIMESTAMPTZ", "when the run finished"),
    Column("dataset", "VARCHAR", "golden dataset name"),
    Column("dataset_version", "VARCHAR", "dataset version id (= its content digest)"),
    Column("prompt_name", "VARCHAR", "prompt evaluated"),
    Column("prompt_version", "VARCHAR", "MLflow prompt registry version"),
    Column("prompt_hash", "VARCHAR", "content hash of the prompt version"),
    Column("model_alias", "VARCHAR", "model alias the prompt ran on (candidate, ...)"),
    Column("requested_model", "VARCHAR", "litellm model the alias resolved to"),
    Column("served_model", "VARCHAR", "model snapshot the provider reported (most frequent)"),
    Column("system_fingerprint", "VARCHAR", "provider fingerprint reported (most frequent)"),
    Column("simulated", "BIGINT", "1 when the answers came from the provider simulator"),
    Column("trigger", "VARCHAR", "schedule, model_update, prompt_merge or manual"),
    Column("role", "VARCHAR", "candidate, or baseline when run to give a candidate a baseline"),
    Column("baseline_run_id", "VARCHAR", "run compared against (NULL: none, this is a baseline)"),
    Column("verdict", "VARCHAR", "pass, fail, inconclusive or baseline"),
    Column("verdict_reason", "VARCHAR", "why, in one line"),
    Column("items", "BIGINT", "items evaluated"),
    Column("generation_failures", "BIGINT", "items whose answer could not be generated"),
    Column("llm_calls", "BIGINT", "LLM calls made (generation and judges, retries excluded)"),
    Column("cost_usd", "DOUBLE", "cost of those calls (litellm price map)"),
    Column("wall_seconds", "DOUBLE", "wall time of generation and scoring"),
    Column("promoted", "BIGINT", "1 when this run moved the champion alias"),
)

EVAL_METRICS: tuple[Column, ...] = (
    Column("run_id", "VARCHAR", "MLflow run id of the eval run"),
    Column("started_at", "TIMESTAMPTZ", "when the run started"),
    Column("dataset", "VARCHAR", "golden dataset name"),
    Column("prompt_name", "VARCHAR", "prompt evaluated"),
    Column("prompt_version", "VARCHAR", "MLflow prompt registry version"),
    Column("metric", "VARCHAR", "metric name in the suite"),
    Column("library", "VARCHAR", "ragas, deepeval or deterministic"),
    Column("mean", "DOUBLE", "mean score over the items it applied to"),
    Column("scored", "BIGINT", "items scored"),
    Column("failed", "BIGINT", "items whose scoring errored"),
    Column("not_applicable", "BIGINT", "items the metric does not apply to"),
    Column("baseline_run_id", "VARCHAR", "run compared against"),
    Column("baseline_mean", "DOUBLE", "baseline mean over all its scored items"),
    Column("delta", "DOUBLE", "candidate - baseline over the paired items"),
    Column("ci_low", "DOUBLE", "95% paired-bootstrap interval of the improvement, low"),
    Column("ci_high", "DOUBLE", "... and high (sign-adjusted: > 0 is better)"),
    Column("p_value", "DOUBLE", "two-sided paired-bootstrap p-value"),
    Column("pairs", "BIGINT", "items scored in both runs"),
    Column("verdict", "VARCHAR", "pass, fail or inconclusive for this metric"),
    Column("reason", "VARCHAR", "why"),
)

EVAL_RESULTS: tuple[Column, ...] = (
    Column("run_id", "VARCHAR", "MLflow run id of the eval run"),
    Column("item_id", "VARCHAR", "golden item id"),
    Column("metric", "VARCHAR", "metric name; `generation` for the answer itself"),
    Column("library", "VARCHAR", "ragas, deepeval, deterministic (or gateway for generation)"),
    Column("score", "DOUBLE", "the item's score (NULL: failed or not applicable)"),
    Column("error", "VARCHAR", "why scoring (or generation) failed for this item"),
    Column("reason", "VARCHAR", "the metric's explanation or `not applicable: ...`"),
    Column("answer", "VARCHAR", "generated answer (generation rows only)"),
    Column("latency_ms", "DOUBLE", "generation latency (generation rows only)"),
    Column("cost_usd", "DOUBLE", "generation cost (generation rows only)"),
)

FEEDBACK: tuple[Column, ...] = (
    Column("feedback_id", "VARCHAR", "id given by the sender; re-delivery of an id adds nothing"),
    Column("call_id", "VARCHAR", "llm_calls.call_id the feedback is about, when given"),
    Column("trace_id", "VARCHAR", "trace the feedback is about (its last call), when given"),
    Column("created_at", "TIMESTAMPTZ", "when the user gave it (UTC); receive time when not sent"),
    Column("kind", "VARCHAR", "'thumb_up', 'thumb_down', 'rating', 'correction' or 'flag'"),
    Column("rating", "BIGINT", "1 (worst) to 5 (best), for kind 'rating'"),
    Column("correction", "VARCHAR", "the answer the user says is right (raw; scrubbed downstream)"),
    Column("comment", "VARCHAR", "free text of the user (raw; scrubbed downstream)"),
    Column("user_hash", "VARCHAR", "keyed HMAC-SHA256 of the user id, same key as llm_calls"),
    Column("batch_id", "VARCHAR", "content hash of the source file"),
    Column(
        "source_file",
        "VARCHAR",
        "path of the source file (POST /feedback: the collector's feedback batch file)",
    ),
    Column("source_line", "BIGINT", "line (JSONL/CSV) in the file"),
    Column("ingested_at", "TIMESTAMPTZ", "when the batch was (last) ingested"),
)

FEEDBACK_QUARANTINE: tuple[Column, ...] = (
    Column("batch_id", "VARCHAR", "content hash of the source file"),
    Column("source_file", "VARCHAR", "path of the source file"),
    Column("source_line", "BIGINT", "line (JSONL/CSV) of the record"),
    Column("reason", "VARCHAR", "why the record was not accepted, naming the field"),
    Column("raw", "VARCHAR", "the record as it was (for repair and re-ingest)"),
    Column("ingested_at", "TIMESTAMPTZ", "when the batch was (last) ingested"),
)

FEEDBACK_LEDGER: tuple[Column, ...] = (
    Column(
        "feedback_id", "VARCHAR", "feedback the flywheel has dealt with (never looked at again)"
    ),
    Column("call_id", "VARCHAR", "llm_calls.call_id it was joined to"),
    Column("dataset", "VARCHAR", "golden dataset it was a candidate for, if any"),
    Column(
        "outcome",
        "VARCHAR",
        "'approved', 'edited', 'rejected', 'covered' (near a golden item), 'pii' (still failed "
        "the PII/secret check) or 'not_negative'",
    ),
    Column("candidate_id", "VARCHAR", "item id of the cluster representative it belonged to"),
    Column("flow_run_id", "VARCHAR", "feedback-flywheel run that processed it"),
    Column("batch_id", "VARCHAR", "ledger file it was recorded in"),
    Column("processed_at", "TIMESTAMPTZ", "when it was processed"),
)

MODEL_VERSIONS: tuple[Column, ...] = (
    Column("observed_at", "TIMESTAMPTZ", "when the canary probe of the alias finished (UTC)"),
    Column("alias", "VARCHAR", "model alias probed (candidate, judge, ...)"),
    Column("probe_id", "VARCHAR", "id of the watch run (flow run id); one lake file per run"),
    Column("provider", "VARCHAR", "'simulator' or the litellm provider of the alias"),
    Column("requested_model", "VARCHAR", "litellm model string the canaries were sent to"),
    Column("served_model", "VARCHAR", "response `model` (most common over the canaries)"),
    Column("system_fingerprint", "VARCHAR", "response `system_fingerprint`, when reported"),
    Column("canary_hash", "VARCHAR", "sha256 (16 hex) of all canary outputs, in canary order"),
    Column("canary_hashes", "VARCHAR", "per-canary output hashes (8 hex), comma-separated"),
    Column("canary_set", "VARCHAR", "hash of the canary prompts (a new set re-baselines)"),
    Column("canaries", "BIGINT", "canary prompts answered"),
    Column("simulated", "BOOLEAN", "answered by the llmops provider simulator"),
    Column(
        "status",
        "VARCHAR",
        "'baseline' (first probe), 'unchanged', 'drift' (outputs changed, not yet N times), "
        "'updated' (update declared: llmops.model.updated emitted) or 'error' (probe failed)",
    ),
    Column("reason", "VARCHAR", "why an update or drift was declared, or the probe's error"),
    Column("drift", "DOUBLE", "share of canaries whose output differs from the declared one"),
    Column("drift_streak", "BIGINT", "consecutive drifted probes since the last declaration"),
    Column("declared_model", "VARCHAR", "served model of the identity declared current"),
    Column("declared_fingerprint", "VARCHAR", "fingerprint of the identity declared current"),
    Column("declared_canary_hash", "VARCHAR", "canary hash of the identity declared current"),
    Column("declared_canary_hashes", "VARCHAR", "per-canary hashes of the declared identity"),
    Column("latency_ms", "DOUBLE", "mean latency of a canary call"),
    Column("cost_usd", "DOUBLE", "cost of the probe (price map of the configured model)"),
)

ERASURES: tuple[Column, ...] = (
    Column("erasure_id", "VARCHAR", "random id of the erasure (one lake file each)"),
    Column("erased_at", "TIMESTAMPTZ", "when `llmops erase` ran (UTC)"),
    Column("erased_by", "VARCHAR", "who ran it: the OS user, or the name given with --by"),
    Column("target_kind", "VARCHAR", "'user' (`--user`) or 'call' (`--call`)"),
    Column(
        "target_sha256",
        "VARCHAR",
        "sha256 of the target's id as the lake keys it: the keyed user_hash for a user (a raw id "
        "cannot be recovered by hashing guesses without the key), the call_id for a call; never "
        "the raw id",
    ),
    Column("rows_removed", "BIGINT", "rows removed from all tables together"),
    Column(
        "tables",
        "VARCHAR",
        'rows removed per table, JSON ({"llm_calls": 12, "findings": 1, ...}; rollup rows '
        "of the user are removed by recomputing the rollups)",
    ),
    Column("recomputed", "VARCHAR", "derived tables rewritten from what remains, comma-separated"),
    Column("batches", "VARCHAR", "lake batch ids whose files were rewritten, comma-separated"),
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
    "eval_runs": EVAL_RUNS,
    "eval_metrics": EVAL_METRICS,
    "eval_results": EVAL_RESULTS,
    "feedback": FEEDBACK,
    "feedback_quarantine": FEEDBACK_QUARANTINE,
    "feedback_ledger": FEEDBACK_LEDGER,
    "model_versions": MODEL_VERSIONS,
    "erasures": ERASURES,
}


def column_names(table: str) -> list[str]:
    """Column names of a lake table, in order."""
    return [c.name for c in TABLES[table]]


def empty_select(table: str) -> str:
    """SQL for a zero-row relation with the table's columns and types."""
    cols = ", ".join(f"CAST(NULL AS {c.type}) AS {c.name}" for c in TABLES[table])
    return f"SELECT {cols} LIMIT 0"
