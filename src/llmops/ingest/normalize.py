"""Normalize chunks of raw records of one format into llm_calls rows and quarantine rows (DuckDB)."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from llmops.costs.pricing import PriceBook, cost_sql, cost_status_sql, resolve_models
from llmops.ingest.formats import MAPPINGS, RAW_FIELDS, Paths, source_field
from llmops.ingest.readers import CSV_ERROR
from llmops.lake.arrow import arrow_schema
from llmops.lake.schema import LLM_CALLS, TOKEN_COLUMNS

INT_FIELDS = TOKEN_COLUMNS
TS_FIELDS = ("started_at", "ended_at", "first_token_at")
FLOAT_FIELDS = ("latency_ms", "reported_cost_usd")


# Bounds a real producer can reach: anything beyond quarantines the record with its field.
TS_MIN_EPOCH_S, TS_MAX_EPOCH_S = 0, 7_258_118_400  # 1970-01-01 .. 2200-01-01 UTC
MAX_TOKENS = 1_000_000_000  # per call and field


def _ts(expr: str) -> str:
    """SQL: a timestamp from epoch s/ms/us/ns numbers or ISO / 'YYYY-MM-DD HH:MM:SS' text (UTC),
    NULL outside 1970-2200 (NaN, Infinity, -1e20 and 1e300 included)."""
    d = f"TRY_CAST({expr} AS DOUBLE)"
    secs = (
        f"CASE WHEN {d} > 1e17 THEN {d} / 1e9 WHEN {d} > 1e14 THEN {d} / 1e6 "
        f"WHEN {d} > 1e11 THEN {d} / 1e3 ELSE {d} END"
    )
    text = f"TRY_CAST({expr} AS TIMESTAMPTZ)"
    lo, hi = TS_MIN_EPOCH_S, TS_MAX_EPOCH_S
    return (
        f"CASE WHEN {d} IS NOT NULL THEN CASE WHEN isfinite({d}) AND ({secs}) BETWEEN {lo} AND {hi} "
        f"THEN to_timestamp({secs}) END "
        f"WHEN epoch({text}) BETWEEN {lo} AND {hi} THEN {text} END"
    )


def _int(expr: str) -> str:
    return f"coalesce(TRY_CAST({expr} AS BIGINT), TRY_CAST(TRY_CAST({expr} AS DOUBLE) AS BIGINT))"


def _messages(expr: str, system: bool) -> str:
    """SQL: message contents (system or non-system) of a JSON messages array, else the text.

    Messages hold `content` (OpenAI style) or `parts[].content` (OpenTelemetry GenAI semconv).
    Used where a format carries messages as an encoded JSON string (OpenTelemetry attributes);
    formats with nested messages read the newest turn and the system prompt in the scan itself.
    """
    op = "=" if system else "<>"
    msgs = f"json_extract(CASE WHEN json_valid({expr}) THEN {expr} END, '$[*]')"
    joined = (
        f"array_to_string(list_transform(list_filter({msgs}, lambda m: coalesce(m->>'role', '') {op} "
        f"'system'), lambda m: coalesce(m->>'content', "
        f"array_to_string(json_extract_string(m, '$.parts[*].content'), chr(10)))), chr(10))"
    )
    is_array = f"coalesce(json_type(CASE WHEN json_valid({expr}) THEN {expr} END) = 'ARRAY', false)"
    if system:
        return f"CASE WHEN {is_array} THEN nullif({joined}, '') END"
    return f"CASE WHEN {is_array} THEN {joined} ELSE {expr} END"


def build_query(fmt: str) -> str:
    """SQL over `chunk(rec_no, line)`: scan each record once into its extracted values
    (`scanned`, materialized: its values are read many times), then type and check them,
    giving typed fields plus a `reason` for rejects."""
    paths = Paths()
    exprs = MAPPINGS[fmt](paths)
    path_list = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths.paths) + "]"
    raw_cols = ",\n  ".join(f"({exprs.get(f, 'NULL')})::VARCHAR AS r_{f}" for f in RAW_FIELDS)

    def name(field: str) -> str:
        return source_field(fmt, field).replace("'", "''")

    checks = [
        "scan_error",
        "CASE WHEN is_object THEN r_invalid END",
        f"CASE WHEN is_object AND r_requested_model IS NULL "
        f"THEN 'missing field {name('requested_model')}' END",
        f"CASE WHEN is_object AND r_started_at IS NULL "
        f"THEN 'missing field {name('started_at')}' END",
    ]
    for f in TS_FIELDS:
        readable = (
            f"(TRY_CAST(r_{f} AS DOUBLE) IS NOT NULL OR TRY_CAST(r_{f} AS TIMESTAMPTZ) IS NOT NULL)"
        )
        checks.append(
            f"CASE WHEN is_object AND r_{f} IS NOT NULL AND {f} IS NULL THEN CASE WHEN {readable} "
            f"THEN format('field {name(f)}: timestamp outside 1970-2200 ({{}})', left(r_{f}, 40)) "
            f"ELSE format('field {name(f)}: not a timestamp ({{}})', left(r_{f}, 40)) END END"
        )
    for f in INT_FIELDS:
        checks.append(
            f"CASE WHEN is_object AND r_{f} IS NOT NULL AND {f} IS NULL THEN "
            f"format('field {name(f)}: not an integer ({{}})', left(r_{f}, 40)) "
            f"WHEN {f} < 0 THEN format('field {name(f)}: negative count ({{}})', {f}) "
            f"WHEN {f} >= {MAX_TOKENS} THEN "
            f"format('field {name(f)}: count of 10^9 or more ({{}})', {f}) END"
        )
    for f in FLOAT_FIELDS:
        checks.append(
            f"CASE WHEN is_object AND r_{f} IS NOT NULL AND {f} IS NULL THEN "
            f"format('field {name(f)}: not a number ({{}})', left(r_{f}, 40)) "
            f"WHEN NOT isfinite({f}) OR {f} < 0 THEN "
            f"format('field {name(f)}: not a finite non-negative number ({{}})', left(r_{f}, 40)) END"
        )
    typed = ",\n  ".join(
        [f"{_ts('r_' + f)} AS {f}" for f in TS_FIELDS]
        + [f"{_int('r_' + f)} AS {f}" for f in INT_FIELDS]
        + [f"TRY_CAST(r_{f} AS DOUBLE) AS {f}" for f in FLOAT_FIELDS]
        + ["lower(r_service_tier) AS service_tier"]
    )
    blank = "trim(line, ' ' || chr(9) || chr(10) || chr(13)) = ''"
    scan = f"""
