"""JSON-path registry and the SQL helpers every format mapping uses."""

from __future__ import annotations

from llmops.lake.schema import TOKEN_COLUMNS

# Raw fields every mapping may return (missing ones are NULL). See schema.LLM_CALLS for meaning.
RAW_FIELDS = (
    "call_id",
    "trace_id",
    "started_at",
    "ended_at",
    "first_token_at",
    "latency_ms",
    "provider",
    "requested_model",
    "served_model",
    "system_fingerprint",
    "prompt_name",
    "prompt_version",
    "feature",
    "team",
    "user_id",
    *TOKEN_COLUMNS,
    "service_tier",
    "status",
    "error_type",
    "reported_cost_usd",
    "input_messages",
    "input_text",
    "system_text",
    "output_text",
    "invalid",  # a reason the producer's own schema rejects the record (quarantined with it)
)


class Paths:
    """Registers JSON paths and hands back the SQL that reads each one from the parsed list."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.field_of: dict[str, str] = {}

    def __call__(self, *paths: str) -> str:
        """SQL for the first non-null of `paths` (JSONPath strings such as `$.usage.input`)."""
        parts = []
        for path in paths:
            if path not in self.paths:
                self.paths.append(path)
            parts.append(f"nullif(v[{self.paths.index(path) + 1}], '')")
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def inner(p: Paths, path: str, sub: str) -> str:
    """SQL for `sub` inside a field that may hold JSON as an object or as an encoded string."""
    raw = p(path)
    return f"json_extract_string(CASE WHEN json_valid({raw}) THEN {raw} END, '{sub}')"


def first_system(p: Paths, messages: str) -> str:
    """SQL: content of the first message when it is a system message."""
    return f"CASE WHEN {p(messages + '[0].role')} = 'system' THEN {p(messages + '[0].content')} END"


def attr(key: str) -> str:
    """JSONPath of an OpenTelemetry attribute (keys contain dots, so they are quoted)."""
    return f'$.attributes."{key}"'


def content_text(expr: str) -> str:
    """SQL: a message `content` as text: a plain string as it is, a list of parts (OpenAI
    `{"type": "text", "text": ...}`, Anthropic blocks, semconv `{"content": ...}`) joined by
    newlines; other JSON as it is."""
    parts = f"json_extract(CASE WHEN json_valid({expr}) THEN {expr} END, '$[*]')"
    joined = (
        f"array_to_string(list_filter(list_transform({parts}, "
        "lambda x: coalesce(x->>'text', x->>'content')), lambda t: t IS NOT NULL), chr(10))"
    )
    return (
        f"CASE WHEN starts_with(ltrim({expr}), '[') AND json_valid({expr}) "
        f"THEN nullif({joined}, '') ELSE {expr} END"
    )