SELECT rec_no, is_json, is_object, CASE WHEN is_object THEN v END AS v,
  CASE WHEN NOT is_json THEN CASE WHEN starts_with(line, '{CSV_ERROR}')
    THEN substr(line, {len(CSV_ERROR) + 1}) ELSE 'not valid JSON' END
  WHEN NOT is_object THEN 'record is not a JSON object' END AS scan_error
FROM (
  SELECT rec_no, v IS NOT NULL AS is_json,
    v IS NOT NULL AND (starts_with(line, '{{') OR regexp_matches(line, '^\\s*\\{{')) AS is_object,
    v, line
  FROM (
    SELECT rec_no, line, TRY(json_extract_string(line, {path_list})) AS v FROM chunk
    WHERE length(line) > 2 OR NOT ({blank})
  )
)
"""
    return f"""
WITH scanned AS MATERIALIZED ({scan}), raw AS (
  SELECT rec_no, is_json, is_object, scan_error,
  {raw_cols}
  FROM scanned
), typed AS (
  SELECT *,
  {typed}
  FROM raw
)
SELECT *, nullif(concat_ws('; ', {", ".join(checks)}), '') AS reason FROM typed
"""


# A record without an id is identified by what it says, not by its bytes: a re-delivered copy
# serialized with other whitespace or key order gets the same id and deduplicates.
CONTENT_FIELDS = (
    "source_format", "trace_id", "started_at", "ended_at", "first_token_us", "provider",
    "requested_model", "served_model", "system_fingerprint", "prompt_name", "prompt_version",
    "feature", "team", "user_hash", "input_tokens", "output_tokens", "cached_tokens",
    "cache_write_tokens", "reasoning_tokens", "audio_input_tokens", "audio_output_tokens",
    "image_input_tokens", "service_tier", "latency_ms", "status", "error_type",
    "reported_cost_usd", "input_text", "system_text", "output_text",
)  # fmt: skip
CONTENT_HASH = "'h' || left(md5(concat_ws(chr(31), {})), 24)".format(
    ", ".join(f"coalesce({f}::VARCHAR, chr(0))" for f in CONTENT_FIELDS)
)

FINAL_SQL = (
    """
SELECT * EXCLUDE (first_token_us) REPLACE (coalesce(call_id, """
    + CONTENT_HASH
    + """) AS call_id)
FROM (
SELECT
  r_call_id AS call_id,
  r_trace_id AS trace_id,
  $fmt AS source_format,
  started_at,
  ended_at,
  m.provider AS provider,
  m.model AS requested_model,
  coalesce(r_served_model, m.model) AS served_model,
  r_system_fingerprint AS system_fingerprint,
  r_prompt_name AS prompt_name,
  r_prompt_version AS prompt_version,
  r_feature AS feature,
  r_team AS team,
  u.user_hash AS user_hash,
  input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
  audio_input_tokens, audio_output_tokens, image_input_tokens,
  service_tier,
  coalesce(latency_ms, CASE WHEN ended_at >= started_at
    THEN (epoch_us(ended_at) - epoch_us(started_at)) / 1000.0 END) AS latency_ms,
  CASE WHEN first_token_at >= started_at
    THEN (epoch_us(first_token_at) - epoch_us(started_at)) / 1000.0 END AS ttft_ms,
  r_status AS status,
  CASE WHEN r_status = 'error' THEN coalesce(r_error_type, 'unknown') END AS error_type,
  reported_cost_usd,
  {cost_usd} AS cost_usd,
  {cost_status} AS cost_status,
  m.priced_model AS priced_model,
  coalesce(r_input_text, {input_text}) AS input_text,
  coalesce(r_system_text, {system_text}) AS system_text,
  r_output_text AS output_text,
  $batch AS batch_id,
  $file AS source_file,
  good.rec_no AS source_line,
  epoch_us(first_token_at) AS first_token_us
FROM staged AS good
LEFT JOIN models m ON m.model_key = coalesce(r_provider, '') || '|' || r_requested_model
  || '|' || coalesce(r_served_model, '')
LEFT JOIN users u ON u.user_id = r_user_id
WHERE good.reason IS NULL
)
"""
)

LLM_CALLS_ARROW = arrow_schema(LLM_CALLS)


def hash_users(user_ids: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Table:
    """Keyed HMAC-SHA256 (truncated to 32 hex) of each distinct raw user id."""
    ids = [u for u in pc.unique(user_ids).to_pylist() if u is not None]
    hashes = [hmac.new(key, u.encode(), hashlib.sha256).hexdigest()[:32] for u in ids]
    return pa.table(
        {"user_id": pa.array(ids, pa.string()), "user_hash": pa.array(hashes, pa.string())}
    )


class Normalizer:
    """Turns raw-record chunks of one format into (llm_calls, quarantine) Arrow tables."""

    def __init__(
        self, fmt: str, book: PriceBook, user_key: bytes, batch_id: str, file: str
    ) -> None:
        self.fmt, self.book, self.user_key = fmt, book, user_key
        self.params = {"fmt": fmt, "batch": batch_id, "file": file}
        self.staged_sql = build_query(fmt)
        self.final_sql = FINAL_SQL.format(
            input_text=_messages("r_input_messages", system=False),
            system_text=_messages("r_input_messages", system=True),
            cost_usd=cost_sql("m"),
            cost_status=cost_status_sql("m"),
        )
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        """Release the DuckDB connection."""
        self.con.close()

    def __call__(self, chunk: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Normalize one chunk; returns (accepted rows, quarantined rows)."""
        con = self.con
        con.register("chunk", chunk)
        con.register("staged", con.sql(self.staged_sql).to_arrow_table())
        bad = con.sql(
            "SELECT $batch AS batch_id, $file AS source_file, s.rec_no AS source_line, "
            "$fmt AS source_format, s.reason, "
            "regexp_replace(s.reason, ' \\([^)]*\\)', '', 'g') AS reason_kind, "
            "rtrim(c.line, chr(13) || chr(10)) AS raw "
            "FROM staged s JOIN chunk c USING (rec_no) WHERE s.reason IS NOT NULL "
            "ORDER BY s.rec_no",
            params=self.params,
        ).to_arrow_table()
        triples = con.sql(
            "SELECT DISTINCT r_provider, r_requested_model, r_served_model FROM staged "
            "WHERE reason IS NULL"
        ).to_arrow_table()
        users = con.sql(
            "SELECT DISTINCT r_user_id FROM staged WHERE reason IS NULL AND r_user_id IS NOT NULL"
        ).to_arrow_table()
        con.unregister("chunk")
        con.register("models", resolve_models(triples.to_pylist(), self.book))
        con.register("users", hash_users(users["r_user_id"], self.user_key))
        out = con.sql(self.final_sql, params=self.params).to_arrow_table()
        for name in ("staged", "models", "users"):
            con.unregister(name)
        return out.cast(LLM_CALLS_ARROW), bad
